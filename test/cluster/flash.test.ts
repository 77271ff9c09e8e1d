// npm run flash end to end: the real espruino CLI (node_modules/espruino)
// talks over tcp:// to an emulated esp8266's Telnet console (port 23, served
// for real on a loopback address), writes boot file, firmware, configuration
// and boot state, restarts the node and checks it came up, and that it logs
// in to the broker espruino.json names (aedes on the emulated LAN). Real time.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as assert from "uvu/assert";
import { type Io, runCli } from "../../host-tools/cli.ts";
import { PROJECT_FILE } from "../../host-tools/build/project.ts";
import { lanBroker } from "../../host-tools/emulator/broker.ts";
import { Cluster, readBundle } from "../../host-tools/emulator/cluster.ts";
import type { Device } from "../../host-tools/emulator/device.ts";
import { nodeTransport } from "../../host-tools/lib/transport.ts";
import { loopbackNet } from "./helpers.ts";
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

/** A project file: the repository's espruino.json with `changes`, in a temp dir (removed by the caller). */
function projectFile(changes: Record<string, unknown>): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), "spore-project-"));
  const file = join(dir, "espruino.json");
  const project = JSON.parse(readFileSync(PROJECT_FILE, "utf8")) as Record<string, unknown>;
  delete project.$schema;
  writeFileSync(file, JSON.stringify({ ...project, ...changes }));
  return { dir, file };
}

const LAN = loopbackNet();

/** An emulated esp8266 running Spore with `secret`, on WiFi and serving its console: its tcp:// port. */
async function runningNode(seed: number, ip: string, secret: string): Promise<{ c: Cluster; d: Device; port: string }> {
  const c = new Cluster({ seed, boards: ["esp8266"], realtime: true, lan: { firstIp: ip }, privilegedPortOffset: OFFSET, secret });
  c.startRealtime();
  const d = c.devices[0];
  try {
    await until(() => !!d.stationIp, 10000, "the node joined WiFi");
    await served(c, d, 23);
  } catch (e) {
    await c.stop();
    throw e;
  }
  return { c, d, port: `tcp://${d.ip}:${23 + OFFSET}` };
}

/** What a Telnet client on `host:port` is told once it has typed `typed` (sent as it connects: a client that finds the console still on Telnet is shown no prompt), up to the next prompt. */
function telnetSays(host: string, port: number, typed: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let said = "";
    const s = net.connect(port, host, () => s.write(typed));
    const timer = setTimeout(() => (s.destroy(), reject(new Error(`no answer from ${host}:${port}: ${JSON.stringify(said)}`))), 10000);
    s.on("data", (d) => {
      said += d.toString("latin1");
      if (/(Logged in\.|Invalid password|=undefined|Uncaught)[^]*>$/.test(said)) {
        clearTimeout(timer);
        s.destroy();
        resolve(said);
      }
    });
    s.on("error", reject);
  });
}
const BROKER_IP = `${LAN}.70`;
const MQTT_ENV = { SPORE_MQTT_USER: "flasher", SPORE_MQTT_PASSWORD: "mq-flash-password" };

test("flashes a running esp8266 over its Telnet console with the real espruino CLI, then the node serves Spore and talks to the project's broker", async () => {
  const c = new Cluster({ seed: 11, boards: ["esp8266"], realtime: true, lan: { firstIp: `${LAN}.71` }, privilegedPortOffset: OFFSET, secret: "old-secret" });
  // the project's broker, on the emulated LAN; it takes only the user name and password from the environment
  const broker = await lanBroker(c, BROKER_IP);
  const logins: string[] = [];
  broker.aedes.authenticate = (_client, user, pass, done) => {
    logins.push(`${user}:${pass?.toString()}`);
    done(null, user === MQTT_ENV.SPORE_MQTT_USER && pass?.toString() === MQTT_ENV.SPORE_MQTT_PASSWORD);
  };
  const project = projectFile({ mqtt: { host: BROKER_IP, prefix: "site/a", period: 5, homeAssistant: true, userEnv: "SPORE_MQTT_USER", passwordEnv: "SPORE_MQTT_PASSWORD" } });
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
    // its console is locked with the old secret: flash unlocks it with the one SPORE_OLD_SECRET holds (espruino.json cluster.oldSecretEnv)
    const r = await run(["flash", "--port", `tcp://${d.ip}:${23 + OFFSET}`, "--board", "esp8266", "--project", project.file], { ...MQTT_ENV, SPORE_OLD_SECRET: "old-secret" });
    const seconds = (Date.now() - t0) / 1000;
    assert.is(r.code, 0, r.err + r.out);
    assert.match(r.err, /written and verified/);
    assert.match(r.err, /esp8266 flashed: Spore [0-9a-f]{8} runs from slot a/);
    assert.is(d.storage.read("spore.a"), readBundle("esp8266"));
    assert.is(d.storage.read(".bootcde"), readBundle("esp8266.boot"));
    const config = JSON.parse(d.storage.read("spore.json")!) as Record<string, unknown>;
    assert.is(config.key, "flash-test-secret", "the secret from the environment");
    assert.is(config.ssid, "spore-lan");
    // the broker from espruino.json, port 1883 by default, user name and password from the variables it names
    assert.equal(config.mq, { host: BROKER_IP, port: 1883, prefix: "site/a", period: 5, ha: true, user: "flasher", pass: "mq-flash-password" });
    for (const secret of ["flash-test-secret", "mq-flash-password"]) assert.not.ok(r.out.includes(secret) || r.err.includes(secret), `${secret} is never printed`);
    assert.ok(r.err.includes(`MQTT broker: ${BROKER_IP}:1883, topics under site/a/`), r.err);
    // the node booted the new firmware and answers with the new secret
    await until(() => !!d.stationIp, 10000, "the node joined WiFi after the restart");
    await served(c, d, 80);
    const status = await nodeTransport.request({ host: d.ip, port: 80 + OFFSET, method: "GET", path: "/api/node/status" });
    assert.is(status.status, 200);
    const s = JSON.parse(status.body) as { version: string; boot: unknown };
    assert.equal(s.boot, { slot: "a", state: "ok" });
    assert.is(d.storage.read("spore.n"), "42", "flash keeps the boot number: the boot after it is the 42nd");
    // and its console is locked, with the new secret's first 20 characters
    assert.match(await telnetSays(d.ip, 23 + OFFSET, "flash-test-secret\n"), /\r\n  Logged in\./, "locked with the new secret");
    // and logged in to the broker: online under the prefix, telemetry every 5 s, announced to Home Assistant
    const published = (topic: string, payload?: string) => broker.seen.some((m) => m.topic === topic && (payload === undefined || m.payload === payload));
    await until(() => published(`site/a/${d.hostname}/status`, "online") && published(`site/a/${d.hostname}/telemetry`), 15000, () => `online and telemetry on the project's broker (logins ${JSON.stringify(logins)}, seen ${JSON.stringify(broker.seen.map((m) => m.topic))})`);
    await until(() => published(`homeassistant/sensor/${d.hostname}/load/config`), 5000, "announced to Home Assistant");
    assert.equal(logins, ["flasher:mq-flash-password"], "one login, with the user name and password from the environment");
    console.log(`    flash over tcp:// took ${seconds.toFixed(1)} s (5 espruino CLI runs)`);
  } finally {
    await c.stop();
    await broker.close();
    rmSync(project.dir, { recursive: true, force: true });
  }
});

test("clear errors: wrong board, esp01 over tcp, no port, nothing listening, no secret", async () => {
  // a node of this cluster: its console takes the secret flash writes
  const { c, d, port } = await runningNode(12, `${LAN}.72`, "flash-test-secret");
  try {
    let r = await run(["flash", "--port", port, "--board", "esp32"]);
    assert.is(r.code, 2, r.err);
    assert.match(r.err, /the device runs Espruino for ESP8266_4MB \(board esp8266\), not ESP32 \(esp32\): use --board esp8266/);
    r = await run(["flash", "--port", port, "--board", "esp01"]);
    assert.is(r.code, 2);
    assert.match(r.err, /esp01 has no Telnet console/);
    r = await run(["flash", "--board", "esp8266"]);
    assert.is(r.code, 2);
    assert.match(r.err, /--port is missing/);
    r = await run(["flash", "--port", `tcp://${LAN}.73:9999`, "--board", "esp8266"]);
    assert.is(r.code, 1);
    assert.ok(r.err.includes(`no Espruino answered on tcp://${LAN}.73:9999`), r.err);
    r = await run(["flash", "--port", port, "--board", "esp9000"]);
    assert.match(r.err, /unknown board "esp9000"/);
    r = await run(["flash", "--port", port, "--board", "esp8266"], { SPORE_SECRET: "" });
    assert.is(r.code, 2);
    assert.match(r.err, /the cluster secret is not set: export SPORE_SECRET/);
    // the broker's user name and password: a variable espruino.json names must be set, and short enough for the node
    const project = projectFile({ mqtt: { host: BROKER_IP, userEnv: "SPORE_MQTT_USER", passwordEnv: "SPORE_MQTT_PASSWORD" } });
    try {
      r = await run(["flash", "--port", port, "--board", "esp8266", "--project", project.file], { SPORE_MQTT_USER: "flasher" });
      assert.is(r.code, 2, r.err);
      assert.match(r.err, /the MQTT broker's password is not set: export SPORE_MQTT_PASSWORD \(or put it in \.env\); espruino.json names it in mqtt\.passwordEnv/);
      const long = "x".repeat(64);
      r = await run(["flash", "--port", port, "--board", "esp8266", "--project", project.file], { ...MQTT_ENV, SPORE_MQTT_PASSWORD: long });
      assert.is(r.code, 2, r.err);
      assert.match(r.err, /the MQTT broker's password in SPORE_MQTT_PASSWORD has 64 characters: a node takes at most 63/);
      assert.not.ok(r.err.includes(long), "the password is not printed");
    } finally {
      rmSync(project.dir, { recursive: true, force: true });
    }
    // a project file the schema refuses: the file and the field named
    const bad = projectFile({ mqtt: { host: BROKER_IP, port: 70000, password: "in-the-file" } });
    try {
      r = await run(["flash", "--port", port, "--board", "esp8266", "--project", bad.file]);
      assert.is(r.code, 1, r.err);
      assert.ok(r.err.includes(`${bad.file}: /mqtt: unknown field "password"; /mqtt/port: must be <= 65535`), r.err);
      r = await run(["flash", "--port", port, "--board", "esp8266", "--project", join(bad.dir, "none.json")]);
      assert.match(r.err, /none\.json: cannot read/);
    } finally {
      rmSync(bad.dir, { recursive: true, force: true });
    }
    assert.is(d.counters.boots, 1, "none of these touched the node");
  } finally {
    await c.stop();
  }
});

test("a node flashed with another secret: a clear error at once, not a hang, and nothing changed on it", async () => {
  const { c, d, port } = await runningNode(13, `${LAN}.74`, "another-clusters-secret");
  try {
    const before = d.storage.read("spore.json");
    const envs: Record<string, string>[] = [{}, { SPORE_OLD_SECRET: "a-wrong-old-secret" }];
    for (const env of envs) {
      const t0 = Date.now();
      const r = await run(["flash", "--port", port, "--board", "esp8266"], env);
      assert.is(r.code, 1, r.err);
      const held = "SPORE_OLD_SECRET" in env ? "SPORE_SECRET or SPORE_OLD_SECRET holds" : "SPORE_SECRET holds";
      assert.ok(r.err.includes(`the console on ${port} refused the password (a cluster secret's first 20 characters): the node was flashed with another secret than ${held}; put the secret it was flashed with in SPORE_OLD_SECRET`), r.err);
      assert.ok(Date.now() - t0 < 15000, `said within seconds (${Date.now() - t0} ms)`);
      for (const secret of ["flash-test-secret", "a-wrong-old-secret", "another-clusters-secret"]) assert.not.ok(r.out.includes(secret) || r.err.includes(secret), `${secret} is never printed`);
    }
    assert.is(d.storage.read("spore.json"), before, "spore.json untouched");
    assert.is(d.counters.boots, 1, "the node was not restarted");
    assert.match(await telnetSays(d.ip, 23 + OFFSET, "\n"), /\r\n  Invalid password/, "still locked");
  } finally {
    await c.stop();
  }
});

test("--dry-run writes what would be sent to a file, for any board; the broker only for boards with MQTT", async () => {
  const dir = mkdtempSync(join(tmpdir(), "spore-dry-"));
  const project = projectFile({ mqtt: { host: "broker.lan" } });
  try {
    const out = join(dir, "esp01-upload.js");
    const r = await run(["flash", "--board", "esp01", "--dry-run", out, "--project", project.file]);
    assert.is(r.code, 0, r.err);
    assert.ok(existsSync(out));
    const sent = readFileSync(out, "latin1");
    for (const f of ["spore.json", "spore.a", "spore.s1", ".bootcde"]) assert.ok(sent.includes(`require("Storage").write(${JSON.stringify(f)},`), f);
    assert.ok(sent.indexOf('write(".bootcde"') > sent.indexOf('write("spore.a"'), "the boot file is written last");
    const summary = JSON.parse(r.out) as { board: string; files: { name: string; bytes: number }[] };
    assert.is(summary.board, "esp01");
    assert.is(summary.files.length, 4);
    // the esp01 has no MQTT client: no "mq" in its spore.json, and flash says why
    assert.not.ok(sent.includes("broker.lan"), "no broker written for an esp01");
    assert.match(r.err, /esp01 has no MQTT client: the broker espruino\.json names is not written/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(project.dir, { recursive: true, force: true });
  }
});

test.run();
