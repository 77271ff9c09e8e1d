import * as assert from "uvu/assert";
import { decode, encode, isId, n36, news, update, Wire, type Message } from "../../device/core/wire.ts";
import { useSecret } from "../../host-tools/lib/mac.ts";
import { suite } from "../suite.ts";

const { test: wire } = suite("wire format");
const IP = "10.0.0.9";
/** A datagram signed with the secret "k3y" (or another), from IP. */
const make = (ups = "", arg = "", head = "P|a1b2c3|1|2s|5|9ix", secret = "k3y") => {
  useSecret(secret);
  const d = encode("spore", head + "|" + IP, ups, arg);
  useSecret("k3y");
  return d;
};
const check = (d: unknown, from = IP) => decode(d as string, "spore", from);

wire("a datagram round-trips: header numbers in base 36, updates, an argument with bars", () => {
  const d = make("aa1b2c4/0/10.0.0.7/1z,sa1b2c5/3/c", "x|y");
  assert.ok(d.startsWith("S3|"));
  const m = check(d) as Message;
  assert.equal([m.type_, m.id_, m.incarnation_, m.seq_, m.details_, m.heap_, m.arg_], ["P", "a1b2c3", 1, 100, 5, 12345, "x|y"]);
  assert.equal(m.updates_, "aa1b2c4/0/10.0.0.7/1z,sa1b2c5/3/c");
  assert.equal(news(m.updates_), ["aa1b2c4/0/10.0.0.7/1z", "sa1b2c5/3/c"]);
  assert.equal(news(""), []);
  assert.equal(news(m.updates_).map(update), [
    // (health_: the health capability's field, none in this update)
    { kind_: "a", id_: "a1b2c4", incarnation_: 0, ip_: "10.0.0.7", age_: 0, details_: 71, health_: -1 },
    // (conf_: the lifeguard capability's tags, none in this update)
    { kind_: "s", id_: "a1b2c5", incarnation_: 3, ip_: "c", age_: 12, details_: 0, conf_: "" },
  ]);
  // a suspicion with the lifeguard capability's tags and tenths; bad ones are ignored, the suspicion kept
  assert.equal([update("sa1b2c5/3/c/0aa0bb/7")!.conf_, update("sa1b2c5/3/c/0aa0bb/7")!.age_], ["0aa0bb", 12.7]);
  for (const bad of ["sa1b2c5/3/c/0aa0b/7", "sa1b2c5/3/c/XYZ/7", "sa1b2c5/3/c/0aa0bb0cc0dd0ee/7"]) assert.is(update(bad)!.conf_, "", bad);
  assert.is(update("sa1b2c5/3/c/0aa/x")!.age_, 12, "tenths that are not a digit: whole seconds");
});

wire("bad datagrams give a reason, never an exception", () => {
  const good = make();
  const cases: [unknown, string][] = [
    ["x".repeat(Wire.MaxDatagram + 1), "size"],
    [42, "size"],
    ["", "malformed"],
    ["S1|A|spore|esp_000001|80", "version"],
    ["S2|A", "version"],
    ["S3|A", "malformed"],
    [good.replace("|spore|", "|other|"), "cluster"],
    [good + "x", "check"],
    [good + "\0\0", "check"],
    [good.replace("|9ix|", "|9iy|"), "check"],
    [good.replace(/^S3\|[^|]*/, "S3|0.0"), "check"],
    [make("", "", "P|a1b2c3|1|2s|5|9ix", "wrong"), "check"],
    // a short tag leaves room for a body longer than the MAC's arrays cover
    ["S3|0.0|" + (good.substr(good.indexOf("|spore|") + 1) + "x".repeat(Wire.MaxBody)).substr(0, Wire.MaxBody + 5), "check"],
    [make("", "", "Z|a1b2c3|1|2s|5|9ix"), "malformed"],
    [make("", "", "P|A1B2C3|1|2s|5|9ix"), "malformed"],
    [make("", "", "P|a1b2c3|-1|2s|5|9ix"), "malformed"],
    [make("", "", "P|a1b2c3|01|2s|5|9ix"), "malformed"],
    [make("", "", "P|a1b2c3|1|zzzzz|5|9ix"), "malformed"],
  ];
  for (const [data, reason] of cases) assert.is(check(data), reason, JSON.stringify(data));
});

wire("a malformed update is refused by update(), one at a time as the receiver reads them, not by decode() (which would hold them all at once)", () => {
  for (const bad of ["aa1b2c4/0/10.0.0.300/1", "aa1b2c4/0/10.0.0.7", "xa1b2c4/0/1", "sa1b2c4/0", "sA1B2C4/0/1", "aa1b2c4/01/10.0.0.7/1", ""]) {
    const m = check(make("sa1b2c5/3/c," + bad)) as Message;
    assert.type(m, "object", bad);
    assert.equal(news(m.updates_).map((u) => !!update(u)), [true, false], bad);
  }
});

wire("a genuine datagram from any address but its sender's is dropped before its MAC is computed", () => {
  assert.is(check(make(), "10.0.0.66"), "address");
  assert.ok(typeof check(make()) === "object");
});

wire("the tag depends on every byte and the secret", () => {
  const tags = new Set<string>();
  const body = (d: string) => d.split("|")[1];
  for (const arg of ["", "a", "b", "ab", "ba", "aa\0", "a\0a"]) tags.add(body(make("", arg)));
  tags.add(body(make("", "", "P|a1b2c3|1|2t|5|9ix")));
  tags.add(body(make("", "", "P|a1b2c3|2|2s|5|9ix")));
  tags.add(body(make("", "", "P|a1b2c3|1|2s|5|9ix", "k3z")));
  assert.is(tags.size, 10);
  for (const t of tags) assert.match(t, /^[0-9a-z]{1,7}\.[0-9a-z]{1,7}$/);
});

wire("the longest datagram a node sends keeps its body within what the MAC covers", () => {
  // Framing counts the longest tag: a body is at most MaxDatagram - Framing + the 4 bars of the body
  assert.ok(Wire.MaxDatagram - "S3|".length - 15 - 1 <= Wire.MaxBody);
});

wire("numbers and ids are checked strictly", () => {
  assert.is(n36("zz"), 1295);
  assert.is(n36("1z141z3"), 4294967295);
  for (const bad of ["", "Z", " 1", "1.5", "-1", "0z", "12345678"]) assert.is(n36(bad), -1, bad);
  assert.ok(isId("a1b2c3"));
  for (const bad of ["a1b2c", "a1b2c3d", "A1B2C3", "a1b2cg", "a1-2c3"]) assert.not.ok(isId(bad), bad);
});

wire.run();
