// Jobs on esp8266 nodes (the real esp8266 bundle in the emulator): the same
// engine as esp32's with the board's limits, no event queue (node.queue 0:
// events and pin edges go to the jobs at once) and the KV store in RAM only
// (node.kvDurable 0). A typical set (an interval job that reads a pin and
// publishes, a cluster event job, a pin job that publishes a cluster event)
// runs on every node, within the board's memory budget; what the board
// cannot carry is refused with its place, from the host and on the node.
import * as assert from "uvu/assert";
import { BOARDS_DIR, loadBoard } from "../../host-tools/build/boards.ts";
import { bundleBoard } from "../../host-tools/build/bundle.ts";
import { lanBroker, runAsync } from "../../host-tools/emulator/broker.ts";
import { Cluster } from "../../host-tools/emulator/cluster.ts";
import { drive, EmulatorTransport } from "../../host-tools/emulator/transport.ts";
import { NodeApi } from "../../host-tools/lib/api.ts";
import type { Device } from "../../host-tools/emulator/device.ts";
import { hostnameOf, waitConverged } from "./helpers.ts";
import { deploy, deployed, job, kv, listing } from "./jobs-helpers.ts";
import { suite } from "../suite.ts";

const { test, seed } = suite("jobs on esp8266", { seed: 2008 });
// esp8266 carries the capability when a project turns it on (espruino.json "capabilities": {"esp8266": {"jobs":
// true}}; off by default: README, Boards): clusters here run that build
const board = loadBoard("esp8266", BOARDS_DIR, { esp8266: { jobs: true } });
let code = "";
test.before(async () => {
  code = (await bundleBoard(board, { write: false })).code;
});
const BROKER = "10.42.0.250";

/** A typical set: every 2 s read a pin, count and publish; on any node's door event store it; on a button edge tell the cluster. */
const SET = [
  {
    name: "report",
    trigger: { type: "interval", every_ms: 2000 },
    steps: [{ "pin.read": { pin: "D5", save_as: "v" } }, { "kv.incr": { key: "n", save_as: "n" } }, { "mqtt.publish": { topic: "site/${node.hostname}/d5", json: { v: "${v}", n: "${n}" } } }],
  },
  { name: "door", trigger: { type: "event", name: "door/*", scope: "cluster" }, steps: [{ "kv.put": { key: "door", value: "${event.origin} ${event.data}", ttl_s: 60 } }] },
  {
    name: "button",
    trigger: { type: "pin", pin: "D4", edge: "rising", debounce_ms: 20 },
    steps: [{ if: { cond: "${pin.state} == 1", then: [{ "event.publish": { name: "door/open", data: "${node.hostname}" } }] } }],
  },
];

test("a typical set runs on three esp8266 nodes: interval to a real broker, a cluster event job on the others, a pin job; memory within the board's budget", async () => {
  const c = new Cluster({ seed, boards: [], config: { mq: { host: BROKER, period: 30 } }, bundles: { esp8266: code } });
  const broker = await lanBroker(c, BROKER);
  for (let i = 0; i < 3; i++) c.addNode("esp8266");
  try {
    await runAsync(c, 1000);
    waitConverged(c, 90000, seed);
    const budget = board.budgets.idleJsVarsMqtt!;
    const before = c.devices.map((d) => d.jsVarsUsed());
    for (const d of c.devices) d.pins.set("D5", 1);
    // through the client host-tools jobs deploy uses: installed at once, or (the node short of memory once the
    // request is in: on the real interpreter a node of three is, README Jobs) kept, restarted and installed at boot
    const api = new NodeApi(new EmulatorTransport(c), c.secret);
    for (const d of c.devices) {
      const r = await drive(c, api.deployJobs({ host: d.ip, port: 80 }, Buffer.from(JSON.stringify({ version: 1, jobs: SET }))), 120000);
      assert.equal([r.jobs, listing(c, d).jobs.length], [SET.length, SET.length], `${hostnameOf(d)}, seed ${seed}: ${JSON.stringify(r)}`);
    }
    await runAsync(c, 1000);
    waitConverged(c, 90000, seed);
    const d5 = (d: Device) => broker.seen.filter((m) => m.topic === `site/${hostnameOf(d)}/d5`).map((m) => JSON.parse(m.payload));
    const seen = c.devices.map((d) => d5(d).length);
    await runAsync(c, 6100);
    for (const [i, d] of c.devices.entries()) {
      const got = d5(d).slice(seen[i]);
      const n = got.length ? got[0].n : 0;
      // (6.1 s from a moment in the interval's phase: three or four)
      assert.ok(got.length === 3 || got.length === 4, `${hostnameOf(d)}, seed ${seed}: ${got.length} messages in 6.1 s`);
      assert.equal(got, got.map((_, k) => ({ v: 1, n: n + k })), `${hostnameOf(d)}, seed ${seed}: one message every 2 s`);
    }
    // a button press on the first node: the others store its door event (scope cluster: not the presser)
    const [presser, ...others] = c.devices;
    presser.pins.set("D4", 0);
    await runAsync(c, 100);
    presser.pins.set("D4", 1);
    await runAsync(c, 2000);
    assert.equal([job(c, presser, "button").runs, job(c, presser, "button").errors], [1, 0]);
    assert.is(kv(c, presser, "door"), undefined);
    for (const d of others) assert.is(kv(c, d, "door"), `${hostnameOf(presser)} ${hostnameOf(presser)}`, `${hostnameOf(d)}, seed ${seed}`);
    const l = listing(c, presser);
    assert.equal(l.queue, { length: 0, capacity: 0, policy: "none", dropped: 0 });
    // memory at idle with the set, in the emulator's estimate: within the budget (with MQTT), and what the set costs
    await runAsync(c, 10000);
    const after = c.devices.map((d) => d.jsVarsUsed());
    for (let i = 0; i < 3; i++) assert.ok(after[i] <= budget, `${hostnameOf(c.devices[i])}: ${after[i]} JsVars used at idle with the set, budget ${budget}`);
    console.log(`    esp8266 with the set: ${after.join(", ")} JsVars used at idle (${after.map((a, i) => a - before[i]).join(", ")} more than before it); budget ${budget}`);
  } finally {
    await broker.close();
  }
});

test("what an esp8266 cannot carry is refused with its place: a durable key, codecs beyond json, more steps than it takes; the running set stays", () => {
  const c = new Cluster({ seed, boards: ["esp8266"], bundles: { esp8266: code } });
  c.runFor(5000);
  const [d] = c.devices;
  deployed(c, d, [SET[1]]);
  const cases: [unknown[], string][] = [
    [[{ name: "d", trigger: { type: "startup" }, steps: [{ "kv.incr": { key: "boots", durable: true } }] }], "jobs[0].steps[0].kv.incr.durable: unknown"],
    [[{ name: "p", trigger: { type: "event", name: "x" }, steps: [{ parse: { value: "${event.data}", codec: "tlv" } }] }], "jobs[0].steps[0].parse.codec: json only on this board"],
    [[{ name: "s", trigger: { type: "startup" }, steps: Array.from({ length: 17 }, () => ({ log: { message: "x" } })) }], "jobs: 17 steps in all, this board takes 16"],
    [[{ name: "c", trigger: { type: "call", service: "x" }, steps: [{ log: { message: "x" } }] }], "jobs[0].trigger.type: unknown trigger on this board: call"],
  ];
  for (const [jobs, error] of cases) {
    const r = deploy(c, d, { version: 1, jobs });
    assert.equal([r.status, r.body.error], [400, error]);
  }
  assert.equal(listing(c, d).jobs.map((j) => j.name), ["door"], "the running set stays");
  const put = c.http(d, "PUT", "/api/kv/k?durable=1", { body: "1", auth: true });
  assert.equal([put.status, JSON.parse(put.body).error], [400, "kv: no durable keys on this board"]);
});

test("a burst of 200 events on an esp8266: no queue, a serial job keeps one pending and counts the rest skipped; memory comes back", () => {
  const c = new Cluster({ seed, boards: ["esp8266"], bundles: { esp8266: code } });
  c.runFor(5000);
  const [d] = c.devices;
  deployed(c, d, [{ name: "count", trigger: { type: "event", name: "burst/*" }, steps: [{ "kv.incr": { key: "n" } }, { wait: { ms: 200 } }] }]);
  c.runFor(1000);
  const idle = d.jsVarsUsed();
  d.eval(`(function () { for (var i = 0; i < 200; i++) spore.fire("burst/s" + (i % 10), i); })()`);
  const peak = d.jsVarsUsed();
  c.runFor(5000);
  const j = job(c, d, "count");
  assert.equal([kv(c, d, "n"), j.runs, j.skipped], [2, 2, 198], `seed ${seed}`);
  assert.ok(peak - idle < 100, `the burst took ${peak - idle} JsVars at its peak`);
  c.runFor(60000);
  assert.ok(d.jsVarsUsed() - idle < 30, `back to idle: ${d.jsVarsUsed()} against ${idle}`);
  console.log(`    esp8266 burst of 200: 2 ran, 198 skipped, peak +${peak - idle} JsVars`);
});

test("a deploy to an esp8266 without the memory to check the set at once: the node keeps it, restarts, installs it at boot; host-tools' deploy waits and says so", async () => {
  const c = new Cluster({ seed, boards: ["esp8266", "esp8266", "esp8266"], bundles: { esp8266: code } });
  waitConverged(c, 90000, seed);
  const [d] = c.devices;
  // three jobs with long log lines: about 700 bytes, more than the node can check with what it has free once the
  // request is in (the guard asks for 150 + length / 2), less than it has at boot
  const doc = { version: 1, jobs: Array.from({ length: 3 }, (_, i) => ({ name: "j" + i, trigger: { type: "event", name: "big/" + i }, steps: [{ log: { message: "job " + i + " " + "x".repeat(150) } }, { "kv.incr": { key: "k" + i } }] })) };
  const boots = d.counters.boots;
  // (the API client host-tools jobs deploy uses; the command checks the board file first, where this board's
  // capability is off: a project that turns it on has it on there too)
  const api = new NodeApi(new EmulatorTransport(c), c.secret);
  const r = await drive(c, api.deployJobs({ host: d.ip, port: 80 }, Buffer.from(JSON.stringify(doc))), 120000);
  assert.equal([r.restarted, r.jobs, r.generation], [true, 3, 1], JSON.stringify(r));
  assert.is(d.counters.boots, boots + 1, "it restarted once");
  assert.equal(listing(c, d).jobs.map((j) => j.name), ["j0", "j1", "j2"]);
  d.eval(`spore.fire("big/2", 1)`);
  c.runFor(100);
  assert.is(kv(c, d, "k2"), 1);
  // a set refused at that boot: the call says why, the set that ran stays
  const bad = { version: 1, jobs: [{ ...doc.jobs[0], trigger: { type: "interval", every_ms: 10 } }, ...doc.jobs.slice(1)] };
  let why = "";
  try {
    await drive(c, api.deployJobs({ host: d.ip, port: 80 }, Buffer.from(JSON.stringify(bad))), 120000);
  } catch (e) {
    why = (e as Error).message;
  }
  assert.match(why, /refused at its restart: jobs\[0\]\.trigger\.every_ms: 100 to 86400000/);
  assert.equal(listing(c, d).jobs.map((j) => j.name), ["j0", "j1", "j2"]);
});

test.run();
