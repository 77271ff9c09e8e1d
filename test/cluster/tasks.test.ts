// The TaskManager (SPORE's interface) and the local event bus, as user code
// on a node reaches them through the `spore` global: the real bundle in the
// emulator, in virtual time. User code shares the firmware's global scope,
// whose minified names are one or two letters: the globals made here have
// longer names.
import * as assert from "uvu/assert";
import { Cluster } from "../../host-tools/emulator/cluster.ts";
import { api } from "./helpers.ts";
import { suite } from "../suite.ts";
import { runUntil } from "../wait.ts";

const { test, seed } = suite("tasks and events on a node", { seed: 1605 });

interface TaskStatus {
  name: string;
  interval: number;
  enabled: boolean;
  running: boolean;
  runs: number;
  errors: number;
  lastMs: number;
  avgMs: number;
}

function rig(board = "esp01") {
  const c = new Cluster({ seed, boards: [board] });
  const d = c.devices[0];
  runUntil(c, () => !!d.stationIp, 30000, "the node joined WiFi");
  const tasks = () => api<{ tasks: TaskStatus[] }>(c, d, "/api/tasks/status", "tasks-status").tasks;
  const task = (name: string) => tasks().find((t) => t.name === name);
  const events = () => api<{ events: { name: string; origin: string; data: any }[] }>(c, d, "/api/events", "events").events;
  return { c, d, tasks, task, events };
}

test("registerTask defaults to enabled and started; its runs, errors and run times are counted", () => {
  const { c, d, task } = rig();
  assert.is(d.eval('global.tCount = 0; spore.tasks.registerTask("count", 1000, function () { tCount++; })'), true);
  assert.is(d.eval('spore.tasks.registerTask("count", 500, function () {})'), false, "a name is registered once");
  assert.is(d.eval('spore.tasks.registerTask("never", 0, function () {})'), false, "the interval must be positive");
  c.runFor(10500);
  assert.is(d.eval("tCount"), 10);
  const t = task("count")!;
  assert.equal([t.interval, t.enabled, t.running, t.runs, t.errors], [1000, true, true, 10, 0]);
  assert.ok(t.lastMs >= 0 && t.avgMs >= 0, JSON.stringify(t));
  assert.is(d.eval('spore.tasks.isTaskEnabled("count")'), true);
  assert.is(d.eval('spore.tasks.getTaskInterval("count")'), 1000);
  assert.is(d.eval('spore.tasks.getTaskInterval("nope")'), 0);
});

test("enabled and autoStart given by hand; enable, disable, start, stop and setTaskInterval act on the timer", () => {
  const { c, d, task } = rig();
  d.eval('global.tA = 0; global.tB = 0; spore.tasks.registerTask("a", 1000, function () { tA++; }, false); spore.tasks.registerTask("b", 1000, function () { tB++; }, true, false)');
  c.runFor(3500);
  assert.equal([d.eval("tA"), d.eval("tB")], [0, 0], "a disabled task and a task not started do not run");
  assert.equal([task("a")!.enabled, task("a")!.running, task("b")!.enabled, task("b")!.running], [false, true, true, false]);
  d.eval('spore.tasks.enableTask("a"); spore.tasks.startTask("b")');
  c.runFor(3000);
  assert.equal([d.eval("tA"), d.eval("tB")], [3, 3]);
  assert.is(d.eval('spore.tasks.setTaskInterval("b", 250)'), true);
  assert.is(d.eval('spore.tasks.setTaskInterval("b", 0)'), false);
  c.runFor(1000);
  assert.is(d.eval("tB"), 7);
  assert.is(d.eval('spore.tasks.getTaskInterval("b")'), 250);
  d.eval('spore.tasks.disableTask("a"); spore.tasks.stopTask("b")');
  c.runFor(3000);
  assert.equal([d.eval("tA"), d.eval("tB")], [4, 7]);
  assert.equal([task("a")!.running, task("b")!.running], [true, false]);
  assert.equal([d.eval('spore.tasks.enableTask("nope")'), d.eval('spore.tasks.stopTask("nope")')], [false, false]);
  // printTaskStatus: boards with the control capability (the esp01 leaves it out)
  assert.is(d.eval("typeof spore.tasks.printTaskStatus"), "undefined");
  const e = rig("esp8266").d;
  e.eval('spore.tasks.registerTask("b", 250, function () {})');
  e.eval("spore.tasks.printTaskStatus()");
  // a line per task, as GET /api/tasks/status lists it
  assert.ok(e.console.some((l) => l.startsWith('{"name":"b","interval":250,"enabled":true,"running":true,')), e.console.slice(-8).join("\n"));
});

test("a throwing task never stops the node; five errors in a row disable it and an event says so", () => {
  const { c, d, task, events } = rig();
  d.eval('global.tK = 0; spore.tasks.registerTask("flaky", 1000, function () { tK++; if (tK !== 3) throw new Error("boom " + tK); })');
  c.runFor(4500);
  assert.equal([task("flaky")!.errors, task("flaky")!.enabled], [3, true], "an error in between resets the count in a row");
  c.runFor(4000);
  const t = task("flaky")!;
  assert.equal([t.runs, t.errors, t.enabled, t.running], [8, 7, false, true]);
  const last = events().filter((e) => e.name === "task/error");
  assert.equal(last.pop()!.data, { task: "flaky", error: "boom 8", disabled: true });
  c.runFor(5000);
  assert.is(task("flaky")!.runs, 8, "disabled: it runs no more");
  assert.is(d.counters.uncaught, 0);
  assert.ok(task("probe")!.runs > 20, "the engine's own tasks go on");
  d.eval('spore.tasks.enableTask("flaky")');
  c.runFor(1000);
  assert.equal([task("flaky")!.runs, task("flaky")!.enabled], [9, true], "enabled again, it has five more chances");
});

test("a task that disables itself and then throws stays disabled", () => {
  const { c, d, task } = rig();
  d.eval('spore.tasks.registerTask("self", 1000, function () { spore.tasks.disableTask("self"); throw new Error("x"); })');
  c.runFor(3500);
  assert.equal([task("self")!.runs, task("self")!.enabled], [1, false]);
});

test("local events: on, off, fire with the origin; a throwing listener is contained; the history keeps the board's last events", () => {
  const { c, d, events } = rig();
  d.eval('global.tGot = []; global.tF = function (data, origin) { tGot.push([data.n, origin]); }; spore.on("my/ev", tF); spore.on("my/ev", function () { throw new Error("listener"); })');
  d.eval('spore.fire("my/ev", {n: 1}); spore.off("my/ev", tF); spore.fire("my/ev", {n: 2})');
  c.runFor(100);
  const host = "esp_" + d.mac.toLowerCase().replace(/[-:]/g, "").slice(-6);
  assert.equal(JSON.parse(d.eval("JSON.stringify(tGot)") as string), [[1, host]]);
  assert.ok(d.console.some((l) => l.includes("event my/ev: listener threw listener")), "the listener's error is printed");
  assert.is(d.counters.uncaught, 0);
  const mine = events().filter((e) => e.name === "my/ev");
  assert.equal(mine.map((e) => [e.data.n, e.origin]), [[1, host], [2, host]]);
  d.eval('(function () { for (var j = 0; j < 10; j++) spore.fire("x/" + j, null); })()');
  assert.equal(events().map((e) => e.name), ["x/7", "x/8", "x/9"], "esp01 keeps its eventLog of 3");
  assert.is(d.eval("spore.members"), 0);
});

test.run();
