// MQTT 3.1.1 packets as Espruino's 8-bit strings: CONNECT with a last will
// and PUBLISH at QoS 0 and 1 (what a node sends, besides the small PUBACK,
// SUBSCRIBE and PINGREQ its client writes with packet()), and a parser for
// what a broker sends. Pure: the socket, timers and queues are the
// platform's (device/platform/mqtt.ts).
//
// Top-level functions, no factory, few of them: on the chip each costs about
// four JsVars plus one per parameter for good (a closure keeps its whole
// scope alive); u16 and num16 are written out where the firmware needs them
// (the tests use them). Only boards with MQTT carry them.

/** Packet types (the high nibble of the first byte); the largest packet taken from a broker (const enum: no JsVars, see wire.ts). */
export const enum Mqtt {
  /** not a type a broker sends: parse() gives it for a packet over MaxIn, to be passed over */
  TooLarge = 0,
  Connack = 2,
  Publish = 3,
  Puback = 4,
  Suback = 9,
  Pingresp = 13,
  /** More would not fit in JsVars: such a packet is passed over, never held. */
  MaxIn = 512,
}

export interface Packet {
  /** Type (high nibble) and flags (low nibble) of the first byte. */
  t: number;
  f: number;
  /** The body after the remaining length. */
  b: string;
  /** Bytes it took from the buffer. */
  n: number;
}

/** A 16-bit big-endian length or packet id (for the tests and host tools: the firmware writes it out where it needs it). */
export function u16(n: number): string {
  return String.fromCharCode((n >> 8) & 255, n & 255);
}

/** A 16-bit number at `at` in `s` (the firmware writes it out). */
export function num16(s: string, at: number): number {
  return (s.charCodeAt(at) << 8) | s.charCodeAt(at + 1);
}

/** A length-prefixed string (topics, client id, payloads in CONNECT). u16 written out: one function fewer on the chip. */
export function lstr(s: string): string {
  return String.fromCharCode((s.length >> 8) & 255, s.length & 255) + s;
}

/** A whole packet: first byte, remaining length (1 to 4 bytes, 7 bits each), body. PUBACK is packet(64, u16(id)), SUBSCRIBE at QoS 1 packet(130, u16(id) + lstr(filter) + "\x01"), PINGREQ "\xc0\x00". */
export function packet(first: number, body: string): string {
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
  return packet(16, lstr("MQTT") + String.fromCharCode(4, flags, keepSeconds >> 8, keepSeconds & 255) + lstr(id) + lstr(willTopic) + lstr(willMessage) + (user ? lstr(user) : "") + (user && pass ? lstr(pass) : ""));
}

/** PUBLISH; `flags` are the first byte's low nibble: 8 a redelivery (DUP), 2 QoS 1 (then `pid`, 1..65535, is sent), 1 retained. */
export function publish(topic: string, message: string, flags: number, pid: number): string {
  return packet(48 | flags, lstr(topic) + (flags & 2 ? String.fromCharCode(pid >> 8, pid & 255) : "") + message);
}

/**
 * The first packet in `buf`: null when it is not all there yet, undefined
 * when the length is malformed (more than 4 bytes: the connection should be
 * dropped). A packet over Mqtt.MaxIn bytes, which a node cannot hold, is
 * type Mqtt.TooLarge with no body, as soon as its length is read: its `n`
 * bytes (the buffer may not have them all yet) are to be passed over. A
 * PUBLISH's body is its topic (lstr), its packet id at QoS 1 and 2 (2
 * bytes), its payload.
 */
export function parse(buf: string): Packet | null | undefined {
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
  if (len > Mqtt.MaxIn) return { t: Mqtt.TooLarge, f: 0, b: "", n: i + len };
  if (buf.length < i + len) return null;
  const first = buf.charCodeAt(0);
  return { t: first >> 4, f: first & 15, b: buf.substr(i, len), n: i + len };
}
