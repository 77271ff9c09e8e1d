// Shared by the codec tests (codecs.test.ts, codecs-pb.test.ts): the core's
// ports, seeded random bytes and numbers, Buffer's integer writers, and
// decode() run through the option check or expected to throw.
import "./limits.ts";
import { crc32 } from "node:zlib";
import * as assert from "uvu/assert";
import { setup, type Ports } from "../../device/core/env.ts";
import { defaultConfig } from "../../device/core/layout.ts";
import { codecCheck, decode } from "../../device/core/codecs.ts";
import type { Rng } from "../../host-tools/emulator/rng.ts";

// E.CRC32 on the chip; zlib's here (the same CRC-32/ISO-HDLC); set before each test, as the core's ports are shared with other unit test files
export const ports = () => setup({ hash_: (s: string) => crc32(Buffer.from(s, "latin1")), now_: () => 0 } as unknown as Ports, defaultConfig(), "a1b2c3");

export const latin1 = (b: Uint8Array) => Buffer.from(b).toString("latin1");
export const bytesOf = (s: string) => Buffer.from(s, "latin1");

/** n random bytes as a byte string. */
export function randomBytes(rng: Rng, n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += String.fromCharCode(rng.int(256));
  return s;
}

/** A random whole number below 2^b (b <= 53), every bit drawn. */
export function randomBits(rng: Rng, b: number): number {
  return b > 32 ? rng.int(2 ** (b - 32)) * 2 ** 32 + rng.int(2 ** 32) : rng.int(2 ** b);
}

/** A random signed whole number in [-2^(b-1), 2^(b-1)) of a random bit length (so varints of every length come up). */
export function randomSigned(rng: Rng, b: number): number {
  const v = randomBits(rng, rng.int(b));
  return rng.int(2) ? v : -v - 1;
}

/** An unsigned number of n bytes, as Buffer writes it. */
export function uintBytes(v: number, n: number, le: boolean): string {
  const b = Buffer.alloc(n);
  if (le) b.writeUIntLE(v, 0, n);
  else b.writeUIntBE(v, 0, n);
  return latin1(b);
}

/** decode(), with the options first passed by the option check (every option set used here is a valid one). */
export function run(value: any, o: any): any {
  assert.is(codecCheck(o), "", `options ${JSON.stringify(o)} are valid`);
  return decode(value, o);
}

/** The message decode(value, o) throws (fails the test when it throws nothing). */
export function failure(value: any, o: any): string {
  try {
    decode(value, o);
  } catch (e) {
    return (e as Error).message;
  }
  const shown = typeof value == "string" ? `bytes ${Buffer.from(value, "latin1").toString("hex")}` : JSON.stringify(value);
  assert.unreachable(`decode of ${shown} with ${JSON.stringify(o).slice(0, 100)} should throw`);
  return "";
}
