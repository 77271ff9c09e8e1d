// Leader election (issue 21, the leader capability) on emulated nodes
// running the real bundles: one leader per term that every node follows; a
// new one within about 3 s after the leader is lost; none on the minority
// side of a partition; singleton tasks run on the leader only; boards
// without the capability neither vote nor lead.
import * as assert from "uvu/assert";
import { Cluster } from "../../host-tools/emulator/cluster.ts";
import type { Device } from "../../host-tools/emulator/device.ts";
import { cli } from "./cli.ts";
import { api, members, waitConverged } from "./helpers.ts";
import { suite } from "../suite.ts";

const { test, seed } = suite("leader election", { seed: 2103 });

interface Leader {
  leader: string;
  term: number;
  role: string;
  votedFor: string;
  since: number;
  electors: number;
  active: number;
  majority: number;
}
const status = (c: Cluster, d: Device) => api<Leader>(c, d, "/api/cluster/leader", "leader");
const voters = (c: Cluster) => c.devices.filter((d) => d.running && d.board.capabilities.leader);
/** The leader every running voter follows, or "" while they disagree or have none. */
function agreed(c: Cluster): string {
  const ls = voters(c).map((d) => status(c, d).leader);
  return ls.every((l) => l && l === ls[0]) ? ls[0] : "";
}
/** Every (term, leader) a node noted (cluster/leader events): no term may have two. */
function leadersByTerm(c: Cluster): Map<number, Set<string>> {
  const m = new Map<number, Set<string>>();
  for (const d of voters(c))
    for (const e of api<{ events: { name: string; data: { leader: string; term: number } }[] }>(c, d, "/api/events", "events").events)
      if (e.name === "cluster/leader" && e.data.leader) (m.get(e.data.term) ?? m.set(e.data.term, new Set()).get(e.data.term)!).add(e.data.leader);
  return m;
}
/** Polls every 250 ms of virtual time until `ok`; the ms it took, or -1 after `limit`. */
function poll(c: Cluster, ok: () => boolean, limit: number): number {
  const start = c.scheduler.now();
  while (c.scheduler.now() - start <= limit) {
    if (ok()) return c.scheduler.now() - start;
    c.runFor(250);
  }
  return -1;
}

test("one leader, followed by every node that may lead; boards without the capability neither vote nor lead; re-elected within about 3 s each time the leader dies", () => {
  const c = new Cluster({ seed, boards: ["esp32", "esp32", "esp32", "esp32", "esp32", "esp8266", "esp01"] });
  waitConverged(c, 60000, seed);
  assert.ok(poll(c, () => !!agreed(c), 10000) >= 0, `a leader (seed ${seed})`);
  const first = agreed(c);
  const s = status(c, voters(c)[0]);
  assert.equal([s.electors, s.majority], [5, 3], "five esp32 may lead, three are a majority");
  for (const d of c.devices.filter((d) => !d.board.capabilities.leader)) assert.is(c.http(d, "GET", "/api/cluster/leader").status, 404, d.board.name);
  const took: number[] = [];
  let lead = first;
  // three leaders lost in turn (five voters, then four, then three: a majority of five each time)
  for (let k = 0; k < 2; k++) {
    c.devices.find((d) => d.hostname === lead)!.crash();
    const t = poll(c, () => !!agreed(c) && agreed(c) !== lead, 10000);
    assert.ok(t >= 0, `a new leader after ${lead} died (seed ${seed})`);
    took.push(t);
    lead = agreed(c);
  }
  console.log(`    re-elected in ${took.map((t) => t.toFixed(0)).join(" and ")} ms after the leader died`);
  for (const t of took) assert.ok(t <= 4000, `${t} ms`);
  for (const [term, ls] of leadersByTerm(c)) assert.is(ls.size, 1, `term ${term}: ${[...ls]}`);
});

test("a partition: the side with a majority of the members that may lead has a leader, the minority side none; healed, one again", () => {
  const c = new Cluster({ seed, boards: ["esp32", "esp32", "esp32", "esp32", "esp32"] });
  waitConverged(c, 60000, seed);
  assert.ok(poll(c, () => !!agreed(c), 10000) >= 0);
  const lead = agreed(c);
  // the leader on the minority side
  const minority = [c.devices.find((d) => d.hostname === lead)!];
  minority.push(c.devices.find((d) => d.hostname !== lead)!);
  const majority = c.devices.filter((d) => !minority.includes(d));
  c.lan.partition([[...majority.map((d) => d.ip), c.lan.gateway()], minority.map((d) => d.ip)]);
  c.runFor(30000);
  const ml = majority.map((d) => status(c, d).leader);
  assert.ok(ml.every((l) => l && l === ml[0] && majority.some((d) => d.hostname === l)), `the majority side has one leader (seed ${seed}): ${ml}`);
  // (the host reaches the nodes through the gateway, on the majority side: the minority's say it on their consoles)
  const last = (d: Device) => JSON.parse(d.console.filter((l) => l.startsWith("cluster/leader ")).at(-1)!.slice(15)) as { leader: string };
  assert.equal(minority.map((d) => last(d).leader), ["", ""], "the minority side has none");
  c.lan.heal();
  assert.ok(poll(c, () => !!agreed(c), 30000) >= 0, "healed: one leader");
  for (const [term, ls] of leadersByTerm(c)) assert.is(ls.size, 1, `term ${term}: ${[...ls]}`);
});

test("a singleton task runs on the leader only, and follows the leadership; host-tools cluster leader", async () => {
  const c = new Cluster({ seed, boards: ["esp32", "esp32", "esp32", "esp32"] });
  waitConverged(c, 60000, seed);
  for (const d of c.devices) d.eval(`var ran = 0; spore.tasks.registerTask("single", 1000, function () { ran++; }, {singleton: true})`);
  assert.ok(poll(c, () => !!agreed(c), 10000) >= 0);
  c.runFor(3000);
  const runners = (ms: number) => {
    const before = c.devices.map((d) => (d.running ? (d.eval("ran") as number) : 0));
    c.runFor(ms);
    return c.devices.filter((d, i) => d.running && (d.eval("ran") as number) > before[i]).map((d) => d.hostname);
  };
  let lead = agreed(c);
  assert.equal(runners(10000), [lead], `only the leader (seed ${seed})`);
  const r = await cli(c, ["cluster", "leader", "--api-node", c.devices[0].ip]);
  assert.is(r.code, 0, r.err);
  assert.match(r.out, new RegExp(`^leader\\s+${lead}\\n`));
  // the member list marks it, on every node, and host-tools cluster members says so
  for (const d of c.devices) assert.equal(members(c, d).filter((m) => m.leader).map((m) => m.hostname), [lead], d.hostname);
  const ms = await cli(c, ["cluster", "members", "--api-node", c.devices[1].ip]);
  assert.match(ms.out, new RegExp(`^${lead} \\(leader\\)\\s`, "m"));
  c.devices.find((d) => d.hostname === lead)!.crash();
  assert.ok(poll(c, () => !!agreed(c) && agreed(c) !== lead, 10000) >= 0);
  lead = agreed(c);
  c.runFor(2000);
  assert.equal(runners(10000), [lead], "the new leader only");
});

test.run();
