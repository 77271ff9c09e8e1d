// The Web IDE files (dist/<board>.ide.js, host-tools/build/ide.ts) on emulated
// nodes, in virtual time: what their installer writes, that later boots and
// updates over the air leave it alone, a newer file installs over an older
// install, its refusals, and esp01's way through recovery mode. The real
// espruino CLI sending them is in ide-upload.test.ts.
import * as assert from "uvu/assert";
import { loadBoard } from "../../host-tools/build/boards.ts";
import { BOOT_ENTRY, bundleBoard } from "../../host-tools/build/bundle.ts";
import { buildDashboard } from "../../host-tools/build/dashboard.ts";
import { ideFile, type IdeFile, MARK_FILE } from "../../host-tools/build/ide.ts";
import { crc32Of } from "../../host-tools/build/image.ts";
import { Cluster, readBundle } from "../../host-tools/emulator/cluster.ts";
import type { Device } from "../../host-tools/emulator/device.ts";
import { bundleVersion as builtVersion } from "../../host-tools/emulator/cluster.ts";
import { cli, newFirmware } from "./cli.ts";
import { api } from "./helpers.ts";
import { suite } from "../suite.ts";

const { test, seed } = suite("Web IDE files", { seed: 1617 });
/** Short trial times keep virtual runs short; the defaults are 30 s and 300 s. */
const TRIAL = { hold: 5000, trial: 60000 };

interface Status {
  version: string;
  boot: { slot: string; state: string };
  api: { uri: string; method: string }[];
}

/** A board's IDE file as the build makes it, or with its firmware reporting `version`, or with `config`. */
async function ide(board: string, o: { version?: string; config?: Record<string, unknown> } = {}): Promise<IdeFile> {
  const b = loadBoard(board);
  const boot = await bundleBoard(b, { entry: BOOT_ENTRY, write: false });
  const built = builtVersion(board);
  const version = o.version ?? built;
  const firmware = readBundle(board).split(built).join(version);
  return ideFile({ board: b, firmware, version, boot: boot.code, bootPlain: boot.plain, dashboard: b.capabilities.dashboard ? buildDashboard(false).data : undefined, config: o.config });
}

/** A node whose .bootcde is `code` (as Save on Send to Flash leaves it), with the cluster's spore.json, booted and on WiFi. */
function nodeWith(board: string, code: string): { c: Cluster; d: Device } {
  const c = new Cluster({ seed, boards: [], config: TRIAL });
  const d = c.addNode(board, code, { bare: true });
  assert.ok(c.runUntil(() => !!d.stationIp, 30000), `on WiFi (console: ${d.console.join(" | ")})`);
  c.runFor(2000);
  return { c, d };
}

function status(c: Cluster, d: Device): Status {
  return api<Status>(c, d, "/api/node/status", "node-status");
}

/** Power off and on; runs until the node is back on WiFi with its firmware answering. */
function powerCycle(c: Cluster, d: Device): void {
  const from = d.console.length;
  c.restart(d);
  assert.ok(
    c.runUntil(() => d.running && !!d.stationIp && d.console.slice(from).some((l) => /^boot: /.test(l)), 30000),
    `back after the power cycle (console: ${d.console.join(" | ")})`,
  );
  c.runFor(2000);
}

/** A copy of the boot state: g generation, then what device/boot.ts describes. */
type StoredState = { g: number } & Record<string, unknown>;

/** The boot state the boot file reads: the copy with the higher generation. */
function stateOf(d: Device): StoredState {
  const copies = ["spore.s0", "spore.s1"].map((f) => d.storage.readJSON(f, true) as StoredState | undefined).filter((s): s is StoredState => !!s);
  return copies.sort((x, y) => y.g - x.g)[0];
}

for (const board of ["esp8266", "esp32"]) {
  test(`${board}: the IDE file as .bootcde installs Spore into slot a, confirmed, with the dashboard, keeping spore.json, and runs it through the boot file`, () => {
    const file = readBundle(`${board}.ide`);
    const { c, d } = nodeWith(board, file);
    assert.ok(d.console.includes("Spore installer: done"), d.console.join("\n"));
    assert.is(d.storage.read("spore.a"), readBundle(board), "slot a holds the firmware byte for byte");
    assert.is(d.storage.read("spore.html"), buildDashboard(false).data, "the dashboard");
    assert.is(d.storage.read(".bootcde"), file, "the IDE file stays the boot code");
    assert.match(d.storage.read(MARK_FILE)!, /^spore-ide:[0-9a-f]{8}$/);
    assert.ok(file.includes(d.storage.read(MARK_FILE)!), "the mark is this file's");
    assert.equal(stateOf(d), { g: 1, a: "a", t: 0, m: 0, ca: crc32Of(readBundle(board)) });
    assert.is((d.storage.readJSON("spore.json") as { key: string }).key, c.secret, "spore.json is kept");
    const s = status(c, d);
    assert.is(s.version, builtVersion(board));
    assert.equal(s.boot, { slot: "a", state: "ok" });
    assert.ok(s.api.some((a) => a.uri === "/api/node/update" && a.method === "POST"), "it takes updates: the boot file serves /api/node/update");
    assert.is(c.http(d, "GET", "/").status, 200, "it serves the dashboard");
    assert.is(d.counters.uncaught, 0, d.console.join("\n"));
  });
}

test("later boots skip the installer, also after an update over the air; the node stays on the updated version", async () => {
  const { c, d } = nodeWith("esp8266", readBundle("esp8266.ide"));
  powerCycle(c, d);
  assert.equal(status(c, d).boot, { slot: "a", state: "ok" });
  assert.is(d.console.filter((l) => l === "Spore installer: done").length, 1, "installed once");
  const r = await cli(c, ["ota", "update", d.ip], { build: newFirmware("0badcafe") });
  assert.is(r.code, 0, r.out + r.err);
  const updated = status(c, d);
  assert.is(updated.version, "0badcafe");
  assert.equal(updated.boot, { slot: "b", state: "ok" });
  const before = stateOf(d);
  powerCycle(c, d);
  assert.is(d.console.filter((l) => l.startsWith("Spore installer")).length, 2, `no install after the update (console: ${d.console.join(" | ")})`);
  const s = status(c, d);
  assert.is(s.version, "0badcafe");
  assert.equal(s.boot, { slot: "b", state: "ok" });
  assert.equal(stateOf(d), before, "the boot state is untouched");
  assert.is(d.storage.read("spore.a"), readBundle("esp8266"), "slot a keeps the version before, for a rollback");
});

test("a file with another firmware installs it over an installed and updated node: slot a, a generation above both state copies", async () => {
  const { c, d } = nodeWith("esp8266", readBundle("esp8266.ide"));
  const r = await cli(c, ["ota", "update", d.ip], { build: newFirmware("0badcafe") });
  assert.is(r.code, 0, r.out + r.err);
  const g = stateOf(d).g;
  const next = await ide("esp8266", { version: "1badcafe" });
  // what Save on Send to Flash does: the CLI sends reset(), writes .bootcde, then load()
  d.eval("reset()");
  c.runFor(10);
  d.storage.write(".bootcde", next.code);
  d.eval("load()");
  assert.ok(c.runUntil(() => d.console.includes("boot: a") && !!d.stationIp, 30000), d.console.join("\n"));
  c.runFor(2000);
  const s = status(c, d);
  assert.is(s.version, "1badcafe");
  assert.equal(s.boot, { slot: "a", state: "ok" });
  assert.is(stateOf(d).g, g + 1);
  assert.is(stateOf(d).cb, undefined, "slot b is no fallback any more");
  assert.is(d.storage.read(MARK_FILE), next.mark);
});

test("an IDE file with a configuration writes spore.json with it", async () => {
  const config = { ssid: "spore-lan", pass: "spore-pass", key: "ide-secret", cl: "spore", http: 80, udp: 4210, ...TRIAL };
  const file = await ide("esp32", { config });
  assert.match(file.code, /holds the cluster secret/);
  const c = new Cluster({ seed, boards: [] });
  const d = c.addNode("esp32", file.code, { bare: true });
  d.storage.erase("spore.json");
  assert.ok(c.runUntil(() => !!d.stationIp, 30000), d.console.join("\n"));
  c.runFor(2000);
  assert.equal(d.storage.readJSON("spore.json"), config);
  assert.equal(status(c, d).boot, { slot: "a", state: "ok" });
  assert.is(c.http(d, "POST", "/api/node/restart", { headers: { "X-Spore-Key": "ide-secret" } }).status, 200, "the node has its secret");
});

test("refusals write nothing: the wrong board, the file stored as spore.a (Save on Send to a Storage file), too little room", async () => {
  // an esp32 file on an esp8266
  let { c, d } = nodeWith("esp8266", readBundle("esp32.ide"));
  assert.ok(d.console.includes("Spore installer: this file is for ESP32 (esp32), not ESP8266_4MB"), d.console.join("\n"));
  for (const f of ["spore.a", "spore.html", MARK_FILE]) assert.not.ok(d.storage.list().includes(f), `nothing installed: ${f}`);
  // the esp8266 file stored as spore.a and loaded from there: writing spore.a would overwrite what runs
  ({ c, d } = nodeWith("esp8266", readBundle("esp8266.boot")));
  d.storage.write("spore.a", readBundle("esp8266.ide"));
  d.eval('load("spore.a")');
  c.runFor(3000);
  assert.ok(d.console.some((l) => l.startsWith('Spore installer: not run from .bootcde: send it with Save on Send: "Direct to Flash')), d.console.join("\n"));
  assert.is(d.storage.read("spore.a"), readBundle("esp8266.ide"), "spore.a untouched");
  assert.not.ok(d.storage.list().includes(MARK_FILE));
  // a node flashed with Spore whose Storage is nearly full: the IDE file says so, and Spore goes on from its slot
  const full = new Cluster({ seed, boards: ["esp8266"], config: TRIAL });
  d = full.devices[0];
  d.storage.write("junk", "x".repeat(d.storage.getFree() - 40000));
  d.storage.write(".bootcde", readBundle("esp8266.ide"));
  assert.ok(full.runUntil(() => !!d.stationIp, 30000));
  full.runFor(2000);
  assert.ok(d.console.some((l) => /^Spore installer: Storage has too little room \(\d+ bytes needed\)/.test(l)), d.console.join("\n"));
  assert.not.ok(d.storage.list().includes(MARK_FILE));
  assert.equal(status(full, d).boot, { slot: "a", state: "ok" }, "the Spore there runs on");
});

test("esp01: the file stored as spore.a and loaded writes the boot file and waits in recovery mode; ota update brings the firmware", async () => {
  const file = readBundle("esp01.ide");
  // a node that ran Spore before: Save on Send to the Storage file spore.a replaces its firmware, then loads it
  const c = new Cluster({ seed, boards: ["esp01"], config: TRIAL });
  const d = c.devices[0];
  assert.ok(c.runUntil(() => !!d.stationIp, 30000));
  d.eval("reset()");
  c.runFor(10);
  d.storage.write("spore.a", file);
  d.eval('load("spore.a")');
  assert.ok(c.runUntil(() => d.console.includes("boot: recovery (waiting for an update)") && !!d.stationIp, 30000), d.console.join("\n"));
  c.runFor(1000);
  assert.ok(d.console.some((l) => l.startsWith("Spore installer: done; the node waits in recovery mode")), d.console.join("\n"));
  assert.is(d.storage.read(".bootcde"), readBundle("esp01.boot"), "the boot file, pretokenised, as the flash tool writes it");
  assert.equal(api<{ boot: unknown }>(c, d, "/api/node/status", "recovery-status").boot, { slot: "", state: "recovery" });
  const r = await cli(c, ["ota", "update", d.ip], { build: [{ board: "esp01", code: readBundle("esp01"), version: builtVersion("esp01") }] });
  assert.is(r.code, 0, r.out + r.err);
  const s = status(c, d);
  assert.is(s.version, builtVersion("esp01"));
  assert.equal(s.boot, { slot: "a", state: "ok" });
  assert.is(d.storage.read("spore.a"), readBundle("esp01"), "the upload replaced the installer");
  assert.is(d.counters.uncaught, 0, d.console.join("\n"));
});

test.run();
