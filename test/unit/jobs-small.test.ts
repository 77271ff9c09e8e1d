// The jobs capability as a board without an event queue or durable KV keys
// runs it (esp8266: node.queue 0, kvDurable 0), on the pure core with a
// virtual clock (steps-helpers.ts): events and pin edges go to the jobs at
// once, after their listeners, and what a job's concurrency cannot take is
// skipped and counted; a durable key is refused with its place; and the
// steps a run takes are read from Storage, where the set is kept as ASCII
// with each job's place, not from RAM.
import * as assert from "uvu/assert";
import { ports } from "../../device/core/env.ts";
import { fire, queue } from "../../device/core/events.ts";
import { jobs } from "../../device/core/jobs.ts";
import { kv } from "../../device/core/kv.ts";
import { suite } from "../suite.ts";
import { boot, deploy, finish, fs, job, jobLog, listen, listing, on, post, record, runFor, watches } from "./steps-helpers.ts";

/** The endpoints (JobsOp.Api) of device/core/jobs.ts (the const enum's values: it is the build's). */
const jobsApi = (name: string, req: any, key: string) => jobs(2, name, req, key);
const kvGet = (key: string): unknown => kv(1, key);

const limits = (globalThis as any).SPORE_LIMITS as { queue: number; kvDurable: number };
const full = { queue: limits.queue, kvDurable: limits.kvDurable };

const { test } = suite("jobs on a small board: no queue, the KV store in RAM, steps read from Storage");
test.before.each(() => {
  Object.assign(limits, { queue: 0, kvDurable: 0 });
  boot();
});
test.after.each(() => {
  finish();
  Object.assign(limits, full);
});

test("no queue: a burst of 20 events reaches the listeners at once; a serial job runs one, keeps one pending and skips 18", () => {
  deploy([job("burst", on("b/*"), [{ "kv.incr": { key: "n" } }, { wait: { ms: 100 } }])]);
  const got = listen("b/x");
  for (let i = 0; i < 20; i++) fire("b/x", i);
  assert.is(got.length, 20, "every listener call made before fire() returned");
  assert.is(queue.length, 0, "nothing waits in a queue");
  assert.equal([record("burst").running, record("burst").skipped], [1, 18]);
  runFor(1000);
  assert.equal([kvGet("n"), record("burst").runs, record("burst").skipped], [2, 2, 18], "the first and the newest pending one ran");
  const l = listing();
  assert.equal(l.queue, { length: 0, capacity: 0, policy: "none", dropped: 0 });
  const s = jobs(3);
  assert.equal([s.runs, s.skipped, s.queued, s.dropped], [2, 18, 0, 0]);
});

test("no queue: a pin edge starts its job from the idle loop with the edge's state", () => {
  deploy([job("btn", { type: "pin", pin: "D5", edge: "both" }, [{ log: { message: "D5 ${pin.state}" } }])]);
  watches[0]({ state: true });
  assert.equal(jobLog("btn"), [], "the run starts from the idle loop, not inside the watch");
  runFor(0);
  watches[0]({ state: false });
  runFor(0);
  assert.equal(jobLog("btn"), ["D5 1", "D5 0"]);
});

test("no durable keys: a step that asks for one is refused with its place; so is PUT /api/kv?durable=1; a key in RAM works", () => {
  const r = post({ version: 1, jobs: [job("d", on("d"), [{ "kv.put": { key: "k", value: 1, durable: true } }])] });
  assert.equal([r.code, r.body.error], [400, "jobs[0].steps[0].kv.put.durable: unknown"]);
  const put = (path: string) => jobsApi("PUT kv/*", { method_: "PUT", path_: path, headers_: {}, body_: "5" }, "k")!;
  const bad = put("/api/kv/k?durable=1");
  assert.equal([bad.code_, JSON.parse(bad.body_).error], [400, "kv: no durable keys on this board"]);
  assert.is(put("/api/kv/k").code_, 200);
  assert.is(kvGet("k"), 5);
  assert.is(kv(7, true), false, "a flush writes nothing");
  assert.equal(fs.list().filter((f: string) => f.startsWith("spore.v")), [], "no KV file in Storage");
});

test("steps from Storage: the set is kept as ASCII with each job's place; a run reads its job from there (a name with é and a log line of ° included)", () => {
  deploy([
    job("a", on("s/a"), [{ log: { message: "first" } }]),
    job("b", on("s/b"), [{ log: { message: "température ${event.data}°" } }, { "kv.put": { key: "t", value: "${event.data}°" } }]),
  ]);
  const file = fs.list().filter((f: string) => f.startsWith("spore.j"))[0];
  const text = fs.read(file)!;
  assert.ok(/^[\x20-\x7e]*$/.test(text), "ASCII only");
  const stored = JSON.parse(text);
  assert.is(stored.o.length, 4);
  assert.equal(JSON.parse(text.substr(stored.o[2], stored.o[3])), stored.jobs[1], "job b's place in the file is its text");
  fire("s/b", 21);
  runFor(0);
  assert.equal(jobLog("b"), ["température 21°"]);
  assert.is(kvGet("t"), "21°");
  // the definitions in RAM hold no steps: a job changed in Storage behind the node's back runs as it is there
  fs.write(file, text.replace('"first"', '"other"'));
  fire("s/a", null);
  runFor(0);
  assert.equal(jobLog("a"), ["other"]);
});

test("DELETE /api/jobs?name= keeps the other jobs with their steps (read back from Storage)", () => {
  deploy([job("k1", on("k/1"), [{ "kv.incr": { key: "k1" } }]), job("k2", on("k/2"), [{ "kv.incr": { key: "k2" } }])]);
  const r = jobsApi("DELETE jobs", { method_: "DELETE", path_: "/api/jobs?name=k1", headers_: {}, body_: "" }, "")!;
  assert.is(r.code_, 200, r.body_);
  assert.equal(listing().jobs.map((j: any) => j.name), ["k2"]);
  fire("k/2", null);
  fire("k/1", null);
  runFor(0);
  assert.equal([kvGet("k2"), kvGet("k1")], [1, undefined]);
});

test("a set is taken apart by a scan and checked a job at a time: any layout, strings with brackets, quotes and commas; malformed text refused as not JSON", () => {
  const post = (text: string) => {
    const r = jobsApi("POST jobs", { method_: "POST", path_: "/api/jobs", headers_: {}, body_: text }, "")!;
    return [r.code_, JSON.parse(r.body_).error ?? JSON.parse(r.body_).jobs];
  };
  const tricky = [
    job("a", on("t/a"), [{ log: { message: 'x ], { "q" } [ , \\ end' } }, { if: { cond: "1 < 2", then: [{ "kv.put": { key: "a", value: [1, [2, { b: "]" }]] } }] } }]),
    job("b", on("t/b"), [{ "kv.put": { key: "b", value: "," } }]),
  ];
  // pretty printed, "jobs" before "version"
  assert.equal(post(JSON.stringify({ jobs: tricky, version: 1 }, null, 2)), [200, 2]);
  fire("t/a", null);
  fire("t/b", null);
  runFor(0);
  assert.equal([jobLog("a"), kvGet("a"), kvGet("b")], [['x ], { "q" } [ , \\ end'], [1, [2, { b: "]" }]], ","]);
  // a mistake in the second job: the same message as a whole parse gives
  const bad = { version: 1, jobs: [tricky[0], job("c", on("c"), [{ "kv.incr": { key: "k", by: true } }])] };
  assert.equal(post(JSON.stringify(bad)), [400, "jobs[1].steps[0].kv.incr.by: must be a number"]);
  assert.equal(post(JSON.stringify({ version: 1, jobs: [tricky[1], tricky[1]] })), [400, "jobs[1].name: b is taken by another job"]);
  assert.equal(post(JSON.stringify({ version: 2, jobs: [] })), [400, 'document: must be {"version": 1, "jobs": [...]}']);
  assert.equal(post(JSON.stringify({ version: 1, jobs: [], extra: 1 })), [400, "extra: unknown"]);
  const five = Array.from({ length: 5 }, (_, i) => job("j" + i, on("x"), [{ log: { message: "x" } }]));
  assert.equal(post(JSON.stringify({ version: 1, jobs: five })), [400, "jobs: 5 jobs, this board takes 4"]);
  const one = JSON.stringify(tricky[1]);
  for (const text of [`{"version":1,"jobs":[,${one}]}`, `{"version":1,"jobs":[${one},]}`, `{"version":1,"jobs":[${one} ${one}]}`, `{"version":1,"jobs":[${one}`, `{"version":1,"jobs":[${one}]`, "{", ""])
    assert.equal(post(text), [400, "document: not JSON"], text);
  assert.equal(post(`{"version":1,"jobs":[${one}],"jobs":[]}`), [400, "jobs: given twice"]);
  assert.equal(listing().jobs.map((j: any) => j.name), ["a", "b"], "the set deployed first still runs");
});

test("a set the node has no memory to check now is kept and checked at the next boot: installed then, or refused with its reason while the old set runs", () => {
  deploy([job("old", on("o"), [{ "kv.incr": { key: "o" } }])]);
  const real = ports.jsvars_;
  let reboots = 0;
  ports.reboot_ = () => void reboots++;
  const text = JSON.stringify({ version: 1, jobs: [job("new", on("n"), [{ "kv.incr": { key: "at-boot" } }])] });
  try {
    ports.jsvars_ = () => 150;
    const r = jobsApi("POST jobs", { method_: "POST", path_: "/api/jobs", headers_: {}, body_: text }, "")!;
    assert.equal([r.code_, JSON.parse(r.body_)], [202, { success: true, restart: true, generation: listing().generation + 1 }]);
    assert.is(fs.read("spore.jn"), text, "kept as it came");
    runFor(1000);
    assert.is(reboots, 1, "the node restarts");
    // the boot: memory is free then
    ports.jsvars_ = real;
    jobs(1);
    assert.is(fs.read("spore.jn"), undefined, "erased");
    assert.equal(listing().jobs.map((j: any) => j.name), ["new"]);
    fire("n", null);
    runFor(0);
    assert.is(kvGet("at-boot"), 1);
    // a bad one: refused at that boot, with its reason; the set that ran stays
    ports.jsvars_ = () => 150;
    const bad = JSON.stringify({ version: 1, jobs: [job("bad", on("b"), [{ "kv.incr": { key: "k", by: true } }])] });
    assert.is(jobsApi("POST jobs", { method_: "POST", path_: "/api/jobs", headers_: {}, body_: bad }, "")!.code_, 202);
    ports.jsvars_ = real;
    jobs(1);
    const l = listing();
    assert.equal(l.refused, ["the set deployed for this boot: jobs[0].steps[0].kv.incr.by: must be a number"]);
  } finally {
    ports.jsvars_ = real;
  }
});

test.run();
