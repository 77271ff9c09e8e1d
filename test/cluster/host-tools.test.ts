// host-tools against an emulated cluster in virtual time: the real CLI code
// (host-tools/cli.ts) over the emulated LAN, driven by the cluster's scheduler.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as assert from "uvu/assert";
import { bundleVersion, Cluster } from "../../host-tools/emulator/cluster.ts";
import { cli, newFirmware } from "./cli.ts";
import { MIXED, waitConverged } from "./helpers.ts";
import { suite } from "../suite.ts";

const { test, seed } = suite("host-tools", { seed: 1607 });
const TRIAL = { hold: 5000, trial: 60000 };

function cluster(boards = MIXED) {
  const c = new Cluster({ seed, boards, config: TRIAL });
  waitConverged(c, 30000, seed);
  c.runFor(15000);
  return c;
}

const versions = (c: Cluster) => c.devices.map((d) => (c.getJson(d, "/api/node/status") as { version: string }).version);

test("ota all updates a mixed five-node cluster in waves; a second run finds every node up to date", async () => {
  const c = cluster();
  const api = c.devices[0].ip;
  const r = await cli(c, ["ota", "all", "--api-node", api, "--concurrency", "2", "--canary", "1"], { build: newFirmware("0badcafe") });
  assert.is(r.code, 0, r.out + r.err);
  assert.equal(versions(c), ["0badcafe", "0badcafe", "0badcafe", "0badcafe", "0badcafe"]);
  assert.is((r.out.match(/ updated /g) ?? []).length, 5, r.out);
  assert.match(r.out, /versions now: 0badcafe on 5/);
  assert.match(r.err, /5 nodes to check in 4 waves \(1 canary, then 2 at a time, the API node last\)/);
  assert.match(r.err, /upload 100%/, "progress per node");
  assert.match(r.err, /restarting into recovery mode/, "the esp01s go through recovery mode");
  const boots = c.devices.map((d) => d.counters.boots);
  const again = await cli(c, ["ota", "all", "--api-node", api, "--json"], { build: newFirmware("0badcafe") });
  assert.is(again.code, 0, again.err);
  const rows = JSON.parse(again.out) as { outcome: string }[];
  assert.equal(
    rows.map((x) => x.outcome),
    ["up to date", "up to date", "up to date", "up to date", "up to date"],
  );
  assert.equal(
    c.devices.map((d) => d.counters.boots),
    boots,
    "nothing was uploaded",
  );
});

test("ota all stops at the first failure: the bad node is rolled back, later waves are not started, exit status 1", async () => {
  const c = cluster(["esp32", "esp8266", "esp32", "esp01", "esp32"]);
  const r = await cli(c, ["ota", "all", "--api-node", c.devices[0].ip, "--canary", "1", "--concurrency", "2"], { build: newFirmware("0badcafe", "esp8266") });
  assert.is(r.code, 1, r.out + r.err);
  const rows = r.out.split("\n");
  const row = (i: number) => rows.find((l) => l.includes(`esp_${c.devices[i].mac.slice(-6)}`)) ?? "";
  assert.match(row(1), /failed .*rolled back/, r.out);
  assert.match(r.out, /not started/);
  assert.match(row(0), /not started/, "the API node goes last, so it was not reached");
  const v = versions(c);
  assert.is(v[1], bundleVersion("esp8266"), "the failed node runs its old version again");
  assert.ok(v.includes(bundleVersion("esp32")), "untouched nodes keep theirs");
  assert.match(r.out, /versions now: /);
});

test("ota update on one esp01 goes through recovery mode; --bundle takes a file and its manifest, and refuses another board's", async () => {
  const c = cluster(["esp01", "esp32"]);
  const d = c.devices[0];
  let r = await cli(c, ["ota", "update", d.ip], { build: newFirmware("0badcafe") });
  assert.is(r.code, 0, r.out + r.err);
  assert.is(versions(c)[0], "0badcafe");
  assert.match(r.out, /updated/);
  const dir = mkdtempSync(join(tmpdir(), "spore-bundle-"));
  for (const f of newFirmware("0badcafe")) {
    writeFileSync(join(dir, `${f.board}.js`), f.code, "latin1");
    writeFileSync(join(dir, `${f.board}.json`), JSON.stringify({ board: f.board, version: f.version }));
  }
  r = await cli(c, ["ota", "update", d.ip, "--bundle", join(dir, "esp01.js")]);
  assert.is(r.code, 0, r.out + r.err);
  assert.match(r.out, /up to date/);
  r = await cli(c, ["ota", "update", d.ip, "--bundle", join(dir, "esp32.js")]);
  assert.is(r.code, 1);
  assert.match(r.out, /the bundle is for esp32, the node is esp01/);
  r = await cli(c, ["ota", "update", d.ip, "--bundle", join(dir, "nope.js")]);
  assert.is(r.code, 2);
  assert.match(r.err, /no such file/);
  rmSync(dir, { recursive: true });
});

test("clear errors: no secret, no cluster, bad options, unknown command, unreachable node", async () => {
  const c = cluster(["esp32"]);
  const d = c.devices[0];
  let r = await cli(c, ["ota", "update", d.ip], { build: newFirmware("0badcafe"), secret: null });
  assert.is(r.code, 1);
  assert.match(r.out, /no cluster secret/);
  r = await cli(c, ["ota", "all"]);
  assert.is(r.code, 2);
  assert.match(r.err, /give --api-node/);
  r = await cli(c, ["ota", "all", "--api-node", d.ip, "--concurrency", "0"]);
  assert.is(r.code, 2);
  assert.match(r.err, /--concurrency must be a whole number from 1 to 64/);
  r = await cli(c, ["ota", "all", "--api-node", d.ip, "--frobnicate"]);
  assert.match(r.err, /unknown option --frobnicate/);
  r = await cli(c, ["fly"]);
  assert.is(r.code, 2);
  assert.match(r.err, /unknown command "fly"/);
  r = await cli(c, ["node", "status", "10.42.9.9"]);
  assert.is(r.code, 1);
  assert.match(r.err, /10\.42\.9\.9:80: no route/);
  r = await cli(c, ["node", "status", "not an address"]);
  assert.is(r.code, 2);
  assert.match(r.err, /not a node address/);
  for (const cmd of [["ota", "update"], ["ota", "all"], ["cluster", "members"], ["node", "status"], ["node", "restart"], ["tasks"], ["events"], ["flash"]]) {
    r = await cli(c, [...cmd, "--help"]);
    assert.is(r.code, 0, cmd.join(" "));
    assert.match(r.out, /^usage: /, cmd.join(" "));
  }
});

test("cluster members, node status and restart, tasks and events against live nodes", async () => {
  const c = cluster(["esp8266", "esp32", "esp01"]);
  const d = c.devices[1];
  let r = await cli(c, ["cluster", "members", "--api-node", d.ip]);
  assert.is(r.code, 0, r.err);
  const lines = r.out.trim().split("\n");
  assert.match(lines[0], /^hostname\s+ip\s+board\s+class\s+version\s+status\s+latency\s+free heap\s+health$/);
  assert.is(lines.length, 4);
  // health: the API node's own (an esp32's); the esp8266 and the esp01 (no health capability) never say
  assert.match(lines.find((l) => l.includes(d.ip))!, /\sok \d+%$/);
  for (const o of [c.devices[0], c.devices[2]]) assert.match(lines.find((l) => l.includes(o.ip))!, /\s\?$/);
  // each member's device class, gossiped with its details: esp01 minimal, esp8266 standard, esp32 full
  for (const o of c.devices) assert.ok(lines.some((l) => l.includes(o.ip) && l.includes("ACTIVE") && new RegExp(`${o.board.name}\\s+${o.board.class.name}\\s`).test(l)), r.out);
  r = await cli(c, ["cluster", "members", "--api-node", d.ip, "--json"]);
  const listed0 = JSON.parse(r.out) as { hostname: string; class: string }[];
  assert.is(listed0.length, 3);
  assert.equal(listed0.map((m) => m.class).sort(), ["full", "minimal", "standard"]);
  r = await cli(c, ["node", "status", d.ip]);
  assert.match(r.out, /board\s+esp32/);
  assert.match(r.out, /boot\s+slot a, ok/);
  r = await cli(c, ["tasks", d.ip]);
  assert.match(r.out, /probe/);
  r = await cli(c, ["tasks", d.ip, "disable", "details"]);
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /details: disable done \(enabled false\)/);
  r = await cli(c, ["tasks", d.ip, "interval", "details", "1000"]);
  assert.match(r.out, /details: interval 1000 ms/);
  r = await cli(c, ["tasks", d.ip, "interval", "nope", "1000"]);
  assert.is(r.code, 1);
  assert.match(r.err, /404 no task nope/);
  d.eval('spore.fire("test/json", {n: 2})');
  r = await cli(c, ["events", d.ip, "--json"]);
  assert.is(r.code, 0, r.err);
  const listed = r.out.trim().split("\n").map((l) => JSON.parse(l) as { name: string; origin: string; data: unknown });
  assert.equal(listed, c.getJson<{ events: unknown[] }>(d, "/api/events").events, "a line per event the node lists, as it lists it");
  const fired = listed.find((e) => e.name === "test/json");
  assert.equal(fired && [fired.origin, fired.data], [d.hostname, { n: 2 }], r.out);
  // --follow prints events as they come: one fired on the node while it follows shows up once
  c.scheduler.after(2500, () => d.eval('spore.fire("test/ping", {n: 1})'));
  r = await cli(c, ["events", d.ip, "--follow", "--every", "1000"], { follow: 5 });
  assert.is(r.code, 0, r.err);
  assert.is((r.out.match(/test\/ping/g) ?? []).length, 1, r.out);
  r = await cli(c, ["node", "restart", c.devices[0].ip]);
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /restarting/);
  c.runFor(5000);
  assert.is(c.devices[0].counters.boots, 2, "restarted once");
});

test.run();
