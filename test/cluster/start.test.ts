// npm start end to end: a real process, real loopback ports, real HTTP.
// Waits on the process's own output (bounded), never on sleeps.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";
import * as assert from "uvu/assert";
import { bundleWithVersion } from "../../host-tools/emulator/cluster.ts";
import { suite } from "../suite.ts";
import { Transcript } from "../wait.ts";

const { test: start } = suite("npm start");

const ENV = { ...process.env, SPORE_SECRET: "start-test-secret" };

/** npm start with these arguments, and what it has said (stdout). */
function npmStart(args: string[]) {
  const child = spawn(process.execPath, ["--import", "tsx", "host-tools/start.ts", "--no-build", "--nodes", "3", ...args], { stdio: ["ignore", "pipe", "pipe"], env: ENV });
  const said = new Transcript();
  child.stdout.on("data", (d) => said.add(String(d)));
  return { child, said };
}

start("serves the API on every node once they list each other as members, and stops on Ctrl-C", async () => {
  const { child, said } = npmStart(["--port-offset", "18000", "--seed", "42", "--broker-port", "18883"]);
  try {
    await said.waitFor(/ node\/discovered /, 6);
    const out = said.text;
    const urls = [...out.matchAll(/: (http:\/\/127\.0\.0\.\d+:18080\/api\/node\/status)/g)].map((m) => m[1]);
    assert.is(urls.length, 3, out);
    for (const url of urls) {
      const res = await fetch(url);
      assert.is(res.status, 200);
      const body = (await res.json()) as { hostname: string; members: Record<string, number> };
      assert.equal(body.members, { ACTIVE: 2, INACTIVE: 0, DEAD: 0 }, `${url} lists both others`);
      assert.match(body.hostname, /^esp_[0-9a-f]{6}$/);
      const list = (await (await fetch(url.replace("/api/node/status", "/api/cluster/members"))).json()) as { members: { status: string }[] };
      assert.equal(
        list.members.map((m) => m.status),
        ["ACTIVE", "ACTIVE", "ACTIVE"],
      );
    }
    // telemetry flows out of the box: the embedded broker has the MQTT nodes' retained statuses and their telemetry
    const url = /MQTT broker: (mqtt:\/\/\S+)/.exec(out)?.[1];
    assert.is(url, "mqtt://127.0.0.10:18883", out);
    const rec = spawn(process.execPath, ["host-tools/bin/host-tools.mjs", "telemetry", "record", "--broker", url!, "--seconds", "12"], { stdio: ["ignore", "pipe", "pipe"] });
    let recorded = "";
    rec.stdout.on("data", (d) => (recorded += d));
    await once(rec, "exit");
    const topics = recorded.trim().split("\n").map((l) => (JSON.parse(l) as { topic: string }).topic);
    // the nodes built with MQTT (the esp8266 and esp32 of esp01, esp8266, esp32) publish telemetry every 10 s
    assert.is(new Set(topics.filter((t) => /^spore\/esp_[0-9a-f]{6}\/telemetry$/.test(t))).size, 2, recorded);
    assert.ok(topics.some((t) => /\/status$/.test(t)), recorded);
  } finally {
    child.kill("SIGINT");
  }
  const [code] = await once(child, "exit");
  assert.is(code, 0, said.text);
  assert.match(said.text, /stopped/);
});

start("host-tools ota all --api-node <the address npm start prints> updates the running cluster", async () => {
  const { child, said } = npmStart(["--port-offset", "18100", "--seed", "43", "--hold", "2000", "--broker-port", "18884"]);
  const dir = mkdtempSync(join(tmpdir(), "spore-next-"));
  try {
    await said.waitFor(/ node\/discovered /, 6);
    const out = said.text;
    const api = /ota all --api-node (\S+)/.exec(out)?.[1];
    assert.ok(api, out);
    // the next version of every board: the bundles with another version, and their manifests
    for (const board of ["esp01", "esp8266", "esp32"]) {
      writeFileSync(join(dir, `${board}.js`), bundleWithVersion(board, "0badcafe"), "latin1");
      writeFileSync(join(dir, `${board}.json`), JSON.stringify({ board, version: "0badcafe" }));
    }
    const tool = spawn(process.execPath, ["host-tools/bin/host-tools.mjs", "ota", "all", "--api-node", api!, "--bundle", dir, "--concurrency", "2"], { stdio: ["ignore", "pipe", "pipe"], env: ENV });
    let report = "";
    tool.stdout.on("data", (d) => (report += d));
    tool.stderr.on("data", (d) => (report += d));
    const [code] = await once(tool, "exit");
    assert.is(code, 0, report);
    assert.is((report.match(/ updated /g) ?? []).length, 3, report);
    const urls = [...out.matchAll(/: (http:\/\/127\.0\.0\.\d+:18180\/api\/node\/status)/g)].map((m) => m[1]);
    assert.is(urls.length, 3, out);
    for (const url of urls) assert.is(((await (await fetch(url)).json()) as { version: string }).version, "0badcafe", url);
  } finally {
    child.kill("SIGINT");
    rmSync(dir, { recursive: true, force: true });
  }
  await once(child, "exit");
});

start.run();
