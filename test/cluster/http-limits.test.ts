// The HTTP server's refusals (device/platform/http-server.ts) on each board's
// firmware in the emulator: 503 while the board's node.conns requests are
// open or fewer than its node.minFree JsVars are free, 413 for a body over
// its node.body bytes; and the node answers again once the cause is gone.
import * as assert from "uvu/assert";
import { loadBoard } from "../../host-tools/build/boards.ts";
import { Cluster, type HttpResult } from "../../host-tools/emulator/cluster.ts";
import type { StreamEnd } from "../../host-tools/emulator/lan.ts";
import { schema } from "./helpers.ts";
import { validateJson } from "../../host-tools/build/json-schema.ts";
import { suite } from "../suite.ts";
import { runUntil } from "../wait.ts";

const { test, seed } = suite("http limits", { seed: 1611 });
const BOARDS = ["esp01", "esp8266", "esp32"];

function node(board: string) {
  const c = new Cluster({ seed, boards: [board] });
  const d = c.devices[0];
  runUntil(c, () => !!d.stationIp, 30000, `the ${board} joined WiFi`);
  c.runFor(2000);
  return { c, d, limits: loadBoard(board).node };
}

/** An answer that is a JSON error with this status and message. */
function refused(r: HttpResult, status: number, message: string, where: string): void {
  assert.is(r.status, status, `${where}: ${r.body}`);
  assert.equal(validateJson(schema("error"), JSON.parse(r.body), where), { error: message }, where);
}

test("a node serves at most its board's conns requests at once: the next gets 503 busy, and it answers again once one ends", () => {
  for (const board of BOARDS) {
    const { c, d, limits } = node(board);
    // requests that sent their head and part of their body, then nothing more: each is open on the node
    const slow: StreamEnd[] = [];
    for (let i = 0; i < limits.conns; i++)
      c.lan.connect(c.lan.gateway(), d.ip, 80, (err, s) => {
        assert.ok(s, `${board}: connection ${i + 1}: ${err}`);
        slow.push(s!);
        s!.write(`POST /api/events HTTP/1.1\r\nAuthorization: Bearer ${c.secret}\r\nContent-Length: 100\r\n\r\nname=`);
      });
    c.runFor(200);
    assert.is(slow.length, limits.conns, `${board}: ${limits.conns} slow requests open`);
    refused(c.http(d, "GET", "/api/node/status"), 503, "busy: connections", `${board} with ${limits.conns} requests open`);
    slow.pop()!.close();
    c.runFor(200);
    assert.is(c.http(d, "GET", "/api/node/status").status, 200, `${board}: one fewer open`);
    for (const s of slow) s.close();
    assert.is(d.counters.uncaught, 0, d.console.join("\n"));
  }
});

test("requests held open with a Content-Length and no body are answered 408 after 10 s, and the API answers again: a few idle connections cannot deny it", () => {
  for (const board of BOARDS) {
    const { c, d, limits } = node(board);
    const answers: string[] = [];
    // as many as the node serves at once, each with its headers and a body that never comes
    for (let i = 0; i < limits.conns; i++)
      c.lan.connect(c.lan.gateway(), d.ip, 80, (err, s) => {
        assert.ok(s, `${board}: ${err}`);
        answers.push("");
        const k = answers.length - 1;
        s!.onData = (x) => (answers[k] += x);
        s!.write(`POST /api/events HTTP/1.1\r\nContent-Length: 100\r\n\r\n`);
      });
    c.runFor(1000);
    refused(c.http(d, "GET", "/api/node/status"), 503, "busy: connections", `${board}, held`);
    c.runFor(9500);
    assert.equal(answers.map((a) => +(/^HTTP\/1\.[01] (\d+)/.exec(a)?.[1] ?? 0)), Array(limits.conns).fill(408), `${board}: ${answers.join(" | ")}`);
    assert.ok(answers.every((a) => a.includes("body not received in time")));
    assert.is(c.http(d, "GET", "/api/node/status").status, 200, `${board}: answers again`);
    assert.is(d.counters.uncaught, 0, d.console.join("\n"));
  }
});

test("a node with fewer than its board's minFree JsVars free answers 503 busy; with them free again, 200", () => {
  for (const board of BOARDS) {
    const { c, d, limits } = node(board);
    // user code holds an array of small numbers: one JsVar each
    const fill = d.memory().free - (limits.minFree - 40);
    assert.ok(fill > 0, `${board}: ${d.memory().free} free at idle`);
    d.eval(`global.hogArray = []; for (var i = 0; i < ${fill}; i++) hogArray.push(0);`);
    const free = d.memory().free;
    assert.ok(free < limits.minFree && free > limits.minFree - 60, `${board}: ${free} free, minFree ${limits.minFree}`);
    refused(c.http(d, "GET", "/api/node/status"), 503, "busy: memory", `${board} with ${free} JsVars free`);
    refused(c.http(d, "GET", "/api/cluster/members"), 503, "busy: memory", `${board} with ${free} JsVars free`);
    d.eval("delete global.hogArray");
    assert.ok(d.memory().free >= limits.minFree + 100, `${board}: ${d.memory().free} free again`);
    assert.is(c.http(d, "GET", "/api/node/status").status, 200, `${board} with its memory back`);
    assert.is(d.counters.uncaught, 0, d.console.join("\n"));
  }
});

test("a body over the board's limit gets 413 before it is read; one of exactly the limit is taken", () => {
  for (const board of BOARDS) {
    const { c, d, limits } = node(board);
    // a form of `bytes` bytes whose data is a JSON string
    const form = (bytes: number) => `name=big&data=%22${"x".repeat(bytes - 20)}%22`;
    const at = c.http(d, "POST", "/api/events", { auth: true, body: form(limits.body) });
    assert.is(at.status, 200, `${board}: ${limits.body} bytes: ${at.body}`);
    refused(c.http(d, "POST", "/api/events", { auth: true, body: form(limits.body + 1) }), 413, `body over ${limits.body} bytes`, `${board}, ${limits.body + 1} bytes`);
    // declared and not sent: the answer comes from the head alone
    const declared = c.http(d, "POST", "/api/events", { auth: true, headers: { "Content-Length": String(4 * limits.body) }, timeoutMs: 2000 });
    refused(declared, 413, `body over ${limits.body} bytes`, `${board}, ${4 * limits.body} bytes declared`);
    const big = (c.getJson(d, "/api/events") as { events: { name: string; data: string }[] }).events.filter((e) => e.name === "big");
    assert.equal(
      big.map((e) => e.data.length),
      [limits.body - 20],
      "only the one within the limit became an event",
    );
    assert.is(d.counters.uncaught, 0, d.console.join("\n"));
  }
});

test("with the stream capability a GET is answered as its headers come, a body it carries is not waited for, and each answered GET gives its place back", () => {
  for (const board of BOARDS) {
    const { c, d, limits } = node(board);
    const stream = loadBoard(board).capabilities.stream;
    let got = "";
    c.lan.connect(c.lan.gateway(), d.ip, 80, (err, s) => {
      assert.ok(s, `${board}: ${err}`);
      s!.onData = (x) => void (got += x);
      // a declared body that never comes
      s!.write("GET /api/node/status HTTP/1.1\r\nContent-Length: 100\r\n\r\n");
    });
    c.runFor(1000);
    if (stream) assert.match(got, /^HTTP\/1\.1 200 /, `${board}: answered without its body`);
    else assert.is(got, "", `${board}: waits for the body`);
    // more GETs than the board serves at once, one after another: each gives its place back when answered
    for (let i = 0; i < limits.conns + 2; i++) assert.is(c.http(d, "GET", "/api/node/status").status, 200, `${board}: GET ${i + 1}`);
  }
});

test.run();
