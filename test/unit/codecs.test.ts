// The parse step's checksums and framings (device/core/codecs.ts) against
// reference implementations on seeded random inputs: CRC16 against the crc
// package, CRC32 and Adler-32 against zlib, frames and TLV against Buffer's
// own integer writers. The protobuf reader, the encodings, the option check
// and the Espruino subset are in codecs-pb.test.ts.
import "./limits.ts";
import { deflateSync, crc32 } from "node:zlib";
import * as assert from "uvu/assert";
import { crc16ccitt } from "crc";
import { checksum, decode } from "../../device/core/codecs.ts";
import { Rng } from "../../host-tools/emulator/rng.ts";
import { suite } from "../suite.ts";
import { bytesOf, failure, latin1, ports, randomBits, randomBytes, randomSigned, run, uintBytes } from "./codecs-helpers.ts";

// ---------------------------------------------------------------------------
const { test: sums, seed: sumSeed } = suite("codecs: crc16, crc32, adler32", { seed: 2001 });
sums.before.each(ports);

/** Adler-32 as zlib computes it: the last four bytes of a zlib stream, big-endian. */
function adlerReference(s: string): number {
  const z = deflateSync(bytesOf(s));
  return z.readUInt32BE(z.length - 4);
}

const reference: Record<string, (s: string) => number> = {
  crc16: (s) => crc16ccitt(bytesOf(s)),
  crc32: (s) => crc32(bytesOf(s)),
  adler32: adlerReference,
};

sums("check values: CRC-16/CCITT-FALSE, CRC-32 and Adler-32 of their standard inputs", () => {
  assert.is(checksum("123456789", "crc16"), 0x29b1);
  assert.is(checksum("123456789", "crc32"), 0xcbf43926);
  assert.is(checksum("Wikipedia", "adler32"), 0x11e60398);
  assert.is(checksum("", "crc16"), 0xffff, "init 0xFFFF, no xorout");
  assert.is(checksum("", "adler32"), 1);
});

sums("every checksum matches its reference on random strings (long runs of 0xFF too: Adler-32's modulo)", () => {
  const rng = new Rng(sumSeed);
  for (let i = 0; i < 400; i++) {
    const s = i % 50 == 49 ? "\xff".repeat(1000 + rng.int(6000)) : randomBytes(rng, rng.int(i < 200 ? 16 : 600));
    for (const c of ["crc16", "crc32", "adler32"]) {
      assert.is(checksum(s, c), reference[c](s), `${c} of ${JSON.stringify(s.slice(0, 40))} (${s.length} bytes, seed ${sumSeed})`);
    }
  }
});

sums("a check as suffix or prefix, big- or little-endian, comes off and the rest is the result; any flipped bit is a mismatch", () => {
  const rng = new Rng(sumSeed + 1);
  for (let i = 0; i < 300; i++) {
    const c = ["crc16", "crc32", "adler32"][i % 3];
    const n = c == "crc16" ? 2 : 4;
    const at = rng.int(2) ? "prefix" : "suffix";
    const endian = rng.int(2) ? "le" : "be";
    const payload = randomBytes(rng, rng.int(100));
    const check = uintBytes(reference[c](payload), n, endian == "le");
    const framed = at == "prefix" ? check + payload : payload + check;
    const o = { codec: c, at: at, endian: endian };
    const where = `${c} ${at} ${endian}, ${payload.length} bytes (seed ${sumSeed + 1})`;
    assert.is(run(framed, o), payload, where);
    const bit = rng.int(framed.length * 8);
    const k = bit >> 3;
    const flipped = framed.slice(0, k) + String.fromCharCode(framed.charCodeAt(k) ^ (1 << (bit & 7))) + framed.slice(k + 1);
    assert.is(failure(flipped, o), `${c} mismatch`, `${where}, bit ${bit} flipped`);
  }
});

sums("defaults: the check is a big-endian suffix; an input shorter than the check is short", () => {
  const payload = "hello";
  assert.is(run(payload + uintBytes(crc16ccitt(bytesOf(payload)), 2, false), { codec: "crc16" }), payload);
  assert.is(run(payload + uintBytes(adlerReference(payload), 4, false), { codec: "adler32" }), payload);
  assert.is(failure(payload + uintBytes(adlerReference(payload), 4, true), { codec: "adler32" }), "adler32 mismatch", "a little-endian check read big-endian");
  assert.is(run("\xff\xff", { codec: "crc16" }), "", "an empty payload and its check");
  assert.is(failure("a", { codec: "crc16" }), "crc16: short");
  assert.is(failure("abc", { codec: "crc32" }), "crc32: short");
  assert.is(failure("", { codec: "adler32", at: "prefix" }), "adler32: short");
});

sums.run();

// ---------------------------------------------------------------------------
const { test: frames, seed: frameSeed } = suite("codecs: frames and TLV", { seed: 2002 });
frames.before.each(ports);

frames("a length-prefixed frame of u8, u16 or u32, either endian, gives its payload and ignores what follows", () => {
  const rng = new Rng(frameSeed);
  for (let i = 0; i < 300; i++) {
    const length = ["u8", "u16", "u32"][i % 3];
    const n = [1, 2, 4][i % 3];
    const endian = rng.int(2) ? "le" : "be";
    const payload = randomBytes(rng, rng.int(n == 1 ? 256 : 700));
    const after = rng.int(3) ? "" : randomBytes(rng, 1 + rng.int(5));
    const frame = uintBytes(payload.length, n, endian == "le") + payload;
    const o = { codec: "frame", length: length, endian: endian };
    const where = `${length} ${endian}, ${payload.length} bytes (seed ${frameSeed})`;
    assert.is(run(frame + after, o), payload, where);
    if (payload.length) assert.is(failure(frame.slice(0, -1 - rng.int(payload.length)), o), "frame: short", `${where}, payload cut`);
    assert.is(failure(frame.slice(0, rng.int(n)), o), "frame: short", `${where}, length cut`);
  }
  assert.is(run("\x03abcd", { codec: "frame" }), "abc", "length u8 by default");
  assert.is(run("\x00\x03abc", { codec: "frame", length: "u16" }), "abc", "big-endian by default");
});

interface TlvField {
  name: string;
  type: string;
  repeated?: boolean;
}

/** A TLV value of the field's type: its bytes (Buffer's writers) and what decode() should give for it. */
function tlvValue(rng: Rng, type: string, le: boolean): [string, any] {
  if (type == "bytes" || type == "text") {
    const s = randomBytes(rng, rng.int(20));
    return [s, s];
  }
  const n = +type.slice(1) / 8;
  const b = Buffer.alloc(n);
  let v: number;
  if (type[0] == "u") {
    v = randomBits(rng, rng.int(8 * n + 1));
    if (le) b.writeUIntLE(v, 0, n);
    else b.writeUIntBE(v, 0, n);
  } else {
    v = randomSigned(rng, 8 * n);
    if (le) b.writeIntLE(v, 0, n);
    else b.writeIntBE(v, 0, n);
  }
  return [latin1(b), v];
}

frames("TLV records of every type, tag and length u8 or u16, either endian; unknown tags skipped, repeated tags last or all; cut anywhere inside a record is short", () => {
  const rng = new Rng(frameSeed + 1);
  const types = ["u8", "u16", "u32", "i8", "i16", "i32", "bytes", "text"];
  for (let i = 0; i < 200; i++) {
    const tag = rng.int(2) ? "u16" : "u8";
    const length = rng.int(2) ? "u16" : "u8";
    const endian = rng.int(2) ? "le" : "be";
    const le = endian == "le";
    const fields: Record<string, TlvField> = {};
    for (let t = 0; t < types.length; t++) fields[String(t * 3 + (tag == "u16" ? 300 : 0))] = { name: "f" + t, type: types[t], repeated: t == 7 || undefined };
    const o = { codec: "tlv", tag: tag, length: length, endian: endian, fields: fields };
    const tags = Object.keys(fields);
    let stream = "";
    const ends = [0];
    const wants: Record<string, any>[] = [{}];
    for (let r = rng.int(12); r > 0; r--) {
      const want = { ...wants[wants.length - 1] };
      let t: number;
      let value: string;
      if (rng.int(4) == 0) {
        // a tag the fields do not name
        t = 1 + 3 * rng.int(8) + (tag == "u16" ? 300 : 0);
        value = randomBytes(rng, rng.int(6));
      } else {
        t = +tags[rng.int(tags.length)];
        const f = fields[String(t)];
        const [b, v] = tlvValue(rng, f.type, le);
        value = b;
        want[f.name] = f.repeated ? (want[f.name] || []).concat(v) : v;
      }
      stream += uintBytes(t, tag == "u16" ? 2 : 1, le) + uintBytes(value.length, length == "u16" ? 2 : 1, le) + value;
      ends.push(stream.length);
      wants.push(want);
    }
    const where = `tag ${tag}, length ${length}, ${endian}: ${JSON.stringify(stream)} (seed ${frameSeed + 1})`;
    assert.equal(run(stream, o), wants[wants.length - 1], where);
    for (let cut = 0; cut < stream.length; cut++) {
      const r = ends.indexOf(cut);
      if (r >= 0) assert.equal(decode(stream.slice(0, cut), o), wants[r], `${where}, cut at record ${r}`);
      else assert.is(failure(stream.slice(0, cut), o), "tlv: short", `${where}, cut at ${cut}`);
    }
  }
});

frames("a TLV number whose value is shorter than its type is short; tag and length are u8 and big-endian by default", () => {
  const fields = { "1": { name: "t", type: "u32" }, "2": { name: "s", type: "i16" } };
  assert.is(failure("\x01\x02\x00\x01", { codec: "tlv", fields: fields }), "tlv: short");
  assert.equal(run("\x01\x04\x00\x00\x01\x02\x02\x02\xff\xfe", { codec: "tlv", fields: fields }), { t: 258, s: -2 });
  assert.equal(run("", { codec: "tlv", fields: fields }), {});
});

frames.run();
