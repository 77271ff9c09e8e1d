// The parse step's protobuf reader (device/core/codecs.ts) against messages
// protobufjs encodes on seeded random inputs; then the encodings, json, the
// option check and the Espruino subset of the module itself. Checksums,
// frames and TLV are in codecs.test.ts.
import "./limits.ts";
import { fileURLToPath } from "node:url";
import * as assert from "uvu/assert";
import * as esbuild from "esbuild";
import protobuf from "protobufjs";
import { codecCheck, decode } from "../../device/core/codecs.ts";
import { ESPRUINO_UNSUPPORTED } from "../../host-tools/build/bundle.ts";
import { checkEspruinoSubset } from "../../host-tools/build/espruino-subset.ts";
import { Rng } from "../../host-tools/emulator/rng.ts";
import { suite } from "../suite.ts";
import { failure, latin1, ports, randomBits, randomBytes, randomSigned, run, uintBytes } from "./codecs-helpers.ts";

// ---------------------------------------------------------------------------
const { test: pb, seed: pbSeed } = suite("codecs: protobuf reader", { seed: 2003 });
pb.before.each(ports);

const TEXTS = ["", "a", "héllo", "€ 5", "😀", "line\nbreak", "\u0000zero"];

interface PbSpec {
  id: number;
  name: string;
  /** protobufjs's type, and ours (undefined: a field the reader is not told of). */
  proto: string;
  type?: string;
  repeated?: "packed" | "unpacked";
  value: (rng: Rng) => any;
  /** What the reader gives for a value (default: the value itself). */
  read?: (v: any) => any;
}

const edges = (rng: Rng, list: number[], other: () => number) => (rng.int(4) ? other() : list[rng.int(list.length)]);
const int32 = (rng: Rng) => edges(rng, [0, -1, 1, 2 ** 31 - 1, -(2 ** 31), 127, 128, -129], () => randomSigned(rng, 32));
const int64 = (rng: Rng) => edges(rng, [0, -1, 2 ** 53 - 1, -(2 ** 53 - 1), -(2 ** 53), 2 ** 32, -(2 ** 32), 2 ** 31], () => randomSigned(rng, 54));
const uint32 = (rng: Rng) => edges(rng, [0, 2 ** 32 - 1, 127, 128, 16383, 16384], () => randomBits(rng, rng.int(33)));
const uint64 = (rng: Rng) => edges(rng, [0, 2 ** 53 - 1, 2 ** 53 - 2, 2 ** 32, 2 ** 32 - 1], () => randomBits(rng, rng.int(54)));
const real = (rng: Rng) => edges(rng, [0, Infinity, -Infinity, NaN, 1e308, -5e-324, 0.1], () => (rng.next() - 0.5) * 10 ** (rng.int(40) - 20));
const bytes = (rng: Rng) => Buffer.from(randomBytes(rng, rng.int(30)), "latin1");
const text = (rng: Rng) => TEXTS[rng.int(TEXTS.length)] + randomBytes(rng, rng.int(4)).replace(/[^ -~]/g, "x");
const list = (item: (rng: Rng) => any) => (rng: Rng) => Array.from({ length: rng.int(5) }, () => item(rng));
const utf8 = (t: string) => Buffer.from(t, "utf8").toString("latin1");

const SPECS: PbSpec[] = [
  { id: 1, name: "i32", proto: "int32", type: "varint", value: int32 },
  { id: 2, name: "i64", proto: "int64", type: "varint", value: int64 },
  { id: 3, name: "u32", proto: "uint32", type: "varint", value: uint32 },
  { id: 4, name: "u64", proto: "uint64", type: "varint", value: uint64 },
  { id: 5, name: "s32", proto: "sint32", type: "sint", value: int32 },
  { id: 6, name: "s64", proto: "sint64", type: "sint", value: int64 },
  { id: 7, name: "flag", proto: "bool", type: "bool", value: (rng) => rng.int(2) == 1 },
  { id: 8, name: "f32", proto: "fixed32", type: "fixed32", value: uint32 },
  { id: 9, name: "sf32", proto: "sfixed32", type: "sfixed32", value: int32 },
  { id: 10, name: "fl", proto: "float", type: "float", value: real, read: Math.fround },
  { id: 11, name: "f64", proto: "fixed64", type: "fixed64", value: uint64 },
  { id: 12, name: "sf64", proto: "sfixed64", type: "sfixed64", value: int64 },
  { id: 13, name: "dbl", proto: "double", type: "double", value: real },
  { id: 14, name: "raw", proto: "bytes", type: "bytes", value: bytes, read: latin1 },
  { id: 15, name: "txt", proto: "string", type: "string", value: text, read: utf8 },
  { id: 16, name: "ints", proto: "int32", type: "varint", repeated: "packed", value: list(int32) },
  { id: 17, name: "sints", proto: "sint64", type: "sint", repeated: "unpacked", value: list(int64) },
  { id: 18, name: "names", proto: "string", type: "string", repeated: "unpacked", value: list(text), read: utf8 },
  { id: 19, name: "reals", proto: "double", type: "double", repeated: "packed", value: list(real) },
  { id: 20, name: "floats", proto: "float", type: "float", repeated: "packed", value: list(real), read: Math.fround },
  { id: 2047, name: "longs", proto: "sfixed64", type: "sfixed64", repeated: "packed", value: list(int64) },
  { id: 536870911, name: "last", proto: "uint64", type: "varint", value: uint64 },
  // fields the reader is not told of: skipped by their wire type
  { id: 21, name: "x21", proto: "int64", value: int64 },
  { id: 22, name: "x22", proto: "bytes", value: bytes },
  { id: 23, name: "x23", proto: "fixed64", value: uint64 },
  { id: 24, name: "x24", proto: "float", value: real },
  { id: 25, name: "x25", proto: "uint32", repeated: "packed", value: list(uint32) },
  { id: 26, name: "x26", proto: "string", repeated: "unpacked", value: list(text) },
];

const Message = new protobuf.Type("Message");
for (const f of SPECS) Message.add(new protobuf.Field(f.name, f.id, f.proto, f.repeated ? "repeated" : undefined, f.repeated == "packed" ? { packed: true } : { packed: false }));
new protobuf.Root().add(Message);
const FIELDS: Record<string, { name: string; type: string; repeated?: boolean }> = {};
for (const f of SPECS) if (f.type) FIELDS[String(f.id)] = f.repeated ? { name: f.name, type: f.type, repeated: true } : { name: f.name, type: f.type };
const PB = { codec: "pb", fields: FIELDS };

const encode = (m: Record<string, any>) => latin1(Message.encode(m).finish());

pb("every field type, packed and unpacked repeated fields, unknown fields and every length of field number, as protobufjs encodes them; cut inside a field is short", () => {
  const rng = new Rng(pbSeed);
  let packedSeen = false;
  for (let i = 0; i < 300; i++) {
    // a message as a run of one-field messages: protobuf merges them (last wins, repeated fields append)
    let stream = "";
    const ends = [0];
    const wants: Record<string, any>[] = [{}];
    for (let r = rng.int(14); r > 0; r--) {
      const f = SPECS[rng.int(SPECS.length)];
      const v = f.value(rng);
      if (f.repeated && !v.length) continue; // protobufjs writes nothing for an empty list
      // an unpacked list is one field per value: each its own part, so a cut between two is a field boundary
      for (const x of f.repeated == "unpacked" ? v.map((x: any) => [x]) : [v]) {
        const part = encode({ [f.name]: x });
        if (f.repeated == "packed") {
          assert.is(part.charCodeAt(0) & 7, 2, "protobufjs packed the run");
          packedSeen = true;
        }
        const want = { ...wants[wants.length - 1] };
        const read = f.read || ((y: any) => y);
        if (f.type) want[f.name] = f.repeated ? (want[f.name] || []).concat(x.map(read)) : read(x);
        stream += part;
        ends.push(stream.length);
        wants.push(want);
      }
    }
    const where = `message ${Buffer.from(stream, "latin1").toString("hex")} (seed ${pbSeed})`;
    assert.equal(run(stream, PB), wants[wants.length - 1], where);
    for (let cut = 0; cut < stream.length; cut++) {
      const r = ends.indexOf(cut);
      if (r >= 0) assert.equal(decode(stream.slice(0, cut), PB), wants[r], `${where}, cut after field ${r}`);
      else assert.is(failure(stream.slice(0, cut), PB), "pb: short", `${where}, cut at ${cut}`);
    }
  }
  assert.ok(packedSeen, "some packed runs were read");
});

pb("whole messages with every field set; large varints near 2^53; negative int32 as ten-byte varints", () => {
  const rng = new Rng(pbSeed + 1);
  for (let i = 0; i < 100; i++) {
    const m: Record<string, any> = {};
    const want: Record<string, any> = {};
    for (const f of SPECS) {
      const v = f.value(rng);
      m[f.name] = v;
      const read = f.read || ((x: any) => x);
      if (f.type && !(f.repeated && !v.length)) want[f.name] = f.repeated ? v.map(read) : read(v);
    }
    const stream = encode(m);
    assert.equal(run(stream, PB), want, `${JSON.stringify(m)} (seed ${pbSeed + 1})`);
  }
  const cases: [Record<string, any>, Record<string, any>][] = [
    [{ i32: -1 }, { i32: -1 }],
    [{ i32: -(2 ** 31) }, { i32: -(2 ** 31) }],
    [{ u64: 2 ** 53 - 1, i64: -(2 ** 53 - 1), s64: -(2 ** 53), sf64: 2 ** 53 - 1, f64: 2 ** 53 - 1 }, { u64: 2 ** 53 - 1, i64: -(2 ** 53 - 1), s64: -(2 ** 53), sf64: 2 ** 53 - 1, f64: 2 ** 53 - 1 }],
    [{ s64: 2 ** 53 - 1, sf64: -(2 ** 53), i64: -(2 ** 32) - 1 }, { s64: 2 ** 53 - 1, sf64: -(2 ** 53), i64: -(2 ** 32) - 1 }],
    [{ last: 1 }, { last: 1 }],
  ];
  for (const [m, want] of cases) assert.equal(run(encode(m), PB), want, JSON.stringify(m));
  assert.is(encode({ i32: -1 }).length, 11, "protobufjs wrote -1 as a ten-byte varint");
  assert.equal(run(encode({ i64: "-9223372036854775808", sf64: "-9223372036854775808" }), PB), { i64: -(2 ** 63), sf64: -(2 ** 63) }, "int64's least");
  // beyond 2^63 a varint is read as the int64 of its bits
  assert.equal(run(encode({ u64: "18446744073709551615" }), PB), { u64: -1 });
  assert.equal(run("\x08" + "\xff".repeat(9) + "\x7f", PB), { i32: -1 }, "bits past the 64th are dropped");
  const w = protobuf.Writer.create();
  w.uint32((7 << 3) | 0).uint64(2 ** 32);
  assert.equal(run(latin1(w.finish()), PB), { flag: true }, "a bool is any varint but 0");
});

pb("a field seen twice: the last wins; a known field on another wire type is skipped as unknown", () => {
  assert.equal(run(encode({ i32: 1, txt: "a" }) + encode({ i32: 2 }), PB), { i32: 2, txt: "a" });
  assert.equal(run(encode({ ints: [1, 2] }) + encode({ ints: [3] }), PB), { ints: [1, 2, 3] }, "packed runs append");
  const w = protobuf.Writer.create();
  w.uint32((1 << 3) | 2).bytes(new Uint8Array([1, 2, 3])); // i32 as length-delimited
  w.uint32((14 << 3) | 0).uint32(5); // raw (bytes) as a varint
  w.uint32((10 << 3) | 1).fixed64(7); // fl (float) as 8 bytes
  w.uint32((3 << 3) | 0).uint32(9);
  assert.equal(run(latin1(w.finish()), PB), { u32: 9 });
  const e = protobuf.Writer.create();
  e.uint32((16 << 3) | 2).uint32(0); // an empty packed run
  assert.equal(run(latin1(e.finish()), PB).ints ?? [], [], "an empty packed run reads no value");
});

pb("groups, bad wire types, over-long varints and truncation throw", () => {
  assert.is(failure("\x0b\x0c", PB), "pb: groups unsupported", "start group (field 1, wire type 3)");
  assert.is(failure("\x0c", PB), "pb: groups unsupported", "end group");
  assert.is(failure("\xab\x01\x00", PB), "pb: groups unsupported", "a group of a field the reader is not told of");
  assert.is(failure("\x0e\x00", PB), "pb: bad wire type 6");
  assert.is(failure("\x0f\x00", PB), "pb: bad wire type 7");
  assert.is(failure("\x08" + "\xff".repeat(10) + "\x01", PB), "pb: bad varint", "eleven bytes");
  assert.is(failure("\x08\x80", PB), "pb: short", "a varint cut after a continuation byte");
  assert.is(failure("\x08", PB), "pb: short", "a key without its value");
  assert.is(failure("\x72\x05abc", PB), "pb: short", "bytes shorter than their length");
  assert.is(failure("\x59\x01\x02\x03\x04\x05\x06\x07", PB), "pb: short", "fixed64 cut");
  assert.is(failure("\x82\x01\x03\x01\x02\x80", PB), "pb: short", "a packed run ending inside a varint");
  assert.equal(run("", PB), {});
});

pb.run();

// ---------------------------------------------------------------------------
const { test: enc, seed: encSeed } = suite("codecs: encodings, json and the option check", { seed: 2004 });
enc.before.each(ports);

enc("hex (either case) and base64 give the bytes they encode; raw is String(value)", () => {
  const rng = new Rng(encSeed);
  for (let i = 0; i < 200; i++) {
    const payload = randomBytes(rng, rng.int(200));
    const frame = uintBytes(payload.length, 1, false) + payload;
    const hex = Buffer.from(frame, "latin1").toString("hex");
    const where = `${JSON.stringify(payload)} (seed ${encSeed})`;
    assert.is(run(rng.int(2) ? hex : hex.toUpperCase(), { codec: "frame", encoding: "hex" }), payload, `hex of ${where}`);
    assert.is(run(Buffer.from(frame, "latin1").toString("base64"), { codec: "frame", encoding: "base64" }), payload, `base64 of ${where}`);
    assert.is(run(frame, { codec: "frame", encoding: "raw" }), payload, `raw ${where}`);
  }
  assert.equal(run(Buffer.from('{"a":[1,"é"]}').toString("base64"), { codec: "json", encoding: "base64" }), { a: [1, "Ã©"] }, "UTF-8 stays bytes");
  assert.equal(run("7b2261223a20747275657d", { codec: "json", encoding: "hex" }), { a: true });
  assert.is(run(42, { codec: "json" }), 42, "a number value is its text");
  assert.equal(run('{"t": 21.5}', { codec: "json" }), { t: 21.5 });
});

enc("bad hex, bad base64 and bad JSON throw", () => {
  for (const bad of ["abc", "zz", "0x12", "12 34", "1g"]) assert.is(failure(bad, { codec: "json", encoding: "hex" }), "hex: bad input", JSON.stringify(bad));
  // Espruino's atob skips bad characters where Node's throws: both are refused, and so is base64 that is not the canonical encoding
  for (const bad of ["@@@@", "QQ", "QQ=", "Q===", " QQ==", "QQ==\n", "QR==", "YQ==YQ=="]) {
    assert.is(failure(bad, { codec: "json", encoding: "base64" }), "base64: bad input", JSON.stringify(bad));
  }
  assert.match(failure("{", { codec: "json" }), /^json: ./);
  assert.match(failure("", { codec: "json" }), /^json: ./);
});

const checks: [string, any, string][] = [
  ["no codec", {}, "codec: must be one of json, crc16, crc32, adler32, frame, tlv, pb"],
  ["an unknown codec", { codec: "xml" }, "codec: must be one of json, crc16, crc32, adler32, frame, tlv, pb"],
  ["a codec that is no string", { codec: 1 }, "codec: must be one of json, crc16, crc32, adler32, frame, tlv, pb"],
  ["json", { codec: "json" }, ""],
  ["an unknown encoding", { codec: "json", encoding: "utf8" }, "encoding: must be one of raw, hex, base64"],
  ["two values in one", { codec: "crc16", endian: "be, le" }, "endian: must be one of be, le"],
  ["an unknown endian", { codec: "crc16", endian: "big" }, "endian: must be one of be, le"],
  ["an unknown at", { codec: "crc32", at: "middle" }, "at: must be one of suffix, prefix"],
  ["a check with every option", { codec: "adler32", at: "prefix", endian: "le", encoding: "base64" }, ""],
  ["a frame length u64", { codec: "frame", length: "u64" }, "length: must be one of u8, u16, u32"],
  ["a frame length u32", { codec: "frame", length: "u32", endian: "le", encoding: "hex" }, ""],
  ["a TLV length u32", { codec: "tlv", length: "u32", fields: {} }, "length: must be one of u8, u16"],
  ["a TLV tag u32", { codec: "tlv", tag: "u32", fields: {} }, "tag: must be one of u8, u16"],
  ["TLV without fields", { codec: "tlv" }, "fields: must be an object"],
  ["pb with fields an array", { codec: "pb", fields: [] }, "fields: must be an object"],
  ["pb with fields a string", { codec: "pb", fields: "1" }, "fields: must be an object"],
  ["a TLV tag over u8", { codec: "tlv", fields: { "256": { name: "a", type: "u8" } } }, "fields.256: must be a whole number 0..255"],
  ["a TLV tag u16", { codec: "tlv", tag: "u16", fields: { "256": { name: "a", type: "u8" }, "0": { name: "b", type: "text" } } }, ""],
  ["a TLV tag over u16", { codec: "tlv", tag: "u16", fields: { "65536": { name: "a", type: "u8" } } }, "fields.65536: must be a whole number 0..65535"],
  ["a negative tag", { codec: "tlv", fields: { "-1": { name: "a", type: "u8" } } }, "fields.-1: must be a whole number 0..255"],
  ["a fractional tag", { codec: "tlv", fields: { "1.5": { name: "a", type: "u8" } } }, "fields.1.5: must be a whole number 0..255"],
  ["a tag with a leading zero", { codec: "tlv", fields: { "01": { name: "a", type: "u8" } } }, "fields.01: must be a whole number 0..255"],
  ["a tag that is a word", { codec: "tlv", fields: { x: { name: "a", type: "u8" } } }, "fields.x: must be a whole number 0..255"],
  ["field number 0", { codec: "pb", fields: { "0": { name: "a", type: "varint" } } }, "fields.0: must be a whole number 1..536870911"],
  ["field number 2^29", { codec: "pb", fields: { "536870912": { name: "a", type: "varint" } } }, "fields.536870912: must be a whole number 1..536870911"],
  ["field number 2^29 - 1", { codec: "pb", fields: { "536870911": { name: "a", type: "varint" } } }, ""],
  ["a field without a name", { codec: "pb", fields: { "1": { type: "varint" } } }, "fields.1.name: must be a string of 1 to 32 characters"],
  ["an empty name", { codec: "pb", fields: { "1": { name: "", type: "varint" } } }, "fields.1.name: must be a string of 1 to 32 characters"],
  ["a name of 33 characters", { codec: "tlv", fields: { "1": { name: "n".repeat(33), type: "u8" } } }, "fields.1.name: must be a string of 1 to 32 characters"],
  ["a name of 32 characters", { codec: "tlv", fields: { "1": { name: "n".repeat(32), type: "u8" } } }, ""],
  ["a name that is a number", { codec: "tlv", fields: { "1": { name: 5, type: "u8" } } }, "fields.1.name: must be a string of 1 to 32 characters"],
  ["a field that is no object", { codec: "tlv", fields: { "1": "u8" } }, "fields.1.name: must be a string of 1 to 32 characters"],
  ["a TLV type in pb", { codec: "pb", fields: { "1": { name: "a", type: "u8" } } }, "fields.1.type: must be one of varint, sint, bool, fixed32, sfixed32, float, fixed64, sfixed64, double, bytes, string"],
  ["a pb type in TLV", { codec: "tlv", fields: { "1": { name: "a", type: "varint" } } }, "fields.1.type: must be one of u8, u16, u32, i8, i16, i32, bytes, text"],
  ["no type", { codec: "tlv", fields: { "1": { name: "a" } } }, "fields.1.type: must be one of u8, u16, u32, i8, i16, i32, bytes, text"],
  ["repeated not a boolean", { codec: "pb", fields: { "1": { name: "a", type: "varint", repeated: "yes" } } }, "fields.1.repeated: must be true or false"],
  ["repeated true", { codec: "pb", fields: { "1": { name: "a", type: "varint", repeated: true } } }, ""],
];

for (const [what, o, message] of checks) {
  enc(`codecCheck: ${what}`, () => {
    assert.is(codecCheck(o), message, JSON.stringify(o));
  });
}

enc("the module uses only JavaScript Espruino 2v29 runs", async () => {
  const out = await esbuild.build({
    entryPoints: [fileURLToPath(new URL("../../device/core/codecs.ts", import.meta.url))],
    bundle: true,
    minify: true,
    format: "esm",
    platform: "neutral",
    target: "es2015",
    charset: "ascii",
    supported: ESPRUINO_UNSUPPORTED,
    write: false,
    logLevel: "silent",
  });
  // the bundle's own export statement aside (the firmware's bundle imports the module, it exports nothing)
  const code = out.outputFiles[0].text.replace(/export\s*\{[^}]*\};?\s*$/, "");
  assert.match(code, /function/, "the module's code is there");
  assert.equal(checkEspruinoSubset(code), [], "no construct Espruino lacks");
  assert.not.match(code, /\*\*|\?\.|\.\.\./, "no exponent, optional chaining or spread");
});

enc.run();
