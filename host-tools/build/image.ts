// What a node's Storage holds, as the flash tool writes it and the emulator
// boots it: the boot file, the firmware slot(s), the configuration and the
// boot state. One definition, so a flashed node and an emulated one agree;
// the file names are the firmware's own (device/core/layout.ts).
import { crc32 } from "node:zlib";
import { StorageFile } from "../../device/core/layout.ts";
import type { Board } from "./boards.ts";
import { footprint } from "../lib/storage-format.ts";

export const BOOT_FILE: string = StorageFile.BootCode;
export const CONFIG_FILE: string = StorageFile.Config;
export const SLOT_FILES = [StorageFile.SlotPrefix + "a", StorageFile.SlotPrefix + "b"];
export const STATE_FILES: string[] = [StorageFile.State0, StorageFile.State1];
/** The dashboard: gzipped HTML, served at GET / by boards with the dashboard capability. */
export const DASHBOARD_FILE: string = StorageFile.Dashboard;
/** A dashboard upload until it is checked (device/platform/dashboard.ts). */
export const DASHBOARD_UPLOAD_FILE: string = StorageFile.DashboardUpload;

export interface ImageFile {
  name: string;
  data: string;
}

/** CRC32 of an 8-bit string, as E.CRC32 gives it. */
export function crc32Of(data: string): number {
  return crc32(Buffer.from(data, "latin1")) >>> 0;
}

/** The boot state the boot file reads (device/boot.ts): slot "a" runs, confirmed, with its CRC32. */
export function initialState(firmware: string): ImageFile {
  const state = { g: 1, a: "a", t: 0, m: 0, ca: crc32Of(firmware) };
  return { name: STATE_FILES[state.g & 1], data: JSON.stringify(state) };
}

/** Every file a freshly flashed node has, in the order they are written (the boot file last, so a cut-short flash does not boot half a node). */
export function flashImage(parts: { firmware: string; boot: string; config: Record<string, unknown>; dashboard?: string }): ImageFile[] {
  return [
    ...(parts.dashboard ? [{ name: DASHBOARD_FILE, data: parts.dashboard }] : []),
    { name: CONFIG_FILE, data: JSON.stringify(parts.config) },
    { name: SLOT_FILES[0], data: parts.firmware },
    initialState(parts.firmware),
    { name: BOOT_FILE, data: parts.boot },
  ];
}

/** The largest spore.json a node can have: every key set, ssid 32 characters, the other texts at their 63-character limit, numbers at their widest. */
export const CONFIG_MAX_BYTES = 392;
/** What the broker ("mq", boards with MQTT) adds at its largest: host, prefix, user and password of 63 characters (MQ_TEXT_MAX), port and period at their widest. */
const MQ_MAX_BYTES = 340;
/** The most characters of the broker's host, prefix, user and password in spore.json. */
export const MQ_TEXT_MAX = 63;

/** The largest spore.json on a board: with the broker where the board has MQTT. */
export function configMaxBytes(board: Board): number {
  return CONFIG_MAX_BYTES + (board.capabilities.mqtt ? MQ_MAX_BYTES : 0);
}
/** The boot number the firmware keeps (device/platform/boot-number.ts): a whole number, reserved up to 8 digits (a node restarting every 5 s takes 15 years to pass them). */
export const BOOTS_FILE: string = StorageFile.Boots;
export const BOOTS_MAX_BYTES = 8;
/** The MAC's key (device/core/mac.ts): two arrays of Mac.Words 32-bit numbers and Speck's 27 round keys (Mac.Keys). */
export const MAC_KEYS_BYTES = (2 * 125 + 27) * 4;

/** The largest boot state file a board writes: {"g":99999,"a":"b","t":2,"m":<member table>,"ca":4294967295,"cb":4294967295}, without "cb" with one slot. */
export function stateMaxBytes(board: Board): number {
  const state: Record<string, unknown> = { g: 99999, a: "b", t: 2, m: board.node.memberTable, ca: 4294967295 };
  if (board.limits.slots > 1) state.cb = 4294967295;
  return JSON.stringify(state).length;
}

export interface LayoutRow {
  file: string;
  bytes: number;
  what: string;
}

/**
 * Storage when everything is at its largest: the boot file, each slot at the
 * board's bundle budget, spore.json and both state copies. `free` below zero
 * means an update could fail for want of room.
 */
export function storageLayout(board: Board, bootBytes: number): { rows: LayoutRow[]; used: number; free: number } {
  const rows: LayoutRow[] = [{ file: BOOT_FILE, bytes: footprint(bootBytes), what: "boot file" }];
  for (let i = 0; i < board.limits.slots; i++) rows.push({ file: SLOT_FILES[i], bytes: footprint(board.budgets.bundleBytes), what: "firmware slot (bundle budget)" });
  rows.push({ file: CONFIG_FILE, bytes: footprint(configMaxBytes(board)), what: "configuration (largest)" });
  for (const f of STATE_FILES) rows.push({ file: f, bytes: footprint(stateMaxBytes(board)), what: "boot state copy" });
  rows.push({ file: BOOTS_FILE, bytes: footprint(BOOTS_MAX_BYTES), what: "boot number" });
  if (board.node.macFlash) rows.push({ file: StorageFile.MacKeys, bytes: footprint(MAC_KEYS_BYTES), what: "the MAC's key" });
  if (board.capabilities.dashboard) {
    rows.push({ file: DASHBOARD_FILE, bytes: footprint(board.budgets.dashboardBytes ?? 0), what: "dashboard (budget)" });
    // while a new page is uploaded, until it is checked and copied over the old one
    rows.push({ file: DASHBOARD_UPLOAD_FILE, bytes: footprint(board.budgets.dashboardBytes ?? 0), what: "dashboard upload (budget)" });
  }
  if (board.capabilities.jobs) {
    // a job set is at most a request body (with its generation); the durable keys at most the store's bytes, with their TTLs and the copy's wrapping
    for (const f of [StorageFile.Jobs0, StorageFile.Jobs1]) rows.push({ file: f, bytes: footprint(board.node.body + 16), what: "job set copy (a request body)" });
    // a set kept until the next boot checks it (a request body as it came)
    rows.push({ file: StorageFile.JobsNext, bytes: footprint(board.node.body), what: "job set kept for the next boot (a request body)" });
    if (board.node.kvDurable) for (const f of [StorageFile.Kv0, StorageFile.Kv1]) rows.push({ file: f, bytes: footprint(board.node.kvBytes + 14 * board.node.kvKeys + 24), what: "durable KV copy (largest)" });
  }
  // segments of a quarter of spoolBytes, at most 1,024 bytes (device/core/spool.ts), as many as spoolBytes holds
  const segment = Math.min(1024, board.node.spoolBytes >> 2);
  if (board.capabilities.spool) rows.push({ file: StorageFile.SpoolPrefix + "*", bytes: Math.floor(board.node.spoolBytes / segment) * footprint(segment), what: "MQTT spool segments (spoolBytes)" });
  const used = rows.reduce((n, r) => n + r.bytes, 0);
  return { rows, used, free: board.limits.storageBytes - used };
}
