// The KV store of the jobs capability (kv.get/put/incr/del steps, /api/kv):
// at most SPORE_LIMITS.kvKeys keys and kvBytes bytes (key length + JSON
// length of the value), the least recently read or written evicted to make
// room; TTLs in seconds; durable keys kept in Storage.
//
// In RAM a table keyed "#" + key (a plain object inherits names such as
// `constructor` and, on Espruino, `on`), each entry a flat array
// [value as JSON text, expires at (ms since boot, 0 never), durable 0/1]:
// JSON text costs about its length in JsVars where an object costs a name
// and a value block per property, and it cannot change under the store's
// byte count. The table's own order is the recency order: a read or write
// moves its key to the end (delete, then add: both Espruino and V8 keep
// string keys in insertion order), so the first key is the one to evict.
//
// Durable keys go to Storage as a double copy, "spore.v0" and "spore.v1",
// written alternately (generation g even to v0, odd to v1): the JSON text
// {"g":g,"d":[key,value,ttl,key,value,ttl,...]}, ttl the whole seconds left
// (rounded up) or 0 for none, keys oldest first. A flat array is smaller than
// an object of arrays in the file and when parsed at boot, and holds no
// property named by a key. A copy cut short by a power failure lacks its
// closing "}" (the file is created at its length, the rest 0xFF), so it does
// not parse (Espruino's JSON.parse ignores trailing bytes, but never closes
// an unclosed object) and the other copy, the previous flush, decides.
//
// Flash wear: Storage is written at most once per config.kvf seconds (30 by
// default; and at a planned restart, main.ts's E.on("kill")), and only while durable keys change: one file of 32 header bytes
// plus the text (about 300 bytes with kvBytes 256), 2880 a day at most.
// Espruino's Storage is log-structured: a replaced file stays as garbage
// and a compaction (run by write() when free space runs out) erases the pages
// after the first garbage. With 64 KiB free that is one compaction per ~190
// flushes, about 15 erases of each page a day at the busiest, so pages rated
// for 100,000 erase cycles last about 18 years. Compaction moves files: the
// platform must keep code that runs from Storage ahead of any garbage.
import { config, now, ports, str } from "./env.ts";
import { room } from "./flash.ts";

/** Storage as kv.ts uses it: Espruino's Storage module (ports.fs_). */
interface Store {
  readJSON(name: string, noExceptions: any): any;
  write(name: string, data: string): any;
}

/** The store's state, one array (const enum: no JsVars): made on first use, so a node without jobs holds none of it. */
const enum Kv {
  /** "#" + key -> entry */
  Table,
  Bytes,
  Keys,
  Evicted,
  Expired,
  /** Storage writes */
  Flushes,
  /** 1: a durable key changed since the last flush */
  Dirty,
  /** ms of the last flush (or of the state's making) */
  FlushedAt,
  /** the generation of the newest copy in Storage (0: none) */
  Gen,
}

/** An entry's places. */
const enum Entry {
  Json,
  Expires,
  Durable,
}

const enum Limit {
  KeyLength = 32,
  /** a year */
  MaxTtl = 31536000,
  /** default seconds between flushes (config.kvf) */
  FlushSeconds = 30,
}

/** What kv() is asked to do (const enum: no JsVars). */
export const enum KvOp {
  /** (key): the value, undefined when missing or expired; a read, which makes it the most recently used */
  Get = 1,
  /** (key, value, ttl, durable): the value */
  Put,
  /** (key, by, ttl, durable): the sum */
  Incr,
  /** (key): whether a live key was removed */
  Del,
  /** (key or ""): JSON for the HTTP API */
  List,
  /** (max): expired keys removed */
  Sweep,
  /** (force): whether it wrote */
  Flush,
  /** (): at boot */
  Load,
}

let store: any[] | undefined;

/**
 * The store, one function: on the chip each top-level function holds JsVars
 * for as long as the node runs (4 or 5 each), so its parts are made when it
 * is called and gone after (KvOp says what each op takes and gives).
 */
export function kv(op: KvOp, key?: any, value?: any, ttl?: any, durable?: any): any;
export function kv(): any {
  // (its arguments read from `arguments`: on the chip each declared parameter holds a JsVar for as long as the node runs)
  const op: KvOp = arguments[0];
  const key = arguments[1];
  const value = arguments[2];
  const ttl = arguments[3];
  const durable = arguments[4];
  /**
   * Removes `key`; `why` counts it (Kv.Evicted, Kv.Expired), none when a put
   * replaces it. A key found expired counts as expired whatever the reason.
   * Returns whether a live key was removed (kv.del, DELETE /api/kv: 404).
   */
  const del = (key: string, why?: number): boolean => {
    const t = store && store[Kv.Table];
    const e = t && t["#" + key];
    if (!e) return false;
    delete t["#" + key];
    store![Kv.Bytes] -= key.length + e[Entry.Json].length;
    store![Kv.Keys]--;
    if (e[Entry.Durable]) store![Kv.Dirty] = 1;
    if (e[Entry.Expires] && e[Entry.Expires] <= now()) why = Kv.Expired;
    if (why) store![why]++;
    return why !== Kv.Expired;
  };
  /** The value of `key` (undefined when missing or expired): a read, which makes it the most recently used. */
  const get = (key: string): any => {
    const t = store && store[Kv.Table];
    const k = "#" + key;
    const e = t && t[k];
    // an expired key reads as missing at once, and goes
    if (!e || (e[Entry.Expires] && e[Entry.Expires] <= now() && !del(key))) return undefined;
    delete t[k];
    t[k] = e;
    return JSON.parse(e[Entry.Json]);
  };
  // (each part is made only when an op needs it: Espruino reads a function's whole text each time it makes one)
  if (op === KvOp.Get) return get(key);
  if (op === KvOp.Del) return del(key);
  /** Removes up to `max` expired keys (called regularly: the store's cooperative sweep); returns how many. */
  const sweep = (max: number): number => {
    if (!store) return 0;
    const t = store[Kv.Table];
    const at = now();
    const gone = [];
    // (collected first: a delete inside a for-in loop ends that loop on Espruino 2v29)
    for (const k in t) {
      if (gone.length >= max) break;
      if (t[k][Entry.Expires] && t[k][Entry.Expires] <= at) gone.push(k.substr(1));
    }
    for (const k of gone) del(k, Kv.Expired);
    return gone.length;
  };
  if (op === KvOp.Sweep) return sweep(key);
  /**
   * Sets `key` to `value` (any JSON value), expiring in `ttl` seconds (1..a
   * year; undefined or null: never), durable (kept in Storage) or not, and
   * returns the value. With `incr`, adds the number `value` to the key's number
   * (missing: 0) and returns the sum; a key that exists keeps its expiry, and
   * stays durable if it was. Throws Error("kv: ...") for a bad key, value or
   * ttl, a value too large for the store, or (incr) a value that is not a number.
   */
  const put = (key: string, value: any, ttl?: number | null, durable?: any, incr?: any): any => {
    if (typeof key !== "string" || !key || key.length > Limit.KeyLength) throw Error("kv: bad key");
    for (let i = 0; i < key.length; i++) if (key.charCodeAt(i) < 32 || key.charCodeAt(i) === 127) throw Error("kv: bad key");
    if (ttl !== undefined && ttl !== null && !(typeof ttl === "number" && ttl >= 1 && ttl <= Limit.MaxTtl && Math.floor(ttl) === ttl)) throw Error("kv: bad ttl");
    if (durable && !SPORE_LIMITS.kvDurable) throw Error("kv: no durable keys on this board");
    const at = now();
    let old = store && store[Kv.Table]["#" + key];
    if (old && old[Entry.Expires] && old[Entry.Expires] <= at) {
      del(key);
      old = undefined;
    }
    let expires = ttl ? at + ttl * 1000 : 0;
    if (incr) {
      const n = old ? JSON.parse(old[Entry.Json]) : 0;
      if (typeof n !== "number") throw Error("kv: " + key + " is not a number");
      if (typeof value !== "number") throw Error("kv: bad value");
      value = n + value;
      if (old) {
        expires = old[Entry.Expires];
        if (old[Entry.Durable]) durable = 1;
      }
    }
    const json = str(value);
    if (json === undefined || (typeof value === "number" && !isFinite(value))) throw Error("kv: bad value");
    const size = key.length + json.length;
    if (size > SPORE_LIMITS.kvBytes) throw Error("kv: value too large");
    if (old) del(key);
    const K = store || (store = [{}, 0, 0, 0, 0, 0, 0, at, 0]);
    const t = K[Kv.Table];
    // room: expired keys first, then the least recently used (the table's first key)
    if (K[Kv.Keys] >= SPORE_LIMITS.kvKeys || K[Kv.Bytes] + size > SPORE_LIMITS.kvBytes) sweep(K[Kv.Keys]);
    while (K[Kv.Keys] >= SPORE_LIMITS.kvKeys || K[Kv.Bytes] + size > SPORE_LIMITS.kvBytes) {
      for (const k in t) {
        del(k.substr(1), Kv.Evicted);
        break;
      }
    }
    t["#" + key] = [json, expires, durable ? 1 : 0];
    K[Kv.Bytes] += size;
    K[Kv.Keys]++;
    if (durable) K[Kv.Dirty] = 1;
    return value;
  };
  if (op === KvOp.Put || op === KvOp.Incr) return put(key, value, ttl, durable, op === KvOp.Incr);
  /**
   * JSON for the HTTP API: with a key, {"key","value","ttl" (seconds left,
   * rounded up, or null),"durable"} (GET /api/kv/<key>: a read, as get), or
   * undefined when it is missing; with "", the listing of GET /api/kv:
   * {"keys": [records, least recently used first], "stats": {...}}.
   */
  const list = (key: string): string | undefined => {
    if (key) {
      const v = get(key);
      if (v === undefined) return undefined;
      const e = store![Kv.Table]["#" + key];
      return str({ key: key, value: v, ttl: e[Entry.Expires] ? Math.ceil((e[Entry.Expires] - now()) / 1000) : null, durable: !!e[Entry.Durable] });
    }
    // (each key read in order moves to the end in order: the recency order stays as it was)
    const K = store || [{}, 0, 0, 0, 0, 0];
    let keys = "";
    for (const k of Object.keys(K[Kv.Table])) {
      const r = list(k.substr(1));
      if (r) keys += (keys ? "," : "") + r;
    }
    return '{"keys":[' + keys + '],"stats":' + str({ keys: K[Kv.Keys], bytes: K[Kv.Bytes], capacity: { keys: SPORE_LIMITS.kvKeys, bytes: SPORE_LIMITS.kvBytes }, evicted: K[Kv.Evicted], expired: K[Kv.Expired], flushes: K[Kv.Flushes] }) + "}";
  };
  if (op === KvOp.List) return list(key);
  if (!SPORE_LIMITS.kvDurable) return false;
  const fs: Store | undefined = (ports as { fs_?: Store }).fs_;
  if (op === KvOp.Flush) {
    /*
     * Writes the durable keys to Storage when one changed, at most once per
     * config.kvf seconds (key, `force`: now, as before a restart). Returns whether it
     * wrote. A failed write is logged and tried again a period later, to the same
     * copy: the other one keeps the last flush.
     */
    const K = store;
    const at = now();
    if (!K || !K[Kv.Dirty] || !fs || (!key && at - K[Kv.FlushedAt] < (config.kvf || Limit.FlushSeconds) * 1000)) return false;
    const t = K[Kv.Table];
    let d = "";
    for (const k in t) {
      const e = t[k];
      const x = e[Entry.Expires];
      if (e[Entry.Durable] && !(x && x <= at)) d += (d ? "," : "") + str(k.substr(1)) + "," + e[Entry.Json] + "," + (x ? Math.ceil((x - at) / 1000) : 0);
    }
    const g = K[Kv.Gen] + 1;
    const text = '{"g":' + g + ',"d":[' + d + "]}";
    K[Kv.FlushedAt] = at;
    // no room without a compaction (flash.ts): kept dirty, tried again a period later
    if (!room(text.length)) return false;
    try {
      fs.write("spore.v" + (g & 1), text);
    } catch (e) {
      ports.log_("kv: flush failed: " + e);
      return false;
    }
    K[Kv.Gen] = g;
    K[Kv.Dirty] = 0;
    K[Kv.Flushes]++;
    return true;
  }
  /*
   * Load, at boot: the durable keys of the newest valid copy in Storage, in place of
   * whatever the store held. A copy is valid when it parses, its g is a whole
   * number of its file's parity (even in v0, odd in v1) and every entry is one
   * put takes; anything else is ignored, and the other copy decides.
   */
  store = undefined;
  if (!fs) return;
  const c = [fs.readJSON("spore.v0", 1), fs.readJSON("spore.v1", 1)];
  for (let i = 0; i < 2; i++) {
    const o = c[i];
    if (!o || typeof o.g !== "number" || !(o.g >= 0 && o.g < 2147483648) || o.g % 2 !== i || !Array.isArray(o.d) || o.d.length % 3) c[i] = undefined;
  }
  // newest first
  if (c[1] && (!c[0] || c[1].g > c[0].g)) c.reverse();
  for (const o of c) {
    if (!o) continue;
    const d = o.d;
    try {
      store = [{}, 0, 0, 0, 0, 0, 0, now(), o.g];
      // (a ttl of 0 is none; any other that is not a number put takes makes it throw)
      for (let i = 0; i < d.length; i += 3) put(d[i], d[i + 1], d[i + 2] === 0 ? null : d[i + 2] || NaN, 1);
      store[Kv.Dirty] = 0;
      return;
    } catch (e) {
      store = undefined;
    }
  }
}
