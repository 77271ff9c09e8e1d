// An HTTP server's open connection holds JsVars as socketserver.c builds it:
// its request and response objects from the moment it is accepted, the head
// in a string while it comes, then the head's headers object, method and url
// (a string of n bytes: one block for its first 8 characters and one for each
// 8 more, with 12-byte blocks). All of it is free again once the connection
// closes. The figures are those of the 2v29 interpreter built for Linux with
// 12-byte blocks (1600 JsVars, as the ESP8266), an empty handler, and a POST
// whose body does not come, so that the connection stays open.
import * as assert from "uvu/assert";
import { Cluster } from "../../host-tools/emulator/cluster.ts";
import type { Device } from "../../host-tools/emulator/device.ts";
import type { StreamEnd } from "../../host-tools/emulator/lan.ts";
import { suite } from "../suite.ts";

const { test, seed } = suite("emulated JsVars of HTTP connections", { seed: 4242 });

function server(): { c: Cluster; d: Device } {
  const c = new Cluster({ seed, boards: [] });
  const d = c.addNode("esp8266", `require("Wifi").connect("spore-lan", {password: "spore-pass"}); require("http").createServer(function(req, res){}).listen(80);`, { bare: true });
  c.runFor(8000);
  assert.ok(d.stationIp, "the node joined WiFi");
  return { c, d };
}

/** Opens a connection to `d` and sends `data` (a head, or part of one); free JsVars once it is in, and the connection. */
function holdOpen(c: Cluster, d: Device, data: string): { free: number; end: StreamEnd } {
  let end: StreamEnd | undefined;
  c.lan.connect(c.lan.gateway(), d.ip, 80, (err, s) => {
    assert.ok(s, `connected: ${err}`);
    end = s!;
    end.write(data);
  });
  c.runFor(500);
  return { free: d.memory().free, end: end! };
}

/** A POST head whose body (100 bytes) does not come: Host and Content-Length, then `headers`. */
function head(path: string, headers: Record<string, string> = {}): string {
  let h = `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n`;
  for (const [k, v] of Object.entries(headers)) h += `${k}: ${v}\r\n`;
  return h + "\r\n";
}

test("an open request holds what the interpreter holds for it, by the size of its headers and url, and gives it all back as it closes", () => {
  const { c, d } = server();
  const idle = d.memory().free;
  const cases: [string, string, number][] = [
    ["with no headers, a GET (its body, none, is all in)", "GET / HTTP/1.1\r\n\r\n", 32],
    ["Host and Content-Length", head("/"), 38],
    ["and a 240-byte header", head("/", { "X-Long": "a".repeat(240) }), 70],
    ["with a 241-byte url", head("/" + "u".repeat(240)), 68],
    ["and ten 20-byte headers", head("/", Object.fromEntries(Array.from({ length: 10 }, (_, i) => ["X-H" + i, "v".repeat(20)]))), 78],
  ];
  for (const [what, data, used] of cases) {
    const open = holdOpen(c, d, data);
    assert.is(idle - open.free, used, `JsVars an open request ${what} holds (the 2v29 interpreter: ${used})`);
    open.end.close();
    c.runFor(500);
    assert.is(d.memory().free, idle, `free again once the request ${what} closed`);
  }
  assert.is(d.counters.uncaught, 0, d.console.join("\n"));
});

test("a head still coming is held in a string; several open requests each hold theirs", () => {
  const { c, d } = server();
  const idle = d.memory().free;
  const part = holdOpen(c, d, `GET /${"p".repeat(400)}`);
  // 406 bytes in a string: 1 + ceil(398 / 8) = 51 blocks
  assert.is(idle - part.free, 72, "a head of 406 bytes, not complete (the 2v29 interpreter: 72)");
  const big = { "X-Long": "a".repeat(600) };
  const open = [part.end, holdOpen(c, d, head("/", big)).end, holdOpen(c, d, head("/", big)).end];
  assert.is(idle - d.memory().free, 72 + 115 + 115, "with two requests with a 600-byte header (the 2v29 interpreter: 115 each)");
  for (const end of open) end.close();
  c.runFor(500);
  assert.is(d.memory().free, idle, "free again once they closed");
});

test.run();
