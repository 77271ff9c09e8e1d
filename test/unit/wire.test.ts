import { crc32 } from "node:zlib";
import * as assert from "uvu/assert";
import { decode, encode, isId, n36, update, Wire, type Message } from "../../device/core/wire.ts";
import { suite } from "../suite.ts";

const hash = (s: string) => crc32(Buffer.from(s, "latin1"));
const { test: wire } = suite("wire format");
const make = (ups = "", arg = "", head = "P|a1b2c3|1|2s|5|9ix") => encode("k3y", "spore", head, ups, arg, hash);

wire("a datagram round-trips: header numbers in base 36, updates, an argument with bars", () => {
  const d = make("aa1b2c4/0/10.0.0.7/1z,sa1b2c5/3/c", "x|y");
  assert.ok(d.startsWith("S2|"));
  const m = decode(d, "k3y", "spore", hash) as Message;
  assert.equal([m.type_, m.id_, m.incarnation_, m.seq_, m.details_, m.heap_, m.arg_], ["P", "a1b2c3", 1, 100, 5, 12345, "x|y"]);
  assert.equal(m.updates_, ["aa1b2c4/0/10.0.0.7/1z", "sa1b2c5/3/c"]);
  assert.equal(m.updates_.map(update), [
    { kind_: "a", id_: "a1b2c4", incarnation_: 0, ip_: "10.0.0.7", age_: 0, details_: 71 },
    { kind_: "s", id_: "a1b2c5", incarnation_: 3, ip_: "c", age_: 12, details_: 0 },
  ]);
});

wire("bad datagrams give a reason, never an exception", () => {
  const good = make();
  const cases: [unknown, string][] = [
    ["x".repeat(Wire.MaxDatagram + 1), "size"],
    [42, "size"],
    ["", "malformed"],
    ["S1|A|spore|esp_000001|80", "version"],
    ["S2|A", "malformed"],
    [good.replace("|spore|", "|other|"), "cluster"],
    [good + "x", "check"],
    [encode("wrong", "spore", "P|a1b2c3|1|2s|5|9ix", "", "", hash), "check"],
    [make("", "", "Z|a1b2c3|1|2s|5|9ix"), "malformed"],
    [make("", "", "P|A1B2C3|1|2s|5|9ix"), "malformed"],
    [make("", "", "P|a1b2c3|-1|2s|5|9ix"), "malformed"],
    [make("", "", "P|a1b2c3|01|2s|5|9ix"), "malformed"],
    [make("", "", "P|a1b2c3|1|zzzzz|5|9ix"), "malformed"],
    [make("aa1b2c4/0/10.0.0.300/1"), "malformed"],
    [make("aa1b2c4/0/10.0.0.7"), "malformed"],
    [make("xa1b2c4/0/1"), "malformed"],
    [make("sa1b2c4/0"), "malformed"],
    [make("aa1b2c4/0/10.0.0.7/1,,"), "malformed"],
  ];
  for (const [data, reason] of cases) assert.is(decode(data as string, "k3y", "spore", hash), reason, JSON.stringify(data));
});

wire("numbers and ids are checked strictly", () => {
  assert.is(n36("zz"), 1295);
  assert.is(n36("1z141z3"), 4294967295);
  for (const bad of ["", "Z", " 1", "1.5", "-1", "0z", "12345678"]) assert.is(n36(bad), -1, bad);
  assert.ok(isId("a1b2c3"));
  for (const bad of ["a1b2c", "a1b2c3d", "A1B2C3", "a1b2cg", "a1-2c3"]) assert.not.ok(isId(bad), bad);
});

wire.run();
