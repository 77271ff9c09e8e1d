// SipHash-2-4 (device/core/mac.ts) against the paper's vectors and a BigInt
// reference written from the paper, on random keys and messages of every
// length a datagram can have.
import * as assert from "uvu/assert";
import { macKey, sipHash } from "../../device/core/mac.ts";
import { Rng } from "../../host-tools/emulator/rng.ts";
import { suite } from "../suite.ts";

const { test, seed } = suite("SipHash-2-4", { seed: 1620 });
const M = (1n << 64n) - 1n;
const rotl = (x: bigint, b: bigint) => ((x << b) | (x >> (64n - b))) & M;

/** The reference: SipHash-2-4 with 64-bit BigInts, as the paper gives it. */
function reference(key: string, s: string): bigint {
  const le = (str: string, i: number, n: number) => {
    let x = 0n;
    for (let j = n - 1; j >= 0; j--) x = (x << 8n) | BigInt(i + j < str.length ? str.charCodeAt(i + j) & 255 : 0);
    return x;
  };
  const k0 = le(key, 0, 8);
  const k1 = le(key, 8, 8);
  let v0 = k0 ^ 0x736f6d6570736575n;
  let v1 = k1 ^ 0x646f72616e646f6dn;
  let v2 = k0 ^ 0x6c7967656e657261n;
  let v3 = k1 ^ 0x7465646279746573n;
  const round = () => {
    v0 = (v0 + v1) & M; v1 = rotl(v1, 13n) ^ v0; v0 = rotl(v0, 32n);
    v2 = (v2 + v3) & M; v3 = rotl(v3, 16n) ^ v2;
    v0 = (v0 + v3) & M; v3 = rotl(v3, 21n) ^ v0;
    v2 = (v2 + v1) & M; v1 = rotl(v1, 17n) ^ v2; v2 = rotl(v2, 32n);
  };
  const full = s.length - (s.length % 8);
  for (let i = 0; i <= full; i += 8) {
    const m = i < full ? le(s, i, 8) : le(s, i, 8) | (BigInt(s.length & 255) << 56n);
    v3 ^= m; round(); round(); v0 ^= m;
  }
  v2 ^= 0xffn;
  round(); round(); round(); round();
  return v0 ^ v1 ^ v2 ^ v3;
}

const tag = (s: string) => {
  const [h, l] = sipHash(s);
  return (BigInt(h) << 32n) | BigInt(l);
};
const bytes = (n: number) => Array.from({ length: n }, (_, i) => String.fromCharCode(i)).join("");

test("the paper's vectors: key 00..0f, messages 00.. of 0 and 15 bytes", () => {
  macKey(bytes(16));
  assert.is(tag(""), 0x726fdb47dd0e0e31n);
  assert.is(tag(bytes(15)), 0xa129ca6149be45e5n);
});

test("random keys and messages of 0 to 300 bytes agree with the BigInt reference", () => {
  const r = new Rng(seed);
  for (let n = 0; n <= 300; n++) {
    const key = Array.from({ length: 16 }, () => String.fromCharCode(r.int(256))).join("");
    const s = Array.from({ length: n }, () => String.fromCharCode(r.int(256))).join("");
    macKey(key);
    assert.is(tag(s), reference(key, s), `length ${n} (seed ${seed})`);
  }
});

test.run();
