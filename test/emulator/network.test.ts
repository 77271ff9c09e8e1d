// Datagram limits, broadcast rules, HTTP wire format and the socket limit.
import * as assert from "uvu/assert";
import { Cluster } from "../../host-tools/emulator/cluster.ts";
import { suite } from "../suite.ts";

const { test: network } = suite("emulated network");

const RECEIVER = `var W = require("Wifi"); W.connect("spore-lan", {password: "spore-pass"});
  var s = require("dgram").createSocket(getSerial().slice(-1) === "x" ? {type: "udp4", recvBufferSize: 2000} : "udp4");
  s.on("message", function(m, r){ print("got", m.length, r.address === undefined ? "?" : "from"); }); s.bind(4210);`;

function pair(board: string, senderCode: string, receiverCode = RECEIVER) {
  const c = new Cluster({ seed: 7, boards: [] });
  const rx = c.addNode(board, receiverCode, { bare: true });
  const tx = c.addNode("esp32", senderCode.replace("TARGET", () => rx.ip), { bare: true });
  c.runFor(8000);
  return { c, rx, tx };
}

const SEND = (sizes: number[], target = "TARGET", bound = false) => `var W = require("Wifi"); W.connect("spore-lan", {password: "spore-pass"});
  W.on("connected", function(){ var s = require("dgram").createSocket("udp4"); ${bound ? "s.bind(4211);" : ""}
    setTimeout(function(){ ${JSON.stringify(sizes)}.forEach(function(n){ s.send("x".repeat(n), 4210, "${target}"); }); }, 2000); });`;

network("ESP8266 drops incoming datagrams over 268 bytes whole", () => {
  const { rx } = pair("esp8266", SEND([268, 269, 600]));
  assert.equal(rx.console.filter((l) => l.startsWith("got")), ["got 268 from"]);
  assert.is(rx.counters.oversizeDropped, 2);
});

network("ESP32 truncates incoming datagrams to 528 bytes", () => {
  const { rx } = pair("esp32", SEND([500, 600]));
  assert.equal(rx.console.filter((l) => l.startsWith("got")).sort(), ["got 500 from", "got 528 from"], "UDP may reorder; both arrive");
});

network("a broadcast from a bound socket goes nowhere; from an unbound one it arrives", () => {
  const unbound = pair("esp8266", SEND([10], "10.42.255.255"));
  assert.equal(unbound.rx.console.filter((l) => l.startsWith("got")), ["got 10 from"]);
  const bound = pair("esp8266", SEND([10], "10.42.255.255", true));
  assert.equal(bound.rx.console.filter((l) => l.startsWith("got")), []);
  assert.is(bound.tx.counters.boundBroadcastLost, 1);
});

const SERVER = `require("Wifi").connect("spore-lan", {password: "spore-pass"});
  require("http").createServer(function(req, res){
    var body = ""; req.on("data", function(d){ body += d; });
    req.on("end", function(){ res.writeHead(req.url === "/missing" ? 404 : 200, {"Content-Type": "text/plain"}); res.end(req.method + " " + req.url + " " + body + " " + req.headers["X-Case"]); });
  }).listen(80);`;

network("HTTP: the status line always says OK, Espruino's headers come first, the connection closes", () => {
  const c = new Cluster({ seed: 3, boards: [] });
  const d = c.addNode("esp8266", SERVER, { bare: true });
  c.runFor(5000);
  const ok = c.http(d, "POST", "/echo?x=1", { body: "hello", headers: { "X-Case": "Kept" } });
  assert.is(ok.statusLine, "HTTP/1.1 200 OK");
  assert.equal(Object.keys(ok.headers), ["Server", "Connection", "Content-Type"]);
  assert.is(ok.headers.Connection, "close");
  assert.is(ok.body, "POST /echo?x=1 hello Kept", "header names keep their case");
  assert.is(c.http(d, "GET", "/missing").statusLine, "HTTP/1.1 404 OK");
});

network("HTTP client: res.statusCode is a string", () => {
  const c = new Cluster({ seed: 3, boards: [] });
  const server = c.addNode("esp32", SERVER, { bare: true });
  const client = c.addNode("esp8266", `var W = require("Wifi"); W.connect("spore-lan", {password: "spore-pass"});
    W.on("connected", function(){ setTimeout(function(){
      require("http").request({host: "${server.ip}", port: 80, path: "/missing", method: "GET"}, function(res){
        var b = ""; res.on("data", function(d){ b += d; }); res.on("close", function(){ print(typeof res.statusCode, res.statusCode, b); });
      }).end(); }, 3000); });`, { bare: true });
  c.runFor(10000);
  assert.equal(client.console, ["string 404 GET /missing  undefined"]);
});

network("ESP8266 has 10 sockets in all: the 11th cannot be created", () => {
  const c = new Cluster({ seed: 3, boards: [] });
  const d = c.addNode("esp8266", `var n = 0; try { for (var i = 0; i < 11; i++) { require("dgram").createSocket("udp4").bind(5000 + i); n++; } } catch (e) { print(n, e.message); }`, { bare: true });
  c.runFor(3000);
  assert.equal(d.console, ["10 Unable to create socket"]);
});

network("a node out of sockets refuses a connection without crashing", () => {
  const c = new Cluster({ seed: 3, boards: [] });
  const d = c.addNode("esp8266", SERVER + `for (var i = 0; i < 9; i++) require("dgram").createSocket("udp4").bind(5000 + i);`, { bare: true });
  c.runFor(5000);
  assert.throws(() => c.http(d, "GET", "/x"), /closed|no answer|Connection/i);
  assert.is(d.counters.uncaught, 0);
  assert.ok(d.sockets.refused >= 1, "the refusal is counted");
});

network.run();
