import { suite } from "uvu";
import * as assert from "uvu/assert";
import { defaultConfig } from "../../device/core/config.ts";
import { SporeNode } from "../../device/core/node.ts";
import { decode, encode, MSG_ANNOUNCE } from "../../device/core/wire.ts";

function fakeNode() {
  const sent: { data: string; address: string; port: number }[] = [];
  let now = 5000;
  const logs: string[] = [];
  const node = new SporeNode({
    config: defaultConfig(),
    mac: "5ccf7fa1b2c3",
    clock: { now: () => now },
    udp: { send: (data, address, port) => sent.push({ data, address, port }) },
    info: { board: "esp01", freeHeap: () => 12345, freeJsVars: () => 900, sdkVersion: "2.2.2", cpuFreqMHz: 80, flashChipSize: 1048576 },
    log: (l) => logs.push(l),
  });
  return { node, sent, logs, advance: (ms: number) => (now += ms) };
}

const node = suite("node");

node("going online broadcasts an announce to the subnet on the UDP port", () => {
  const { node: n, sent } = fakeNode();
  n.online("10.0.0.5", "10.0.0.255");
  assert.is(sent.length, 1);
  assert.is(sent[0].address, "10.0.0.255");
  assert.is(sent[0].port, 4210);
  assert.equal(decode(sent[0].data, "spore"), { type: MSG_ANNOUNCE, cluster: "spore", sender: "esp_a1b2c3", httpPort: 80 });
});

node("an announce is answered by unicast hello and the sender becomes a peer", () => {
  const { node: n, sent, logs } = fakeNode();
  n.receive(encode({ type: MSG_ANNOUNCE, cluster: "spore", sender: "esp_000001", httpPort: 80 }), "10.0.0.9");
  assert.is(sent.length, 1);
  assert.is(sent[0].address, "10.0.0.9");
  assert.is((decode(sent[0].data, "spore") as { type: string }).type, "H");
  assert.equal(Object.keys(n.peers), ["esp_000001"]);
  assert.match(logs.join("\n"), /found esp_000001 at 10.0.0.9/);
});

node("its own broadcast and bad datagrams are ignored; bad ones are counted by reason", () => {
  const { node: n, sent } = fakeNode();
  n.receive(encode({ type: MSG_ANNOUNCE, cluster: "spore", sender: "esp_a1b2c3", httpPort: 80 }), "10.0.0.5");
  n.receive("garbage", "10.0.0.7");
  n.receive(encode({ type: MSG_ANNOUNCE, cluster: "other", sender: "esp_000001", httpPort: 80 }), "10.0.0.7");
  assert.is(sent.length, 0);
  assert.equal(n.drops, { malformed: 1, cluster: 1 });
  assert.equal(n.peers, {});
});

node("status has SPORE's fields, the api list and uptime", () => {
  const { node: n, advance } = fakeNode();
  advance(61000);
  const s = n.status();
  for (const key of ["freeHeap", "chipId", "sdkVersion", "cpuFreqMHz", "flashChipSize", "api"]) assert.ok(key in s, `status has ${key}`);
  assert.is(s.freeHeap, 12345);
  assert.is(s.chipId, 0xa1b2c3);
  assert.is(s.uptime, 61);
  assert.equal(s.api, [{ uri: "/api/node/status", method: "GET" }]);
  assert.equal(JSON.parse(n.handleHttp({ method: "GET", path: "/api/node/status", query: {}, headers: {}, body: "" }).body).hostname, "esp_a1b2c3");
});

node.run();
