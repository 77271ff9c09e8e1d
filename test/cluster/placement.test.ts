// Movable tasks placed without a master (issue 21, the placement capability)
// on emulated nodes running the real bundles: a task registered movable on
// every node runs on one; it moves when that node dies or is OVERLOADED,
// does not come back before the dwell, runs once on each side of a
// partition and once again after it heals; boards without the capability
// never run it.
import * as assert from "uvu/assert";
import { Cluster } from "../../host-tools/emulator/cluster.ts";
import type { Device } from "../../host-tools/emulator/device.ts";
import { cli } from "./cli.ts";
import { api, waitConverged } from "./helpers.ts";
import { suite } from "../suite.ts";

const { test, seed } = suite("placement", { seed: 2102 });

interface Placement {
  tasks: { task: string; node: string; here: boolean; passed: string[] }[];
  dwell: number;
}
const placement = (c: Cluster, d: Device) => api<Placement>(c, d, "/api/cluster/placement", "placement");
/** Registers the movable task "job" on every node: each run counted in `ran`. */
function register(c: Cluster): void {
  for (const d of c.devices) d.eval(`var ran = 0; var ok = spore.tasks.registerTask("job", 1000, function () { ran++; }, {movable: true})`);
}
const runs = (c: Cluster) => c.devices.map((d) => (d.running ? (d.eval("ran") as number) : 0));
/** The nodes whose count of runs went up over the next `ms`. */
function runners(c: Cluster, ms: number): Device[] {
  const before = runs(c);
  c.runFor(ms);
  const after = runs(c);
  return c.devices.filter((_, i) => after[i] > before[i]);
}
const moves = (d: Device) => api<{ events: { name: string; data: { task: string; from: string; to: string; why: string } }[] }>(c0!, d, "/api/events", "events").events.filter((e) => e.name === "task/moved");
let c0: Cluster | undefined;

test("one node runs a movable task; every node agrees where; a board without the capability never runs it", () => {
  const c = (c0 = new Cluster({ seed, boards: ["esp32", "esp32", "esp32", "esp32", "esp8266"] }));
  waitConverged(c, 60000, seed);
  register(c);
  assert.equal(c.devices.map((d) => d.eval("ok")), [true, true, true, true, true]);
  // nothing runs before the dwell (30 s): then one node
  assert.equal(runners(c, 20000).length, 0, "none during the dwell");
  c.runFor(15000);
  const r = runners(c, 30000);
  assert.equal(r.length, 1, `one runner (seed ${seed}): ${r.map((d) => d.hostname)}`);
  const at = r[0].hostname;
  assert.ok(r[0].board.name === "esp32", "an esp32 (the esp8266 has no placement)");
  for (const d of c.devices.slice(0, 4)) assert.equal(placement(c, d).tasks.map((t) => [t.task, t.node, t.here]), [["job", at, d.hostname === at]], d.hostname);
  assert.equal(moves(c.devices[1]).map((e) => [e.data.from, e.data.to]), [["", at]]);
});

test("host-tools cluster placement: the task, where it runs, and what was passed over", async () => {
  const c = c0!;
  const d = c.devices[0];
  const r = await cli(c, ["cluster", "placement", "--api-node", d.ip]);
  assert.is(r.code, 0, r.err);
  const p = placement(c, d).tasks[0];
  assert.match(r.out, new RegExp(`^task\\s+runs on\\s+passed over\\njob\\s+${p.node}( \\(this node\\))?\\s+`));
  assert.match(r.out, /dwell 30 s\n$/);
  const j = await cli(c, ["cluster", "placement", "--api-node", c.devices[4].ip]);
  assert.is(j.code, 1, "the esp8266 has no placement capability: 404");
  assert.match(j.err, /404/);
});

test("its node dies: the task moves within the failure detection time, to the node every other places it on", () => {
  const c = (c0 = new Cluster({ seed, boards: ["esp32", "esp32", "esp32", "esp32"] }));
  waitConverged(c, 60000, seed);
  register(c);
  c.runFor(40000);
  const [owner] = runners(c, 5000);
  owner.crash();
  const killed = c.scheduler.now();
  let next: Device[] = [];
  while (c.scheduler.now() - killed < 30000 && next.length === 0) next = runners(c, 500);
  const took = c.scheduler.now() - killed;
  assert.equal(next.length, 1, `one new runner (seed ${seed})`);
  assert.ok(took <= 16000, `moved ${took} ms after the kill`);
  assert.equal(runners(c, 10000).map((d) => d.hostname), [next[0].hostname], "and only it");
  const others = c.devices.filter((d) => d !== owner);
  for (const d of others) assert.equal(moves(d).at(-1)!.data.to, next[0].hostname, d.hostname);
  assert.match(moves(others[0]).at(-1)!.data.why, new RegExp(`${owner.hostname} not ACTIVE`));
  console.log(`    moved ${took.toFixed(0)} ms after its node was killed`);
});

test("its node is OVERLOADED: the task moves; it does not come back within the dwell, then comes back once", () => {
  const c = (c0 = new Cluster({ seed, boards: ["esp32", "esp32", "esp32", "esp32"] }));
  waitConverged(c, 60000, seed);
  register(c);
  c.runFor(40000);
  const [owner] = runners(c, 5000);
  owner.eval(`spore.tasks.registerTask("hog", 1000, function () { var t = getTime() + 0.9; while (getTime() < t); })`);
  const start = c.scheduler.now();
  let next: Device[] = [];
  while (c.scheduler.now() - start < 40000 && !(next.length === 1 && next[0] !== owner)) next = runners(c, 1000);
  assert.ok(next.length === 1 && next[0] !== owner, `moved off the OVERLOADED node (seed ${seed})`);
  console.log(`    moved ${(c.scheduler.now() - start).toFixed(0)} ms after its node's load went to 90%`);
  owner.eval('spore.tasks.stopTask("hog")');
  // recovered after a window and more; then eligible again only after the dwell (30 s): it stays where it went till then
  const over = () => api<{ health: { overloaded: boolean } }>(c, owner, "/api/node/status", "node-status").health.overloaded;
  while (over()) c.runFor(500);
  assert.equal(runners(c, 25000).map((d) => d.hostname), [next[0].hostname], "not back within the dwell");
  c.runFor(10000);
  assert.equal(runners(c, 10000).map((d) => d.hostname), [owner.hostname], "back once the dwell has passed");
  const m = moves(c.devices.find((d) => d !== owner && d !== next[0])!).map((e) => e.data.to);
  assert.equal(m.slice(-2), [next[0].hostname, owner.hostname], "one move away, one back");
});

test("a partition: each side runs the task once; healed, one again after the dwell", () => {
  const c = (c0 = new Cluster({ seed, boards: ["esp32", "esp32", "esp32", "esp32", "esp32", "esp32"] }));
  waitConverged(c, 60000, seed);
  register(c);
  c.runFor(40000);
  assert.equal(runners(c, 5000).length, 1);
  const [a, b] = [c.devices.slice(0, 3), c.devices.slice(3)];
  c.lan.partition([[...a.map((d) => d.ip), c.lan.gateway()], b.map((d) => d.ip)]);
  c.runFor(30000);
  const split = runners(c, 10000);
  assert.equal([split.filter((d) => a.includes(d)).length, split.filter((d) => b.includes(d)).length], [1, 1], `one per side (seed ${seed}): ${split.map((d) => d.hostname)}`);
  c.lan.heal();
  c.runFor(60000);
  assert.equal(runners(c, 10000).length, 1, "one again");
});

test.run();
