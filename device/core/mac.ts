// The datagram MAC: a universal hash, then a PRF ("hash, then PRF"), because
// a keyed hash over a whole datagram in interpreted JavaScript is too slow
// for a chip (SipHash-2-4, tried: about 95 ms under qemu per 250 bytes):
//
//   tag = CBC-MAC-Speck64/128_K( (H1, n), H2 )       two blocks, 54 rounds
//
// H1, H2  two inner products of the body's 16-bit little-endian words with
//         two secret arrays of 29-bit numbers, by E.convolve (native, about
//         0.2 ms each under qemu): exact in doubles (16 + 29 + 7 bits < 2^53).
//         For two different bodies of the same length, each is equal with
//         probability at most 2^-29 over the secret numbers (the numbers of
//         one word the two differ in must take one value), both 2^-58.
// n       the body's length (an odd body's last byte is hashed with a 0).
// A forger who has heard any number of datagrams must, for one forged body,
// match the H1, H2 of the one heard datagram whose tag it reuses (2^-58 per
// try), or guess a tag (2^-64); the tags tell nothing of the arrays. Replays
// are the replay window's (replay.ts): each body carries its sender's id,
// incarnation and seq.
//
// The PRF is Speck64/128 (Beaulieu et al., 2013: 27 rounds of 32-bit add,
// rotate, xor) in CBC-MAC over the two fixed blocks: a tenth of SipHash-2-4's
// bytes in the bundle, which the ESP-01 did not have (SipHash, tried, put it
// 1,100 bytes over), in about the same time (27 rounds cost what 3 of
// SipHash's do). Its key is the secret's bytes folded into 128 bits, the
// arrays Speck in counter mode under it (macKey, macFill).
// test/unit/mac.test.ts checks Speck against the paper's vector and the MAC
// against an independent reference; test/real/probes/mac.ts measures it on
// the real interpreter and compares its tags with Node's.

import { b36 } from "./env.ts";

/** Sizes (const enum: no JsVars). */
export const enum Mac {
  /** 16-bit words in the longest body a datagram may have (Wire.MaxBody bytes), per array */
  Words = 125,
  /** both arrays' numbers: the keys are derived once filled reaches it; Speck's round keys follow them */
  All = Words * 2,
  /** Speck64/128's rounds */
  Rounds = 27,
  /** the key's numbers: the arrays' and the round keys */
  Keys = All + Rounds,
  /** the arrays' numbers are below 2^29 */
  Mask = 0x1fffffff,
  /** array numbers derived per macFill() call (a chip's watchdog must not see one long run) */
  Step = 50,
}

/**
 * The key: the universal hash's secret numbers (Mac.Words for H1, then
 * Mac.Words for H2), then Speck's 27 round keys. One Uint32Array: boards
 * that keep it in flash keep the round keys there too (12 JsVars of RAM
 * less), and no Int32Array is ever made (a built-in class, once used, holds
 * 6 JsVars for good: measured, test/real/probes/globals.ts).
 */
let key: Uint32Array;
/** How many of the arrays' numbers are derived: the keys are ready (a datagram may be sent or accepted) once it is Mac.All. */
export let filled = 0;
/**
 * A string's bytes from `from` to its end as 16-bit little-endian words, and
 * E.convolve (mac() computes the tag of a datagram's body where it lies in
 * the datagram: on the chip a view of the string, E.toArrayBuffer, no copy).
 */
let words: (s: string, from: number) => any;
let dot: (w: any, k: Uint32Array, offset: number) => number;

/** Sets Speck's key: k0, l0, l1, l2 as the paper names its four words. */
export function speckKey(k: number[]): void {
  key = new Uint32Array(Mac.Keys);
  let a = k[0];
  for (let i = 0; i < Mac.Rounds; i++) {
    key[Mac.All + i] = a;
    const t = ((((k[i + 1] >>> 8) | (k[i + 1] << 24)) + a) ^ i) | 0;
    k.push(t);
    a = ((a << 3) | (a >>> 29)) ^ t;
  }
}

/** Speck64/128 of the block (x, y) (x the high word, as the paper writes it): [x, y] unsigned. */
export function speck(x: number, y: number): number[] {
  for (let i = 0; i < Mac.Rounds; i++) {
    x = (((x >>> 8) | (x << 24)) + y) ^ key[Mac.All + i];
    y = ((y << 3) | (y >>> 29)) ^ x;
  }
  return [x >>> 0, y >>> 0];
}

/**
 * Sets Speck's key from the cluster secret: its bytes (at most 63, with a 0
 * after an odd count) folded into 128 bits by xor, its length xor the first
 * word (a secret shorter than 16 bytes is its own key). The arrays follow,
 * macFill() by macFill(). w and d are the platform's words view and
 * E.convolve (or their equals off the chip).
 */
export function macKey(secret: string, w: (s: string, from: number) => any, d: (w: any, k: Uint32Array, offset: number) => number): void {
  words = w;
  dot = d;
  const s = words(secret + "\0", 0);
  const k = [secret.length, 0, 0, 0];
  for (let j = 0; j < s.length; j++) k[(j >> 1) & 3] ^= s[j] << (j & 1 ? 16 : 0);
  speckKey(k);
  filled = 0;
}

/** While the secret is rotated (rotate.ts): the other key, accepted, not sent with; 0 otherwise. */
let other: any = 0;

/**
 * The other key (one function, not three: each costs JsVars for good on the
 * chip): o 0 none, 1 this node's own (a new one is derived next), 2 swap
 * this node's and the other.
 */
export function otherKey(o: number): void {
  const x = other;
  other = o && key;
  if (o > 1) key = x;
}

/** Whether tag is the body's (s from `from` on), under this node's key or, while the secret is rotated, the other one. */
export function macOk(s: string, from: number, tag: string): boolean {
  let ok = mac(s, from) === tag;
  if (!ok && other) {
    otherKey(2);
    ok = mac(s, from) === tag;
    otherKey(2);
  }
  return ok;
}

/**
 * Derives the next Mac.Step array numbers (Speck in counter mode); true while
 * some are left. Once all are, keep (the platform's, on boards that keep them
 * in flash) may give the arrays back from where it put them.
 */
export function macFill(keep?: (u: Uint32Array) => Uint32Array): boolean {
  for (let i = 0; i < Mac.Step && filled < Mac.All; i += 2) {
    const t = speck(0, filled);
    key[filled++] = t[0] & Mac.Mask;
    key[filled++] = t[1] & Mac.Mask;
  }
  if (filled === Mac.All && keep) key = keep(key);
  return filled < Mac.All;
}

/**
 * The tag of a datagram's body, s from `from` to its end: 64 bits as two
 * base-36 halves ("" until the arrays are derived: no tag matches it). An
 * odd body's last byte is hashed as a word with a 0 above it, here, not by
 * copying the body with a 0 after it: a body copied costs about 25 JsVars
 * on the chip, a view of it (words) 4.
 */
export function mac(s: string, from: number): string {
  const n = s.length - from;
  if (filled < Mac.All) return "";
  const w = words(s, from);
  // an odd body's last byte x, times the numbers after the whole words'; an
  // even body's x is 0 (and the index of H2's number stays in the array even at 250 bytes)
  const x = n & 1 && s.charCodeAt(s.length - 1);
  const h1 = dot(w, key, 0) + x * key[n >> 1];
  const h2 = dot(w, key, Mac.Words) + x * key[Mac.Words - 1 + ((n + 1) >> 1)];
  // h1 is below 2^53: its high 21 bits and the length above them, its low 32; then h2
  let t = speck((h1 / 4294967296) | (n << 21), h1 | 0);
  t = speck(t[0] ^ (h2 / 4294967296), t[1] ^ h2);
  return b36(t[0]) + "." + b36(t[1]);
}
