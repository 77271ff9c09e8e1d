import { crc32 } from "node:zlib";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { aliveUpdate, decode, encode, hexToIp, ipToHex, MAX_DATAGRAM, suspectUpdate } from "../../device/core/wire.ts";
import { Rng } from "../../host-tools/emulator/rng.ts";

const wire = suite("wire format");
const hash = (s: string) => crc32(Buffer.from(s, "latin1"));
const header = "P|a1b2c3|2|1f|zz|9a0";
const ups = aliveUpdate("000001", 3, "10.0.0.9", 12345) + "," + suspectUpdate("000002", 1, 12.7);
const msg = () => encode("key", "spore", header, ups, "7", hash);

wire("a message survives encode and decode, updates included", () => {
  const m = decode(msg(), "key", "spore", hash);
  assert.equal(m, {
    type: "P",
    id: "a1b2c3",
    inc: 2,
    seq: 51,
    dv: 1295,
    heap: 12024,
    ups: [
      { k: "a", id: "000001", inc: 3, ip: "10.0.0.9", dv: 12345, age: 0 },
      { k: "s", id: "000002", inc: 1, ip: "", dv: 0, age: 12 },
    ],
    arg: "7",
  });
});

wire("every datagram carries the wire version; the argument may contain '|'", () => {
  assert.ok(msg().startsWith("S2|"), msg());
  const m = decode(encode("key", "spore", "E|a1b2c3|0|1|0|0", "", "x|y:z", hash), "key", "spore", hash);
  assert.is(typeof m === "object" && m.arg, "x|y:z");
});

wire("foreign clusters, wrong secrets, other versions, oversize and malformed datagrams are dropped by reason", () => {
  assert.is(decode(msg(), "key", "other", hash), "cluster");
  assert.is(decode(msg(), "other-key", "spore", hash), "check");
  assert.is(decode(msg().replace("|7", "|8"), "key", "spore", hash), "check", "a changed byte fails the check");
  assert.is(decode(msg().replace(/^S2/, "S9"), "key", "spore", hash), "version");
  assert.is(decode(msg() + " ".repeat(MAX_DATAGRAM), "key", "spore", hash), "size");
  const bad = ["", "hello", "S2|", "S2|x|spore", encode("key", "spore", "X|a1b2c3|0|0|0|0", "", "", hash), encode("key", "spore", "P|a1b2cz|0|0|0|0", "", "", hash), encode("key", "spore", "P|a1b2c3|-1|0|0|0", "", "", hash), encode("key", "spore", "P|a1b2c3|0|0|0|0", "q000001.1", "", hash), encode("key", "spore", "P|a1b2c3|0|0|0|0", "a000001.1.0a0000.1", "", hash)];
  for (const b of bad) assert.is(decode(b, "key", "spore", hash), "malformed", JSON.stringify(b));
});

wire("addresses travel as 8 hex digits", () => {
  assert.is(ipToHex("10.0.0.255"), "0a0000ff");
  assert.is(hexToIp("0a0000ff"), "10.0.0.255");
  assert.is(hexToIp("0a00zzff"), "");
});

wire("the worst-case header and ping request still leave room for five of the largest updates", () => {
  const many: string[] = [];
  for (let i = 0; i < 5; i++) many.push(aliveUpdate("00000" + i, 78364164095, "192.168.100.200", 4294967295));
  const d = encode("key", "cluster-name-16c", "R|a1b2c3|zzzzzzz|zzzzz|zzzzzzz|zzzzzzz", many.join(","), "zzzzzzz.a1b2c3.c0a864c8", hash);
  assert.ok(d.length <= MAX_DATAGRAM, `${d.length} bytes`);
});

wire("random bytes never throw and never decode (seeded)", () => {
  const seed = 4210;
  const rng = new Rng(seed);
  for (let i = 0; i < 2000; i++) {
    const len = rng.int(300);
    let s = i % 2 ? "S2|" : "";
    for (let j = 0; j < len; j++) s += String.fromCharCode(rng.int(256));
    assert.type(decode(s, "key", "spore", hash), "string", `seed ${seed}, case ${i}: ${JSON.stringify(s)}`);
  }
});

wire.run();
