// host-tools config (issue 21) against emulated nodes running the real
// bundles: a node's settings shown without its secrets, one read, changes
// validated on the host and on the node, applied at once or by a restart,
// kept across a restart, refused without the secret; every node at once;
// esp01 (no control capability) says why it cannot; config init's starter
// file is read by the tools.
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as assert from "uvu/assert";
import { runCli } from "../../host-tools/cli.ts";
import { loadProject } from "../../host-tools/build/project.ts";
import { Cluster } from "../../host-tools/emulator/cluster.ts";
import { api, waitConverged } from "./helpers.ts";
import { cli } from "./cli.ts";
import { suite } from "../suite.ts";

const { test, seed } = suite("config", { seed: 2121 });

test("config show, get and set on one node and on all: validated, applied live or by a restart, kept, secrets never shown", async () => {
  const c = new Cluster({ seed, boards: ["esp32", "esp8266", "esp01"] });
  waitConverged(c, 30000, seed);
  const [d, e, tiny] = c.devices;
  let r = await cli(c, ["config", "show", d.ip, "--json"]);
  assert.is(r.code, 0, r.err);
  const shown = JSON.parse(r.out) as { config: Record<string, unknown>; errors: string[] };
  assert.equal([shown.config.prd, shown.config.ina, shown.config.cl], [1000, 10, "spore"]);
  assert.not.ok("key" in shown.config || "pass" in shown.config, "no secret in the answer");
  assert.not.ok(r.out.includes(c.secret), "the secret's text appears nowhere");
  r = await cli(c, ["config", "show", d.ip]);
  assert.match(r.out, /^ina\s+10$/m);
  r = await cli(c, ["config", "get", d.ip, "ovl"]);
  assert.equal([r.code, r.out.trim()], [0, "80"], r.err);
  // a live setting: the node's status thresholds follow at once, no restart
  const boots = d.counters.boots;
  r = await cli(c, ["config", "set", d.ip, "ina", "12"]);
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /ina = 12 \(applied\)/, r.out + r.err);
  c.runFor(3000);
  assert.is(d.counters.boots, boots, "not restarted");
  assert.is((await cli(c, ["config", "get", d.ip, "ina"])).out.trim(), "12");
  // refused by the host's schema check (nothing sent), and by the node's own check (dead must stay above ina)
  r = await cli(c, ["config", "set", d.ip, "prd", "50"]);
  assert.equal([r.code, /prd 50: \/prd: must be >= 200/.test(r.err)], [2, true], r.err);
  r = await cli(c, ["config", "set", d.ip, "dead", "11"]);
  assert.equal([r.code, /400 dead <= ina/.test(r.err)], [1, true], r.err);
  r = await cli(c, ["config", "set", d.ip, "key", "stolen"]);
  assert.equal([r.code, /secret rotate/.test(r.err)], [2, true], r.err);
  assert.is((await cli(c, ["config", "get", d.ip, "dead"])).out.trim(), "60", "nothing changed by a refused set");
  // without the secret: refused, nothing written
  r = await cli(c, ["config", "set", d.ip, "ina", "20"], { secret: null });
  assert.is(r.code, 1);
  r = await cli(c, ["config", "set", d.ip, "ina", "20"], { secret: "wrong-secret-0123456789" });
  assert.is(r.code, 1);
  assert.is((await cli(c, ["config", "get", d.ip, "ina"])).out.trim(), "12");
  // a setting read at boot: written, and applied by a restart
  r = await cli(c, ["config", "set", d.ip, "prd", "1500"]);
  assert.match(r.out, /prd = 1500 \(restarting to apply it\)/, r.err);
  c.runFor(5000);
  assert.is(d.counters.boots, boots + 1, "restarted once");
  waitConverged(c, 30000, seed);
  assert.equal(api<{ gossip: { periodMs: number } }>(c, d, "/api/node/status", "node-status").gossip.periodMs >= 600, true);
  assert.is((await cli(c, ["config", "get", d.ip, "prd"])).out.trim(), "1500", "kept across the restart");
  assert.is((await cli(c, ["config", "get", d.ip, "ina"])).out.trim(), "12");
  // every node the API node lists: the esp01 cannot, and says why; the others change
  r = await cli(c, ["config", "set", "all", "fgt", "600", "--api-node", d.ip]);
  assert.is(r.code, 1, "one node failed");
  assert.match(r.err, new RegExp(`${tiny.ip}.*leaves the control capability out \\(esp01\\)`));
  for (const n of [d, e]) assert.match(r.out, new RegExp(`${n.ip}.*fgt = 600 \\(applied\\)`));
  r = await cli(c, ["config", "get", "all", "fgt", "--api-node", d.ip, "--json"]);
  const got = JSON.parse(r.out) as Record<string, unknown>;
  assert.equal([got[`${d.ip}:80`] ?? got[d.ip], got[`${e.ip}:80`] ?? got[e.ip]], [600, 600], r.out);
  for (const n of c.devices) assert.is(n.counters.uncaught, 0);
});

test("config init writes a commented starter espruino.json that the tools read and its schema accepts; an existing one is kept", async () => {
  const dir = mkdtempSync(join(tmpdir(), "spore-init-"));
  let out = "";
  let err = "";
  const io = { out: (s: string) => void (out += s), err: (s: string) => void (err += s), tty: false, env: {}, cwd: dir, transport: undefined as never };
  assert.is(await runCli(["config", "init"], io), 0, err);
  const file = join(dir, "espruino.json");
  const text = readFileSync(file, "utf8");
  assert.match(text, /^\s*\/\/ /m, "commented");
  const p = loadProject(file);
  assert.equal([p.cluster.secretEnv, p.ports.udp, p.boards], ["SPORE_SECRET", 4210, ["esp01", "esp8266", "esp32"]]);
  assert.is(await runCli(["config", "init"], io), 2);
  assert.match(err, /exists: give --force/);
  assert.is(readFileSync(file, "utf8"), text);
});

test.run();
