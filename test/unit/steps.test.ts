// The jobs capability's step kinds (device/core/steps.ts), each run on the
// pure core through its real entry points (a deployed job, its trigger, the
// event queue) with fake pins, MQTT and Storage and a virtual clock
// (steps-helpers.ts): the values each step yields and saves, what it does to
// the ports and the KV store, and its errors with their place in the job.
// Control flow, triggers, concurrency and the queue: steps-flow.test.ts.
import * as assert from "uvu/assert";
import { enqueue, fire } from "../../device/core/events.ts";
import { kv } from "../../device/core/kv.ts";
import { suite } from "../suite.ts";
import { boot, deploy, finish, fs, job, jobLog, kvStats, levels, listen, on, pins, pubs, record, runFor, STARTUP } from "./steps-helpers.ts";

/** A key's value (KvOp.Get). */
const kvGet = (key: string): unknown => kv(1, key);

const { test } = suite("job steps: each kind");
test.before.each(() => boot());
test.after.each(finish);

test("pin.read: the pull goes to the pin port (op 0); the level is saved as 1 or 0", () => {
  levels.D5 = 1;
  levels["4"] = 0;
  levels.D6 = 7;
  deploy([job("pr", STARTUP, [
    { "pin.read": { pin: "D5", pull: "up", save_as: "a" } },
    { "pin.read": { pin: 4, pull: "down", save_as: "b" } },
    { "pin.read": { pin: "D6", save_as: "c" } },
    { "kv.put": { key: "pr", value: { a: "${a}", b: "${b}", c: "${c}" } } },
  ])]);
  assert.is(kvGet("pr"), undefined, "a startup job runs from the idle loop, not inside the deploy");
  runFor(0);
  assert.equal(pins, [[0, "D5", "up"], [0, 4, "down"], [0, "D6", undefined]]);
  assert.equal(kvGet("pr"), { a: 1, b: 0, c: 1 });
});

test("pin.write: 1 0 true false on off '1' '0' and a template write 1 or 0 (op 1); any other value is an error with its place", () => {
  deploy([
    job("pw", STARTUP, [{ "kv.get": { key: "pw-none", default: "off", save_as: "v" } }, ...[1, 0, true, false, "on", "off", "1", "0", "${v}"].map((value) => ({ "pin.write": { pin: "D1", value } }))]),
    job("pwbad", on("pw/bad"), [{ "pin.write": { pin: "D2", value: "${event.data}" } }]),
  ]);
  runFor(0);
  assert.equal(pins, [1, 0, 1, 0, 1, 0, 1, 0, 0].map((level) => [1, "D1", level]));
  fire("pw/bad", "high");
  runFor(0);
  assert.is(record("pwbad").lastError, 'steps[0].pin.write: value: 0, 1, true, false, on or off, got "high"');
  fire("pw/bad", 2);
  runFor(0);
  assert.is(record("pwbad").lastError, "steps[0].pin.write: value: 0, 1, true, false, on or off, got 2");
  assert.is(record("pwbad").errors, 2);
  assert.is(pins.filter((p) => p[1] === "D2").length, 0, "nothing written to D2");
});

test("adc.read: the port's analog level (op 2) is saved", () => {
  levels.A0 = 0.25;
  deploy([job("adc", STARTUP, [{ "adc.read": { pin: "A0", save_as: "lvl" } }, { "kv.put": { key: "adc", value: "${lvl}" } }])]);
  runFor(0);
  assert.equal(pins, [[2, "A0"]]);
  assert.is(kvGet("adc"), 0.25);
});

test("mqtt.publish: text payload, json, qos, retain and a templated topic; a wildcard topic is an error with its place", () => {
  deploy([job("mp", STARTUP, [
    { "kv.get": { key: "mp-none", default: 21.5, save_as: "t" } },
    { "mqtt.publish": { topic: "spore/${node.hostname}/t", payload: "t=${t}" } },
    { "mqtt.publish": { topic: "a/b", json: { v: "${t}", s: "x", l: [1, "${t}"] }, qos: 1, retain: true } },
    { "mqtt.publish": { topic: "a/c", payload: "${t}", qos: 0, retain: false } },
    { "mqtt.publish": { topic: "a/#", payload: "x" } },
    { "mqtt.publish": { topic: "a/d", payload: "never" } },
  ])]);
  runFor(0);
  assert.equal(pubs, [
    ["spore/esp_a1b2c3/t", "t=21.5", 0, false],
    ["a/b", '{"v":21.5,"s":"x","l":[1,21.5]}', 1, true],
    ["a/c", "21.5", 0, false],
  ]);
  assert.is(record("mp").lastError, "steps[4].mqtt.publish: topic: no wildcards, not empty");
});

test("mqtt.publish: a payload that is one ${path} of an object goes as its JSON (as in a text template), not [object Object]", () => {
  deploy([job("mpo", STARTUP, [{ "kv.get": { key: "mpo-none", default: { a: 1 }, save_as: "o" } }, { "mqtt.publish": { topic: "a/o", payload: "${o}" } }])]);
  runFor(0);
  assert.equal(pubs, [["a/o", '{"a":1}', 0, false]]);
});

test("kv.get: the value, else the default, else null; save_as", () => {
  deploy([job("kg", STARTUP, [
    { "kv.get": { key: "kg-miss", default: { d: 1 }, save_as: "a" } },
    { "kv.get": { key: "kg-miss", save_as: "b" } },
    { "kv.put": { key: "kg-have", value: [1, 2] } },
    { "kv.get": { key: "kg-have", default: 0, save_as: "c" } },
    { "kv.put": { key: "kg-out", value: { a: "${a}", b: "${b}", c: "${c}" } } },
  ])]);
  runFor(0);
  assert.equal(kvGet("kg-out"), { a: { d: 1 }, b: null, c: [1, 2] });
  assert.is(kvGet("kg-miss"), undefined, "a default is not stored");
});

test("kv.put: ttl_s expires on the virtual clock to the ms; a bad ttl is an error", () => {
  deploy([job("kt", STARTUP, [
    { "kv.put": { key: "kt", value: "x", ttl_s: 2 } },
    { "kv.put": { key: "kt1", value: "y", ttl_s: 1 } },
    { "kv.put": { key: "kt-bad", value: 1, ttl_s: 0.5 } },
  ])]);
  runFor(0);
  assert.is(record("kt").lastError, "steps[2].kv.put: kv: bad ttl");
  runFor(999);
  assert.equal([kvGet("kt1"), kvGet("kt")], ["y", "x"], "1 ms before kt1's expiry");
  runFor(1);
  assert.equal([kvGet("kt1"), kvGet("kt")], [undefined, "x"], "at 1 s");
  runFor(999);
  assert.is(kvGet("kt"), "x", "1 ms before kt's expiry");
  runFor(1);
  assert.is(kvGet("kt"), undefined, "at 2 s");
  assert.equal([kvStats().keys, kvStats().expired], [0, 2]);
});

test("kv.put durable: written to Storage by the jobs task's tick once config.kvf seconds have passed, not before", () => {
  boot({ kvf: 5 });
  deploy([job("kd", STARTUP, [{ "kv.put": { key: "kd", value: { n: 1 }, durable: true } }, { "kv.put": { key: "kd-ram", value: 2 } }])]);
  runFor(0);
  assert.is(kvGet("kd-ram"), 2);
  runFor(4999);
  assert.is(fs.read("spore.v1"), undefined, "not before 5 s");
  assert.is(kvStats().flushes, 0);
  runFor(1);
  assert.equal(fs.readJSON("spore.v1", false), { g: 1, d: ["kd", { n: 1 }, 0] }, "the durable key only");
  assert.is(kvStats().flushes, 1);
});

test("kv.incr: by 1 by default, by any number, save_as the sum; a key that is no number, or a by that is none, is an error", () => {
  deploy([
    job("ki", STARTUP, [
      { "kv.incr": { key: "ki", save_as: "a" } },
      { "kv.incr": { key: "ki", by: 5, save_as: "b" } },
      { "kv.incr": { key: "ki", by: -2.5, save_as: "c" } },
      { "kv.put": { key: "ki-out", value: ["${a}", "${b}", "${c}"] } },
      { "kv.put": { key: "ki-s", value: "abc" } },
      { "kv.incr": { key: "ki-s" } },
    ]),
    job("kiby", on("ki/by"), [{ "kv.incr": { key: "ki-by", by: "${event.data}" } }]),
  ]);
  runFor(0);
  assert.equal(kvGet("ki-out"), [1, 6, 3.5]);
  assert.is(kvGet("ki"), 3.5);
  assert.is(record("ki").lastError, "steps[5].kv.incr: kv: ki-s is not a number");
  // numeric text counts as its number (an MQTT payload is text); other text is no number
  fire("ki/by", "2");
  runFor(0);
  assert.is(kvGet("ki-by"), 2);
  // in decimal, as on the chip whatever its own + makes of the text (Espruino 2v29: +"010" is 8, +" 7 " NaN)
  fire("ki/by", "010");
  runFor(0);
  fire("ki/by", " 7 ");
  runFor(0);
  assert.is(kvGet("ki-by"), 19);
  for (const bad of ["two", "0x10"]) {
    fire("ki/by", bad);
    runFor(0);
    assert.is(record("kiby").lastError, "steps[0].kv.incr: kv: bad value", bad);
  }
  assert.is(kvGet("ki-by"), 19);
});

test("kv.del: the key is gone; deleting a missing key is no error", () => {
  deploy([job("kdel", STARTUP, [
    { "kv.put": { key: "kd1", value: 1 } },
    { "kv.del": { key: "kd1" } },
    { "kv.get": { key: "kd1", default: "gone", save_as: "g" } },
    { "kv.put": { key: "kd-out", value: "${g}" } },
    { "kv.del": { key: "never" } },
  ])]);
  runFor(0);
  assert.is(kvGet("kd-out"), "gone");
  assert.equal([record("kdel").runs, record("kdel").errors], [1, 0]);
});

test("event.fire: a local event reaches its listeners and the jobs it triggers (by scope); a bad name is an error", () => {
  const ping = listen("ef/ping");
  const bare = listen("ef/bare");
  deploy([
    job("ef", STARTUP, [
      { "event.fire": { name: "ef/ping", data: { x: 7 } } },
      { "event.fire": { name: "ef/bare" } },
      { "kv.get": { key: "ef-none", default: "a b", save_as: "bad" } },
      { "event.fire": { name: "${bad}" } },
    ]),
    job("efl", on("ef/*", "local"), [{ "kv.incr": { key: "efl-n" } }, { "kv.put": { key: "efl-last", value: { n: "${event.name}", d: "${event.data}", o: "${event.origin}" } } }]),
    job("efc", on("ef/ping", "cluster"), [{ "kv.put": { key: "efc", value: "${event.origin}" } }]),
  ]);
  runFor(0);
  assert.equal(ping, [[{ x: 7 }, "esp_a1b2c3"]]);
  assert.equal(bare, [[null, "esp_a1b2c3"]]);
  assert.is(record("ef").lastError, 'steps[3].event.fire: bad event name "a b"');
  assert.is(kvGet("efl-n"), 2, "both events, the second run kept pending while the first ran");
  assert.equal(kvGet("efl-last"), { n: "ef/bare", d: null, o: "esp_a1b2c3" });
  assert.is(kvGet("efc"), undefined, "a cluster-scoped job takes no local event");
  fire("ef/ping", { x: 8 }, "esp_ffffff");
  runFor(0);
  assert.is(kvGet("efc"), "esp_ffffff", "it takes another node's");
  assert.is(kvGet("efl-n"), 2, "a local-scoped job does not");
});

test("event.publish: with no member to send to it still fires here (listeners, jobs); a bad name is an error", () => {
  const hi = listen("ep/hi");
  deploy([
    job("ep", STARTUP, [{ "event.publish": { name: "ep/hi", data: { n: "${node.id}" } } }, { "kv.get": { key: "ep-none", default: "a b", save_as: "bad" } }, { "event.publish": { name: "${bad}" } }]),
    job("epl", on("ep/*", "local"), [{ "kv.put": { key: "epl", value: "${event.data.n}" } }]),
  ]);
  runFor(0);
  assert.equal(hi, [[{ n: "a1b2c3" }, "esp_a1b2c3"]]);
  assert.is(kvGet("epl"), "a1b2c3");
  assert.is(record("ep").lastError, "steps[2].event.publish: bad event name");
});

test("parse: json; crc16 and crc32 suffixes over hex (crc32 through ports.hash_); a mismatch is an error with the step's place", () => {
  const digits = "313233343536373839"; // "123456789": CRC-16/CCITT-FALSE 29b1, CRC-32 cbf43926
  deploy([job("pa", STARTUP, [
    { parse: { value: '{"a":[1,2],"b":"x"}', codec: "json", save_as: "j" } },
    { parse: { value: digits + "29b1", codec: "crc16", encoding: "hex", save_as: "c" } },
    { parse: { value: digits + "cbf43926", codec: "crc32", encoding: "hex", save_as: "c32" } },
    { "kv.put": { key: "pa", value: ["${j.a.1}", "${j.b}", "${c}", "${c32}"] } },
    { parse: { value: digits + "29b2", codec: "crc16", encoding: "hex", save_as: "bad" } },
  ])]);
  runFor(0);
  assert.equal(kvGet("pa"), [2, "x", "123456789", "123456789"]);
  assert.is(record("pa").lastError, "steps[4].parse: crc16 mismatch");
});

test("log: text with templates, a value or an object as JSON, each line after the job's name", () => {
  deploy([job("lg", STARTUP, [
    { "kv.get": { key: "lg-none", default: { a: 1, b: [2] }, save_as: "o" } },
    { log: { message: "hello ${node.hostname} ${o}" } },
    { log: { message: "${o}" } },
    { log: { message: { k: "${o.b.0}", s: "t" } } },
    { log: { message: 42 } },
  ])]);
  runFor(0);
  assert.equal(jobLog("lg"), ['hello esp_a1b2c3 {"a":1,"b":[2]}', '{"a":1,"b":[2]}', '{"k":2,"s":"t"}', "42"]);
});

// (a call that reaches a provider needs membership: the services tests and test/cluster cover it)
test("call: with no provider the run gets the error, from the idle loop (to a try's catch, or ending the run)", () => {
  deploy([job("cl", STARTUP, [
    { try: { steps: [{ call: { service: "nosvc", args: { a: 1 }, save_as: "r" } }], catch: [{ "kv.put": { key: "cl-err", value: "${error}" } }] } },
    { call: { service: "nosvc2" } },
    { "kv.put": { key: "cl-after", value: 1 } },
  ])]);
  runFor(0);
  assert.is(kvGet("cl-err"), "steps[0].try.steps[0].call: no provider for nosvc");
  assert.is(record("cl").lastError, "steps[1].call: no provider for nosvc2");
  assert.is(kvGet("cl-after"), undefined);
});

test("save_as chains across steps; templates from the trigger's values (event, mqtt, node); a missing value is an error", () => {
  levels.D2 = 1;
  deploy([
    job("ch", on("ch/go"), [
      { "kv.incr": { key: "ch-n", by: "${event.data.by}", save_as: "n" } },
      { parse: { value: '{"m":${n}}', codec: "json", save_as: "p" } },
      { "kv.put": { key: "ch-out", value: { m: "${p.m}", host: "${node.hostname}", up: "${node.uptime}", free: "${node.free}" } } },
    ]),
    job("mq", { type: "mqtt", topic: "spore/${node.hostname}/cmd/+" }, [
      { "pin.write": { pin: "D2", value: "${mqtt.payload}" } },
      { "pin.read": { pin: "D2", save_as: "s" } },
      { "mqtt.publish": { topic: "${mqtt.topic}/state", payload: "${s}", retain: true } },
    ]),
  ]);
  runFor(2500);
  fire("ch/go", { by: 3 });
  runFor(0);
  assert.equal(kvGet("ch-out"), { m: 3, host: "esp_a1b2c3", up: 2, free: 5000 });
  fire("ch/go", {});
  runFor(0);
  assert.is(record("ch").lastError, "steps[0].kv.incr: no value for ${event.data.by}");
  enqueue("m", "spore/other/cmd/relay", "off", "");
  enqueue("m", "spore/esp_a1b2c3/cmd/relay/x", "off", "");
  enqueue("m", "spore/esp_a1b2c3/cmd/relay", "on", "");
  runFor(0);
  assert.equal(pins, [[1, "D2", 1], [0, "D2", undefined]], "only the matching topic ran the job");
  assert.equal(pubs, [["spore/esp_a1b2c3/cmd/relay/state", "1", 0, true]]);
});

test.run();
