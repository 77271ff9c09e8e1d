// A cluster that balances itself (README: Health and overload, Movable
// tasks, Leader election) on emulated esp32 clusters in virtual time: how
// long a movable task takes to run elsewhere after the node running it is
// killed, and after that node's load goes to 90% (p50, p99 over the runs),
// and how long the cluster is without a leader after its leader is killed.
import { Cluster } from "../../../host-tools/emulator/cluster.ts";
import type { Device } from "../../../host-tools/emulator/device.ts";
import { sporeBundle, waitConverged } from "../../cluster/helpers.ts";
import type { Plan } from "../plan.ts";

export interface BalanceSize {
  nodes: number;
  /** ms from the kill (or the load going up) until another node runs the movable task, each run */
  afterDeath: number[];
  afterOverload: number[];
  /** ms from the leader's kill until every node follows one new leader, each run */
  reelection: number[];
}

export interface BalanceResult {
  sizes: BalanceSize[];
}

const ran = (d: Device) => (d.running ? (d.eval("global.RAN || 0") as number) : 0);

/** The nodes whose movable task ran over the next `ms`. */
function runners(c: Cluster, ms: number): Device[] {
  const before = c.devices.map(ran);
  c.runFor(ms);
  return c.devices.filter((d, i) => ran(d) > before[i]);
}

const REGISTER = `global.RAN = 0; spore.tasks.registerTask("bench", 1000, function () { RAN++; }, {movable: true})`;

/**
 * A killed node back: powered on, its code registering the task again once
 * it runs (as a project's would at boot), and settled: until one node has
 * run the task over two windows in a row, past the dwell (a node ranked
 * higher takes it back once its dwell ends: measured from the next kill, that
 * move read as a move after the kill, 1 s after it), at most 120 s.
 */
function restart(c: Cluster, d: Device): void {
  follows.delete(d);
  d.powerOn();
  c.runFor(3000);
  d.eval(REGISTER);
  settle(c);
}

/** Until the same single node runs the movable task over two 3 s windows, at least 45 s on (past the 30 s dwell), at most 120 s. */
function settle(c: Cluster): void {
  const start = c.scheduler.now();
  c.runFor(45000);
  let last = "";
  while (c.scheduler.now() - start < 120000) {
    const r = runners(c, 3000);
    const now = r.length === 1 ? r[0].hostname : "";
    if (now && now === last) return;
    last = now;
  }
}

/** The one node running the movable task (over a 3 s window; a few windows while two run it, logged), undefined when none settles. */
function owner(c: Cluster, log: (s: string) => void): Device | undefined {
  for (let k = 0; k < 5; k++) {
    const r = runners(c, 3000);
    if (r.length === 1) return r[0];
    log(`  ${c.devices.length} nodes: ${r.length} nodes ran the task in one window (${r.map((d) => d.hostname).join(", ")})`);
  }
  return undefined;
}

/** Steps 250 ms at a time until `ok` (or `limit` ms): the ms it took, -1 when it did not. */
function until(c: Cluster, ok: () => boolean, limit: number): number {
  const start = c.scheduler.now();
  while (c.scheduler.now() - start < limit) {
    if (ok()) return Math.round(c.scheduler.now() - start);
    c.runFor(250);
  }
  return -1;
}

/**
 * The leader each node follows, from the last cluster/leader line it printed
 * since it was powered on (no HTTP, which a busy node answers late; not its
 * console, which keeps 200 lines: a node restarted in a 200-node cluster
 * prints a line for each member it meets, and its leader line went).
 */
const follows = new Map<Device, string>();

function printed(d: Device, line: string): void {
  if (line.startsWith("cluster/leader ")) follows.set(d, (JSON.parse(line.slice(15)) as { leader: string }).leader);
}

/** The leader every running node follows, "" while they disagree. */
function leaderOf(c: Cluster): string {
  let l: string | undefined;
  for (const d of c.devices) {
    if (!d.running) continue;
    const now = follows.get(d) ?? "";
    if (!now || (l !== undefined && now !== l)) return "";
    l = now;
  }
  return l ?? "";
}

function one(plan: Plan, n: number, seed: number, code: string, log: (s: string) => void): BalanceSize {
  // (a member table for n nodes: the chip's 64 left 200 nodes never converged, and the run ended at its limit)
  const c = new Cluster({ seed: seed + n, boards: [], bundles: { esp32: code }, onPrint: printed });
  for (let i = 0; i < n; i++) c.addNode("esp32");
  waitConverged(c, 600000, seed);
  for (const d of c.devices) d.eval(REGISTER);
  c.runFor(40000);
  const r: BalanceSize = { nodes: n, afterDeath: [], afterOverload: [], reelection: [] };
  for (let k = 0; k < plan.balance.runs; k++) {
    const o = owner(c, log);
    if (!o) break;
    o.crash();
    const before = c.devices.map(ran);
    r.afterDeath.push(until(c, () => c.devices.some((d, i) => d !== o && ran(d) > before[i]), 30000));
    restart(c, o);
  }
  for (let k = 0; k < plan.balance.runs; k++) {
    const o = owner(c, log);
    if (!o) break;
    o.eval(`spore.tasks.registerTask("hog${k}", 1000, function () { var t = getTime() + 0.9; while (getTime() < t); })`);
    const before = c.devices.map(ran);
    r.afterOverload.push(until(c, () => c.devices.some((d, i) => d !== o && ran(d) > before[i]), 60000));
    o.eval(`spore.tasks.stopTask("hog${k}")`);
    settle(c);
  }
  for (let k = 0; k < plan.balance.runs; k++) {
    const lead = leaderOf(c) || (until(c, () => !!leaderOf(c), 20000), leaderOf(c));
    const d = c.devices.find((x) => x.hostname === lead);
    if (!d) {
      // what the nodes follow, where they disagree
      const seen: Record<string, number> = {};
      for (const x of c.devices) if (x.running) {
        const now = follows.get(x) ?? "(none)";
        seen[now] = (seen[now] ?? 0) + 1;
      }
      log(`  ${n} nodes: no leader every node follows: ${JSON.stringify(seen)}`);
      break;
    }
    d.crash();
    r.reelection.push(until(c, () => !!leaderOf(c) && leaderOf(c) !== lead, 30000));
    restart(c, d);
  }
  log(`  ${n} nodes: moved after a death ${r.afterDeath.join(", ")} ms; after overload ${r.afterOverload.join(", ")} ms; re-elected ${r.reelection.join(", ")} ms`);
  return r;
}

export async function balance(plan: Plan, seed: number, log: (s: string) => void): Promise<BalanceResult> {
  log(`balance: movable tasks and the leader, ${plan.balance.sizes.join(" and ")} esp32 nodes, ${plan.balance.runs} runs each`);
  const sizes: BalanceSize[] = [];
  for (const n of plan.balance.sizes) sizes.push(one(plan, n, seed, await sporeBundle(n), log));
  return { sizes };
}
