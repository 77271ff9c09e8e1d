// A node that comes back: after an absence longer than `dead`, after a
// restart following a long uptime, and a whole cluster powered on at the
// same instant. On real boards Espruino's Math.random() repeats one sequence
// after every boot on every node (the emulator runs the same generator), so
// these fail unless the firmware seeds it and its peers recognise a new
// boot whatever its datagram numbers.
import * as assert from "uvu/assert";
import { Cluster } from "../../host-tools/emulator/cluster.ts";
import type { Device } from "../../host-tools/emulator/device.ts";
import { api, hostnameOf, statusOf, waitConverged } from "./helpers.ts";
import { suite } from "../suite.ts";

const { test: rejoin, seed } = suite("rejoin", { seed: 1615 });
/** The configuration's ina and dead, seconds (device/core/layout.ts defaults). */
const INA = 10;
const DEAD = 60;

type Counts = { ACTIVE: number; INACTIVE: number; DEAD: number };
const counts = (c: Cluster, d: Device) => api<{ members: Counts; drops: Record<string, number> }>(c, d, "/api/node/status", "node-status");

/** Runs until every node in `peers` lists `node` as ACTIVE and `node` lists them all as ACTIVE; the virtual ms it took, or Infinity. */
function untilActiveEverywhere(c: Cluster, node: Device, peers: Device[], limitMs: number): number {
  const start = c.scheduler.now();
  for (let t = 0; t < limitMs; t += 250) {
    c.runFor(250);
    if (!node.stationIp) continue;
    const own = counts(c, node).members;
    if (own.ACTIVE === peers.length && peers.every((p) => statusOf(c, p, node) === "ACTIVE")) return c.scheduler.now() - start;
  }
  return Infinity;
}

// 70 s: DEAD on every peer; 400 s: forgotten too (dead + fgt = 360 s)
for (const away of [DEAD + 10, 400]) {
  rejoin(`a node away ${away} s (longer than dead, ${DEAD} s) is ACTIVE on every peer within ina (${INA} s) of its return`, () => {
    const c = new Cluster({ seed, boards: Array.from({ length: 9 }, () => "esp01") });
    waitConverged(c, 30000, seed);
    c.runFor(120000);
    const node = c.devices[4];
    const peers = c.devices.filter((d) => d !== node);
    c.kill(node);
    c.runFor(away * 1000);
    for (const p of peers) assert.is(statusOf(c, p, node), away > 360 ? undefined : "DEAD", `${p.ip} lists the absent node ${away > 360 ? "no more" : "DEAD"}`);
    node.powerOn();
    const took = untilActiveEverywhere(c, node, peers, 60000);
    console.log(`    rejoin after ${away} s away: ACTIVE on all 8 peers ${(took / 1000).toFixed(2)} s after power-on (seed ${seed})`);
    assert.ok(took <= INA * 1000, `ACTIVE everywhere ${took} ms after its return (seed ${seed})`);
  });
}

// after 5 minutes a restarted node's datagram numbers start a few hundred behind its last ones,
// after 40 minutes thousands behind: both used to be taken for replays or a restart by chance
for (const minutes of [5, 40]) {
  rejoin(`a node restarted after ${minutes} minutes of uptime stays ACTIVE on every peer: none of its datagrams is taken for a replay`, () => {
    const c = new Cluster({ seed, boards: ["esp01", "esp8266", "esp32", "esp01", "esp8266", "esp01"] });
    waitConverged(c, 30000, seed);
    c.runFor(minutes * 60000);
    const node = c.devices[0];
    const peers = c.devices.filter((d) => d !== node);
    const replays = () => peers.reduce((n, p) => n + (counts(c, p).drops.replay ?? 0), 0);
    const before = replays();
    c.restart(node);
    const start = c.scheduler.now();
    const took = untilActiveEverywhere(c, node, peers, 60000);
    console.log(`    restart after ${minutes} min of uptime: every peer and the node list each other ACTIVE ${(took / 1000).toFixed(2)} s after the restart (seed ${seed})`);
    // and stay so for three times ina: peers that dropped its datagrams would report it INACTIVE meanwhile
    while (c.scheduler.now() < start + 3 * INA * 1000) {
      c.runFor(1000);
      for (const p of peers) assert.is(statusOf(c, p, node), "ACTIVE", `${p.ip} at ${c.scheduler.now() - start} ms after the restart (seed ${seed})`);
    }
    assert.is(replays() - before, 0, "no datagram of the restarted node was dropped as a replay");
    assert.ok(took <= INA * 1000, `ACTIVE everywhere ${took} ms after the restart`);
  });
}

rejoin("nine esp8266 nodes powered on at the same instant draw different delays and stay within memory", () => {
  const c = new Cluster({ seed, boards: Array.from({ length: 9 }, () => "esp8266") });
  waitConverged(c, 30000, seed);
  // a power cut, then power back everywhere in one instant
  for (const d of c.devices) d.crash();
  c.runFor(5000);
  const announces = new Map<string, number>();
  const answers: number[] = [];
  c.lan.onDatagram = (from, _to, data) => {
    // "S3|<tag>|<cluster>|<type>|...": A an announce, H an answer to one
    const type = data.split("|")[3];
    if (type === "A" && !announces.has(from)) announces.set(from, c.scheduler.now());
    if (type === "H") answers.push(c.scheduler.now());
  };
  const on = c.scheduler.now();
  for (const d of c.devices) d.powerOn();
  const peak = new Map<Device, number>();
  for (let t = 0; t < 30000; t += 100) {
    c.runFor(100);
    for (const d of c.devices) if (d.running) peak.set(d, Math.max(peak.get(d) ?? 0, d.jsVarsUsed()));
  }
  c.lan.onDatagram = undefined;
  const times = [...announces.values()].map((t) => Math.round(t - on));
  const answered = answers.map((t) => Math.round(t - on));
  console.log(`    powered on together: first announces at ${[...new Set(times)].sort((a, b) => a - b).join(", ")} ms, ${answered.length} answers at ${new Set(answered).size} moments; peak JsVars (emulator's estimate) ${Math.max(...peak.values())} of 1600 (seed ${seed})`);
  assert.is(announces.size, 9, "every node announced");
  // the first announce goes with the probe task's next run after a random moment: a whole-second tick, up to three of them
  assert.ok(new Set(times).size >= 2, `announces at more than one moment: ${times.join(", ")}`);
  // each answer at a random moment of a probe round: the same moment everywhere if every node drew the same numbers
  assert.ok(answered.length >= 9, `${answered.length} answers`);
  assert.ok(new Set(answered).size >= answered.length - 2, `answers at ${new Set(answered).size} different moments of ${answered.length}`);
  for (const d of c.devices) {
    assert.ok(peak.get(d)! < d.board.limits.jsVars - d.board.node.minFree, `${hostnameOf(d)} peaked at ${peak.get(d)} JsVars`);
    assert.is(d.counters.uncaught, 0, `${hostnameOf(d)} threw`);
  }
  waitConverged(c, 30000, seed);
});

rejoin.run();
