// MQTT 3.1.1 packets as Espruino's 8-bit strings: what a node sends (CONNECT
// with a last will, PUBLISH at QoS 0 and 1, PUBACK, SUBSCRIBE, PINGREQ,
// DISCONNECT) and a parser for what a broker sends. Pure: the socket, timers
// and queues are the platform's (device/platform/mqtt.ts).
//
// Top-level functions, no factory: on the chip a closure keeps its whole
// scope alive (and the emulator cannot count it), while a top-level function
// costs a few JsVars plus one per parameter. Only boards with MQTT carry them.

/** Packet types (the high nibble of the first byte). */
export const CONNACK = 2;
export const PUBLISH = 3;
export const PUBACK = 4;
export const SUBACK = 9;
export const PINGRESP = 13;

export const PINGREQ = "\xc0\x00";
export const DISCONNECT = "\xe0\x00";

export interface Packet {
  /** Type (high nibble) and flags (low nibble) of the first byte. */
  t: number;
  f: number;
  /** The body after the remaining length. */
  b: string;
  /** Bytes it took from the buffer. */
  n: number;
}

export interface Message {
  topic: string;
  message: string;
  qos: number;
  /** Packet id (QoS 1), 0 otherwise. */
  pid: number;
}

/** A 16-bit big-endian length or packet id. */
function u16(n: number): string {
  return String.fromCharCode((n >> 8) & 255, n & 255);
}

/** A length-prefixed string (topics, client id, payloads in CONNECT). */
function lstr(s: string): string {
  return u16(s.length) + s;
}

/** A whole packet: first byte, remaining length (1 to 4 bytes, 7 bits each), body. */
function packet(first: number, body: string): string {
  let n = body.length;
  let len = "";
  do {
    let b = n & 127;
    n = n >> 7;
    if (n) b |= 128;
    len += String.fromCharCode(b);
  } while (n);
  return String.fromCharCode(first) + len + body;
}

/**
 * CONNECT, clean session, with a last will (QoS 1, retained) the broker
 * publishes if the node goes away, and a user name and password if given.
 */
export function connect(id: string, keepSeconds: number, willTopic: string, willMessage: string, user: string, pass: string): string {
  const flags = 2 | 4 | 8 | 32 | (user ? 128 : 0) | (user && pass ? 64 : 0);
  return packet(16, lstr("MQTT") + String.fromCharCode(4) + String.fromCharCode(flags) + u16(keepSeconds) + lstr(id) + lstr(willTopic) + lstr(willMessage) + (user ? lstr(user) : "") + (user && pass ? lstr(pass) : ""));
}

/** PUBLISH; `pid` is used at QoS 1 (1..65535); `dup` marks a redelivery. */
export function publish(topic: string, message: string, qos: number, retain: boolean, pid: number, dup: boolean): string {
  return packet(48 | (dup ? 8 : 0) | (qos ? 2 : 0) | (retain ? 1 : 0), lstr(topic) + (qos ? u16(pid) : "") + message);
}

export function puback(pid: number): string {
  return packet(64, u16(pid));
}

/** SUBSCRIBE to one topic filter at QoS 1. */
export function subscribe(pid: number, topic: string): string {
  return packet(130, u16(pid) + lstr(topic) + String.fromCharCode(1));
}

/**
 * The first packet in `buf`: null when it is not all there yet, undefined
 * when the length is malformed (more than 4 bytes, or over `max` bytes: a
 * node cannot hold it; the connection should be dropped).
 */
export function parse(buf: string, max: number): Packet | null | undefined {
  if (buf.length < 2) return null;
  let len = 0;
  let mul = 1;
  let i = 1;
  for (;;) {
    if (i > 4) return undefined;
    if (i >= buf.length) return null;
    const b = buf.charCodeAt(i++);
    len += (b & 127) * mul;
    mul *= 128;
    if (!(b & 128)) break;
  }
  if (len > max) return undefined;
  if (buf.length < i + len) return null;
  const first = buf.charCodeAt(0);
  return { t: first >> 4, f: first & 15, b: buf.substr(i, len), n: i + len };
}

/** A 16-bit number at `at` in `s`. */
export function num16(s: string, at: number): number {
  return (s.charCodeAt(at) << 8) | s.charCodeAt(at + 1);
}

/** The parts of a PUBLISH packet (QoS 2 is treated as 1: this client acknowledges once). */
export function message(p: Packet): Message {
  const tl = num16(p.b, 0);
  const qos = (p.f >> 1) & 3;
  const at = 2 + tl + (qos ? 2 : 0);
  return { topic: p.b.substr(2, tl), message: p.b.substr(at), qos: qos, pid: qos ? num16(p.b, 2 + tl) : 0 };
}
