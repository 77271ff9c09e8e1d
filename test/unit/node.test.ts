// A node against in-memory ports: crafted datagrams and HTTP requests.
import { crc32 } from "node:zlib";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { defaultConfig } from "../../device/core/config.ts";
import { SporeNode } from "../../device/core/node.ts";
import type { HttpRequest } from "../../device/core/ports.ts";
import { aliveUpdate, decode, encode, suspectUpdate, type Message } from "../../device/core/wire.ts";

const hash = (s: string) => crc32(Buffer.from(s, "latin1"));

function fakeNode() {
  const sent: { data: string; address: string; port: number }[] = [];
  const timers: { fn: () => void; ms: number }[] = [];
  let now = 5000;
  const logs: string[] = [];
  let restarts = 0;
  const config = { ...defaultConfig(), key: "s3cret" };
  const node = new SporeNode({
    config,
    mac: "5ccf7fa1b2c3",
    clock: { now: () => now },
    udp: { send: (data, address, port) => sent.push({ data, address, port }) },
    info: { board: "esp01", freeHeap: () => 12345, freeJsVars: () => 900, sdkVersion: "2.2.2", cpuFreqMHz: 80, flashChipSize: 1048576 },
    log: (l) => logs.push(l),
    timers: { setInterval: (fn, ms) => timers.push({ fn, ms }), changeInterval: (id, ms) => (timers[id - 1].ms = ms), clearInterval: () => {} },
    hash,
    httpGet: (_ip, _port, _path, cb) => cb("unreachable", ""),
    limits: { memberTable: 3, detailTable: 2, eventLog: 4 },
    version: "0badf00d",
    restart: () => restarts++,
  });
  node.start();
  const from = (id: string, type: string, seq: number, ups = "", arg = "", inc = 0) => encode("s3cret", "spore", `${type}|${id}|${inc.toString(36)}|${seq.toString(36)}|0|0`, ups, arg, hash);
  const http = (method: string, path: string, body = "", auth = true) => {
    const req: HttpRequest = { method, path, query: {}, headers: auth ? { Authorization: "Bearer s3cret" } : {}, body };
    return node.handleHttp(req);
  };
  const decoded = (i: number) => decode(sent[i].data, "s3cret", "spore", hash) as Message;
  return { node, sent, logs, timers, http, from, decoded, advance: (ms: number) => (now += ms), restarts: () => restarts };
}

const node = suite("node");

node("going online broadcasts a versioned announce to the subnet on the UDP port", () => {
  const { node: n, sent, decoded } = fakeNode();
  n.online("10.0.0.5", "10.0.0.255");
  assert.is(sent.length, 1);
  assert.is(sent[0].address, "10.0.0.255");
  assert.is(sent[0].port, 4210);
  const m = decoded(0);
  assert.is(m.type, "A");
  assert.is(m.id, "a1b2c3");
});

node("a ping is acked by unicast with the same nonce and the sender becomes an ACTIVE member", () => {
  const { node: n, sent, from, decoded } = fakeNode();
  n.online("10.0.0.5", "10.0.0.255");
  n.receive(from("000001", "P", 10, "", "k7"), "10.0.0.9");
  assert.is(sent[1].address, "10.0.0.9");
  assert.is(decoded(1).type, "K");
  assert.is(decoded(1).arg, "k7");
  assert.is(n.members.count, 1);
  assert.equal(n.counts(), [1, 0, 0]);
});

node("a replayed datagram is dropped and counted; reordered ones inside the window are accepted", () => {
  const { node: n, sent, from } = fakeNode();
  n.online("10.0.0.5", "10.0.0.255");
  n.receive(from("000001", "P", 10), "10.0.0.9");
  n.receive(from("000001", "P", 12), "10.0.0.9");
  n.receive(from("000001", "P", 11), "10.0.0.9");
  n.receive(from("000001", "P", 11), "10.0.0.9");
  n.receive(from("000001", "P", 12), "10.0.0.9");
  assert.equal(n.members.drops, { replay: 2 });
  assert.is(sent.length, 4, "three pings acked");
});

node("a node that hears it is suspected refutes with a higher incarnation", () => {
  const { node: n, sent, from, decoded } = fakeNode();
  n.online("10.0.0.5", "10.0.0.255");
  n.receive(from("000001", "H", 1, suspectUpdate("a1b2c3", 0, 3)), "10.0.0.9");
  assert.is(n.members.inc, 1);
  n.receive(from("000001", "P", 2, "", "1"), "10.0.0.9");
  const ack = decoded(sent.length - 1);
  assert.is(ack.inc, 1);
  assert.ok(ack.ups.some((u) => u.id === "a1b2c3" && u.k === "a" && u.inc === 1), "the refutation is gossiped");
});

node("gossip adds members up to the table limit and counts the rest", () => {
  const { node: n, from } = fakeNode();
  n.online("10.0.0.5", "10.0.0.255");
  const ups = ["000002", "000003", "000004"].map((id, i) => aliveUpdate(id, 0, "10.0.0." + (20 + i), 1)).join(",");
  n.receive(from("000001", "H", 1, ups), "10.0.0.9");
  assert.is(n.members.count, 3);
  assert.equal(n.members.drops, { full: 1 });
});

node("status has SPORE's fields plus uptime, version, board, free JsVars and the api list", () => {
  const { node: n, advance } = fakeNode();
  advance(61000);
  const s = n.status();
  for (const key of ["freeHeap", "chipId", "sdkVersion", "cpuFreqMHz", "flashChipSize", "api"]) assert.ok(key in s, `status has ${key}`);
  assert.is(s.chipId, 0xa1b2c3);
  assert.is(s.uptime, 61);
  assert.is(s.version, "0badf00d");
  assert.is(s.freeJsVars, 900);
  const api = (s.api as { uri: string; method: string }[]).map((e) => e.method + " " + e.uri);
  assert.equal(api, ["GET /api/node/status", "GET /api/cluster/members", "POST /api/node/restart", "GET /api/tasks/status", "POST /api/tasks/control", "GET /api/events", "POST /api/events"]);
});

node("restart needs the secret and happens after the answer", () => {
  const t = fakeNode();
  assert.is(t.http("POST", "/api/node/restart", "", false).code, 401);
  const r = t.http("POST", "/api/node/restart");
  assert.is(r.code, 200);
  assert.is(t.restarts(), 0);
  r.after!();
  assert.is(t.restarts(), 1);
});

node("the engine's periodic work runs as named tasks controllable over the API", () => {
  const t = fakeNode();
  const status = JSON.parse(t.http("GET", "/api/tasks/status").body);
  assert.equal(status.tasks.map((x: { name: string }) => x.name), ["probe", "discovery", "members", "details", "status"]);
  assert.is(status.summary.totalTasks, 5);
  const r = t.http("POST", "/api/tasks/control", "task=details&action=disable");
  assert.is(r.code, 200, r.body);
  assert.is(t.node.tasks.isTaskEnabled("details"), false);
  assert.is(t.http("POST", "/api/tasks/control", "task=details&action=interval&interval=5000").code, 200);
  assert.is(t.node.tasks.getTaskInterval("details"), 5000);
  assert.is(t.timers[3].ms, 5000, "changeInterval was used");
  assert.is(t.http("POST", "/api/tasks/control", "task=nope&action=start").code, 404);
  assert.is(t.http("POST", "/api/tasks/control", "task=details&action=explode").code, 400);
  assert.is(t.http("POST", "/api/tasks/control", "task=details&action=interval&interval=5s").code, 400);
  assert.is(t.http("POST", "/api/tasks/control", "task=details&action=enable", false).code, 401);
});

node("events fired over the API reach listeners and the history; listener errors are contained", () => {
  const t = fakeNode();
  const heard: unknown[] = [];
  t.node.on("door/open", () => {
    throw new Error("listener bug");
  });
  t.node.on("door/open", (d) => heard.push(d));
  assert.is(t.http("POST", "/api/events", "name=door%2Fopen&data=%7B%22n%22%3A1%7D").code, 200);
  assert.equal(heard, [{ n: 1 }]);
  assert.is(t.node.bus.errors, 1);
  const events = JSON.parse(t.http("GET", "/api/events").body).events;
  assert.equal(events[events.length - 1], { name: "door/open", origin: "esp_a1b2c3", time: 0, data: { n: 1 } });
  assert.is(t.http("POST", "/api/events", "name=bad%20name").code, 400);
  assert.is(t.http("POST", "/api/events", "name=x&data=%7Bnope").code, 400);
  assert.is(t.http("POST", "/api/events", "name=x&scope=cluster&data=" + encodeURIComponent(JSON.stringify("y".repeat(300)))).code, 413);
});

node("a cluster event is delivered once, forwarded with one hop fewer, and dropped when malformed", () => {
  const t = fakeNode();
  t.node.online("10.0.0.5", "10.0.0.255");
  t.node.receive(t.from("000001", "P", 1), "10.0.0.9");
  const heard: unknown[] = [];
  t.node.on("alarm", (d, origin) => heard.push([d, origin]));
  const before = t.sent.length;
  t.node.receive(t.from("000002", "E", 1, "", "000002.5.2.alarm:[1]"), "10.0.0.10");
  t.node.receive(t.from("000001", "E", 2, "", "000002.5.1.alarm:[1]"), "10.0.0.9");
  assert.equal(heard, [[[1], "esp_000002"]]);
  const forwarded = t.sent.slice(before).map((s) => decode(s.data, "s3cret", "spore", hash) as Message);
  assert.ok(forwarded.length >= 1 && forwarded.every((m) => m.type === "E" && m.arg === "000002.5.1.alarm:[1]"), JSON.stringify(forwarded));
  t.node.receive(t.from("000002", "E", 2, "", "000002.6.9.alarm:[1]"), "10.0.0.10");
  t.node.receive(t.from("000002", "E", 3, "", "000002.7.1.alarm:{bad"), "10.0.0.10");
  assert.is(t.node.members.drops.malformed, 2);
});

node.run();
