// SipHash-2-4 (Aumasson and Bernstein, 2012): a keyed hash with a 128-bit
// key and a 64-bit tag, fast on short messages, the MAC a datagram will
// carry instead of CRC32 (CRC32 is linear: one overheard datagram is enough
// to sign any other). Written for Espruino: no 64-bit integers, so each
// 64-bit word is two 32-bit halves (high, low) in plain variables, and no
// typed arrays or tables (each would cost JsVars for good). Not wired into the
// wire format yet: test/unit/mac.test.ts checks it against the paper's
// vectors and a BigInt reference, test/real/probes/mac.ts measures it.

/** The key, four 32-bit words: k0 high, k0 low, k1 high, k1 low (set by macKey()). */
let k0h = 0;
let k0l = 0;
let k1h = 0;
let k1l = 0;
/** The state, eight halves: v0..v3, high and low. */
let v0h = 0;
let v0l = 0;
let v1h = 0;
let v1l = 0;
let v2h = 0;
let v2l = 0;
let v3h = 0;
let v3l = 0;

/** One SipRound on the state. */
function round(): void {
  let t;
  // v0 += v1; v1 = rotl(v1, 13) ^ v0; v0 = rotl(v0, 32)
  t = (v0l >>> 0) + (v1l >>> 0);
  v0h = (v0h + v1h + (t > 4294967295 ? 1 : 0)) | 0;
  v0l = t | 0;
  t = (v1h << 13) | (v1l >>> 19);
  v1l = ((v1l << 13) | (v1h >>> 19)) ^ v0l;
  v1h = t ^ v0h;
  t = v0h;
  v0h = v0l;
  v0l = t;
  // v2 += v3; v3 = rotl(v3, 16) ^ v2
  t = (v2l >>> 0) + (v3l >>> 0);
  v2h = (v2h + v3h + (t > 4294967295 ? 1 : 0)) | 0;
  v2l = t | 0;
  t = (v3h << 16) | (v3l >>> 16);
  v3l = ((v3l << 16) | (v3h >>> 16)) ^ v2l;
  v3h = t ^ v2h;
  // v0 += v3; v3 = rotl(v3, 21) ^ v0
  t = (v0l >>> 0) + (v3l >>> 0);
  v0h = (v0h + v3h + (t > 4294967295 ? 1 : 0)) | 0;
  v0l = t | 0;
  t = (v3h << 21) | (v3l >>> 11);
  v3l = ((v3l << 21) | (v3h >>> 11)) ^ v0l;
  v3h = t ^ v0h;
  // v2 += v1; v1 = rotl(v1, 17) ^ v2; v2 = rotl(v2, 32)
  t = (v2l >>> 0) + (v1l >>> 0);
  v2h = (v2h + v1h + (t > 4294967295 ? 1 : 0)) | 0;
  v2l = t | 0;
  t = (v1h << 17) | (v1l >>> 15);
  v1l = ((v1l << 17) | (v1h >>> 15)) ^ v2l;
  v1h = t ^ v2h;
  t = v2h;
  v2h = v2l;
  v2l = t;
}

/** Four bytes of s from i, little-endian, as a 32-bit integer (bytes past the end are 0). */
function word(s: string, i: number): number {
  return (s.charCodeAt(i) & 255) | ((s.charCodeAt(i + 1) & 255) << 8) | ((s.charCodeAt(i + 2) & 255) << 16) | ((s.charCodeAt(i + 3) & 255) << 24);
}

/**
 * SipHash-2-4 of the 8-bit string s under the current key: the tag's high and
 * low 32 bits, as [high, low] (unsigned).
 */
export function sipHash(s: string): number[] {
  v0h = k0h ^ 0x736f6d65;
  v0l = k0l ^ 0x70736575;
  v1h = k1h ^ 0x646f7261;
  v1l = k1l ^ 0x6e646f6d;
  v2h = k0h ^ 0x6c796765;
  v2l = k0l ^ 0x6e657261;
  v3h = k1h ^ 0x74656462;
  v3l = k1l ^ 0x79746573;
  const n = s.length;
  const full = n - (n % 8);
  let mh;
  let ml;
  for (let i = 0; i <= full; i += 8) {
    // the last block: the bytes left (charCodeAt past the end is NaN, & 255 makes it 0), the length in its top byte
    ml = word(s, i);
    mh = word(s, i + 4) | (i < full ? 0 : (n & 255) << 24);
    v3h ^= mh;
    v3l ^= ml;
    round();
    round();
    v0h ^= mh;
    v0l ^= ml;
  }
  v2l ^= 0xff;
  round();
  round();
  round();
  round();
  return [(v0h ^ v1h ^ v2h ^ v3h) >>> 0, (v0l ^ v1l ^ v2l ^ v3l) >>> 0];
}

/** Sets the key from 16 bytes (an 8-bit string): k0 is bytes 0-7, k1 bytes 8-15, little-endian. */
export function macKey(key: string): void {
  k0l = word(key, 0);
  k0h = word(key, 4);
  k1l = word(key, 8);
  k1h = word(key, 12);
}
