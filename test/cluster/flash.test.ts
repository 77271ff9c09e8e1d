// npm run flash end to end: the real espruino CLI (node_modules/espruino)
// talks over tcp:// to an emulated esp8266's Telnet console (port 23, served
// for real on a loopback address), writes boot file, firmware, configuration
// and boot state, restarts the node and checks it came up. Real time.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as assert from "uvu/assert";
import { type Io, runCli } from "../../host-tools/cli.ts";
import { Cluster, readBundle } from "../../host-tools/emulator/cluster.ts";
import { nodeTransport } from "../../host-tools/lib/transport.ts";
import { suite } from "../suite.ts";
import { served, until } from "../wait.ts";

const { test } = suite("flash");
const OFFSET = 9100;

async function run(argv: string[], env: Record<string, string> = {}) {
  let out = "";
  let err = "";
  const io: Io = { out: (s) => (out += s), err: (s) => (err += s), tty: false, env: { SPORE_SECRET: "flash-test-secret", SPORE_WIFI_PASSWORD: "spore-pass", ...env }, cwd: process.cwd(), transport: nodeTransport };
  const code = await runCli(argv, io);
  return { code, out, err };
}

test("flashes a running esp8266 over its Telnet console with the real espruino CLI, then the node serves Spore", async () => {
  const c = new Cluster({ seed: 11, boards: ["esp8266"], realtime: true, lan: { firstIp: "127.0.0.71" }, privilegedPortOffset: OFFSET, secret: "old-secret" });
  c.startRealtime();
  try {
    const d = c.devices[0];
    await until(() => !!d.stationIp, 10000, "the node joined WiFi");
    await served(c, d, 23);
    // it runs something else before: flash replaces it
    d.storage.erase("spore.a");
    d.storage.write("spore.a", "print('old firmware');");
    // it has booted 41 times: its peers remember incarnations of boot 41
    d.storage.erase("spore.n");
    d.storage.write("spore.n", "41");
    const t0 = Date.now();
    const r = await run(["flash", "--port", `tcp://${d.ip}:${23 + OFFSET}`, "--board", "esp8266"]);
    const seconds = (Date.now() - t0) / 1000;
    assert.is(r.code, 0, r.err + r.out);
    assert.match(r.err, /written and verified/);
    assert.match(r.err, /esp8266 flashed: Spore [0-9a-f]{8} runs from slot a/);
    assert.is(d.storage.read("spore.a"), readBundle("esp8266"));
    assert.is(d.storage.read(".bootcde"), readBundle("esp8266.boot"));
    const config = JSON.parse(d.storage.read("spore.json")!) as Record<string, unknown>;
    assert.is(config.key, "flash-test-secret", "the secret from the environment");
    assert.is(config.ssid, "spore-lan");
    assert.not.ok(r.out.includes("flash-test-secret") || r.err.includes("flash-test-secret"), "the secret is never printed");
    // the node booted the new firmware and answers with the new secret
    await until(() => !!d.stationIp, 10000, "the node joined WiFi after the restart");
    await served(c, d, 80);
    const status = await nodeTransport.request({ host: d.ip, port: 80 + OFFSET, method: "GET", path: "/api/node/status" });
    assert.is(status.status, 200);
    const s = JSON.parse(status.body) as { version: string; boot: unknown };
    assert.equal(s.boot, { slot: "a", state: "ok" });
    assert.is(d.storage.read("spore.n"), "42", "flash keeps the boot number: the boot after it is the 42nd");
    console.log(`    flash over tcp:// took ${seconds.toFixed(1)} s (5 espruino CLI runs)`);
  } finally {
    await c.stop();
  }
});

test("clear errors: wrong board, esp01 over tcp, no port, nothing listening, no secret", async () => {
  const c = new Cluster({ seed: 12, boards: ["esp8266"], realtime: true, lan: { firstIp: "127.0.0.72" }, privilegedPortOffset: OFFSET });
  c.startRealtime();
  try {
    const d = c.devices[0];
    await until(() => !!d.stationIp, 10000, "the node joined WiFi");
    await served(c, d, 23);
    const port = `tcp://${d.ip}:${23 + OFFSET}`;
    let r = await run(["flash", "--port", port, "--board", "esp32"]);
    assert.is(r.code, 2, r.err);
    assert.match(r.err, /the device runs Espruino for ESP8266_4MB \(board esp8266\), not ESP32 \(esp32\): use --board esp8266/);
    r = await run(["flash", "--port", port, "--board", "esp01"]);
    assert.is(r.code, 2);
    assert.match(r.err, /esp01 has no Telnet console/);
    r = await run(["flash", "--board", "esp8266"]);
    assert.is(r.code, 2);
    assert.match(r.err, /--port is missing/);
    r = await run(["flash", "--port", "tcp://127.0.0.73:9999", "--board", "esp8266"]);
    assert.is(r.code, 1);
    assert.match(r.err, /no Espruino answered on tcp:\/\/127\.0\.0\.73:9999/);
    r = await run(["flash", "--port", port, "--board", "esp9000"]);
    assert.match(r.err, /unknown board "esp9000"/);
    r = await run(["flash", "--port", port, "--board", "esp8266"], { SPORE_SECRET: "" });
    assert.is(r.code, 2);
    assert.match(r.err, /the cluster secret is not set: export SPORE_SECRET/);
    assert.is(d.counters.boots, 1, "none of these touched the node");
  } finally {
    await c.stop();
  }
});

test("--dry-run writes what would be sent to a file, for any board", async () => {
  const dir = mkdtempSync(join(tmpdir(), "spore-dry-"));
  try {
    const out = join(dir, "esp01-upload.js");
    const r = await run(["flash", "--board", "esp01", "--dry-run", out]);
    assert.is(r.code, 0, r.err);
    assert.ok(existsSync(out));
    const sent = readFileSync(out, "latin1");
    for (const f of ["spore.json", "spore.a", "spore.s1", ".bootcde"]) assert.ok(sent.includes(`require("Storage").write(${JSON.stringify(f)},`), f);
    assert.ok(sent.indexOf('write(".bootcde"') > sent.indexOf('write("spore.a"'), "the boot file is written last");
    const summary = JSON.parse(r.out) as { board: string; files: { name: string; bytes: number }[] };
    assert.is(summary.board, "esp01");
    assert.is(summary.files.length, 4);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
