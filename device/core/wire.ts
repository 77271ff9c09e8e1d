// The gossip wire format on UDP. One datagram is one message, a line of
// '|'-separated fields:
//
//   S2|<check>|<cluster>|<type>|<id>|<inc>|<seq>|<dv>|<heap>|<updates>|<arg>
//
// check   CRC32 of the cluster secret followed by everything after "<check>|",
//         base 36. It tells clusters apart and catches corruption; CRC32 is not
//         a cryptographic MAC (ESP-01 has no crypto), see the README.
// id      the sender's MAC tail (6 hex digits); its hostname is "esp_" + id.
// inc     the sender's incarnation; seq its datagram counter (24 bits, replay window).
// dv      the sender's details version (fetch /api/node/status when it changes).
// heap    the sender's free heap in bytes.
// updates piggybacked membership updates, ',' separated:
//           a<id>.<inc>.<ip as 8 hex>.<dv>   alive
//           s<id>.<inc>.<age s>              suspected, last known alive <age> s ago
// arg     per type, the rest of the line (may contain '|').
// Numbers are base 36. Types are append-only. Every datagram must fit
// MAX_DATAGRAM bytes, the smallest board's limit (ESP8266 drops longer ones).

export const WIRE_VERSION = 2;
export const MAX_DATAGRAM = 268;
const PREFIX = "S" + WIRE_VERSION + "|";

/** Ping (arg: nonce), answered by an ack with the same nonce. */
export const MSG_PING = "P";
export const MSG_ACK = "K";
/** Ping request (arg: nonce.target id.target ip): probe the target for me. */
export const MSG_PING_REQ = "R";
/** Announce: broadcast, "here I am". Answered by a hello. */
export const MSG_ANNOUNCE = "A";
export const MSG_HELLO = "H";
/** Cluster event (arg: origin.event id.hops.name:data). */
export const MSG_EVENT = "E";
const TYPES = "PKRAHE";

export interface Update {
  /** "a" alive or "s" suspected. */
  k: string;
  id: string;
  inc: number;
  /** alive: the member's address. */
  ip: string;
  /** alive: its details version. */
  dv: number;
  /** suspected: seconds since it was last known alive. */
  age: number;
}

export interface Message {
  type: string;
  id: string;
  inc: number;
  seq: number;
  dv: number;
  heap: number;
  ups: Update[];
  arg: string;
}

/** Why a datagram was dropped; counted per reason. */
export type DropReason = "size" | "malformed" | "version" | "cluster" | "check" | "replay";

export type Hash = (s: string) => number;

function isHex(s: string, length: number): boolean {
  if (s.length !== length) return false;
  for (let i = 0; i < length; i++) if ("0123456789abcdef".indexOf(s[i]) < 0) return false;
  return true;
}

export function isId(s: string): boolean {
  return isHex(s, 6);
}

/** A base-36 natural number below 2^32, or -1. */
export function num36(s: string): number {
  if (!s || s.length > 7) return -1;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const d = "0123456789abcdefghijklmnopqrstuvwxyz".indexOf(s[i]);
    if (d < 0) return -1;
    n = n * 36 + d;
  }
  return n > 4294967295 ? -1 : n;
}

export function ipToHex(ip: string): string {
  const p = ip.split(".");
  let h = "";
  for (let i = 0; i < 4; i++) h += ("0" + (parseInt(p[i], 10) & 255).toString(16)).substr(-2);
  return h;
}

/** "0a000005" -> "10.0.0.5"; "" when malformed. */
export function hexToIp(h: string): string {
  if (!isHex(h, 8)) return "";
  const p: number[] = [];
  for (let i = 0; i < 8; i += 2) p.push(parseInt(h.substr(i, 2), 16));
  return p.join(".");
}

export function aliveUpdate(id: string, inc: number, ip: string, dv: number): string {
  return "a" + id + "." + inc.toString(36) + "." + ipToHex(ip) + "." + dv.toString(36);
}

export function suspectUpdate(id: string, inc: number, ageS: number): string {
  return "s" + id + "." + inc.toString(36) + "." + Math.max(0, Math.floor(ageS)).toString(36);
}

/**
 * Builds a datagram from the header fields (already base 36 joined by '|':
 * "<type>|<id>|<inc>|<seq>|<dv>|<heap>"), the updates and the argument.
 */
export function encode(key: string, cluster: string, header: string, updates: string, arg: string, hash: Hash): string {
  const body = cluster + "|" + header + "|" + updates + "|" + arg;
  return PREFIX + (hash(key + body) >>> 0).toString(36) + "|" + body;
}

/** Bytes a datagram has besides its updates and argument. */
export function overhead(cluster: string, header: string): number {
  return PREFIX.length + 8 + cluster.length + header.length + 3;
}

function parseUpdate(s: string): Update | null {
  const f = s.substr(1).split(".");
  const k = s[0];
  if (!isId(f[0])) return null;
  const inc = num36(f[1]);
  if (inc < 0) return null;
  if (k === "a" && f.length === 4) {
    const ip = hexToIp(f[2]);
    const dv = num36(f[3]);
    return ip && dv >= 0 ? { k: k, id: f[0], inc: inc, ip: ip, dv: dv, age: 0 } : null;
  }
  const age = num36(f[2]);
  return k === "s" && f.length === 3 && age >= 0 ? { k: k, id: f[0], inc: inc, ip: "", dv: 0, age: age } : null;
}

/** Returns the message, or the reason it must be dropped. Never throws. */
export function decode(data: string, key: string, cluster: string, hash: Hash): Message | DropReason {
  if (typeof data !== "string" || data.length > MAX_DATAGRAM) return "size";
  if (data.substr(0, PREFIX.length) !== PREFIX) return data[0] === "S" && data.indexOf("|") > 1 ? "version" : "malformed";
  const bar = data.indexOf("|", PREFIX.length);
  if (bar < 0) return "malformed";
  const body = data.substr(bar + 1);
  const f = body.split("|");
  if (f.length < 9) return "malformed";
  if (f[0] !== cluster) return "cluster";
  if (data.substr(PREFIX.length, bar - PREFIX.length) !== (hash(key + body) >>> 0).toString(36)) return "check";
  const n = [num36(f[3]), num36(f[4]), num36(f[5]), num36(f[6])];
  if (f[1].length !== 1 || TYPES.indexOf(f[1]) < 0 || !isId(f[2]) || n.indexOf(-1) >= 0 || n[1] > 16777215) return "malformed";
  const ups: Update[] = [];
  const us = f[7] ? f[7].split(",") : [];
  for (let i = 0; i < us.length; i++) {
    const u = parseUpdate(us[i]);
    if (!u) return "malformed";
    ups.push(u);
  }
  return { type: f[1], id: f[2], inc: n[0], seq: n[1], dv: n[2], heap: n[3], ups: ups, arg: f.slice(8).join("|") };
}
