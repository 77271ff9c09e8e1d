// Jobs the cluster runs once (issue 21): "placement": "any" runs a job on
// the one node placement puts it on, as a movable task, and elsewhere when
// that node dies; "singleton": true on the leader only; boards without the
// capability refuse them rather than run them everywhere.
import * as assert from "uvu/assert";
import { BOARDS_DIR, loadBoard } from "../../host-tools/build/boards.ts";
import { bundleBoard } from "../../host-tools/build/bundle.ts";
import { Cluster } from "../../host-tools/emulator/cluster.ts";
import type { Device } from "../../host-tools/emulator/device.ts";
import { api, waitConverged } from "./helpers.ts";
import { deploy, deployed, listing } from "./jobs-helpers.ts";
import { suite } from "../suite.ts";

const { test, seed } = suite("jobs placed", { seed: 2131 });

/** The node's KV counter `key` (0 when the job never ran there). */
function count(c: Cluster, d: Device, key: string): number {
  const r = c.http(d, "GET", "/api/kv/" + key);
  return r.status === 404 ? 0 : (JSON.parse(r.body) as { value: number }).value;
}

/** The nodes whose counter `key` grew over the next `ms`. */
function runners(c: Cluster, nodes: Device[], key: string, ms: number): Device[] {
  const live = nodes.filter((d) => d.running);
  const before = live.map((d) => count(c, d, key));
  c.runFor(ms);
  return live.filter((d, i) => count(c, d, key) > before[i]);
}

const tick = (name: string, extra: Record<string, unknown>) => ({ name, trigger: { type: "interval", every_ms: 1000 }, ...extra, steps: [{ "kv.incr": { key: name } }] });

test("placement any: one node runs the job, another once it dies; singleton: the leader only", () => {
  const c = new Cluster({ seed, boards: ["esp32", "esp32", "esp32", "esp32"], config: { pdw: 5 } });
  waitConverged(c, 30000, seed);
  for (const d of c.devices) deployed(c, d, [tick("once", { placement: "any" }), tick("lead", { singleton: true }), tick("all", {})]);
  c.runFor(15000);
  const once = runners(c, c.devices, "once", 10000);
  assert.is(once.length, 1, `one runner of "once" (seed ${seed}): ${once.map((d) => d.hostname)}`);
  assert.is(runners(c, c.devices, "all", 5000).length, 4, "a job without placement runs on every node");
  const leader = api<{ leader: string }>(c, c.devices[0], "/api/cluster/leader", "leader").leader;
  assert.equal(runners(c, c.devices, "lead", 5000).map((d) => d.hostname), [leader], "the singleton on the leader");
  assert.equal([listing(c, once[0]).jobs.find((j) => j.name === "once")], [{ ...listing(c, once[0]).jobs.find((j) => j.name === "once")!, placement: "any", singleton: false }]);
  // its node dies: another runs it once the others see it INACTIVE (within 10 s), and only one
  const dead = once[0];
  c.kill(dead);
  c.runFor(12000);
  const after = runners(c, c.devices, "once", 5000);
  assert.is(after.length, 1, `one runner after the death (seed ${seed}): ${after.map((d) => d.hostname)}`);
  assert.not.equal(after[0], dead);
});

test("boards without the capability refuse placed and singleton jobs, with the reason", async () => {
  // esp8266 with jobs turned on (as a project may), without placement and leader
  const code = (await bundleBoard(loadBoard("esp8266", BOARDS_DIR, { esp8266: { jobs: true } }), { write: false })).code;
  const c = new Cluster({ seed, boards: [], bundles: { esp8266: code } });
  c.addNode("esp8266");
  c.runFor(5000);
  const d = c.devices[0];
  let r = deploy(c, d, { version: 1, jobs: [tick("once", { placement: "any" })] });
  assert.is(r.status, 400, JSON.stringify(r.body));
  assert.match(String(r.body.error), /placement: this board cannot place jobs/, JSON.stringify(r.body));
  r = deploy(c, d, { version: 1, jobs: [tick("lead", { singleton: true })] });
  assert.match(String(r.body.error), /singleton: this board elects no leader/);
  assert.is(listing(c, d).jobs.length, 0, "nothing installed");
});

test.run();
