// Shared by the MQTT spool tests (spool.test.ts, spool-cuts.test.ts): booting
// the spool module on a Storage (a restart: a fresh instance, imported again
// under another URL, or one opened again), record helpers, the model of what
// the spool should hold, and Storage whose power goes after a number of bytes.
import "./limits.ts";
import { crc32Of } from "../../host-tools/build/image.ts";
import type { FlashStorage } from "../../host-tools/emulator/storage.ts";
import type { Rng } from "../../host-tools/emulator/rng.ts";
import { setup, type Ports } from "../../device/core/env.ts";
import { defaultConfig } from "../../device/core/layout.ts";

export type Spool = typeof import("../../device/core/spool.ts");
/** topic, payload, qos, retain */
export type Msg = [string, string, number, number];

let instances = 0;

/** Instances by limits, for boot(..., false). */
const reused: Record<string, Spool> = {};

/**
 * A restart: the spool module on `fs` with these limits, opened (as at boot):
 * a fresh instance, or (`fresh` false) one made before with the same limits,
 * opened again (spoolOpen makes all its RAM state).
 */
export async function boot(fs: object, count: number, bytes: number, fresh = true): Promise<Spool> {
  Object.assign(SPORE_LIMITS, { spoolCount: count, spoolBytes: bytes });
  // later_ and reboot_: Storage full (core/flash.ts) fires storage/full and may ask for a restart; no scheduler here, nothing runs
  setup({ fs_: fs, hash_: crc32Of, now_: () => 0, log_: () => {}, later_: () => 0, reboot_: () => {} } as unknown as Ports, defaultConfig(), "a1b2c3");
  const key = `${count}/${bytes}`;
  const spool: Spool = !fresh && reused[key] ? reused[key] : await import(`../../device/core/spool.ts?instance=${++instances}`);
  if (!fresh) reused[key] = spool;
  spool.spoolOpen();
  return spool;
}

/** A segment's size for spoolBytes, as spool.ts makes it. */
export function segment(bytes: number): number {
  return Math.min(1024, bytes >> 2);
}

/** A record's bytes in its segment. */
export function size(m: Msg): number {
  return m[0].length + m[1].length + 6;
}

export function push(s: Spool, m: Msg): boolean {
  return s.spoolPush(m[0], m[1], m[2], m[3]);
}

/** Every pending record, oldest first. */
export function all(s: Spool): Msg[] {
  return s.spoolTake(1e9, -1).map((r) => [r[1], r[2], r[3], r[4]]);
}

export function ids(s: Spool): number[] {
  return s.spoolTake(1e9, -1).map((r) => r[0]);
}

export function files(fs: FlashStorage): string[] {
  return fs.list(/^spore\.q/);
}

/** Message i: JSON-ish, of lengths varying with i, qos and retain varying. */
export function msg(i: number): Msg {
  return [`spore/esp_a1b2c3/m${i}`, `{"i":${i},"v":"${"x".repeat((i * 7) % 50)}"}`, i % 2, i % 3 ? 0 : 1];
}

export function range(n: number): number[] {
  return [...Array(n).keys()];
}

/** Random bytes 0..255 as a string. */
export function bytesOf(r: Rng, n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += String.fromCharCode(r.int(256));
  return s;
}

/**
 * What the spool should hold: its segments, each the records written to it
 * (done or not) and its bytes used, by the rules spool.ts states.
 */
export class Model {
  segs: { recs: { m: Msg; done: boolean }[]; used: number }[] = [];
  dropped = 0;
  constructor(
    readonly count: number,
    readonly bytes: number,
  ) {}
  get seg(): number {
    return segment(this.bytes);
  }
  pending(): { m: Msg; done: boolean }[] {
    return this.segs.flatMap((s) => s.recs.filter((r) => !r.done));
  }
  list(): Msg[] {
    return this.pending().map((r) => r.m);
  }
  /** Marks a pending record done; its segment goes when nothing in it is pending and it is not the last. */
  done(i: number): void {
    const r = this.pending()[i];
    r.done = true;
    const k = this.segs.findIndex((s) => s.recs.includes(r));
    if (k < this.segs.length - 1 && this.segs[k].recs.every((x) => x.done)) this.segs.splice(k, 1);
  }
  /** A restart: the last segment, if full and drained, is erased at open; the count of drops starts again. */
  restart(): void {
    const last = this.segs[this.segs.length - 1];
    if (last && last.used > this.seg - 3 && last.recs.every((x) => x.done)) this.segs.pop();
    this.dropped = 0;
  }
  push(m: Msg): boolean {
    if (size(m) > this.seg - 1) {
      this.dropped++;
      return false;
    }
    while (this.pending().length >= this.count && this.pending().length) {
      this.done(0);
      this.dropped++;
    }
    let last = this.segs[this.segs.length - 1];
    if (!last || last.used + size(m) > this.seg) {
      if (last && last.recs.every((x) => x.done)) this.segs.pop();
      while (this.segs.length >= Math.floor(this.bytes / this.seg)) this.dropped += this.segs.shift()!.recs.filter((x) => !x.done).length;
      // used from 1: the segment's format byte
      last = { recs: [], used: 1 };
      this.segs.push(last);
    }
    last.recs.push({ m, done: false });
    last.used += size(m);
    return true;
  }
}

/** Storage whose power goes after `budget` bytes written: the write that crosses it stops part way (the rest stays 0xFF), and nothing is written or erased after. */
export class CutStorage {
  written = 0;
  dead = false;
  /** The cut came at the very start of a file's creation (see `made`). */
  cutCreating = false;
  /** Files made and erased. */
  created = 0;
  erased = 0;
  constructor(
    readonly inner: FlashStorage,
    readonly budget: number,
    /** When the cut comes before the first byte of a new file: whether the file was made (all 0xFF) or not at all. */
    readonly made: boolean,
  ) {}
  read(name: string, offset?: number, length?: number): string | undefined {
    return this.inner.read(name, offset, length);
  }
  list(pattern?: RegExp): string[] {
    return this.inner.list(pattern);
  }
  getFree(): number {
    return this.inner.getFree();
  }
  getStats(): ReturnType<FlashStorage["getStats"]> {
    return this.inner.getStats();
  }
  erase(name: string): void {
    if (this.dead) throw new Error("power cut");
    this.erased++;
    this.inner.erase(name);
  }
  write(name: string, data: string, offset?: number, size?: number): boolean {
    if (this.dead) throw new Error("power cut");
    if (this.written + data.length <= this.budget) {
      this.written += data.length;
      if (!offset) this.created++;
      return this.inner.write(name, data, offset, size);
    }
    const part = this.budget - this.written;
    this.dead = true;
    if (!offset) {
      this.cutCreating = part === 0;
      if (part || this.made) this.inner.write(name, data.slice(0, part), 0, size || data.length);
    } else if (part) this.inner.write(name, data.slice(0, part), offset);
    throw new Error("power cut");
  }
}
