// One emulated node (the real bundle) against a peer the test plays by hand:
// crafted datagrams on the LAN, and what the node sends back.
// the core modules this file reads datagrams with need the build constants (defined here as an esp8266's, as the unit tests do)
import "../unit/limits.ts";
import * as assert from "uvu/assert";
import { Cluster } from "../../host-tools/emulator/cluster.ts";
import { news, update, type Message } from "../../device/core/wire.ts";
import { loadBoard } from "../../host-tools/build/boards.ts";
import { datagram, readDatagram } from "../../host-tools/lib/mac.ts";
import { api } from "./helpers.ts";
import { suite } from "../suite.ts";
import { runUntil } from "../wait.ts";

const { test: node, seed } = suite("node protocol", { seed: 1602 });
const PEER = "10.42.0.200";

function rig(board = "esp01") {
  const c = new Cluster({ seed, boards: [board] });
  const d = c.devices[0];
  const heard: Message[] = [];
  // members at PEER that answer the node's pings (each acks every ping: only the pinged one's ack counts)
  const answering: string[] = [];
  const seqs: Record<string, number> = {};
  c.lan.attach(PEER, {
    deliverDatagram: (data) => {
      const m = readDatagram(c.secret, "spore", data, d.ip) as Message;
      heard.push(m);
      if (typeof m === "object" && m.type_ === "P") for (const id of answering) c.lan.sendDatagram(PEER, 4210, d.ip, 4210, datagram(c.secret, "spore", `K|${id}|0|${(seqs[id] = (seqs[id] ?? 0) + 1).toString(36)}|0|0`, PEER, "", m.arg_));
    },
    streamListener: () => undefined,
  });
  runUntil(c, () => !!d.stationIp, 30000, "the node joined WiFi");
  c.runFor(1000);
  const send = (id: string, type: string, seq: number, ups = "", arg = "", inc = 0) => {
    c.lan.sendDatagram(PEER, 4210, d.ip, 4210, datagram(c.secret, "spore", `${type}|${id}|${inc.toString(36)}|${seq.toString(36)}|0|0`, PEER, ups, arg));
    c.runFor(100);
  };
  const status = () => api<{ members: Record<string, number>; drops: Record<string, number>; incarnation: number }>(c, d, "/api/node/status", "node-status");
  return { c, d, heard, send, status, answering };
}

node("a ping is acked by unicast with the same nonce and the sender becomes an ACTIVE member", () => {
  const t = rig();
  t.send("000001", "P", 10, "", "k7");
  const ack = t.heard.find((m) => m.type_ === "K");
  assert.ok(ack, JSON.stringify(t.heard));
  assert.is(ack!.arg_, "k7");
  assert.equal(t.status().members, { ACTIVE: 1, INACTIVE: 0, DEAD: 0 });
});

node("announces heard at once are answered up to the board's hellos; each announcer becomes a member all the same", () => {
  const t = rig("esp01");
  const hellos = loadBoard("esp01").node.hellos;
  const before = t.heard.length;
  // ten members announcing in the same moment (as when a whole cluster boots): handed to the node
  // together, not across the LAN, whose latency jitter could let an answer go out between two of them
  for (let i = 0; i < 10; i++) t.d.deliverDatagram(datagram(t.c.secret, "spore", `A|${(i + 1).toString(16).padStart(6, "0")}|0|1|0|0`, PEER), PEER, 4210, 4210);
  t.c.runFor(2000);
  assert.is(t.heard.slice(before).filter((m) => m.type_ === "H").length, hellos);
  assert.equal(t.status().members, { ACTIVE: 10, INACTIVE: 0, DEAD: 0 });
  // the answers went out: a later announce is answered again
  t.send("00000b", "A", 1);
  t.c.runFor(1000);
  assert.is(t.heard.slice(before).filter((m) => m.type_ === "H").length, hellos + 1);
});

node("a replayed datagram is dropped and counted; reordered ones inside the window are accepted", () => {
  const t = rig();
  for (const seq of [10, 12, 11, 11, 12]) t.send("000001", "P", seq, "", "n" + seq);
  assert.is(t.status().drops.replay, 2);
  assert.equal(t.heard.filter((m) => m.type_ === "K").map((m) => m.arg_), ["n10", "n12", "n11"]);
});

node("a node that hears it is suspected refutes with a higher incarnation, gossiped", () => {
  const t = rig();
  const id = t.d.mac.toLowerCase().replace(/[-:]/g, "").slice(-6);
  // the first boot's incarnation: boot number 1 times 4096 (gossip.ts)
  const first = t.status().incarnation;
  assert.is(first, 4096);
  t.send("000001", "H", 1, `s${id}/${first.toString(36)}/3`);
  assert.is(t.status().incarnation, first + 1);
  t.send("000001", "P", 2, "", "1");
  const ack = t.heard.filter((m) => m.type_ === "K").pop()!;
  assert.is(ack.incarnation_, first + 1);
  assert.ok(news(ack.updates_).map(update).some((u) => u!.id_ === id && u!.kind_ === "a" && u!.incarnation_ === first + 1), JSON.stringify(ack.updates_));
});

node("gossip adds members up to the board's table limit and counts the rest", () => {
  const t = rig();
  const ups = Array.from({ length: 14 }, (_, i) => `a${(i + 2).toString(16).padStart(6, "0")}/0/10.42.0.${20 + i}/1`);
  t.send("000001", "H", 1, ups.slice(0, 7).join(","));
  t.send("000001", "H", 2, ups.slice(7).join(","));
  assert.is(t.status().members.ACTIVE, 12, "esp01 keeps 12");
  assert.is(t.status().drops.full, 3);
});

node("a cluster event is delivered once, forwarded with one hop fewer, and dropped when malformed; not from a member that has not answered a probe", () => {
  const t = rig("esp32");
  t.send("000001", "P", 1);
  // a member the node has not probed yet: its event is dropped, not remembered (a later copy from a member that answered delivers it)
  t.send("000002", "E", 1, "", "000002.5.2.alarm:[1]");
  assert.is(t.status().drops.unconfirmed, 1);
  t.send("000003", "P", 1);
  t.answering.push("000002", "000003");
  t.c.runFor(5000);
  // numbered after their acks (the fake members' acks count from 1)
  t.send("000002", "E", 900, "", "000002.5.2.alarm:[1]");
  t.send("000003", "E", 900, "", "000002.5.1.alarm:[1]");
  const events = api<{ events: { name: string; origin: string; data: unknown }[] }>(t.c, t.d, "/api/events", "events").events.filter((e) => e.name === "alarm");
  assert.equal(events.map((e) => [e.origin, e.data]), [["esp_000002", [1]]]);
  const forwarded = t.heard.filter((m) => m.type_ === "E");
  assert.ok(forwarded.length >= 1 && forwarded.every((m) => m.arg_ === "000002.5.1.alarm:[1]"), JSON.stringify(forwarded));
  t.send("000002", "E", 901, "", "000002.6.9.alarm:[1]");
  t.send("000002", "E", 902, "", "000002.7.1.alarm:{bad");
  assert.is(t.status().drops.malformed, 2);
});

node("a ping request is relayed only towards a member's address: a node is no reflector for traffic at any address", () => {
  // a board with the relay capability (an esp01 relays nothing: see the next test)
  const t = rig("esp8266");
  const pinged: string[] = [];
  // a third party that is no member, and a member the node knows
  t.c.lan.attach("10.42.0.99", { deliverDatagram: (data) => pinged.push("outsider " + data.split("|")[3]), streamListener: () => undefined });
  t.c.lan.attach("10.42.0.98", { deliverDatagram: (data) => pinged.push("member " + data.split("|")[3]), streamListener: () => undefined });
  t.d.deliverDatagram(datagram(t.c.secret, "spore", "A|0000bb|0|1|0|0", "10.42.0.98"), "10.42.0.98", 4210, 4210);
  t.c.runFor(100);
  t.send("000001", "R", 10, "", "5/10.42.0.99");
  t.c.runFor(500);
  assert.equal(pinged.filter((p) => p === "outsider P"), [], "no ping sent to an address that is no member's (broadcast announces reach it, as they reach anyone)");
  assert.is(t.status().drops.relay, 1);
  t.send("000001", "R", 11, "", "6/10.42.0.98");
  t.c.runFor(500);
  assert.ok(pinged.includes("member P"), `the member is pinged for the requester: ${pinged.join(", ")}`);
});

node("an esp01 (no relay capability) probes for no one: a ping request is not relayed", () => {
  const t = rig();
  const pinged: string[] = [];
  t.c.lan.attach("10.42.0.98", { deliverDatagram: (data) => pinged.push(data.split("|")[3]), streamListener: () => undefined });
  t.d.deliverDatagram(datagram(t.c.secret, "spore", "A|0000bb|0|1|0|0", "10.42.0.98"), "10.42.0.98", 4210, 4210);
  t.send("000001", "R", 10, "", "6/10.42.0.98");
  t.c.runFor(500);
  assert.equal(pinged.filter((p) => p === "P"), []);
});

node("the engine's periodic work runs as named tasks controllable over the API (boards with the control capability; an esp01 answers 404)", () => {
  const t = rig("esp8266");
  const tasks = () => api<{ tasks: { name: string; enabled: boolean; interval: number }[] }>(t.c, t.d, "/api/tasks/status", "tasks-status").tasks;
  assert.equal(tasks().map((x) => x.name), ["probe", "details", "wifi"]);
  const post = (body: string, auth = true) => t.c.http(t.d, "POST", "/api/tasks/control", { body, auth, headers: { "Content-Type": "application/x-www-form-urlencoded" } });
  assert.is(post("task=wifi&action=disable").status, 200);
  assert.is(tasks().find((x) => x.name === "wifi")!.enabled, false);
  assert.is(post("task=wifi&action=interval&interval=5000").status, 200);
  assert.is(tasks().find((x) => x.name === "wifi")!.interval, 5000);
  // changing an interval changes only the interval: the probe task keeps membership running
  for (const body of ["task=probe&action=interval&interval=700", "task=probe&interval=600"]) {
    assert.is(post(body).status, 200, body);
    const probe = tasks().find((x) => x.name === "probe")!;
    assert.equal([probe.enabled, probe.interval], [true, body.endsWith("700") ? 700 : 600], body);
  }
  assert.is(post("task=nope&action=start").status, 404);
  assert.is(post("task=wifi&action=explode").status, 400);
  assert.is(post("task=wifi&action=interval&interval=5s").status, 400);
  assert.is(post("task=wifi&action=enable", false).status, 401);
  // the esp01 (minimal) has no details task (it fetches no member's details) and no tasks/control
  const e = rig();
  assert.equal(api<{ tasks: { name: string }[] }>(e.c, e.d, "/api/tasks/status", "tasks-status").tasks.map((x) => x.name), ["probe", "wifi"]);
  assert.is(e.c.http(e.d, "POST", "/api/tasks/control", { body: "task=wifi&action=disable", auth: true, headers: { "Content-Type": "application/x-www-form-urlencoded" } }).status, 404);
});

node("events fired over the API reach the history; bad names, bad JSON and oversized cluster events are refused", () => {
  const t = rig();
  const post = (body: string) => t.c.http(t.d, "POST", "/api/events", { body, auth: true }).status;
  assert.is(post("name=door%2Fopen&data=%7B%22n%22%3A1%7D"), 200);
  const events = api<{ events: { name: string; origin: string; data: unknown }[] }>(t.c, t.d, "/api/events", "events").events;
  const last = events[events.length - 1];
  assert.equal([last.name, last.data], ["door/open", { n: 1 }]);
  assert.is(post("name=bad%20name"), 400);
  assert.is(post("name=x&data=%7Bnope"), 400);
  assert.is(post("name=x&scope=cluster&data=" + encodeURIComponent(JSON.stringify("y".repeat(300)))), 413);
});

node("a node that hears only nodes of another wire version (S2) counts them as a member for its boot file's trial, and takes nothing from them", () => {
  const t = rig("esp8266");
  assert.is(t.d.eval("spore.members"), 0);
  // an S2 announce, as a node not updated yet sends it (its CRC32 is not checked: S2 is not taken)
  t.c.lan.sendDatagram(PEER, 4210, t.d.ip, 4210, "S2|1x2y3z|spore|A|0000aa|0|1|0|0||");
  t.c.runFor(200);
  assert.is(t.status().drops.version, 1);
  assert.equal(t.status().members, { ACTIVE: 0, INACTIVE: 0, DEAD: 0 });
  assert.is(t.d.eval("spore.members"), 1, "the trial's 'heard from a member' holds: the network works");
});

node.run();
