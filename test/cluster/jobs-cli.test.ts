// host-tools jobs and host-tools kv (issue 20) against an emulated mixed
// cluster in virtual time: a job file checked on the host, deployed to every
// node that runs jobs, listed, watched and removed; the KV store read and
// written from the host.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as assert from "uvu/assert";
import { Cluster } from "../../host-tools/emulator/cluster.ts";
import { cli } from "./cli.ts";
import { hostnameOf, waitConverged } from "./helpers.ts";
import { kv, listing } from "./jobs-helpers.ts";
import { suite } from "../suite.ts";

const { test, seed } = suite("host-tools jobs and kv", { seed: 2004 });

const dir = mkdtempSync(join(tmpdir(), "spore-jobs-"));
test.after(() => rmSync(dir, { recursive: true, force: true }));
function file(name: string, doc: unknown): string {
  const f = join(dir, name);
  writeFileSync(f, typeof doc === "string" ? doc : JSON.stringify(doc, null, 2));
  return f;
}

const GOOD = {
  version: 1,
  jobs: [
    { name: "beat", trigger: { type: "interval", every_ms: 1000 }, steps: [{ "kv.incr": { key: "beats", save_as: "n" } }, { if: { cond: "${n} % 2 == 0", then: [] } }] },
    { name: "boot", trigger: { type: "startup" }, steps: [{ "kv.put": { key: "host", value: "${node.hostname}", durable: true } }] },
  ],
};

test("jobs validate: a good file passes with its size; a bad one is refused with the file, the place and the reason", async () => {
  const c = new Cluster({ seed, boards: [] });
  const bad = await cli(c, ["jobs", "validate", file("bad.json", GOOD)]);
  assert.is(bad.code, 1, bad.out + bad.err);
  assert.match(bad.err, /bad\.json: jobs\[0\]\.steps\[1\]\.if\.cond: /, bad.err);
  const good = { ...GOOD, jobs: [GOOD.jobs[0], GOOD.jobs[1]].map((j) => (j.name === "beat" ? { ...j, steps: [j.steps[0]] } : j)) };
  const ok = await cli(c, ["jobs", "validate", file("good.json", good), "--board", "esp32"]);
  assert.is(ok.code, 0, ok.out + ok.err);
  assert.match(ok.out, /2 jobs, 2 steps/, ok.out);
  const typo = await cli(c, ["jobs", "validate", file("typo.json", { version: 1, jobs: [{ name: "x", trigger: { type: "interval", every_ms: 10 }, steps: [{ "kv.inc": { key: "k" } }] }] })]);
  assert.is(typo.code, 1);
  assert.match(typo.err, /typo\.json: jobs\[0\]\.trigger\.every_ms/, typo.err);
  const help = await cli(c, ["jobs", "--help"]);
  for (const sub of ["validate", "deploy", "list", "status", "remove"]) assert.match(help.out + help.err, new RegExp(sub));
});

test("jobs deploy all: every node that runs jobs takes the set, the others are skipped; status, list and remove", async () => {
  const c = new Cluster({ seed, boards: ["esp32", "esp8266", "esp01", "esp32"] });
  waitConverged(c, 60000, seed);
  c.runFor(20000);
  const doc = file("set.json", { version: 1, jobs: [{ ...GOOD.jobs[0], steps: [GOOD.jobs[0].steps[0]] }, GOOD.jobs[1]] });
  const api = ["--api-node", c.devices[0].ip];
  const r = await cli(c, ["jobs", "deploy", doc, "all", ...api]);
  assert.is(r.code, 0, r.out + r.err);
  for (const d of [c.devices[0], c.devices[3]]) assert.match(r.out, new RegExp(`${hostnameOf(d)}\\s+\\S+\\s+deployed`), r.out);
  for (const d of [c.devices[1], c.devices[2]]) assert.match(r.out, new RegExp(`${hostnameOf(d)}\\s+\\S+\\s+skipped`), r.out);
  assert.match(r.err, /\[\d\/4\]/, "progress per node");
  c.runFor(3000);
  for (const d of [c.devices[0], c.devices[3]]) {
    assert.equal(listing(c, d).jobs.map((j) => j.name), ["beat", "boot"], d.ip);
    assert.is(kv(c, d, "host"), hostnameOf(d), `seed ${seed}`);
  }
  const status = await cli(c, ["jobs", "status", c.devices[0].ip, "--json"]);
  assert.is(status.code, 0, status.err);
  const s = JSON.parse(status.out) as { jobs: { name: string; runs: number; errors: number }[] };
  assert.ok(s.jobs.find((j) => j.name === "beat")!.runs >= 3, status.out);
  const list = await cli(c, ["jobs", "list", c.devices[0].ip]);
  assert.match(list.out, /beat\s+every 1000 ms\s+serial/, list.out);
  const rm = await cli(c, ["jobs", "remove", c.devices[3].ip, "--job", "beat"]);
  assert.is(rm.code, 0, rm.out + rm.err);
  assert.equal(listing(c, c.devices[3]).jobs.map((j) => j.name), ["boot"]);
  // no secret: refused before anything is sent
  const nokey = await cli(c, ["jobs", "deploy", doc, c.devices[0].ip], { secret: null });
  assert.not.equal(nokey.code, 0);
  assert.match(nokey.err + nokey.out, /secret/i, nokey.err + nokey.out);
});

test("kv put, get, list and del from the host; a node without the capability says so", async () => {
  const c = new Cluster({ seed, boards: ["esp32", "esp01"] });
  waitConverged(c, 60000, seed);
  const [d, small] = c.devices;
  const put = await cli(c, ["kv", "put", d.ip, "mode", '"auto"', "--durable", "--ttl", "600"]);
  assert.is(put.code, 0, put.out + put.err);
  const get = await cli(c, ["kv", "get", d.ip, "mode", "--json"]);
  assert.equal(JSON.parse(get.out), { key: "mode", value: "auto", ttl: 600, durable: true });
  const list = await cli(c, ["kv", "list", d.ip]);
  assert.match(list.out, /mode/);
  const notJson = await cli(c, ["kv", "put", d.ip, "x", "{oops"]);
  assert.is(notJson.code, 2, notJson.err);
  assert.is((await cli(c, ["kv", "del", d.ip, "mode"])).code, 0);
  const gone = await cli(c, ["kv", "get", d.ip, "mode"]);
  assert.is(gone.code, 1);
  const none = await cli(c, ["kv", "list", small.ip]);
  assert.is(none.code, 1);
  assert.match(none.err, /jobs capability/, none.err);
});

test.run();
