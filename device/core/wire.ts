// The gossip wire format on UDP. One datagram is one message, a line of
// '|'-separated fields:
//
//   S2|<check>|<cluster>|<type>|<id>|<inc>|<seq>|<dv>|<heap>|<updates>|<arg>
//
// check   CRC32 of the cluster secret followed by everything after "<check>|".
//         It tells clusters apart and catches corruption; CRC32 is not a
//         cryptographic MAC (an ESP-01 has no crypto), see the README.
// type    P ping (arg: nonce), K ack (arg: the nonce acked), R ping request
//         (arg: nonce/target ip: probe the target for me), A announce
//         (broadcast, answered by H hello), E cluster event
//         (arg: origin.event id.hops.name:JSON data).
// id      the sender's MAC tail (6 hex digits); its hostname is "esp_" + id.
// inc     the sender's incarnation: its boot number times 4096 at boot, one more at each
//         refutation; seq its datagram counter within the boot (24 bits, from 0). Together
//         they are what the replay check (replay.ts) keys on.
// dv      the sender's details version (fetch /api/node/status when it changes).
// heap    the sender's free heap in bytes.
// updates piggybacked membership updates, ',' separated:
//           a<id>/<inc>/<ip>/<dv>   alive at ip (dotted)
//           s<id>/<inc>/<age>       suspected, last known alive <age> s ago
// arg     the rest of the line (may contain '|').
// Numbers are base 36. Types are append-only.
// Every datagram must fit Wire.MaxDatagram bytes, the smallest board's limit
// (ESP8266 drops longer ones).

import { isIp } from "./identity.ts";

/**
 * Sizes, as a const enum: the build writes the numbers where they are used
 * (a top-level constant would cost a JsVar on the chip, for good).
 */
export const enum Wire {
  MaxDatagram = 268,
  /** Bytes of a datagram besides cluster, header fields, updates and arg: "S2|" check(<=7) and 4 bars. */
  Framing = 14,
}
/** The drop reason for a datagram that does not parse. */
export const BAD = "malformed";

export interface Update {
  /** "a" alive or "s" suspected */
  k: string;
  id: string;
  inc: number;
  /** alive: the member's address */
  ip: string;
  /** suspected: seconds since last known alive */
  age: number;
  /** alive: its details version */
  dv: number;
}

export interface Message {
  type: string;
  id: string;
  inc: number;
  seq: number;
  dv: number;
  heap: number;
  /** the piggybacked updates as sent, each checked by decode(); update() parses one */
  ups: string[];
  arg: string;
}

/** n in base 36. */
export function b36(n: number): string {
  return n.toString(36);
}

/** A base-36 natural number of at most 7 digits in canonical form, else -1. */
export function n36(s: string): number {
  const n = parseInt(s, 36);
  return n >= 0 && b36(n) === s && s.length < 8 ? n : -1;
}

/** Six lower-case hex digits: a node id. */
export function isId(s: string): boolean {
  return s.length === 6 && /^[0-9a-f]+$/.test(s);
}

/** Builds a datagram; head is "<type>|<id>|<inc>|<seq>|<dv>|<heap>". */
export function encode(key: string, cluster: string, head: string, updates: string, arg: string, hash: (s: string) => number): string {
  const body = cluster + "|" + head + "|" + updates + "|" + arg;
  return "S2|" + b36(hash(key + body) >>> 0) + "|" + body;
}

/**
 * Returns the message, or why it must be dropped: size, version, malformed,
 * cluster or check. Never throws.
 */
export function decode(data: string, key: string, cluster: string, hash: (s: string) => number): Message | string {
  if (typeof data !== "string" || data.length > Wire.MaxDatagram) return "size";
  const f = data.split("|");
  if (f[0] !== "S2") return f[0][0] === "S" ? "version" : BAD;
  if (f.length < 11) return BAD;
  if (f[2] !== cluster) return "cluster";
  if (b36(hash(key + data.substr(f[1].length + 4)) >>> 0) !== f[1]) return "check";
  const n = f.slice(5, 9).map(n36);
  const m: Message = { type: f[3], id: f[4], inc: n[0], seq: n[1], dv: n[2], heap: n[3], ups: f[9] ? f[9].split(",") : [], arg: f.slice(10).join("|") };
  if (!/^[PKRAHE]$/.test(f[3]) || !isId(f[4]) || n.indexOf(-1) >= 0 || n[1] > 16777215) return BAD;
  // checked here, parsed again one at a time by the receiver: a datagram's
  // updates as objects at once cost about 100 JsVars, enough to run an
  // esp8266 out of memory while a cluster boots
  for (const s of m.ups) if (!update(s)) return BAD;
  return m;
}

/** One piggybacked update ("a<id>/<inc>/<ip>/<dv>" or "s<id>/<inc>/<age>"), null when malformed. */
export function update(s: string): Update | null {
  const k = s[0];
  const p = s.substr(1).split("/");
  const alive = k === "a";
  const u: Update = { k: k, id: p[0], inc: n36(p[1]), ip: p[2], age: alive ? 0 : n36(p[2]), dv: alive ? n36(p[3]) : 0 };
  return p.length !== (alive ? 4 : 3) || !(alive ? isIp(u.ip) : k === "s") || !isId(u.id) || Math.min(u.inc, u.age, u.dv) < 0 ? null : u;
}
