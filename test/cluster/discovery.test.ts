// The minimal node's discovery on an emulated LAN, in virtual time, seeded.
// A failure prints the seed; replay with SPORE_SEED=<seed> npm test.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { loadBoard } from "../../host-tools/build/boards.ts";
import { Cluster } from "../../host-tools/emulator/cluster.ts";
import type { Device } from "../../host-tools/emulator/device.ts";
import { seedFromEnv } from "../../host-tools/emulator/rng.ts";

const seed = seedFromEnv();
const discovery = suite(`discovery (seed ${seed})`);
const MIXED = ["esp01", "esp8266", "esp32", "esp01", "esp8266"];

function peers(c: Cluster, d: Device): number {
  return c.getJson<{ peers: number }>(d, "/api/node/status").peers;
}

/** Each node has found every other (by its status), checked every virtual second. */
function converged(c: Cluster, nodes = c.devices): boolean {
  return nodes.every((d) => d.running && d.stationIp !== undefined && peers(c, d) === nodes.length - 1);
}

function waitConverged(c: Cluster, limitMs: number, nodes = c.devices): number {
  const start = c.scheduler.now();
  for (let t = 0; t < limitMs; t += 1000) {
    c.runFor(1000);
    if (converged(c, nodes)) return c.scheduler.now() - start;
  }
  assert.unreachable(`not converged in ${limitMs} ms (seed ${seed})`);
  return -1;
}

discovery("five mixed nodes find each other and serve SPORE's status shape", () => {
  const c = new Cluster({ seed, boards: MIXED });
  waitConverged(c, 20000);
  for (const d of c.devices) {
    const s = c.getJson<Record<string, any>>(d, "/api/node/status");
    for (const key of ["freeHeap", "chipId", "sdkVersion", "cpuFreqMHz", "flashChipSize", "api"]) assert.ok(key in s, `${d.ip} status has ${key}`);
    assert.is(s.hostname, `esp_${d.mac.slice(-6)}`, "named from the MAC");
    assert.is(s.chipId, parseInt(d.mac.slice(-6), 16));
    assert.is(s.board, d.board.name);
    assert.equal(s.api, [{ uri: "/api/node/status", method: "GET" }], "the api list is what the node serves");
    assert.is(d.counters.uncaught, 0, `${d.ip} threw`);
  }
});

discovery("announcements go to the subnet broadcast address on UDP 4210 and fit 268 bytes", () => {
  const c = new Cluster({ seed, boards: MIXED });
  waitConverged(c, 20000);
  for (const d of c.devices) {
    const s = c.lan.stats.get(d.ip)!;
    assert.ok(s.datagrams > 0, "the node sent datagrams");
    assert.ok(s.largest <= 268, `largest datagram ${s.largest} bytes`);
  }
});

discovery("with 10% packet loss the cluster still converges", () => {
  const c = new Cluster({ seed, boards: MIXED, lan: { loss: 0.1 } });
  waitConverged(c, 60000);
});

discovery("a partition keeps the halves apart; after healing, new nodes on either side are found", () => {
  const c = new Cluster({ seed, boards: ["esp8266", "esp8266"] });
  c.runFor(100);
  const [a, b] = c.devices;
  c.lan.partition([[a.ip, c.lan.gateway()], [b.ip]]); // the test talks to A from the gateway
  c.runFor(30000);
  assert.is(peers(c, a), 0, "partitioned nodes do not see each other");
  c.lan.heal();
  waitConverged(c, 20000);
});

discovery("a killed node that restarts is found again and its peers keep answering", () => {
  const c = new Cluster({ seed, boards: MIXED });
  waitConverged(c, 20000);
  const victim = c.devices[2];
  c.kill(victim);
  c.runFor(10000);
  assert.throws(() => c.http(victim, "GET", "/api/node/status", { timeoutMs: 8000 }), /timeout|no answer/);
  victim.powerOn();
  waitConverged(c, 20000);
  assert.is(victim.counters.boots, 2);
});

discovery("junk datagrams are dropped without harm", () => {
  const c = new Cluster({ seed, boards: ["esp01", "esp32"] });
  waitConverged(c, 20000);
  const junk = ["", "S1|A", "S2|A|spore|esp_000001|80", "S1|A|other|esp_000001|80", "\xff".repeat(268), "S1|A|spore|esp_000001|80" + "x".repeat(300)];
  for (const j of junk) for (const d of c.devices) c.lan.sendDatagram("10.42.0.250", 4210, d.ip, 4210, j);
  c.runFor(10000);
  for (const d of c.devices) {
    assert.is(d.counters.uncaught, 0);
    assert.is(peers(c, d), 1, "junk did not add peers");
  }
});

discovery("an idle node stays within its board's JsVar budget", () => {
  const c = new Cluster({ seed, boards: MIXED });
  waitConverged(c, 20000);
  c.runFor(30000);
  for (const d of c.devices) {
    const budget = loadBoard(d.board.name).budgets.idleJsVars;
    const used = d.memory().usage;
    assert.ok(used <= budget, `${d.board.name} uses ${used} JsVars at idle, budget ${budget}`);
  }
});

discovery("the same seed gives the same run", () => {
  const trace = (s: number) => {
    const lines: string[] = [];
    const c = new Cluster({ seed: s, boards: MIXED, lan: { loss: 0.05 }, onPrint: (d, l) => lines.push(`${c.scheduler.now().toFixed(3)} ${d.ip} ${l}`) });
    c.runFor(20000);
    return lines;
  };
  const first = trace(seed);
  assert.ok(first.length > 10);
  assert.equal(trace(seed), first);
});

discovery("a hundred nodes find each other", () => {
  const c = new Cluster({ seed, boards: Array.from({ length: 100 }, (_, i) => MIXED[i % MIXED.length]) });
  c.runFor(15000);
  const counts = c.devices.map((d) => peers(c, d));
  assert.ok(Math.min(...counts) === 99, `fewest peers: ${Math.min(...counts)}`);
});

discovery.run();
