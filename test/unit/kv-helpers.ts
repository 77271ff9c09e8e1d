// Shared by the KV store tests (kv.test.ts, kv-durable.test.ts): Storage
// with counted writes and power cuts, booting a node (a fresh copy of the
// kv module, imported again under a new query string: module state as at
// boot), reading its listing, and esp8266's limits around each test.
import "./limits.ts";
import * as assert from "uvu/assert";
import { setup, type Ports } from "../../device/core/env.ts";
import { readConfig, type Config } from "../../device/core/layout.ts";
import { FlashStorage } from "../../host-tools/emulator/storage.ts";
import type { suite } from "../suite.ts";

/** The store's operations by name, over kv(op, ...) of one copy of the module (KvOp's values: the const enum is the build's). */
export interface Kv {
  kvGet(key: string): any;
  kvPut(key: string, value: any, ttl?: number | null, durable?: any, incr?: any): any;
  kvDel(key: string): boolean;
  kvList(key: string): string | undefined;
  kvSweep(max: number): number;
  kvFlush(force?: any): boolean;
  kvLoad(): void;
}

/** The operations of a copy of device/core/kv.ts by name. */
export function named(m: typeof import("../../device/core/kv.ts")): Kv {
  const k = m.kv;
  return {
    kvGet: (key) => k(1, key),
    kvPut: (key, value, ttl, durable, incr) => k(incr ? 3 : 2, key, value, ttl, durable),
    kvDel: (key) => k(4, key),
    kvList: (key) => k(5, key),
    kvSweep: (max) => k(6, max),
    kvFlush: (force) => k(7, force),
    kvLoad: () => k(8),
  };
}
export interface Entry {
  key: string;
  value: unknown;
  ttl: number | null;
  durable: boolean;
}
export interface Listing {
  keys: Entry[];
  stats: { keys: number; bytes: number; capacity: { keys: number; bytes: number }; evicted: number; expired: number; flushes: number };
}

export const limits = (globalThis as any).SPORE_LIMITS as { kvKeys: number; kvBytes: number };
/** esp8266's limits, which test/unit/limits.ts sets: each test starts with them. */
export const BOARD = { kvKeys: 8, kvBytes: 256 };

/** Boots so far, in all the files: each boot imports the module under a query string of its own. */
let boots = 0;

/**
 * Storage as the node sees it: a FlashStorage, its writes counted. With `cut`
 * set, the power fails during the next write once `cut` bytes of it are in
 * flash (the file made at its full size, the rest 0xFF); -1: the old file is
 * erased and the new one not yet made. Either way the write throws.
 */
export class Flash {
  writes = 0;
  cut: number | undefined;
  constructor(readonly fs = new FlashStorage(65536)) {}
  read(name: string, offset?: number, length?: number): string | undefined {
    return this.fs.read(name, offset, length);
  }
  readJSON(name: string, noExceptions?: boolean): unknown {
    return this.fs.readJSON(name, noExceptions);
  }
  erase(name: string): void {
    this.fs.erase(name);
  }
  getFree(): number {
    return this.fs.getFree();
  }
  getStats(): ReturnType<FlashStorage["getStats"]> {
    return this.fs.getStats();
  }
  write(name: string, data: string, offset?: number, size?: number): boolean {
    this.writes++;
    const k = this.cut;
    if (k === undefined) return this.fs.write(name, data, offset, size);
    this.cut = undefined;
    // Storage.write at offset 0 erases the old file, then makes the new one at its size and fills it
    this.fs.erase(name);
    if (k >= 0) this.fs.write(name, data.slice(0, k), 0, data.length);
    throw new Error("power cut");
  }
}

/** A test file's node: its virtual clock, its log lines, and how a boot resets both (the file's own variables, so its tests set them directly). */
export interface KvNode {
  now: () => number;
  log: (line: string) => void;
  reset: () => void;
}

/** boot(flash, config), for the node `node`: at each boot its clock back to 0, its log emptied, a fresh kv module, kvLoad() as at boot. */
export function booter(node: KvNode): (flash: Flash, config?: Partial<Config>) => Promise<Kv> {
  return async (flash, config = {}) => {
    node.reset();
    const ports = { now_: node.now, log_: node.log, fs_: flash };
    setup(ports as unknown as Ports, Object.assign(readConfig({}, []), config), "a1b2c3");
    const kv = named(await import(`../../device/core/kv.ts?boot=${++boots}`));
    kv.kvLoad();
    return kv;
  };
}

export const list = (kv: Kv): Listing => JSON.parse(kv.kvList("")!);
export const keys = (kv: Kv): string[] => list(kv).keys.map((e) => e.key);
export const stats = (kv: Kv): Listing["stats"] => list(kv).stats;
export function throws(f: () => unknown, message: string): void {
  try {
    f();
  } catch (e) {
    assert.is((e as Error).message, message);
    return;
  }
  assert.unreachable(`expected Error("${message}")`);
}

/** Each test of the suite starts and ends with esp8266's limits. */
export function resetLimits(test: ReturnType<typeof suite>["test"]): void {
  test.before.each(() => {
    Object.assign(limits, BOARD);
  });
  test.after.each(() => {
    Object.assign(limits, BOARD);
  });
}
