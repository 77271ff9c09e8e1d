// Jobs defined as data (issue 20) on emulated nodes running the real
// bundles: triggers (startup, interval, event, MQTT, pin, call) start runs
// whose steps act on pins, the KV store, events, MQTT and services; a set is
// deployed over HTTP, checked on the node, kept in Storage. Bad input, the
// queue under bursts and memory: jobs-input.test.ts.
import * as assert from "uvu/assert";
import { lanBroker, runAsync } from "../../host-tools/emulator/broker.ts";
import { Cluster } from "../../host-tools/emulator/cluster.ts";
import { api, hostnameOf, waitConverged } from "./helpers.ts";
import { deployed, job, kv, listing } from "./jobs-helpers.ts";
import { suite } from "../suite.ts";

const { test, seed } = suite("jobs", { seed: 2002 });
const BROKER = "10.42.0.250";

test("an interval job publishes to a real broker, every period, with values from the node and earlier steps", async () => {
  const c = new Cluster({ seed, boards: [], config: { mq: { host: BROKER, period: 30 } } });
  const broker = await lanBroker(c, BROKER);
  const d = c.addNode("esp32");
  try {
    await runAsync(c, 5000);
    d.pins.setAnalog("A0", 0.25);
    deployed(c, d, [
      {
        name: "level",
        trigger: { type: "interval", every_ms: 2000 },
        steps: [{ "adc.read": { pin: "A0", save_as: "v" } }, { "kv.incr": { key: "n", save_as: "n" } }, { "mqtt.publish": { topic: "site/${node.hostname}/level", json: { v: "${v}", n: "${n}" }, qos: 1 } }],
      },
    ]);
    await runAsync(c, 10100);
    const got = broker.seen.filter((m) => m.topic === `site/${hostnameOf(d)}/level`);
    assert.equal(
      got.map((m) => JSON.parse(m.payload)),
      [1, 2, 3, 4, 5].map((n) => ({ v: 0.25, n })),
      `seed ${seed}: one message every 2 s`,
    );
    assert.ok(got.every((m) => m.qos === 1));
    const j = job(c, d, "level");
    assert.equal([j.runs, j.errors, j.lastError], [5, 0, null]);
  } finally {
    await broker.close();
  }
});

test("an MQTT command job switches a relay pin and counts the commands it took", async () => {
  const c = new Cluster({ seed, boards: [], config: { mq: { host: BROKER, period: 30 } } });
  const broker = await lanBroker(c, BROKER);
  const d = c.addNode("esp32");
  try {
    await runAsync(c, 5000);
    deployed(c, d, [
      {
        name: "relay",
        trigger: { type: "mqtt", topic: "home/${node.hostname}/relay/+" },
        steps: [
          { if: { cond: "${mqtt.payload} == 'on' || ${mqtt.payload} == 1", then: [{ "pin.write": { pin: "D4", value: 1 } }], else: [{ "pin.write": { pin: "D4", value: 0 } }] } },
          { "kv.incr": { key: "switches", durable: true } },
          { "mqtt.publish": { topic: "${mqtt.topic}/state", payload: "${mqtt.payload}", retain: true } },
        ],
      },
    ]);
    await runAsync(c, 1000);
    for (const p of ["on", "off", "1"]) {
      broker.aedes.publish({ cmd: "publish", topic: `home/${hostnameOf(d)}/relay/a`, payload: Buffer.from(p), qos: 1, retain: false, dup: false }, () => {});
      await runAsync(c, 500);
    }
    assert.equal(
      d.pins.writes.map((w) => [w[0], w[1]]),
      [["D4", 1], ["D4", 0], ["D4", 1]],
      `seed ${seed}`,
    );
    assert.is(kv(c, d, "switches"), 3);
    assert.equal(
      broker.seen.filter((m) => m.topic.endsWith("/relay/a/state")).map((m) => [m.payload, m.retain]),
      [["on", true], ["off", true], ["1", true]],
    );
    // a topic the filter does not match starts nothing
    broker.aedes.publish({ cmd: "publish", topic: `home/${hostnameOf(d)}/other/a`, payload: Buffer.from("on"), qos: 0, retain: false, dup: false }, () => {});
    await runAsync(c, 500);
    assert.is(job(c, d, "relay").runs, 3);
    // a set without that trigger: its topic is unsubscribed (its messages would keep coming), the new one subscribed
    const unsub: string[] = [];
    const sub: string[] = [];
    broker.aedes.on("unsubscribe", (topics) => unsub.push(...topics));
    broker.aedes.on("subscribe", (subs) => sub.push(...subs.map((x) => x.topic)));
    deployed(c, d, [{ name: "other", trigger: { type: "mqtt", topic: "home/all/+" }, steps: [{ log: { message: "${mqtt.payload}" } }] }]);
    await runAsync(c, 1000);
    assert.equal([unsub, sub], [[`home/${hostnameOf(d)}/relay/+`], ["home/all/+"]], `seed ${seed}`);
  } finally {
    await broker.close();
  }
});

test("the spool: what a job publishes while the broker is away waits in Storage, through a restart, and goes in order once it is back", async () => {
  const c = new Cluster({ seed, boards: [], config: { mq: { host: BROKER, period: 30 }, kvf: 1 } });
  const broker = await lanBroker(c, BROKER);
  const d = c.addNode("esp32");
  const topic = () => broker.seen.filter((m) => m.topic === "site/count").map((m) => Number(m.payload));
  try {
    await runAsync(c, 5000);
    deployed(c, d, [{ name: "count", trigger: { type: "interval", every_ms: 2000 }, steps: [{ "kv.incr": { key: "n", durable: true, save_as: "n" } }, { "mqtt.publish": { topic: "site/count", payload: "${n}", qos: 1 } }] }]);
    await runAsync(c, 6500);
    assert.equal(topic(), [1, 2, 3], `seed ${seed}`);
    await broker.close();
    broker.dropClients();
    await runAsync(c, 6500);
    const status = () => api<{ spool: { pending: number; bytes: number; dropped: number } }>(c, d, "/api/node/status", "node-status").spool;
    assert.equal(status(), { pending: 3, bytes: status().bytes, dropped: 0 }, "three waiting in Storage");
    d.reboot();
    await runAsync(c, 7000);
    assert.is(status().pending, 5, "kept through the restart, two more since");
    await broker.restart();
    await runAsync(c, 40000);
    const got = topic();
    assert.equal(got, Array.from({ length: got.length }, (_, i) => i + 1), `in order, none lost or repeated (seed ${seed}): ${got.join(",")}`);
    assert.ok(got.length >= 20, `and publishing goes on: ${got.length}`);
    assert.is(status().pending, 0);
  } finally {
    await broker.close();
  }
});

test("what a job publishes while the spool drains waits behind it: nothing published live overtakes a spooled message", async () => {
  const c = new Cluster({ seed, boards: [], config: { mq: { host: BROKER, period: 30 } } });
  const broker = await lanBroker(c, BROKER);
  const d = c.addNode("esp32");
  const topic = () => broker.seen.filter((m) => m.topic === "site/fast").map((m) => Number(m.payload));
  try {
    await runAsync(c, 5000);
    deployed(c, d, [{ name: "fast", trigger: { type: "interval", every_ms: 100 }, steps: [{ "kv.incr": { key: "n", save_as: "n" } }, ...[0, 1, 2, 3, 4].map((k) => ({ "mqtt.publish": { topic: "site/fast", payload: "${n}" + k } }))] }]);
    await runAsync(c, 1000);
    await broker.close();
    broker.dropClients();
    await runAsync(c, 1000);
    const pending = api<{ spool: { pending: number } }>(c, d, "/api/node/status", "node-status").spool.pending;
    assert.ok(pending >= 20, `spooled while away: ${pending}`);
    await broker.restart();
    await runAsync(c, 20000);
    const got = topic();
    const out = got.filter((n, i) => i && n <= got[i - 1]);
    assert.equal(out, [], `in order (seed ${seed}): ${got.join(",")}`);
    assert.ok(got.length > 800, `publishing goes on: ${got.length}`);
  } finally {
    await broker.close();
  }
});

test("a cluster event job runs on every node that has it, once per event", () => {
  const c = new Cluster({ seed, boards: ["esp32", "esp32", "esp32", "esp32"] });
  waitConverged(c, 90000, seed);
  for (const d of c.devices)
    deployed(c, d, [{ name: "count", trigger: { type: "event", name: "alarm/*", scope: "cluster" }, steps: [{ "kv.incr": { key: "alarms" } }, { "kv.put": { key: "from", value: "${event.origin}" } }] }]);
  const [origin] = c.devices;
  for (let i = 0; i < 3; i++) {
    assert.is(c.http(origin, "POST", "/api/events", { body: `name=alarm/fire&data=${i}&scope=cluster`, auth: true }).status, 200);
    c.runFor(1000);
  }
  // scope "cluster": the origin's own event does not run it there
  assert.is(kv(c, origin, "alarms"), undefined);
  for (const d of c.devices.slice(1)) {
    assert.is(kv(c, d, "alarms"), 3, `${d.ip}, seed ${seed}`);
    assert.is(kv(c, d, "from"), hostnameOf(origin));
  }
});

test("a pin job sees debounced edges; a serial job coalesces triggers that come while it runs", () => {
  const c = new Cluster({ seed, boards: ["esp32"] });
  c.runFor(5000);
  const [d] = c.devices;
  deployed(c, d, [
    {
      name: "button",
      trigger: { type: "pin", pin: "D5", edge: "rising", debounce_ms: 50, pull: "up" },
      steps: [{ "kv.incr": { key: "presses" } }, { wait: { ms: 1000 } }],
    },
  ]);
  c.runFor(100);
  // a bouncing press: three edges within 30 ms are one rising edge
  for (const level of [1, 0, 1]) {
    d.pins.set("D5", level);
    c.runFor(10);
  }
  c.runFor(200);
  assert.is(kv(c, d, "presses"), 1, `seed ${seed}`);
  // three clean presses while the first run waits: one run pending, the other two coalesced into it
  for (let i = 0; i < 3; i++) {
    d.pins.set("D5", 0);
    c.runFor(100);
    d.pins.set("D5", 1);
    c.runFor(100);
  }
  c.runFor(3000);
  const j = job(c, d, "button");
  assert.equal([kv(c, d, "presses"), j.runs, j.skipped], [2, 2, 2]);
});

test("try/catch takes a step's error with its place; an error outside a try ends the run, counted and reported", () => {
  const c = new Cluster({ seed, boards: ["esp32"] });
  c.runFor(5000);
  const [d] = c.devices;
  deployed(c, d, [
    {
      name: "safe",
      trigger: { type: "startup" },
      steps: [{ try: { steps: [{ "kv.put": { key: "a", value: 1 } }, { parse: { value: "{bad", codec: "json" } }, { "kv.put": { key: "never", value: 1 } }], catch: [{ "kv.put": { key: "err", value: "${error}" } }] } }, { "kv.put": { key: "after", value: true } }],
    },
    { name: "fails", trigger: { type: "startup" }, steps: [{ "kv.put": { key: "b", value: "${nothing.here}" } }] },
  ]);
  c.runFor(500);
  assert.equal([kv(c, d, "a"), kv(c, d, "never"), kv(c, d, "after")], [1, undefined, true]);
  assert.match(String(kv(c, d, "err")), /^steps\[0\]\.try\.steps\[1\]\.parse: json: /);
  const f = job(c, d, "fails");
  assert.equal([f.runs, f.errors, f.lastError], [1, 1, "steps[0].kv.put: no value for ${nothing.here}"]);
  const events = JSON.parse(c.http(d, "GET", "/api/events").body).events as { name: string; data: { job: string } }[];
  assert.ok(events.some((e) => e.name === "job/error" && e.data.job === "fails"), "a job/error event");
});

test("jobs that take each other's errors do not trigger each other for ever", () => {
  const c = new Cluster({ seed, boards: ["esp32"] });
  c.runFor(5000);
  const [d] = c.devices;
  const failing = (name: string) => ({ name, trigger: { type: "event", name: "job/error" }, steps: [{ "kv.incr": { key: name } }, { "kv.put": { key: "x", value: "${nothing}" } }] });
  deployed(c, d, [failing("a"), failing("b"), { name: "first", trigger: { type: "startup" }, steps: [{ "kv.put": { key: "y", value: "${nothing}" } }] }]);
  c.runFor(5000);
  // first fails: a and b run once each (their own errors are silent), and that is all
  assert.equal([kv(c, d, "a"), kv(c, d, "b")], [1, 1], `seed ${seed}`);
  assert.equal([job(c, d, "a").errors, job(c, d, "b").errors], [1, 1]);
});

test("a job that is a service: a call runs it and gets its result; the set survives a restart", () => {
  const c = new Cluster({ seed, boards: ["esp32", "esp32"] });
  waitConverged(c, 90000, seed);
  const [provider, caller] = c.devices;
  deployed(c, provider, [{ name: "double", trigger: { type: "call", service: "double", version: 2 }, steps: [{ "kv.incr": { key: "calls", save_as: "k" } }, { "kv.put": { key: "tmp", value: "${call.args.x}" } }, { parse: { value: "[${call.args.x}, ${call.args.x}]", codec: "json", save_as: "result" } }] }]);
  c.runFor(3000);
  const r = c.http(caller, "POST", "/api/services/call", { body: "service=double&args=" + encodeURIComponent('{"x":21}'), auth: true });
  assert.is(r.status, 200, r.body);
  assert.equal(JSON.parse(r.body).result, [21, 21]);
  provider.reboot();
  waitConverged(c, 90000, seed);
  assert.equal(listing(c, provider).jobs.map((j) => j.name), ["double"]);
  c.runFor(3000);
  const again = c.http(caller, "POST", "/api/services/call", { body: "service=double&args=" + encodeURIComponent('{"x":2}'), auth: true });
  assert.equal([again.status, JSON.parse(again.body).result], [200, [2, 2]]);
});

test.run();
