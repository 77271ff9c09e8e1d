// The owner's ways in (issue 18): rotating the cluster secret on a running
// cluster without losing membership (host-tools secret rotate), and
// restarting a node whose HTTP sockets are all held (host-tools node restart,
// which then sends the signed restart datagram).
import * as assert from "uvu/assert";
import { Cluster } from "../../host-tools/emulator/cluster.ts";
import type { Device } from "../../host-tools/emulator/device.ts";
import { datagram } from "../../host-tools/lib/mac.ts";
import { cli } from "./cli.ts";
import { api, members, waitConverged } from "./helpers.ts";
import { suite } from "../suite.ts";

const { test, seed } = suite("secret rotation and the owner's restart", { seed: 1622, limit: 600 });
const NEW = "a new secret of 32 random chars!";
const PEER = "10.42.0.201";

/** Status changes a node has reported since line `from` of its console (node/status events). */
const changes = (d: Device, from: number) => d.console.slice(from).filter((l) => l.startsWith("node/status"));
const drops = (c: Cluster, d: Device) => api<{ drops: Record<string, number> }>(c, d, "/api/node/status", "node-status").drops;

test("secret rotate gives every node a new secret, and no member is ever reported INACTIVE", async () => {
  const c = new Cluster({ seed, boards: ["esp32", "esp01", "esp8266", "esp01", "esp8266"] });
  waitConverged(c, 60000, seed);
  c.runFor(20000);
  const from = c.devices.map((d) => d.console.length);
  const r = await cli(c, ["secret", "rotate", "--api-node", c.devices[0].ip, "--json"], { env: { SPORE_NEW_SECRET: NEW } });
  assert.is(r.code, 0, r.out + r.err);
  const out = JSON.parse(r.out) as { rows: { hostname: string; add: string; use: string; drop: string }[] };
  assert.equal(
    out.rows.map((x) => [x.add, x.use, x.drop]),
    c.devices.map(() => ["done", "done", "done"]),
  );
  c.runFor(30000);
  for (const [i, d] of c.devices.entries()) {
    assert.equal(changes(d, from[i]), [], `${d.hostname} reported no status change during or after the rotation (seed ${seed})`);
    assert.equal(
      members(c, d).map((m) => m.status),
      c.devices.map(() => "ACTIVE"),
    );
    assert.is(d.eval('require("Storage").readJSON("spore.json").key'), NEW, `${d.hostname} stored the new secret`);
  }
  // the API takes the new secret only
  const d = c.devices[2];
  const post = (secret: string) => c.http(d, "POST", "/api/events", { body: "name=x", headers: { Authorization: `Bearer ${secret}` } }).status;
  assert.equal([post(c.secret), post(NEW)], [401, 200]);
  // and the datagrams signed with it only
  const before = drops(c, d).check ?? 0;
  c.lan.sendDatagram(PEER, 4210, d.ip, 4210, datagram(c.secret, "spore", "A|0000ee|0|1|0|0", PEER));
  c.runFor(200);
  assert.is((drops(c, d).check ?? 0) - before, 1, "signed with the old secret: dropped");
  c.lan.sendDatagram(PEER, 4210, d.ip, 4210, datagram(NEW, "spore", "A|0000ee|0|2|0|0", PEER));
  c.runFor(200);
  assert.ok(members(c, d).some((m) => m.hostname === "esp_0000ee"), "signed with the new one: a member");
  // a node restarted afterwards boots with the new secret (and, on an esp8266, rewrites its arrays in flash) and is back
  c.restart(d);
  c.runFor(60000);
  for (const x of c.devices) assert.ok(members(c, x).filter((m) => m.hostname !== "esp_0000ee").every((m) => m.status === "ACTIVE"), `${x.hostname} lists every node ACTIVE after ${d.hostname} restarted`);
});

test("a rotation stopped at use leaves every node accepting both secrets; run again, it finishes", async () => {
  const c = new Cluster({ seed, boards: ["esp32", "esp8266", "esp01"] });
  waitConverged(c, 60000, seed);
  c.runFor(20000);
  const from = c.devices.map((d) => d.console.length);
  // the last node's HTTP is cut off once the first two have used the new secret
  const last = c.devices[2];
  let uses = 0;
  const delay = (q: { host: string; path: string; body?: string | Buffer }) => {
    if (q.path === "/api/node/key" && String(q.body).includes("phase=use") && q.host !== last.ip) uses++;
    if (uses >= 2 && q.host === last.ip && String(q.body).includes("phase=use")) c.lan.partition([[last.ip], c.devices.slice(0, 2).map((d) => d.ip).concat(c.lan.gateway())]);
    return 0;
  };
  const first = await cli(c, ["secret", "rotate", "--api-node", c.devices[0].ip], { env: { SPORE_NEW_SECRET: NEW }, transport: { delay } });
  assert.is(first.code, 1, first.out);
  assert.match(first.out, /stopped at use/);
  c.lan.heal();
  c.runFor(5000);
  for (const [i, d] of c.devices.entries()) assert.equal(changes(d, from[i]).filter((l) => /INACTIVE|DEAD/.test(l)), [], `${d.hostname}: the cut was shorter than a member takes to go INACTIVE`);
  const second = await cli(c, ["secret", "rotate", "--api-node", c.devices[0].ip, "--json"], { env: { SPORE_NEW_SECRET: NEW } });
  assert.is(second.code, 0, second.out + second.err);
  c.runFor(30000);
  for (const d of c.devices) {
    assert.is(d.eval('require("Storage").readJSON("spore.json").key'), NEW);
    assert.equal(
      members(c, d).map((m) => m.status),
      c.devices.map(() => "ACTIVE"),
    );
  }
});

test("secret rotate refuses a bad new secret, and a cluster with a member down, before it changes anything", async () => {
  const c = new Cluster({ seed, boards: ["esp8266", "esp01"] });
  waitConverged(c, 60000, seed);
  for (const bad of ["", "x|y", "x".repeat(64), c.secret]) {
    const r = await cli(c, ["secret", "rotate", "--api-node", c.devices[0].ip], { env: bad ? { SPORE_NEW_SECRET: bad } : {} });
    assert.is(r.code, 2, `${JSON.stringify(bad)}: ${r.out}${r.err}`);
  }
  c.kill(c.devices[1]);
  c.runFor(20000);
  const r = await cli(c, ["secret", "rotate", "--api-node", c.devices[0].ip], { env: { SPORE_NEW_SECRET: NEW } });
  assert.is(r.code, 2, r.out + r.err);
  assert.match(r.err, /not every member is ACTIVE/);
  assert.is(c.devices[0].eval('require("Storage").readJSON("spore.json").key'), c.secret);
});

test("node restart reaches a node whose HTTP sockets are all held: the signed restart datagram; a copy sent again later does nothing", async () => {
  const c = new Cluster({ seed, boards: ["esp01", "esp8266"] });
  waitConverged(c, 60000, seed);
  c.runFor(10000);
  const d = c.devices[0];
  // an attacker holds connections whose headers never end: every socket the node has for HTTP
  for (let i = 0; i < 10; i++) c.lan.connect("10.42.0.250", d.ip, 80, (_e, s) => s?.write("GET / HTTP/1.1\r\nX-Slow: "));
  c.runFor(2000);
  let denied = "";
  try {
    denied = String(c.http(d, "GET", "/api/node/status", { timeoutMs: 5000 }).status);
  } catch (e) {
    denied = (e as Error).message;
  }
  assert.ok(denied !== "200", `HTTP is denied: ${denied}`);
  const sent: string[] = [];
  c.lan.onDatagram = (fromIp, _to, data) => void (fromIp === c.lan.gateway() && sent.push(data));
  const boots = d.counters.boots;
  const r = await cli(c, ["node", "restart", d.ip]);
  assert.is(r.code, 0, r.out + r.err);
  assert.match(r.out, /restart datagram sent/);
  c.runFor(5000);
  assert.is(d.counters.boots, boots + 1, `restarted (seed ${seed})`);
  c.runFor(30000);
  assert.is(c.http(d, "GET", "/api/node/status").status, 200, "its API answers again");
  // the same datagram again: the node is at a new incarnation now
  assert.is(sent.length, 1);
  c.lan.sendDatagram(c.lan.gateway(), 4210, d.ip, 4210, sent[0]);
  c.runFor(5000);
  assert.is(d.counters.boots, boots + 1, "a replayed restart datagram restarts nothing");
});

test.run();
