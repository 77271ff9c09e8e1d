// Jobs (issue 20) against bad input and bursts, on emulated nodes running the
// real bundles: a bad document is refused with its place and the old set
// keeps running; a torn copy in Storage is passed over; the event queue
// holds to its capacity under a burst with either overflow policy and counts
// what it dropped; the KV store's durable keys survive a restart and a power
// cut; its endpoints need the secret and say what was wrong.
import * as assert from "uvu/assert";
import { Cluster } from "../../host-tools/emulator/cluster.ts";
import { validateJson } from "../../host-tools/build/json-schema.ts";
import { schema } from "./helpers.ts";
import { deploy, deployed, job, kv, listing } from "./jobs-helpers.ts";
import { suite } from "../suite.ts";

const { test, seed } = suite("jobs: bad input, bursts, Storage", { seed: 2003 });

function node(config: Record<string, unknown> = {}) {
  const c = new Cluster({ seed, boards: ["esp32"], config });
  c.runFor(5000);
  return { c, d: c.devices[0] };
}

const COUNTER = { name: "tick", trigger: { type: "interval", every_ms: 1000 }, steps: [{ "kv.incr": { key: "ticks" } }] };

test("a bad document is refused whole with the place of its first mistake; the running set goes on", () => {
  const { c, d } = node();
  deployed(c, d, [COUNTER]);
  const bad: [unknown, number, string][] = [
    ["{not json", 400, "document: not JSON"],
    [{ version: 2, jobs: [] }, 400, 'document: must be {"version": 1, "jobs": [...]}'],
    [{ version: 1, jobs: [{ name: "a", trigger: { type: "interval", every_ms: 50 }, steps: [] }] }, 400, "jobs[0].trigger.every_ms: 100 to 86400000"],
    [{ version: 1, jobs: [COUNTER, { name: "b", trigger: { type: "startup" }, steps: [{ "kv.incr": { key: "x", by: "many" } }] }] }, 400, "jobs[1].steps[0].kv.incr.by: must be a number"],
    [{ version: 1, jobs: [{ name: "c", trigger: { type: "startup" }, steps: [{ if: { cond: "${x} >", then: [] } }] }] }, 400, "jobs[0].steps[0].if.cond: unexpected end at 6"],
    [{ version: 1, jobs: [{ name: "d", trigger: { type: "startup" }, steps: [{ try: { steps: [{ "pin.fly": {} }] } }] }] }, 400, "jobs[0].steps[0].try.steps[0].pin.fly: unknown step on this board"],
    [{ version: 1, jobs: [COUNTER, COUNTER] }, 400, "jobs[1].name: tick is taken by another job"],
    [{ version: 1, jobs: [{ name: "e", trigger: { type: "event", name: "x" }, steps: [], extra: 1 }] }, 400, "jobs[0].extra: unknown"],
    [{ version: 1, jobs: [{ name: "f", trigger: { type: "mqtt", topic: "a/#/b" }, steps: [] }] }, 400, "jobs[0].trigger.topic: an MQTT topic filter (+ a level, # the rest, at the end)"],
    [{ version: 1, jobs: [{ name: "g", trigger: { type: "startup" }, steps: [{ "kv.get": { key: "k", save_as: "node" } }] }] }, 400, "jobs[0].steps[0].kv.get.save_as: must be a name (letters, digits, _; at most 16; not a reserved one)"],
    [{ version: 1, jobs: Array.from({ length: 17 }, (_, i) => ({ ...COUNTER, name: "j" + i })) }, 400, "jobs: 17 jobs, this board takes 16"],
    [{ version: 1, jobs: [{ ...COUNTER, steps: Array.from({ length: 129 }, () => ({ log: { message: "x" } })) }] }, 400, "jobs: 129 steps in all, this board takes 128"],
  ];
  for (const [doc, status, error] of bad) {
    const r = deploy(c, d, doc);
    assert.equal([r.status, r.body.error], [status, error], JSON.stringify(doc).slice(0, 80));
    validateJson(schema("error"), r.body, "refusal");
  }
  // over the board's body limit: 413, nothing read
  const huge = deploy(c, d, { version: 1, jobs: [{ ...COUNTER, steps: [{ log: { message: "x".repeat(5000) } }] }] });
  assert.is(huge.status, 413);
  // without the secret: 401
  assert.is(c.http(d, "POST", "/api/jobs", { body: JSON.stringify({ version: 1, jobs: [] }) }).status, 401);
  c.runFor(3000);
  const l = listing(c, d);
  assert.equal([l.generation, l.jobs.map((j) => j.name)], [1, ["tick"]]);
  assert.ok((kv(c, d, "ticks") as number) >= 3, "the old set still runs");
});

test("what the review found on the real interpreter: a pin the board lacks, __proto__, inherited event names, an enum given as a list, deep nesting", () => {
  const { c, d } = node();
  // a trigger on a pin the board does not have: that job is left out with its reason, the others run, the node stays up
  deployed(c, d, [COUNTER, { name: "p", trigger: { type: "pin", pin: "GPIO4", pull: "up" }, steps: [] }]);
  let l = listing(c, d);
  assert.equal([l.jobs.map((j) => j.name), l.refused.length, l.refused[0].startsWith("jobs[1].trigger: ")], [["tick"], 1, true], JSON.stringify(l.refused));
  // on 2v29 an object with a "__proto__" key stops the interpreter: refused wherever text comes in
  const proto = deploy(c, d, '{"version":1,"jobs":[{"name":"x","trigger":{"type":"startup"},"steps":[{"log":{"message":"m","\\u005f_proto__":1}}]}]}');
  assert.equal([proto.status, proto.body.error], [400, "document: not JSON"]);
  assert.is(c.http(d, "PUT", "/api/kv/k", { body: '{"__proto__":1}', auth: true }).status, 400);
  // and in an event's data, and a service call's arguments
  const ev = c.http(d, "POST", "/api/events", { body: "name=x&data=" + encodeURIComponent('{"__proto__":{"a":1}}'), auth: true });
  assert.equal([ev.status, JSON.parse(ev.body).error], [400, "data is not JSON"]);
  const call = c.http(d, "POST", "/api/services/call", { body: "service=s&args=" + encodeURIComponent('{"\\u005f_proto__":1}'), auth: true });
  assert.equal([call.status, JSON.parse(call.body).error], [400, "args are not JSON"]);
  // an enum given as a list is no enum value (String(["rising"]) is "rising")
  assert.equal(deploy(c, d, { version: 1, jobs: [{ name: "e", trigger: { type: "pin", pin: "D5", edge: ["rising"] }, steps: [] }] }).body.error, "jobs[0].trigger.edge: must be one of rising, falling, both");
  // nine levels of nesting: refused (each level's check holds about 90 JsVars on the chip)
  let deep: unknown[] = [{ log: { message: "x" } }];
  for (let i = 0; i < 9; i++) deep = [{ try: { steps: deep } }];
  assert.match(String(deploy(c, d, { version: 1, jobs: [{ name: "d", trigger: { type: "startup" }, steps: deep }] }).body.error), /steps nested more than 8 deep$/);
  // events named as every object's properties have no listeners, and the queue goes on past them
  deployed(c, d, [{ name: "all", trigger: { type: "event", name: "*" }, concurrency: "concurrent", max_instances: 8, steps: [{ "kv.incr": { key: "all" } }] }]);
  d.eval('(function () { ["a1", "on", "a2", "constructor", "a3", "toString"].forEach(function (n) { spore.fire(n, 1); }); })()');
  c.runFor(1000);
  assert.is(kv(c, d, "all"), 6, `seed ${seed}`);
  assert.is(d.counters.uncaught, 0);
});

test("removing: one job by name, or all; a torn copy in Storage is passed over at boot", () => {
  const { c, d } = node();
  deployed(c, d, [COUNTER, { name: "other", trigger: { type: "startup" }, steps: [] }]);
  assert.is(c.http(d, "DELETE", "/api/jobs?name=nope", { auth: true }).status, 404);
  assert.is(c.http(d, "DELETE", "/api/jobs?name=tick", { auth: true }).status, 200);
  assert.equal(listing(c, d).jobs.map((j) => j.name), ["other"]);
  assert.is(c.http(d, "DELETE", "/api/jobs", { auth: true }).status, 200);
  const l = listing(c, d);
  assert.equal([l.generation, l.jobs.length], [3, 0]);
  deployed(c, d, [COUNTER]);
  // generation 4 went to spore.j0; a power cut while generation 5 was written into spore.j1 leaves it torn
  const whole = JSON.stringify({ g: 5, version: 1, jobs: [{ ...COUNTER, name: "newer" }] });
  d.storage.write("spore.j1", whole.slice(0, 30), 0, whole.length);
  d.reboot();
  c.runFor(5000);
  assert.equal(listing(c, d).jobs.map((j) => j.name), ["tick"], `seed ${seed}`);
});

test("a stored job this board cannot run is left out at boot with its reason; the others run", () => {
  const { c, d } = node();
  const doc = { g: 1, version: 1, jobs: [COUNTER, { name: "x", trigger: { type: "interval", every_ms: 10 }, steps: [] }, { name: "y", trigger: { type: "startup" }, steps: [{ "kv.put": { key: "y", value: 1 } }] }] };
  d.storage.write("spore.j0", JSON.stringify(doc));
  d.reboot();
  c.runFor(6000);
  const l = listing(c, d);
  assert.equal([l.jobs.map((j) => j.name), l.refused], [["tick", "y"], ["jobs[1].trigger.every_ms: 100 to 86400000"]]);
  assert.is(kv(c, d, "y"), 1);
});

for (const policy of ["drop_oldest", "coalesce_latest"]) {
  test(`a burst of 1,000 events (${policy}): the queue holds to its capacity, counts its drops, and memory comes back`, () => {
    const { c, d } = node(policy === "coalesce_latest" ? { qp: 1 } : {});
    deployed(c, d, [{ name: "count", trigger: { type: "event", name: "burst/*" }, concurrency: "concurrent", max_instances: 8, steps: [{ "kv.incr": { key: "${event.name}" } }] }]);
    // a first burst: the keys exist and the event log is full, as after the big one
    d.eval(`(function () { for (var i = 0; i < 40; i++) spore.fire("burst/s" + (i % 10), i); })()`);
    c.runFor(2000);
    c.http(d, "DELETE", "/api/kv/x", { auth: true });
    const before = Array.from({ length: 10 }, (_, i) => kv(c, d, "burst/s" + i) as number);
    const idle = d.jsVarsUsed();
    // 1,000 events in one go from user code (10 sources), as fast as the node can fire them (in a function: a
    // top-level var i would overwrite the firmware's global of that minified name, README: Writing device code)
    d.eval(`(function () { for (var i = 0; i < 1000; i++) spore.fire("burst/s" + (i % 10), i); })()`);
    const peak = d.jsVarsUsed();
    c.runFor(5000);
    const l = listing(c, d);
    const done = Array.from({ length: 10 }, (_, i) => (kv(c, d, "burst/s" + i) as number) - before[i]);
    const ran = done.reduce((a, b) => a + b, 0);
    // every event was either run or counted as dropped; the queue never held more than its capacity
    const dropped = l.queue.dropped - (policy === "coalesce_latest" ? 30 : 8);
    assert.is(ran + dropped, 1000, `seed ${seed}: ran ${ran}, dropped ${dropped}`);
    // drop_oldest: the last 32 (the capacity) ran; coalesce_latest: the latest of each of the 10 sources
    if (policy === "coalesce_latest") assert.equal(done, Array(10).fill(1), "one per source: the latest");
    else assert.equal([ran, done.filter((n) => n).length], [l.queue.capacity, 10]);
    assert.ok(peak - idle < 600, `the burst took ${peak - idle} JsVars at its peak`);
    c.runFor(60000);
    assert.ok(d.jsVarsUsed() - idle < 40, `back to idle: ${d.jsVarsUsed()} against ${idle}`);
    console.log(`    ${policy}: ${ran} ran, ${l.queue.dropped} dropped, peak +${peak - idle} JsVars`);
  });
}

test("the KV store over HTTP: durable keys survive a restart and a power cut, others do not; mutations need the secret", () => {
  const { c, d } = node({ kvf: 5 });
  const put = (key: string, body: string, q = "", auth = true) => c.http(d, "PUT", "/api/kv/" + encodeURIComponent(key) + q, { body, auth });
  assert.is(put("plain", "1").status, 200);
  assert.is(put("kept one", '{"a":[1,2]}', "?durable=1").status, 200);
  assert.is(put("ttl", '"soon"', "?ttl=2").status, 200);
  assert.equal([put("x", "1", "", false).status, c.http(d, "DELETE", "/api/kv/plain").status], [401, 401]);
  assert.equal([put("x", "{bad").status, put("x", "1", "?ttl=0").status, put("k".repeat(33), "1").status], [400, 400, 400]);
  assert.equal(JSON.parse(put("x", "{bad").body).error, "value: not JSON (a string is quoted)");
  assert.equal([kv(c, d, "ttl"), kv(c, d, "kept one")], ["soon", { a: [1, 2] }]);
  c.runFor(2100);
  assert.is(kv(c, d, "ttl"), undefined, "expired");
  c.runFor(5000);
  d.reboot();
  c.runFor(5000);
  assert.equal([kv(c, d, "kept one"), kv(c, d, "plain")], [{ a: [1, 2] }, undefined], `seed ${seed}`);
  // a durable change not yet written (within kvf) is lost with the power, the older value stays whole
  assert.is(put("kept one", "2", "?durable=1").status, 200);
  d.crash();
  d.powerOn();
  c.runFor(5000);
  assert.equal(kv(c, d, "kept one"), { a: [1, 2] });
  assert.is(c.http(d, "DELETE", "/api/kv/kept%20one", { auth: true }).status, 200);
  assert.is(c.http(d, "DELETE", "/api/kv/kept%20one", { auth: true }).status, 404);
});

test("a durable change not yet flushed is written before a planned restart (the API's, an MQTT command's, E.reboot): kept; a power cut loses it", () => {
  const { c, d } = node({ kvf: 600 });
  const put = (body: string) => c.http(d, "PUT", "/api/kv/mode?durable=1", { body, auth: true }).status;
  assert.is(put('"first"'), 200);
  c.runFor(1000);
  assert.is(c.http(d, "POST", "/api/node/restart", { auth: true }).status, 200);
  c.runFor(5000);
  assert.is(kv(c, d, "mode"), "first", `flushed at the restart, 600 s before its time (seed ${seed})`);
  assert.is(put('"second"'), 200);
  d.eval("E.reboot()");
  c.runFor(5000);
  assert.is(kv(c, d, "mode"), "second", "and at E.reboot() from code");
  assert.is(put('"third"'), 200);
  d.crash();
  d.powerOn();
  c.runFor(5000);
  assert.is(kv(c, d, "mode"), "second", "a power cut runs nothing first");
});

test("Storage full: the node never compacts under its own code; it restarts, the boot file compacts, durable writes go on", () => {
  const { c, d } = node({ kvf: 1 });
  // the firmware runs from a slot written after trash, as after an update: a compaction would move it
  const slot = d.storage.read("spore.a")!;
  d.storage.erase("spore.a");
  d.storage.write("spore.a", slot);
  d.reboot();
  c.runFor(5000);
  // a file fills Storage but for 20 kB
  d.storage.write("filler", "x".repeat(d.storage.getFree() - 20000 - 32));
  const value = JSON.stringify("v".repeat(1800));
  const boots = d.counters.boots;
  let last = 0;
  for (let i = 1; i <= 40; i++) {
    // a durable value of 1.8 kB, rewritten every 2 s: each flush leaves the one before as trash
    try {
      if (c.http(d, "PUT", "/api/kv/big?durable=1", { body: JSON.stringify(String(i) + value.slice(1, -1)), auth: true }).status === 200) last = i;
    } catch {
      // restarting
    }
    c.runFor(2000);
  }
  assert.is(d.counters.compactedWhileRunning, 0, "no compaction while the firmware's code ran");
  // 20 kB fill in about 20 s at this rate: a restart each time
  assert.ok(d.counters.boots > boots, `restarts to compact (seed ${seed})`);
  assert.ok(d.console.some((l) => l.startsWith("storage/full ")), "storage/full said why");
  assert.ok(d.console.includes("boot: compacting Storage"), "the boot file compacted it");
  d.reboot();
  c.runFor(5000);
  assert.is(kv(c, d, "big"), String(last) + "v".repeat(1800), "the last value written is back after a restart");
});

test("concurrency: max_instances, and the node's limit on runs at once, skip and count", () => {
  const { c, d } = node();
  const slow = (name: string, max: number) => ({ name, trigger: { type: "event", name: "go" }, concurrency: "concurrent", max_instances: max, steps: [{ wait: { ms: 1000 } }] });
  deployed(c, d, [slow("a", 3), slow("b", 8)]);
  for (let i = 0; i < 4; i++) d.eval(`spore.fire("go", ${i})`);
  c.runFor(200);
  const l = listing(c, d);
  const [a, b] = l.jobs;
  // a: 3 run, 1 skipped; b: the node's 8 runs at once leave it 5 (and skip none of its 4 then)
  assert.equal([a.running, a.skipped, b.running, b.skipped], [3, 1, 4, 0], `seed ${seed}`);
  for (let i = 0; i < 4; i++) d.eval(`spore.fire("go", ${i})`);
  c.runFor(200);
  assert.equal([job(c, d, "b").running, job(c, d, "b").skipped], [5, 3]);
  c.runFor(2000);
  assert.equal([job(c, d, "a").runs, job(c, d, "b").runs], [3, 5]);
});

test.run();
