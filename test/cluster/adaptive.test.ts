// Adaptive gossip (issue 21, the adaptive capability) on emulated esp32
// nodes running the real bundle: each mode entered and left, what each mode
// runs (the probe period, lambda) and sends (datagrams per node per second),
// and the battery reading that puts a node in emergency mode.
import * as assert from "uvu/assert";
import { Cluster } from "../../host-tools/emulator/cluster.ts";
import type { Device } from "../../host-tools/emulator/device.ts";
import { api, statusOf, waitConverged } from "./helpers.ts";
import { suite } from "../suite.ts";

const { test, seed } = suite("adaptive", { seed: 2111 });

interface Gossip {
  mode: string;
  periodMs: number;
  lambda: number;
  probeFailures: number;
  battery: number | null;
  since: number;
}
const gossip = (c: Cluster, d: Device) => api<{ gossip: Gossip }>(c, d, "/api/node/status", "node-status").gossip;

interface Change {
  d: Device;
  at: number;
  mode: string;
  was: string;
  periodMs: number;
}
/** A cluster whose gossip/mode events, as each node printed them, are collected. */
function watched(boards: string[], config: Record<string, unknown>): { c: Cluster; seen: Change[] } {
  const seen: Change[] = [];
  const c: Cluster = new Cluster({
    seed,
    boards,
    config,
    onPrint: (d, line) => {
      if (!line.startsWith("gossip/mode ")) return;
      const e = JSON.parse(line.slice(line.indexOf(" ") + 1)) as { mode: string; was: string; periodMs: number };
      seen.push({ d, at: c.scheduler.now(), ...e });
    },
  });
  return { c, seen };
}

/** Datagrams each node sent per second over `ms`. */
function rate(c: Cluster, nodes: Device[], ms: number): number {
  const before = nodes.map((d) => c.lan.stats.get(d.ip)?.datagrams ?? 0);
  c.runFor(ms);
  return nodes.reduce((sum, d, i) => sum + (c.lan.stats.get(d.ip)?.datagrams ?? 0) - before[i], 0) / nodes.length / (ms / 1000);
}

test("each mode entered and left: aggressive after joining, a death and loss; normal once repaired; conservative when calm", () => {
  const { c, seen } = watched(["esp32", "esp32", "esp32", "esp32", "esp32"], { cq: 20 });
  waitConverged(c, 30000, seed);
  // joining is membership changing: every node starts aggressive (the shortest period, lambda 4)
  for (const d of c.devices) assert.is(seen.find((e) => e.d === d)?.mode, "aggressive", `${d.hostname} (seed ${seed})`);
  c.runFor(12000);
  for (const d of c.devices) assert.is(gossip(c, d).mode, "normal", `${d.hostname} normal once nothing changed for 10 s (seed ${seed})`);
  assert.equal([gossip(c, c.devices[0]).periodMs, gossip(c, c.devices[0]).lambda], [1000, 3]);
  c.runFor(20000);
  for (const d of c.devices) {
    const g = gossip(c, d);
    // a leader keeps the normal period (its heartbeats go every half period)
    const leads = api<{ leader: string }>(c, d, "/api/cluster/leader", "leader").leader === d.hostname;
    assert.equal([g.mode, g.periodMs, g.lambda], ["conservative", leads ? 1000 : 1250, 2], `${d.hostname}: conservative after cq (20 s) calm (seed ${seed})`);
  }
  // a death is a change: aggressive again on every other node, and it is found INACTIVE
  const victim = c.devices[4];
  const others = c.devices.slice(0, 4);
  c.kill(victim);
  const killed = c.scheduler.now();
  let t = 0;
  while (t < 15000 && !others.every((d) => gossip(c, d).mode === "aggressive")) {
    c.runFor(250);
    t += 250;
  }
  assert.ok(t < 15000, `every other node aggressive after the death (seed ${seed}): ${others.map((d) => gossip(c, d).mode)}`);
  assert.equal([gossip(c, others[0]).periodMs, gossip(c, others[0]).lambda], [600, 4]);
  c.runFor(Math.max(0, 15000 - (c.scheduler.now() - killed)));
  for (const d of others) assert.is(statusOf(c, d, victim), "INACTIVE", `${d.hostname} (seed ${seed})`);
  // then, with nothing changing, normal again, and conservative after cq
  c.runFor(30000);
  for (const d of others) assert.is(gossip(c, d).mode, "conservative", `${d.hostname} calm again (seed ${seed})`);
  // loss: over 12% of direct probes unanswered keeps a node aggressive with no membership change
  c.lan.options.loss = 0.3;
  c.runFor(30000);
  const lossy = others.map((d) => gossip(c, d));
  assert.ok(lossy.every((g) => g.mode === "aggressive" && g.probeFailures > 0.12), `aggressive at 30% loss (seed ${seed}): ${JSON.stringify(lossy)}`);
  c.lan.options.loss = 0;
  c.runFor(60000);
  const after = others.map((d) => gossip(c, d));
  assert.ok(after.every((g) => g.mode !== "aggressive" && g.probeFailures < 0.06), `the loss gone, aggressive left (seed ${seed}): ${JSON.stringify(after)}`);
  // every change was an event, each leaving the mode the one before entered
  for (const d of others) {
    const mine = seen.filter((e) => e.d === d);
    for (let i = 1; i < mine.length; i++) assert.is(mine[i].was, mine[i - 1].mode, `${d.hostname}'s events chain`);
    assert.ok(["aggressive", "normal", "conservative"].every((m) => mine.some((e) => e.mode === m) && mine.some((e) => e.was === m)), `${d.hostname} entered and left each: ${mine.map((e) => e.mode)}`);
  }
});

test("low battery (an ADC pin and divider in the configuration): emergency mode, the longest period, left with hysteresis", () => {
  // 4,200 mV at a reading of 1 (a 4.2:1 divider on a 1 V ADC), empty at 3,300, full at 4,200, low under 20%
  const { c, seen } = watched(["esp32", "esp32", "esp32", "esp32"], { bpn: "D36", bfs: 4200, bmn: 3300, bmx: 4200, blw: 20 });
  const volts = (d: Device, mv: number) => d.pins.setAnalog("D36", mv / 4200);
  for (const d of c.devices) volts(d, 4000);
  waitConverged(c, 30000, seed);
  const d = c.devices.find((x) => api<{ leader: string }>(c, x, "/api/cluster/leader", "leader").leader !== x.hostname)!;
  c.runFor(11000);
  assert.is(gossip(c, d).battery, 78, "(4,000 - 3,300) / 900");
  volts(d, 3400);
  c.runFor(11000);
  assert.equal([gossip(c, d).mode, gossip(c, d).battery, gossip(c, d).periodMs, gossip(c, d).lambda], ["emergency", 11, 4000, 2], `seed ${seed}`);
  // it still answers probes: its members keep it ACTIVE while it probes them four times less often
  c.runFor(30000);
  for (const o of c.devices) if (o !== d) assert.is(statusOf(c, o, d), "ACTIVE");
  // 22% is above the low mark but within the 5 points of hysteresis: still emergency; 30% leaves it
  volts(d, 3300 + 0.22 * 900);
  c.runFor(11000);
  assert.is(gossip(c, d).mode, "emergency", "within the hysteresis");
  volts(d, 3300 + 0.3 * 900);
  c.runFor(11000);
  assert.not.equal(gossip(c, d).mode, "emergency");
  assert.is(gossip(c, d).periodMs < 4000, true);
  const mine = seen.filter((e) => e.d === d);
  assert.ok(mine.some((e) => e.mode === "emergency") && mine.some((e) => e.was === "emergency"), mine.map((e) => e.mode).join());
});

test("a fixed mode (gm): its period and lambda, and what each sends per node per second", () => {
  const sent: Record<string, number> = {};
  for (const [gm, mode] of [[1, "aggressive"], [2, "normal"], [3, "conservative"], [4, "emergency"]] as const) {
    const c = new Cluster({ seed, boards: ["esp32", "esp32", "esp32", "esp32", "esp32", "esp32"], config: { gm } });
    waitConverged(c, 40000, seed);
    c.runFor(20000);
    const g = gossip(c, c.devices[1]);
    assert.is(g.mode, mode);
    // the leader (if any) holds the normal period
    const followers = c.devices.filter((d) => api<{ leader: string }>(c, d, "/api/cluster/leader", "leader").leader !== d.hostname);
    sent[mode] = rate(c, followers, 40000);
    assert.equal(followers.map((d) => gossip(c, d).periodMs), followers.map(() => [600, 1000, 1250, 4000][gm - 1]), mode);
  }
  // two datagrams a period (a ping, an ack) and a little more: the longer the period, the fewer
  assert.ok(sent.aggressive > sent.normal * 1.4 && sent.normal > sent.conservative * 1.15 && sent.conservative > sent.emergency * 2, JSON.stringify(sent));
  assert.ok(Math.abs(sent.normal - 2) < 0.4, JSON.stringify(sent));
});

test.run();
