// The jobs capability's control flow and scheduling (device/core/steps.ts,
// jobs.ts, events.ts) on the pure core with a virtual clock
// (steps-helpers.ts): if/else and try/catch with the places of their errors,
// waits that block nothing, runs sliced eight steps at a time, serial and
// concurrent jobs and the node's limit on runs, each trigger type, job/error
// events, and the event queue's two overflow policies counted exactly.
import * as assert from "uvu/assert";
import { fire, queue, queueDrops } from "../../device/core/events.ts";
import { jobs } from "../../device/core/jobs.ts";
import { kv } from "../../device/core/kv.ts";
import { find } from "../../device/core/tasks.ts";
import { suite } from "../suite.ts";
import { boot, deploy, finish, job, listen, listing, logs, on, pins, record, runFor, STARTUP, watches } from "./steps-helpers.ts";

/** The endpoints (JobsOp.Api) and the boot (JobsOp.Boot) of device/core/jobs.ts (the const enum's values: it is the build's). */
const jobsApi = (name: string, req: any, key: string) => jobs(2, name, req, key);
/** A key's value (KvOp.Get). */
const kvGet = (key: string): unknown => kv(1, key);

const { test } = suite("job steps: flow, triggers and the queue");
test.before.each(() => boot());
test.after.each(finish);

const put = (key: string, value: unknown) => ({ "kv.put": { key, value } });
const incr = (key: string) => ({ "kv.incr": { key } });

test("if/else: nested branches by the trigger's values; an error names its path through them; a missing value in cond is an error", () => {
  deploy([job("ifs", on("if/go"), [
    put("if-path", "none"),
    { if: { cond: "${event.data.n} > 3", then: [put("if-path", "big"), { if: { cond: "${event.data.n} == 5", then: [put("if-path", "five")], else: [incr("if-path")] } }], else: [put("if-path", "small")] } },
    { if: { cond: "${event.data.n} < 0", then: [put("if-path", "neg")] } },
    incr("if-done"),
  ])]);
  const run = (data: unknown) => {
    fire("if/go", data);
    runFor(0);
    return [kvGet("if-path"), kvGet("if-done")];
  };
  assert.equal(run({ n: 5 }), ["five", 1]);
  assert.equal(run({ n: 1 }), ["small", 2]);
  assert.equal(run({ n: -1 }), ["neg", 3]);
  assert.equal(run({ n: 4 }), ["big", 3], "the error ended the run");
  assert.is(record("ifs").lastError, "steps[1].if.then[1].if.else[0].kv.incr: kv: if-path is not a number");
  run({});
  assert.is(record("ifs").lastError, "steps[1].if: no value for ${event.data.n}");
  assert.equal([record("ifs").runs, record("ifs").errors], [5, 2]);
});

test("try/catch: ${error} has the place; the run goes on after the try; a try without catch swallows; an error in the catch ends the run", () => {
  deploy([
    job("tc1", on("tc/1"), [put("tc-s", "abc"), { try: { steps: [{ if: { cond: "true", then: [incr("tc-s")] } }], catch: [put("tc-err", "${error}")] } }, put("tc-after", 1)]),
    job("tc2", on("tc/2"), [{ try: { steps: [incr("tc-s"), put("tc2-skipped", 1)] } }, put("tc2-after", 1)]),
    job("tc3", on("tc/3"), [{ try: { steps: [incr("tc-s")], catch: [put("tc3-c", 1), incr("tc-s"), put("tc3-c2", 1)] } }, put("tc3-after", 1)]),
  ]);
  for (const n of [1, 2, 3]) {
    fire("tc/" + n, null);
    runFor(0);
  }
  assert.is(kvGet("tc-err"), "steps[1].try.steps[0].if.then[0].kv.incr: kv: tc-s is not a number");
  assert.equal([kvGet("tc-after"), record("tc1").errors], [1, 0]);
  assert.equal([kvGet("tc2-skipped"), kvGet("tc2-after"), record("tc2").errors], [undefined, 1, 0]);
  assert.equal([kvGet("tc3-c"), kvGet("tc3-c2"), kvGet("tc3-after")], [1, undefined, undefined]);
  assert.is(record("tc3").lastError, "steps[0].try.catch[1].kv.incr: kv: tc-s is not a number");
});

test("wait: the run resumes after exactly ms of virtual time; another job runs meanwhile; a bad ms is an error", () => {
  deploy([
    job("w", on("w/go"), [put("w-1", "${event.data}"), { wait: { ms: "${event.data}" } }, put("w-2", "${event.data}")]),
    job("other", on("o/go"), [incr("o-n")]),
  ]);
  fire("w/go", 1500);
  runFor(0);
  assert.equal([kvGet("w-1"), kvGet("w-2"), record("w").running], [1500, undefined, 1]);
  runFor(700);
  fire("o/go", null);
  runFor(0);
  assert.equal([kvGet("o-n"), record("other").runs, record("w").running], [1, 1, 1], "no step blocks the node");
  runFor(799);
  assert.is(kvGet("w-2"), undefined, "1 ms early");
  runFor(1);
  assert.is(kvGet("w-2"), 1500);
  assert.equal([record("w").running, record("w").lastMs, record("w").lastRun], [0, 1500, 0]);
  fire("w/go", -5);
  runFor(0);
  assert.is(record("w").lastError, "steps[1].wait: ms: 0 to 3600000, got -5");
});

test("a run longer than 8 steps yields after each 8: another job's run goes in between", () => {
  const logged = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => ({ log: { message: prefix + i } }));
  deploy([job("long", STARTUP, logged("L", 12)), job("short", STARTUP, logged("S", 3))]);
  runFor(0);
  const long = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => "long: L" + (from + i));
  assert.equal(logs.filter((l) => /^(long|short): /.test(l)), [...long(0, 8), "short: S0", "short: S1", "short: S2", ...long(8, 12)]);
});

test("serial: triggers while a run goes keep one pending run with the newest values; each one replaced is skipped and counted", () => {
  deploy([job("ser", on("ser/go"), [{ wait: { ms: 1000 } }, incr("ser-n"), put("ser-last", "${event.data}")])]);
  fire("ser/go", 1);
  runFor(0);
  for (const n of [2, 3, 4]) fire("ser/go", n);
  runFor(0);
  assert.equal([record("ser").running, record("ser").skipped], [1, 2]);
  runFor(1000);
  assert.equal([kvGet("ser-n"), kvGet("ser-last"), record("ser").running], [1, 1, 1], "the first run ended, the pending one started");
  runFor(1000);
  assert.equal([kvGet("ser-n"), kvGet("ser-last"), record("ser").runs, record("ser").skipped, record("ser").running], [2, 4, 2, 2, 0]);
});

test("concurrent: up to max_instances runs of a job; the node runs at most SPORE_LIMITS.jobRuns (2) in all; beyond is skipped and counted", () => {
  assert.is(SPORE_LIMITS.jobRuns, 2);
  const slow = (key: string) => [{ wait: { ms: 1000 } }, incr(key)];
  deploy([
    job("c1", on("c1/go"), slow("c1-n"), { concurrency: "concurrent" }),
    job("c2", on("c2/go"), slow("c2-n"), { concurrency: "concurrent", max_instances: 2 }),
    job("s2", on("s2/go"), [incr("s2-n")]),
  ]);
  fire("c1/go", null);
  fire("c1/go", null);
  runFor(0);
  assert.equal([record("c1").running, record("c1").skipped], [1, 1], "max_instances 1 by default");
  runFor(1000);
  fire("c2/go", null);
  fire("c2/go", null);
  runFor(0);
  assert.equal([record("c2").running, record("c2").skipped], [2, 0]);
  fire("s2/go", null);
  runFor(0);
  assert.equal([record("s2").running, record("s2").skipped, kvGet("s2-n")], [0, 1, undefined], "the node's limit: two runs going");
  runFor(1000);
  fire("s2/go", null);
  runFor(0);
  assert.equal([kvGet("c1-n"), kvGet("c2-n"), kvGet("s2-n")], [1, 2, 1]);
  assert.equal(listing().jobs.map((j: any) => [j.name, j.concurrency, j.max_instances, j.runs, j.skipped]), [["c1", "concurrent", 1, 1, 1], ["c2", "concurrent", 2, 2, 0], ["s2", "serial", 1, 1, 1]]);
});

test("interval: runs at the jobs task's ticks, which come at the intervals' greatest common divisor (100 ms to 1 s)", () => {
  deploy([job("i250", { type: "interval", every_ms: 250 }, [incr("i250")]), job("i1000", { type: "interval", every_ms: 1000 }, [incr("i1000")])]);
  assert.is(find("jobs")!.interval_, 250);
  runFor(249);
  assert.is(kvGet("i250"), undefined);
  runFor(1);
  assert.is(kvGet("i250"), 1);
  runFor(750);
  assert.equal([kvGet("i250"), kvGet("i1000")], [4, 1]);
  runFor(1000);
  assert.equal([kvGet("i250"), kvGet("i1000")], [8, 2]);
  deploy([job("i150", { type: "interval", every_ms: 150 }, [incr("i150")])]);
  assert.is(find("jobs")!.interval_, 150);
  runFor(1500);
  assert.is(kvGet("i150"), 10);
  deploy([]);
  assert.is(find("jobs")!.interval_, 1000, "no interval job: once a second (the KV store's sweeps and flushes)");
});

test("startup: one run per deploy", () => {
  const set = [job("boot", STARTUP, [incr("st-n")])];
  deploy(set);
  runFor(5000);
  assert.equal([kvGet("st-n"), record("boot").runs], [1, 1]);
  deploy(set);
  runFor(5000);
  assert.equal([kvGet("st-n"), record("boot").runs], [2, 1]);
  deploy([job("other", STARTUP, [incr("st-o")])]);
  runFor(5000);
  assert.equal([kvGet("st-n"), kvGet("st-o")], [2, 1]);
});

test("pin: a watch armed through the pin port (op 3) with its edge, debounce and pull; an edge runs the job with ${pin.state}; a redeploy clears it (op 4)", () => {
  deploy([
    job("pn", { type: "pin", pin: "D7", edge: "rising", debounce_ms: 20, pull: "up" }, [put("pn", { s: "${pin.state}", p: "${pin.pin}" })]),
    job("pn2", { type: "pin", pin: 5 }, [put("pn2", { s: "${pin.state}", p: "${pin.pin}" })]),
  ]);
  assert.equal(pins.map((p) => [p[0], p[1], typeof p[2], p[3], p[4]]), [
    [3, "D7", "function", { repeat: true, edge: "rising", debounce: 20 }, "up"],
    [3, 5, "function", { repeat: true, edge: "both", debounce: 50 }, undefined],
  ]);
  watches[0]({ state: true });
  watches[1]({ state: false });
  assert.is(kvGet("pn"), undefined, "an edge goes through the queue");
  runFor(0);
  assert.equal([kvGet("pn"), kvGet("pn2")], [{ s: 1, p: "D7" }, { s: 0, p: 5 }]);
  pins.length = 0;
  deploy([]);
  assert.equal(pins, [[4, 41], [4, 42]]);
});

test("job/error: a run's error is an event with the job's name and the error, logged, heard by listeners and event jobs", () => {
  const heard = listen("job/error");
  deploy([job("bad", STARTUP, [put("je", "${nope}")]), job("onerr", on("job/error"), [put("je-got", { j: "${event.data.job}", e: "${event.data.error}" })])]);
  runFor(0);
  const data = { job: "bad", error: "steps[0].kv.put: no value for ${nope}" };
  assert.equal(heard, [[data, "esp_a1b2c3"]]);
  assert.equal(kvGet("je-got"), { j: "bad", e: data.error });
  assert.ok(logs.includes("job/error " + JSON.stringify(data)), logs.join("\n"));
  assert.equal([record("bad").errors, record("bad").lastError, record("onerr").errors, record("onerr").lastError], [1, data.error, 0, null]);
});

test("queue, drop_oldest (qp 0): one over capacity drops the oldest, of the same source too, each drop counted", () => {
  boot({ qp: 0 });
  assert.is(SPORE_LIMITS.queue, 8);
  const got: [any, string][] = [];
  for (let i = 1; i <= 11; i++) listen("q0/" + i, got);
  listen("q0/same", got);
  const before = queueDrops;
  for (let i = 1; i <= 11; i++) fire("q0/" + i, i);
  assert.equal([queueDrops - before, queue.length], [3, 8]);
  assert.equal(listing().queue, { length: 8, capacity: 8, policy: "drop_oldest", dropped: queueDrops });
  runFor(0);
  for (let i = 1; i <= 10; i++) fire("q0/same", "same" + i);
  assert.is(queueDrops - before, 5);
  runFor(0);
  assert.equal(got.map((e) => e[0]), [4, 5, 6, 7, 8, 9, 10, 11, "same3", "same4", "same5", "same6", "same7", "same8", "same9", "same10"]);
});

test("queue, coalesce_latest (qp 1): the waiting entry from the same source is replaced; the oldest dropped only when all differ; each counted", () => {
  boot({ qp: 1 });
  const got: [any, string][] = [];
  for (const n of ["a", "b", "c1", "c2", "c3", "c4", "c5", "c6", "c7"]) listen("q1/" + n, got);
  const before = queueDrops;
  fire("q1/a", "a1");
  fire("q1/b", "b1");
  fire("q1/a", "a2");
  fire("q1/a", "a3");
  assert.equal([queueDrops - before, queue.map((e) => e[2])], [2, ["b1", "a3"]]);
  for (let i = 1; i <= 7; i++) fire("q1/c" + i, "c" + i);
  assert.equal([queueDrops - before, queue.length, queue[0][2]], [3, 8, "a3"], "full with 8 sources: b1, the oldest, dropped");
  fire("q1/a", "a4");
  assert.equal([queueDrops - before, queue.length], [4, 8], "full: the same source is still replaced");
  assert.equal(listing().queue, { length: 8, capacity: 8, policy: "coalesce_latest", dropped: queueDrops });
  runFor(0);
  assert.equal(got.map((e) => e[0]), ["c1", "c2", "c3", "c4", "c5", "c6", "c7", "a4"]);
});

test("DELETE /api/jobs: a removed job's run in progress ends by itself, but the run it kept pending does not start", () => {
  deploy([job("rm", on("rm/go"), [{ wait: { ms: 1000 } }, incr("rm-n")])]);
  fire("rm/go", 1);
  runFor(0);
  fire("rm/go", 2);
  runFor(0);
  const r = jobsApi("DELETE jobs", { method_: "DELETE", path_: "/api/jobs", headers_: {}, body_: "" }, "")!;
  assert.equal([r.code_, JSON.parse(r.body_).jobs], [200, 0]);
  runFor(3000);
  assert.is(kvGet("rm-n"), 1, "the run in progress ended; no step of a removed job runs after that");
});

test.run();
