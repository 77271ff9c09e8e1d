// npm start end to end: a real process, real loopback ports, real HTTP.
// Waits on the process's own output (bounded), never on sleeps.
import { type ChildProcess, execFileSync, spawn, type SpawnOptions } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { once } from "node:events";
import net from "node:net";
import * as assert from "uvu/assert";
import { REPO_ROOT } from "../../host-tools/build/paths.ts";
import { suite } from "../suite.ts";

const { test: start } = suite("npm start");

/** A process whose output (stdout and stderr) is kept, and waited on with a bound. */
function run(command: string, args: string[], options: SpawnOptions) {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], ...options });
  let out = "";
  const listeners = new Set<() => void>();
  const take = (d: Buffer) => {
    out += d;
    for (const l of listeners) l();
  };
  child.stdout!.on("data", take);
  child.stderr!.on("data", take);
  const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
  return {
    child,
    out: () => out,
    /** Resolves once the output matches `pattern` `count` times; fails with the output after `ms`, or when the process ends first. */
    waitFor(pattern: RegExp, count: number, ms: number): Promise<void> {
      return new Promise((resolve, reject) => {
        const done = (e?: Error) => {
          clearTimeout(timer);
          listeners.delete(check);
          if (e) reject(e);
          else resolve();
        };
        const timer = setTimeout(() => done(new Error(`timed out after ${ms} ms waiting for ${count} x ${pattern}; the output:\n${out}`)), ms);
        const check = () => {
          if ((out.match(new RegExp(pattern.source, pattern.flags + "g")) ?? []).length >= count) done();
        };
        listeners.add(check);
        void exited.then(([code]) => done(new Error(`exited (${code}) before ${count} x ${pattern}; the output:\n${out}`)));
        check();
      });
    },
    /** The exit code and signal, failing with the output if the process has not ended within `ms`. */
    async exit(ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`still running ${ms} ms later; the output:\n${out}`)), ms)));
      try {
        const [code, signal] = await Promise.race([exited, late]);
        return { code, signal };
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/**
 * Ports for one npm start: a node's port P at P + offset (80 -> api, 23 ->
 * console) and the broker at offset + 1883. The offset is drawn for each
 * run: fixed ones collided with the same tests run from another checkout on
 * this machine.
 */
function ports() {
  const offset = 20000 + 100 * Math.floor(Math.random() * 400);
  return { api: offset + 80, console: offset + 23, broker: offset + 1883, args: ["--port-offset", String(offset), "--broker-port", String(offset + 1883)] };
}

function npmStart(args: string[], secret = "start-test-secret") {
  return run(process.execPath, ["--import", "tsx", "host-tools/start.ts", "--no-build", ...args], { env: { ...process.env, SPORE_SECRET: secret } });
}

/** The repository as a fresh clone of the working tree has it: what git tracks or would add, no dist/, no .env; node_modules linked. */
function freshClone(): string {
  const dir = mkdtempSync(join(tmpdir(), "spore-clone-"));
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: REPO_ROOT, encoding: "utf8" }).split("\0");
  for (const f of files.filter((f) => f && existsSync(join(REPO_ROOT, f)))) {
    mkdirSync(join(dir, dirname(f)), { recursive: true });
    copyFileSync(join(REPO_ROOT, f), join(dir, f));
  }
  symlinkSync(join(REPO_ROOT, "node_modules"), join(dir, "node_modules"));
  return dir;
}

start("on a fresh clone (no dist/, no .env) npm start builds what it needs, the nodes answer, and Ctrl-C stops it", async () => {
  const dir = freshClone();
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.SPORE_SECRET;
  try {
    const nothing = run(process.execPath, ["--import", "tsx", "host-tools/start.ts", "--no-build"], { cwd: dir, env });
    assert.is((await nothing.exit(20000)).code, 1, nothing.out());
    assert.match(nothing.out(), /npm start: \S+\/dist\/esp01\.js is missing: run "npm run build" first \(or start without --no-build\)/);
    // detached: its own process group, so the test's Ctrl-C reaches npm and its children together, as a terminal's does
    const at = ports();
    const p = run("npm", ["start", "--", "--nodes", "3", "--seed", "44", ...at.args], { cwd: dir, env, detached: true });
    try {
      await p.waitFor(/^update them: /m, 1, 60000);
      await p.waitFor(new RegExp(` api: http://\\S+:${at.api}/api/node/status$`, "m"), 3, 20000);
      for (const f of ["esp01.js", "esp01.boot.js", "esp8266.js", "esp8266.boot.js", "esp32.js", "esp32.boot.js", "dashboard.html.gz"]) assert.ok(existsSync(join(dir, "dist", f)), `dist/${f} built`);
      const urls = [...p.out().matchAll(new RegExp(` api: (http://127\\.0\\.0\\.\\d+:${at.api}/api/node/status)$`, "gm"))].map((m) => m[1]);
      assert.is(urls.length, 3, p.out());
      for (const url of urls) assert.is((await fetch(url)).status, 200, url);
      const secret = /^SPORE_SECRET=(\S+)$/m.exec(readFileSync(join(dir, ".env"), "utf8"))?.[1];
      assert.ok(secret, "a new cluster secret is written to ./.env");
      assert.not.ok(p.out().includes(secret!), "and never printed");
    } finally {
      process.kill(-p.child.pid!, "SIGINT");
    }
    // npm waits for the script, then ends itself by the Ctrl-C it was sent
    const { code, signal } = await p.exit(10000);
    assert.ok(code === 0 || signal === "SIGINT", `npm start ended by ${signal ?? code}:\n${p.out()}`);
    assert.match(p.out(), /^stopped$/m, "the cluster stopped");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

start("a broker port already taken is a one-line error, and the process ends", async () => {
  const holder = net.createServer();
  const at = ports();
  await new Promise<void>((r) => holder.listen(at.broker, "127.0.0.10", () => r()));
  try {
    const p = npmStart(["--nodes", "1", ...at.args]);
    assert.is((await p.exit(20000)).code, 2, p.out());
    assert.match(p.out(), new RegExp(`npm start: cannot serve the MQTT broker at 127\\.0\\.0\\.10:${at.broker} \\(.*EADDRINUSE.*\\): choose another with --broker-port`));
  } finally {
    await new Promise((r) => holder.close(r));
  }
});

start("serves the API on every node once they list each other as members, and stops on Ctrl-C", async () => {
  const at = ports();
  const p = npmStart(["--nodes", "3", "--seed", "42", ...at.args]);
  try {
    await p.waitFor(/ node\/discovered /, 6, 30000);
    const out = p.out();
    // one line per node for its API, one per Telnet console (esp8266 and esp32; the esp01 image has none), each labelled
    const served = out.split("\n").filter((l) => l.startsWith("node "));
    const apiLine = new RegExp(`^node esp_[0-9a-f]{6} \\((esp01|esp8266|esp32)\\) api: (http://127\\.0\\.0\\.\\d+:${at.api}/api/node/status)$`);
    const consoleLine = new RegExp(`^node esp_[0-9a-f]{6} \\((esp8266|esp32)\\) console: telnet (127\\.0\\.0\\.\\d+) ${at.console}$`);
    assert.equal(served.filter((l) => !apiLine.test(l) && !consoleLine.test(l)), [], `every line names what it serves:\n${out}`);
    const urls = served.map((l) => apiLine.exec(l)?.[2]).filter((u) => u !== undefined);
    assert.equal(served.map((l) => apiLine.exec(l)?.[1]).filter((b) => b).sort(), ["esp01", "esp32", "esp8266"], out);
    assert.equal(served.map((l) => consoleLine.exec(l)?.[1]).filter((b) => b).sort(), ["esp32", "esp8266"], out);
    // what a console line names is the node's REPL, locked: it runs nothing before the password (the secret's first 20 characters)
    assert.match(out, /Telnet consoles are locked: the password is the first 20 characters of the cluster secret \(SPORE_SECRET\)/);
    const consoleHost = served.map((l) => consoleLine.exec(l)?.[2]).find((h) => h)!;
    const repl = net.connect(at.console, consoleHost);
    let said = "";
    repl.on("data", (d) => (said += d));
    repl.write("print('console ' + 6 * 7)\nstart-test-secret\nprint('console ' + 6 * 7)\n");
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer from the console at ${consoleHost} ${at.console} in 5 s: ${JSON.stringify(said)}`)), 5000);
      repl.on("data", () => /console 42/.test(said) && (clearTimeout(timer), resolve()));
    });
    repl.destroy();
    assert.match(said, /^password>\r\n  Invalid password\r\npassword>\r\n  Logged in\./, "the line before the password was refused");
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
    assert.is(url, `mqtt://127.0.0.10:${at.broker}`, out);
    const rec = spawn(process.execPath, ["host-tools/bin/host-tools.mjs", "telemetry", "record", "--broker", url!, "--seconds", "12"], { stdio: ["ignore", "pipe", "pipe"] });
    let recorded = "";
    rec.stdout.on("data", (d) => (recorded += d));
    await once(rec, "exit");
    const topics = recorded.trim().split("\n").map((l) => (JSON.parse(l) as { topic: string }).topic);
    // the nodes built with MQTT (the esp8266 and esp32 of esp01, esp8266, esp32) publish telemetry every 10 s
    assert.is(new Set(topics.filter((t) => /^spore\/esp_[0-9a-f]{6}\/telemetry$/.test(t))).size, 2, recorded);
    assert.ok(topics.some((t) => /\/status$/.test(t)), recorded);
  } finally {
    p.child.kill("SIGINT");
  }
  assert.is((await p.exit(10000)).code, 0, p.out());
  assert.match(p.out(), /stopped/);
});

start("host-tools ota all --api-node <the address npm start prints> updates the running cluster", async () => {
  const at = ports();
  const p = npmStart(["--nodes", "3", "--seed", "43", "--hold", "2000", ...at.args]);
  const dir = mkdtempSync(join(tmpdir(), "spore-next-"));
  try {
    await p.waitFor(/ node\/discovered /, 6, 30000);
    const out = p.out();
    const api = /ota all --api-node (\S+)/.exec(out)?.[1];
    assert.ok(api, out);
    // the next version of every board: the bundles with another version, and their manifests
    for (const board of ["esp01", "esp8266", "esp32"]) {
      const m = JSON.parse(readFileSync(join("dist", `${board}.json`), "utf8")) as { version: string };
      writeFileSync(join(dir, `${board}.js`), readFileSync(join("dist", `${board}.js`), "latin1").split(m.version).join("0badcafe"), "latin1");
      writeFileSync(join(dir, `${board}.json`), JSON.stringify({ board, version: "0badcafe" }));
    }
    const tool = spawn(process.execPath, ["host-tools/bin/host-tools.mjs", "ota", "all", "--api-node", api!, "--bundle", dir, "--concurrency", "2"], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, SPORE_SECRET: "start-test-secret" } });
    let report = "";
    tool.stdout.on("data", (d) => (report += d));
    tool.stderr.on("data", (d) => (report += d));
    const [code] = await once(tool, "exit");
    assert.is(code, 0, report);
    assert.is((report.match(/ updated /g) ?? []).length, 3, report);
    const urls = [...out.matchAll(new RegExp(` api: (http://127\\.0\\.0\\.\\d+:${at.api}/api/node/status)$`, "gm"))].map((m) => m[1]);
    assert.is(urls.length, 3, out);
    for (const url of urls) assert.is(((await (await fetch(url)).json()) as { version: string }).version, "0badcafe", url);
  } finally {
    p.child.kill("SIGINT");
    rmSync(dir, { recursive: true, force: true });
  }
  await p.exit(10000);
});

start.run();
