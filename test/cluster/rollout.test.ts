// `ota all` on clusters as they are found in the field: nodes up for more
// than half an hour, and esp01 nodes held in recovery mode longer than it
// takes their peers to report them DEAD.
import * as assert from "uvu/assert";
import { Cluster } from "../../host-tools/emulator/cluster.ts";
import { cli, newFirmware } from "./cli.ts";
import { hostnameOf, MIXED, waitConverged } from "./helpers.ts";
import { suite } from "../suite.ts";

const { test: rollout, seed } = suite("ota all rollouts", { seed: 1616 });
const TRIAL = { hold: 5000, trial: 60000 };
const versions = (c: Cluster) => c.devices.map((d) => (c.getJson(d, "/api/node/status") as { version: string }).version);

// a few minutes: a restarted node's datagram numbers start a few hundred behind its last ones; 35: thousands
for (const minutes of [5, 35]) {
  rollout(`ota all updates 21 mixed nodes that have been up for ${minutes} minutes`, async () => {
    // an esp32 first, the API node: esp01 and esp8266 tables hold 12 members, an esp32's 64
    const boards = ["esp32", ...Array.from({ length: 20 }, (_, i) => MIXED[i % MIXED.length])];
    const c = new Cluster({ seed, boards, config: TRIAL });
    const api = c.devices[0];
    const allActive = () => !!api.stationIp && (c.getJson(api, "/api/node/status") as { members: { ACTIVE: number } }).members.ACTIVE === 20;
    assert.ok(c.runUntil(allActive, 120000), "the API node lists the other 20 ACTIVE");
    c.runFor(minutes * 60000);
    assert.ok(allActive(), `and still does after ${minutes} minutes`);
    const start = c.scheduler.now();
    const r = await cli(c, ["ota", "all", "--api-node", api.ip, "--json"], { build: newFirmware("0badcafe") });
    const took = (c.scheduler.now() - start) / 1000;
    const rows = JSON.parse(r.out || "[]") as { outcome: string; board: string; seconds: number }[];
    const slowest = (board: string) => Math.max(...rows.filter((x) => x.board === board).map((x) => x.seconds));
    console.log(`    21 nodes up ${minutes} min: ota all took ${took.toFixed(0)} s of virtual time (slowest node: esp01 ${slowest("esp01")} s, esp8266 ${slowest("esp8266")} s, esp32 ${slowest("esp32")} s; seed ${seed})`);
    assert.is(r.code, 0, r.out + r.err);
    assert.equal(
      rows.map((x) => x.outcome),
      Array(21).fill("updated"),
    );
    assert.equal(versions(c), Array(21).fill("0badcafe"));
    assert.ok(c.runUntil(allActive, 30000), "the API node lists the other 20 ACTIVE after the rollout");
  });
}

/** Holds the upload to each esp01 in recovery mode (the second POST to it) for `ms`: a slow link, a busy laptop. */
function holdRecoveryUploads(c: Cluster, ms: (host: string) => number) {
  const esp01 = new Set(c.devices.filter((d) => d.board.name === "esp01").map((d) => d.ip));
  const posts = new Map<string, number>();
  const held: string[] = [];
  const delay = (q: { host: string; method: string; path: string }) => {
    if (q.method !== "POST" || q.path !== "/api/node/update" || !esp01.has(q.host)) return 0;
    const n = (posts.get(q.host) ?? 0) + 1;
    posts.set(q.host, n);
    if (n !== 2) return 0;
    held.push(q.host);
    return ms(q.host);
  };
  return { delay, held };
}

rollout("ota all completes when esp01 nodes stay in recovery mode longer than dead: the API node lists them ACTIVE once they are back", async () => {
  const c = new Cluster({ seed, boards: ["esp32", "esp01", "esp8266", "esp01", "esp01"], config: { hold: 5000, trial: 180000 } });
  waitConverged(c, 30000, seed);
  c.runFor(10 * 60000);
  const hold = holdRecoveryUploads(c, () => 90000);
  const r = await cli(c, ["ota", "all", "--api-node", c.devices[0].ip, "--concurrency", "2"], { build: newFirmware("0badcafe"), transport: { delay: hold.delay } });
  assert.is(r.code, 0, r.out + r.err);
  assert.is(hold.held.length, 3, "each esp01 was held in recovery mode");
  // while held, the API node reported each esp01 DEAD (its node/status events, printed on its console)
  for (const d of c.devices.filter((x) => x.board.name === "esp01")) {
    assert.ok(c.devices[0].console.some((l) => l.includes(`"hostname":"${hostnameOf(d)}","status":"DEAD"`)), `${hostnameOf(d)} was DEAD on the API node meanwhile`);
  }
  assert.equal(versions(c), Array(5).fill("0badcafe"));
  for (const d of c.devices) assert.match(r.out, new RegExp(`${hostnameOf(d)}.* updated `), r.out);
});

rollout("an esp01 that gives up waiting in recovery mode before its upload comes is asked again", async () => {
  const c = new Cluster({ seed, boards: ["esp32", "esp01", "esp8266"], config: { hold: 5000, trial: 60000 } });
  waitConverged(c, 30000, seed);
  const hold = holdRecoveryUploads(c, () => 75000);
  const r = await cli(c, ["ota", "all", "--api-node", c.devices[0].ip], { build: newFirmware("0badcafe"), transport: { delay: hold.delay } });
  assert.is(r.code, 0, r.out + r.err);
  assert.match(r.err, /again: it went back to its firmware before the upload came/);
  assert.equal(versions(c), Array(3).fill("0badcafe"));
});

rollout.run();
