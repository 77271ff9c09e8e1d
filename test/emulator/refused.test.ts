// A connection refused, by a port nothing listens on or by a node with no
// socket free to take it, ends on the connecting node as on a chip: with its
// error and close events, and the socket it took is free again. A node that
// lost the close of a refused connection kept its socket for good, and after
// ten of them could open none.
import * as assert from "uvu/assert";
import { Cluster } from "../../host-tools/emulator/cluster.ts";
import type { Device } from "../../host-tools/emulator/device.ts";
import { suite } from "../suite.ts";

const { test, seed } = suite("emulated refused connections", { seed: 7331 });

const JOIN = `require("Wifi").connect("spore-lan", {password: "spore-pass"});`;
/** A node whose HTTP server has no socket left for a connection (its nine others are bound UDP sockets): it refuses each. */
const FULL = JOIN + `require("http").createServer(function(req, res){ res.end("x"); }).listen(80);
  for (var i = 0; i < 9; i++) require("dgram").createSocket("udp4").bind(5000 + i);`;
const TRIES = 200;

/** A node connecting from its own code, and the node it connects to. */
function pair(targetCode: string): { c: Cluster; d: Device; target: Device } {
  const c = new Cluster({ seed, boards: [] });
  const d = c.addNode("esp8266", JOIN + "var closed = 0, errors = 0, connected = 0;", { bare: true });
  const target = c.addNode("esp8266", targetCode, { bare: true });
  c.runFor(8000);
  assert.ok(d.stationIp && target.stationIp, "both nodes joined WiFi");
  return { c, d, target };
}

/** `TRIES` connections from `d`'s code to host:port, one every 50 ms (its sockets would run out in 10 were any kept); `open` makes one. */
function tryMany(c: Cluster, d: Device, open: string): void {
  for (let i = 0; i < TRIES; i++) {
    d.eval(open);
    c.runFor(50);
  }
  c.runFor(10000);
}

/** The counts the node's code keeps, as [errors, closes, connects]. */
const counts = (d: Device): number[] => JSON.parse(d.eval("JSON.stringify([errors, closed, connected])") as string);

const NET = (host: string, port: number) => `(function(){ var s = require("net").connect({host: "${host}", port: ${port}}, function(){ connected++; });
  s.on("error", function(){ errors++; }); s.on("close", function(){ closed++; }); })()`;

test(`a net connection to a port nothing listens on errors and closes, ${TRIES} times of ${TRIES}, and frees its socket`, () => {
  const { c, d, target } = pair(JOIN);
  const before = d.sockets.inUse;
  tryMany(c, d, NET(target.ip, 1883));
  assert.equal(counts(d), [TRIES, TRIES, 0], "an error, then a close, each time");
  assert.is(d.sockets.inUse, before, "every socket is free again");
  assert.is(d.counters.uncaught, 0, d.console.join("\n"));
});

test(`a net connection a node refuses for want of a socket closes, ${TRIES} times of ${TRIES}, and frees its socket`, () => {
  const { c, d, target } = pair(FULL);
  assert.is(target.sockets.inUse, target.sockets.limit, "the target has no socket free");
  const before = d.sockets.inUse;
  tryMany(c, d, NET(target.ip, 80));
  assert.is(d.eval("closed"), TRIES, `a close each time (${d.eval("closed")} of ${TRIES})`);
  assert.is(d.sockets.inUse, before, "every socket is free again");
  assert.ok(target.sockets.refused >= TRIES, "the target refused them all");
  assert.is(d.counters.uncaught, 0, d.console.join("\n"));
});

test(`an HTTP request to a port nothing listens on, or to a node with no socket free, errors, ${TRIES} times of ${TRIES}, and frees its socket`, () => {
  for (const [code, port] of [
    [JOIN, 81],
    [FULL, 80],
  ] as const) {
    const { c, d, target } = pair(code);
    const before = d.sockets.inUse;
    tryMany(c, d, `require("http").request({host: "${target.ip}", port: ${port}, path: "/"}, function(){ connected++; }).on("error", function(){ errors++; }).end()`);
    assert.equal(counts(d), [TRIES, 0, 0], `port ${port}: an error each time, no answer`);
    assert.is(d.sockets.inUse, before, `port ${port}: every socket is free again`);
  }
});

test("a listener on the LAN that closes each stream at once: the connecting side learns of it every time", () => {
  const c = new Cluster({ seed, boards: [] });
  c.lan.attach("10.42.0.250", { deliverDatagram: () => {}, streamListener: () => (end) => end.close() });
  let closes = 0;
  for (let i = 0; i < TRIES; i++)
    c.lan.connect(c.lan.gateway(), "10.42.0.250", 1883, (err, end) => {
      assert.ok(end, `connected: ${err}`);
      end!.onClose = () => closes++;
    });
  c.runFor(2000);
  assert.is(closes, TRIES, `closes seen: ${closes} of ${TRIES}`);
});

test.run();
