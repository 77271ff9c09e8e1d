// The datagram MAC (device/core/mac.ts): Speck64/128 against the paper's
// vector and a reference written from the paper with BigInts, the MAC against
// a reference built from it with exact BigInt sums, and what a forger can and
// cannot change.
import * as assert from "uvu/assert";
import { filled, mac, Mac, macFill, macKey, speck, speckKey } from "../../device/core/mac.ts";
import { convolve, useSecret, words } from "../../host-tools/lib/mac.ts";
import { Rng } from "../../host-tools/emulator/rng.ts";
import { suite } from "../suite.ts";

const { test, seed } = suite("datagram MAC", { seed: 1620 });
const M = (1n << 32n) - 1n;
const ror = (x: bigint, b: bigint) => ((x >> b) | (x << (32n - b))) & M;
const rol = (x: bigint, b: bigint) => ((x << b) | (x >> (32n - b))) & M;

/** Speck64/128 as the paper gives it: key words k0, l0, l1, l2; block (x, y). */
function reference(key: bigint[], x: bigint, y: bigint): bigint[] {
  let k = key[0];
  const l = key.slice(1);
  for (let i = 0; i < 27; i++) {
    x = ((ror(x, 8n) + y) & M) ^ k;
    y = rol(y, 3n) ^ x;
    l.push(((k + ror(l[i], 8n)) & M) ^ BigInt(i));
    k = rol(k, 3n) ^ l[i + 3];
  }
  return [x, y];
}

test("Speck64/128: the paper's vector", () => {
  speckKey([0x03020100, 0x0b0a0908, 0x13121110, 0x1b1a1918]);
  assert.equal(speck(0x3b726574, 0x7475432d), [0x8c6fa548, 0x454e028b]);
});

test("Speck64/128: random keys and blocks agree with the BigInt reference", () => {
  const r = new Rng(seed);
  const u32 = () => r.int(65536) * 65536 + r.int(65536);
  for (let n = 0; n < 300; n++) {
    const key = [u32(), u32(), u32(), u32()];
    const x = u32();
    const y = u32();
    speckKey(key.slice());
    assert.equal(speck(x, y), reference(key.map(BigInt), BigInt(x), BigInt(y)).map(Number), `key ${key} (seed ${seed})`);
  }
});

/** The datagram MAC as mac.ts describes it, from the BigInt reference and exact sums. */
function macReference(secret: string, body: string): string {
  // the secret's bytes, with a 0 after an odd count, folded by xor into four 32-bit words; its length xor the first
  const bytes = Buffer.from(secret + (secret.length & 1 ? "\0" : ""), "latin1");
  const key = [BigInt(secret.length), 0n, 0n, 0n];
  for (let i = 0; i < bytes.length; i++) key[(i >> 2) & 3] ^= BigInt(bytes[i]) << BigInt(8 * (i & 3));
  const u: bigint[] = [];
  for (let i = 0; i < 2 * Mac.Words; i += 2) {
    const t = reference(key, 0n, BigInt(i));
    u.push(t[0] & 0x1fffffffn, t[1] & 0x1fffffffn);
  }
  let h1 = 0n;
  let h2 = 0n;
  const even = body.length & 1 ? body + "\0" : body;
  for (let i = 0; i < even.length >> 1; i++) {
    const w = BigInt((even.charCodeAt(2 * i) & 255) | ((even.charCodeAt(2 * i + 1) & 255) << 8));
    h1 += w * u[i];
    h2 += w * u[Mac.Words + i];
  }
  let t = reference(key, (h1 >> 32n) | (BigInt(body.length) << 21n), h1 & M);
  t = reference(key, t[0] ^ (h2 >> 32n), t[1] ^ (h2 & M));
  return t[0].toString(36) + "." + t[1].toString(36);
}

test("the MAC agrees with its reference for secrets and bodies of every length a datagram can have", () => {
  const r = new Rng(seed);
  for (const secret of ["k3y", "k3y!", "a much longer cluster secret of 40 chars", "x".repeat(64)]) {
    useSecret(secret);
    for (let n = 1; n <= 250; n += 1 + r.int(6)) {
      const body = Array.from({ length: n }, () => String.fromCharCode(r.int(256))).join("");
      assert.is(mac(body, 0), macReference(secret, body), `secret ${JSON.stringify(secret)}, length ${n} (seed ${seed})`);
    }
  }
});

test("a body is checked where it lies in its datagram: the tag of s from an offset, odd or even, is the tag of that part alone", () => {
  const r = new Rng(seed + 2);
  useSecret("k3y");
  for (let n = 0; n < 300; n++) {
    const head = "S3|" + "x".repeat(r.int(16)) + "|";
    const body = Array.from({ length: 1 + r.int(250) }, () => String.fromCharCode(r.int(256))).join("");
    assert.is(mac(head + body, head.length), mac(body, 0), `offset ${head.length}, length ${body.length} (seed ${seed})`);
  }
});

test("the inner products stay exact: the largest words times the largest numbers stay below 2^53", () => {
  assert.ok(0xffff * Mac.Mask * Mac.Words < 2 ** 53);
});

test("until its arrays are derived a node has no tag: it sends and accepts nothing", () => {
  macKey("k3y", words, convolve);
  assert.ok(filled < Mac.All);
  assert.is(mac("body", 0), "");
  let steps = 1;
  while (macFill()) steps++;
  assert.is(filled, Mac.All);
  assert.is(steps, Math.ceil((2 * Mac.Words) / Mac.Step));
  assert.ok(mac("body", 0));
  useSecret("k3y!");
});

test("a forger's changes all change the tag: a byte, a swap, zero bytes appended, a byte cut, another secret", () => {
  const r = new Rng(seed + 1);
  useSecret("k3y");
  const tags = new Set<string>();
  let made = 0;
  const body = Array.from({ length: 120 }, () => String.fromCharCode(33 + r.int(90))).join("");
  const add = (b: string) => {
    made++;
    tags.add(mac(b, 0));
  };
  add(body);
  for (let i = 0; i < body.length; i += 7) add(body.substr(0, i) + String.fromCharCode(body.charCodeAt(i) ^ 1) + body.substr(i + 1));
  add(body.substr(2, 60) + body.substr(0, 2) + body.substr(62));
  add(body + "\0\0");
  add(body + "\0");
  add(body.substr(0, 119));
  add(body.substr(0, 119) + "\0");
  useSecret("k3z");
  add(body);
  assert.is(tags.size, made);
});

test.run();
