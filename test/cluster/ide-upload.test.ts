// The Web IDE files sent by the Web IDE's own upload code: the real espruino
// CLI (node_modules/espruino) with Save on Send. esp8266: over tcp:// to an
// emulated node's Telnet console (port 23, served for real on a loopback
// address), in real time, then a power cycle, then an update over the air with
// the host tools. esp01 has no Telnet console: what the CLI would send to a
// Storage file (-o) is run on an emulated esp01 in virtual time.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as assert from "uvu/assert";
import { loadBoard } from "../../host-tools/build/boards.ts";
import { MARK_FILE } from "../../host-tools/build/ide.ts";
import { DIST_DIR } from "../../host-tools/build/paths.ts";
import { type Io, runCli } from "../../host-tools/cli.ts";
import { Cluster, readBundle } from "../../host-tools/emulator/cluster.ts";
import { suite } from "../suite.ts";
import { served, until } from "../wait.ts";
import { espruino, writeCliBoard } from "../../host-tools/flash.ts";
import { ConsoleProxy, consolePassword } from "../../host-tools/lib/console.ts";
import { nodeTransport } from "../../host-tools/lib/transport.ts";
import { loopbackNet } from "./helpers.ts";
import { bundleVersion as builtVersion, bundleWithVersion } from "../../host-tools/emulator/cluster.ts";

const { test } = suite("Web IDE files sent by the espruino CLI");
const OFFSET = 9200;
const SECRET = "ide-upload-secret";

/** The node's status once it answers one, polled for at most `ms`. */
async function statusOf(ip: string, ms: number): Promise<{ version: string; boot: unknown; api: { uri: string }[] } | undefined> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      const r = await nodeTransport.request({ host: ip, port: 80 + OFFSET, method: "GET", path: "/api/node/status" });
      if (r.status === 200) return JSON.parse(r.body);
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return undefined;
}

/** What the CLI printed of the device's console, without its echo of what it sent. */
function problems(out: string): string[] {
  return out.split(/\r?\n/).filter((l) => /error|uncaught|unexpected|too much data|got .* expected/i.test(l));
}

test("esp8266: SAVE_ON_SEND=1 over Telnet installs Spore; after a power cycle it runs slot a through the boot file and takes an update over the air", async () => {
  // the first run: a board with Espruino, on WiFi (set up at the console for the Telnet console), and a
  // spore.json typed there; Spore is not on it yet
  const c = new Cluster({ seed: 21, boards: [], realtime: true, lan: { firstIp: "127.0.0.75" }, privilegedPortOffset: OFFSET, secret: SECRET, config: { hold: 2000 } });
  const d = c.addNode("esp8266", 'require("Wifi").connect("spore-lan", { password: "spore-pass" });', { bare: true });
  c.startRealtime();
  const dir = mkdtempSync(join(tmpdir(), "spore-ide-"));
  try {
    await until(() => !!d.stationIp, 10000, "the node joined WiFi");
    await served(c, d, 23);
    const boardJson = join(dir, "board.json");
    writeCliBoard(loadBoard("esp8266"), boardJson);
    const file = join(DIST_DIR, "esp8266.ide.js");
    const t0 = Date.now();
    const r = await espruino(["-p", `tcp://${d.ip}:${23 + OFFSET}`, "--board", boardJson, "--config", "SAVE_ON_SEND=1", file], 120000);
    assert.is(r.code, 0, r.out);
    assert.match(r.out, /Upload Complete/, r.out);
    assert.equal(problems(r.out), [], r.out);
    // the CLI's load() ran the installer, then the boot file
    await until(() => d.console.includes("boot: a"), 20000, () => d.console.join("\n"));
    console.log(`    CLI upload of ${readFileSync(file).length} bytes over tcp:// took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    assert.ok(d.console.includes("Spore installer: done"), d.console.join("\n"));
    assert.is(d.storage.read(".bootcde"), readFileSync(file, "latin1"), "the CLI stored the file as .bootcde as it is");
    assert.is(d.storage.read("spore.a"), readBundle("esp8266"), "slot a holds dist/esp8266.js byte for byte");
    assert.ok(d.storage.read(MARK_FILE) && readFileSync(file, "latin1").includes(d.storage.read(MARK_FILE)!));
    // power off and on: the boot file runs Spore from slot a, confirmed
    const boots = d.counters.boots;
    c.restart(d);
    await until(() => d.counters.boots > boots && !!d.stationIp, 15000, "back after the power cycle");
    const node = `${d.ip}:${80 + OFFSET}`;
    const status = await statusOf(d.ip, 15000);
    assert.ok(status, `the node answers (console: ${d.console.slice(-5).join(" | ")})`);
    assert.is(status!.version, builtVersion("esp8266"));
    assert.equal(status!.boot, { slot: "a", state: "ok" });
    assert.ok(status!.api.some((a) => a.uri === "/api/node/update"), "the boot file takes updates");
    assert.is(d.console.filter((l) => l.startsWith("Spore installer: writing")).length, 1, "the installer did not run again");
    // an update over the air with the host tools: a new version into slot b, confirmed
    const bundle = join(dir, "esp8266.js");
    const next = bundleWithVersion("esp8266", "0badcafe");
    writeFileSync(bundle, next, "latin1");
    writeFileSync(join(dir, "esp8266.json"), JSON.stringify({ board: "esp8266", version: "0badcafe", bytes: next.length }));
    let out = "";
    let err = "";
    const io: Io = { out: (s) => (out += s), err: (s) => (err += s), tty: false, env: { SPORE_SECRET: SECRET }, cwd: process.cwd(), transport: nodeTransport };
    const code = await runCli(["ota", "update", node, "--bundle", bundle, "--json"], io);
    assert.is(code, 0, out + err);
    const result = JSON.parse(out) as { outcome: string; to: string }[] | { outcome: string; to: string };
    const row = Array.isArray(result) ? result[0] : result;
    assert.equal([row.outcome, row.to], ["updated", "0badcafe"], out + err);
    assert.is(d.storage.read("spore.b"), next);
  } finally {
    await c.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("esp8266 already running Spore, its console locked: the file sent through a console unlocked first (flash's proxy types the password, as the owner would in the IDE) installs, and the console is locked after", async () => {
  const c = new Cluster({ seed: 23, boards: ["esp8266"], realtime: true, lan: { firstIp: `${loopbackNet()}.76` }, privilegedPortOffset: OFFSET, secret: SECRET, config: { hold: 2000 } });
  c.startRealtime();
  const d = c.devices[0];
  const dir = mkdtempSync(join(tmpdir(), "spore-ide-"));
  const at = c.realAddress(d, 23);
  const proxy = await ConsoleProxy.open(at, [consolePassword(SECRET)]);
  try {
    await until(() => !!d.stationIp && d.console.includes("boot: a"), 10000, "the node runs Spore");
    await served(c, d, 23);
    const boardJson = join(dir, "board.json");
    writeCliBoard(loadBoard("esp8266"), boardJson);
    const file = join(DIST_DIR, "esp8266.ide.js");
    // straight to the locked console the CLI gets nowhere
    const locked = await espruino(["-p", `tcp://${at.host}:${at.port}`, "--board", boardJson, "-e", 'print("RAN "+process.env.BOARD)'], 30000);
    assert.not.match(locked.out, /RAN ESP8266_4MB/, locked.out);
    const r = await espruino(["-p", proxy.url, "--board", boardJson, "--config", "SAVE_ON_SEND=1", file], 120000);
    assert.is(r.code, 0, r.out);
    assert.match(r.out, /Upload Complete/, r.out);
    await until(() => d.console.includes("Spore installer: done") && d.console.filter((l) => l === "boot: a").length >= 2, 20000, () => d.console.join("\n"));
    assert.is(d.storage.read(".bootcde"), readFileSync(file, "latin1"), "the CLI stored the file as .bootcde as it is");
    await proxy.idle();
    assert.is(proxy.failure, undefined);
    // the boot file the upload ran locked the console again (once back on WiFi: the firmware joins again as it starts);
    // a line typed there is refused (no prompt to wait for: a client that finds the console still on Telnet is shown none)
    await until(() => d.console.slice(d.console.lastIndexOf("boot: a")).some((l) => l.startsWith("wifi/connected")), 10000, "back on WiFi");
    const after = await new Promise<string>((resolve, reject) => {
      let said = "";
      const s = net.connect(at.port, at.host, () => s.write("1+1\n"));
      const timer = setTimeout(() => (s.destroy(), reject(new Error(`no answer in 10 s: ${JSON.stringify(said)}`))), 10000);
      s.on("data", (x) => {
        said += x.toString("latin1");
        if (/Invalid password|=2/.test(said)) (clearTimeout(timer), s.destroy(), resolve(said));
      });
      s.on("error", reject);
    });
    assert.match(after, /Invalid password/, after);
  } finally {
    await proxy.close();
    await c.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("esp01: what the CLI sends to the Storage file spore.a (Save on Send 3) installs the boot file and leaves the node in recovery mode", async () => {
  const dir = mkdtempSync(join(tmpdir(), "spore-ide-"));
  try {
    const boardJson = join(dir, "board.json");
    writeCliBoard(loadBoard("esp01"), boardJson);
    const sent = join(dir, "sent.js");
    // --storage spore.a:- is the CLI's way to Save on Send 3 with that file (and load it after)
    const r = await espruino(["-n", "--board", boardJson, "--storage", "spore.a:-", "-o", sent, join(DIST_DIR, "esp01.ide.js")], 60000);
    assert.is(r.code, 0, r.out);
    const code = readFileSync(sent, "latin1");
    assert.match(code, /load\("spore\.a"\)\s*$/);
    const c = new Cluster({ seed: 22, boards: ["esp01"] });
    const d = c.devices[0];
    assert.ok(c.runUntil(() => !!d.stationIp, 30000));
    // the Web IDE resets the board before it sends
    d.eval("reset()");
    c.runFor(10);
    d.eval(code);
    assert.ok(c.runUntil(() => d.console.includes("boot: recovery (waiting for an update)") && !!d.stationIp, 30000), d.console.join("\n"));
    c.runFor(1000);
    assert.is(d.storage.read("spore.a"), readBundle("esp01.ide"), "the file as the IDE stored it");
    assert.is(d.storage.read(".bootcde"), readBundle("esp01.boot"), "the boot file, pretokenised");
    assert.equal(c.getJson(d, "/api/node/status").boot, { slot: "", state: "recovery" });
    assert.is(d.counters.uncaught, 0, d.console.join("\n"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
