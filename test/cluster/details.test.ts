// Member details (board, class, version, api list: device/core/details.ts
// fetchDetails, on boards with the details capability) are kept per details
// version, at most the board's node.detailTable of them, and a version no
// member has any more is forgotten to make room: what GET
// /api/cluster/members shows of each member.
// the core modules this file reads datagrams with need the build constants (defined here as an esp8266's, as the unit tests do)
import "../unit/limits.ts";
import * as assert from "uvu/assert";
import { loadBoard } from "../../host-tools/build/boards.ts";
import { bundleVersion, bundleWithVersion, Cluster } from "../../host-tools/emulator/cluster.ts";
import type { Device } from "../../host-tools/emulator/device.ts";
import { datagram, readDatagram } from "../../host-tools/lib/mac.ts";
import { hostnameOf, members, waitConverged } from "./helpers.ts";
import { suite } from "../suite.ts";

const { test, seed } = suite("member details", { seed: 1612 });

/** The others `d` lists with their details (board and version), by hostname. */
function detailed(c: Cluster, d: Device): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of members(c, d).slice(1)) {
    if (m.board === undefined) {
      assert.equal(m.api, [], `${d.hostname} lists ${m.hostname} without details: no api list either`);
      continue;
    }
    // the core's six (seven with the control capability), the boot file's update and restart, the dashboard upload where it has one
    assert.ok(m.api.length >= 8, `${d.hostname} lists ${m.hostname}'s api list with its details`);
    out[m.hostname] = `${m.board} ${m.version}`;
  }
  return out;
}

test("a node keeps the details of at most its detailTable versions, and forgets those no member has any more to take another's", () => {
  // four versions: two esp8266s (each keeps 2) see three others, two esp32s (8) see three
  const c = new Cluster({ seed, boards: [], config: { fgt: 30 } });
  const small = [c.addNode("esp8266"), c.addNode("esp8266", bundleWithVersion("esp8266", "0badf00d"))];
  const esp32 = [c.addNode("esp32"), c.addNode("esp32", bundleWithVersion("esp32", "0badcafe"))];
  const all = [...small, ...esp32];
  const version = (d: Device) => `${d.board.name} ${d === esp32[1] ? "0badcafe" : d === small[1] ? "0badf00d" : bundleVersion(d.board.name)}`;
  waitConverged(c, 30000, seed);
  c.runFor(30000);
  for (const d of all) {
    const held = detailed(c, d);
    const table = loadBoard(d.board.name).node.detailTable;
    assert.is(Object.keys(held).length, Math.min(3, table), `${d.hostname} (${d.board.name}, ${table} kept) holds: ${JSON.stringify(held)}`);
    for (const [host, v] of Object.entries(held)) assert.is(v, version(all.find((o) => hostnameOf(o) === host)!), `${d.hostname}'s details of ${host}`);
  }
  // with its table full of versions in use, a node does not fetch the third version (it used to, every 2 s)
  const opened = () => small.map((d) => c.lan.streamStats.get(d.ip)?.connections ?? 0);
  const before = opened();
  c.runFor(60000);
  assert.equal(opened(), before, "the esp8266s opened no connection in a minute");
  // an esp32 whose details the first esp8266 holds goes for good: once it is forgotten (dead 60 s + fgt 30 s),
  // its version makes room for the one it had no room for
  const [first] = small;
  const victim = esp32.find((d) => detailed(c, first)[hostnameOf(d)])!;
  assert.ok(victim, "the esp8266 holds one of the esp32s' details");
  c.kill(victim);
  const killed = c.scheduler.now();
  const rest = all.filter((d) => d !== victim);
  let whole = 0;
  for (let t = 0; t < 120000 && !whole; t += 1000) {
    c.runFor(1000);
    if (rest.every((d) => Object.keys(detailed(c, d)).length === 2)) whole = c.scheduler.now() - killed;
  }
  assert.ok(whole > 0, `every node holds the details of both others within 120 s: ${rest.map((d) => JSON.stringify(detailed(c, d))).join(" ")}`);
  assert.ok(whole >= 90000, `not before the victim was forgotten (${whole} ms after the kill)`);
  for (const d of rest) assert.not.ok(members(c, d).some((m) => m.hostname === hostnameOf(victim)), `${d.hostname} forgot the victim`);
  for (const d of rest) for (const [host, v] of Object.entries(detailed(c, d))) assert.is(v, version(rest.find((o) => hostnameOf(o) === host)!));
});

test("a minimal board (esp01: no details capability) lists the others' membership fields only, its own details, and fetches nothing", () => {
  const c = new Cluster({ seed, boards: ["esp01", "esp8266", "esp32"] });
  const [esp01] = c.devices;
  assert.is(esp01.board.capabilities.details, false);
  waitConverged(c, 30000, seed);
  c.runFor(60000);
  assert.equal(detailed(c, esp01), {}, "no details of the others");
  const own = members(c, esp01)[0];
  assert.equal([own.hostname, own.board, own.class], [hostnameOf(esp01), "esp01", "minimal"], "its own details");
  assert.is(c.lan.streamStats.get(esp01.ip)?.connections ?? 0, 0, "it opened no connection");
  // the others list it, with its details
  for (const d of c.devices.slice(1)) assert.is(detailed(c, d)[hostnameOf(esp01)], `esp01 ${bundleVersion("esp01")}`, d.board.name);
});

test("a member whose status answer is huge, or never ends, neither fills a node's memory nor wedges its API, nor holds its sockets", () => {
  for (const how of ["huge", "endless"]) {
    const c = new Cluster({ seed, boards: ["esp8266"] });
    const [d] = c.devices;
    const PEER = "10.42.0.201";
    // its datagram numbers, announces and acks alike
    let seq = 0;
    // the peer knows the secret (a member gone bad): it answers probes (so it stays ACTIVE and is fetched again every 30 s) and serves its status at port 80
    c.lan.attach(PEER, {
      deliverDatagram: (data) => {
        const m = readDatagram(c.secret, "spore", data, d.ip);
        if (typeof m === "object" && m.type_ === "P") c.lan.sendDatagram(PEER, 4210, d.ip, 4210, datagram(c.secret, "spore", `K|0000ee|0|${(++seq).toString(36)}|1f|0`, PEER, "", m.arg_));
      },
      streamListener: (port) =>
        port === 80
          ? (end) => {
              const head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n";
              if (how === "huge") return void (end.write(head + JSON.stringify({ board: "x".repeat(4000), api: [] })), end.close());
              end.write(head + '{"board":"');
              const more = () => {
                if (end.closed) return;
                end.write("y".repeat(500));
                c.scheduler.after(100, more);
              };
              more();
            }
          : undefined,
    });
    c.runFor(5000);
    const sockets = d.sockets.inUse;
    // an announce now and then, with a details version the node does not know: it fetches them
    const announce = () => c.lan.sendDatagram(PEER, 4210, d.ip, 4210, datagram(c.secret, "spore", `A|0000ee|0|${(++seq).toString(36)}|1f|0`, PEER));
    // a member now, its first fetch failed: what the node holds from here on should not grow
    for (let t = 0; t < 12000; t += 2000) announce(), c.runFor(2000);
    const idle = d.memory().usage;
    let busy = 0;
    for (let t = 0; t < 120000; t += 2000) {
      announce();
      c.runFor(2000);
      if (c.http(d, "GET", "/api/node/status").status !== 200) busy++;
    }
    const peer = members(c, d).find((m) => m.hostname === "esp_0000ee");
    assert.equal(peer && [peer.board, peer.api], [undefined, []], `${how}: no details kept of it`);
    assert.ok(busy <= 2, `${how}: the API answered 503 ${busy} times in 60 tries`);
    assert.ok(d.sockets.inUse <= sockets + 1, `${how}: ${d.sockets.inUse} sockets in use, ${sockets} at first (one fetch may be open)`);
    // fetched again and again (it stayed ACTIVE), each socket closed once the fetch gave up
    const fetches = c.lan.streamStats.get(d.ip)?.connections ?? 0;
    assert.ok(fetches >= 4, `${how}: ${fetches} fetches in two minutes`);
    assert.ok(d.memory().usage <= idle + 10, `${how}: ${idle} JsVars used once it was a member, ${d.memory().usage} two minutes later`);
    assert.is(d.counters.uncaught, 0, d.console.join("\n"));
  }
});

test.run();
