import { suite } from "uvu";
import * as assert from "uvu/assert";
import { decode, encode, MAX_DATAGRAM, MSG_ANNOUNCE, MSG_HELLO } from "../../device/core/wire.ts";
import { Rng } from "../../host-tools/emulator/rng.ts";

const wire = suite("wire format");
const hello = { type: MSG_HELLO, cluster: "spore", sender: "esp_a1b2c3", httpPort: 80 };

wire("a message survives encode and decode", () => {
  assert.equal(decode(encode(hello), "spore"), hello);
  assert.equal(decode(encode({ ...hello, type: MSG_ANNOUNCE }), "spore"), { ...hello, type: MSG_ANNOUNCE });
});

wire("every datagram carries the wire version", () => {
  assert.ok(encode(hello).startsWith("S1|"), encode(hello));
});

wire("datagrams from another cluster are dropped as foreign", () => {
  assert.is(decode(encode(hello), "other"), "cluster");
});

wire("oversized, other-version and malformed datagrams are dropped with their reason", () => {
  assert.is(decode("S1|H|spore|esp_a1b2c3|80" + " ".repeat(MAX_DATAGRAM), "spore"), "size");
  assert.is(decode("S9|H|spore|esp_a1b2c3|80", "spore"), "version");
  const malformed = ["", "hello", "S1|X|spore|esp_a1b2c3|80", "S1|H|spore|esp_zzzzzz|80", "S1|H|spore|esp_a1b2c3|0", "S1|H|spore|esp_a1b2c3|80x", "S1|H|spore|esp_a1b2c3", "S1|H|spore|esp_a1b2c3|80|extra"];
  for (const m of malformed) assert.is(decode(m, "spore"), "malformed", JSON.stringify(m));
});

wire("an encoder asked for a datagram over the limit refuses", () => {
  assert.throws(() => encode({ ...hello, cluster: "c".repeat(MAX_DATAGRAM) }), /268 bytes/);
});

wire("random bytes never throw and never decode (seeded)", () => {
  const seed = 4210;
  const rng = new Rng(seed);
  for (let i = 0; i < 2000; i++) {
    const len = rng.int(300);
    let s = i % 2 ? "S1|" : "";
    for (let j = 0; j < len; j++) s += String.fromCharCode(rng.int(256));
    const r = decode(s, "spore");
    assert.type(r, "string", `seed ${seed}, case ${i}: ${JSON.stringify(s)}`);
  }
});

wire.run();
