// npm start end to end: a real process, real loopback ports, real HTTP.
// Waits on the process's own output (bounded), never on sleeps.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { suite } from "uvu";
import * as assert from "uvu/assert";

const start = suite("npm start");

start("serves the API on every node once they list each other as members, and stops on Ctrl-C", async () => {
  const child = spawn(process.execPath, ["--import", "tsx", "host-tools/start.ts", "--no-build", "--nodes", "3", "--port-offset", "18000", "--seed", "42"], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const waitFor = (pattern: RegExp, count: number) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${count} x ${pattern}:\n${out}`)), 30000);
      const check = () => {
        if ((out.match(new RegExp(pattern, "g")) ?? []).length >= count) {
          clearTimeout(timer);
          child.stdout.off("data", check);
          resolve();
        }
      };
      child.stdout.on("data", (d) => {
        out += d;
        check();
      });
      check();
    });
  try {
    await waitFor(/ node\/discovered /, 6);
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
  } finally {
    child.kill("SIGINT");
  }
  const [code] = await once(child, "exit");
  assert.is(code, 0, out);
  assert.match(out, /stopped/);
});

start.run();
