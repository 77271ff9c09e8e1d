// SPORE's scheme, as its description puts it, for the benchmarks only (never
// shipped, never built): a discovery broadcast every second, and an HTTP
// status request to every member every second. A member is ACTIVE while it
// was heard from (a discovery datagram or a status answer) within 10 s,
// INACTIVE until 60 s, DEAD after. Requests go one after another, as SPORE's
// blocking HTTP client makes them; a round that is not done within the
// second delays the next. Changes are printed as Spore prints them
// ("node/discovered {...}", "node/status {...}"), so the benchmark reads both
// the same way. Plain Espruino JavaScript, run by the emulator as a node's
// .bootcde.
var W = require("Wifi");
var dgram = require("dgram");
var http = require("http");
var me = "esp_" + getSerial().replace(/[-:]/g, "").slice(-6);
var ip = "";
/** Members by address: hostname, last heard (ms), status printed (0 ACTIVE, 1 INACTIVE, 2 DEAD). */
var M = {};
var NAMES = ["ACTIVE", "INACTIVE", "DEAD"];
var busy = 0;
var tx = dgram.createSocket("udp4");
var rx = dgram.createSocket("udp4");
// what SPORE's status answer carries: resources and the api list, about 600 bytes
var api = [];
["node/status", "cluster/members", "node/update", "node/restart", "tasks/status", "tasks/control", "network/status", "network/wifi/scan"].forEach(function (p) {
  api.push({ uri: "/api/" + p, method: p.indexOf("control") > 0 || p.indexOf("update") > 0 || p.indexOf("restart") > 0 ? "POST" : "GET" });
});

function now() {
  return getTime() * 1000;
}

function heard(addr, name) {
  var m = M[addr];
  if (!m) {
    m = M[addr] = { h: name, t: now(), s: 0 };
    print("node/discovered " + JSON.stringify({ hostname: name, ip: addr }));
  }
  m.t = now();
}

rx.on("message", function (msg, info) {
  if (info.address === ip) return;
  var p = String(msg).split(":");
  if (p[0] === "CLUSTER_DISCOVERY") tx.send("CLUSTER_RESPONSE:" + me, 4210, info.address);
  if (p[0] === "CLUSTER_DISCOVERY" || p[0] === "CLUSTER_RESPONSE") heard(info.address, p[1]);
});
rx.bind(4210);

http
  .createServer(function (req, res) {
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ freeHeap: 30000, chipId: 1234567, sdkVersion: "2.2.2-dev(38a443e)", cpuFreqMHz: 80, flashChipSize: 4194304, api: api }));
  })
  .listen(80);

/** One status request after another, to every member known when the round began. */
function poll(list, i) {
  if (i >= list.length) {
    busy = 0;
    return;
  }
  var addr = list[i];
  var done = 0;
  var next = function (ok) {
    if (done) return;
    done = 1;
    clearTimeout(timer);
    if (ok && M[addr]) M[addr].t = now();
    poll(list, i + 1);
  };
  var timer = setTimeout(next, 5000, false);
  var req = http.request({ host: addr, port: 80, path: "/api/node/status", method: "GET" }, function (res) {
    res.on("data", function () {});
    res.on("close", function () {
      next(res.statusCode === "200");
    });
  });
  req.on("error", function () {
    next(false);
  });
  req.end();
}

function tick() {
  if (!ip) return;
  tx.send("CLUSTER_DISCOVERY:" + me, 4210, "255.255.255.255");
  var t = now();
  for (var a in M) {
    var m = M[a];
    var s = t - m.t < 10000 ? 0 : t - m.t < 60000 ? 1 : 2;
    if (s !== m.s) print("node/status " + JSON.stringify({ hostname: m.h, status: NAMES[s], was: NAMES[m.s] }));
    m.s = s;
  }
  if (!busy) {
    busy = 1;
    poll(Object.keys(M), 0);
  }
}

W.on("connected", function (info) {
  ip = info.ip;
});
W.connect("spore-lan", { password: "spore-pass" }, function () {});
setInterval(tick, 1000);
