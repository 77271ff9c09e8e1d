// Updates through the boot file (device/boot.ts), on emulated nodes running the
// real boot file and firmware: uploads accepted and refused, trial and
// rollback, esp01's recovery mode, torn state, and power cut at every stage.
import * as assert from "uvu/assert";
import { crc32Of } from "../../host-tools/build/image.ts";
import { bundleVersion, bundleWithVersion, Cluster, parseResponse, readBundle, type HttpResult } from "../../host-tools/emulator/cluster.ts";
import type { Device } from "../../host-tools/emulator/device.ts";
import { api, schema } from "./helpers.ts";
import { validateJson } from "../../host-tools/build/json-schema.ts";
import { suite } from "../suite.ts";
import { runUntil } from "../wait.ts";

const { test, seed } = suite("updates", { seed: 1604 });
/** Short trial times keep virtual runs short; the defaults are 30 s and 300 s. */
const TRIAL = { hold: 5000, trial: 60000 };

interface Status {
  version: string;
  board: string;
  boot?: { slot: string; state: string };
}

function rig(boards: string[], config: Record<string, unknown> = TRIAL) {
  const c = new Cluster({ seed, boards, config });
  runUntil(c, () => c.devices.every((d) => !!d.stationIp), 30000, "every node joined WiFi");
  c.runFor(3000);
  return c;
}

/**
 * POSTs `body` to /api/node/update. `cut`: send only that many bytes, then
 * drop the connection (no answer comes back). `hold`: leave the connection
 * open after the bytes sent; returns at once.
 */
function upload(c: Cluster, d: Device, body: string, o: { crc?: string; auth?: boolean; length?: number; cut?: number; hold?: boolean; method?: string } = {}): HttpResult | undefined {
  let raw = "";
  let done = false;
  c.lan.connect(c.lan.gateway(), d.ip, 80, (err, stream) => {
    if (err || !stream) {
      done = true;
      return;
    }
    stream.onData = (x) => (raw += x);
    stream.onClose = () => (done = true);
    let head = `${o.method ?? "POST"} /api/node/update HTTP/1.1\r\nContent-Length: ${o.length ?? body.length}\r\nX-Spore-CRC32: ${o.crc ?? crc32Of(body).toString(16).padStart(8, "0")}\r\n`;
    if (o.auth !== false) head += `Authorization: Bearer ${c.secret}\r\n`;
    stream.write(head + "\r\n" + body.slice(0, o.cut ?? body.length));
    if (o.cut !== undefined) c.scheduler.after(5000, () => stream.close());
  });
  if (o.hold) return undefined;
  runUntil(c, () => done, 60000, "the upload ended");
  return raw ? parseResponse(raw) : undefined;
}

function status(c: Cluster, d: Device): Status {
  return api<Status>(c, d, "/api/node/status", "node-status");
}

/** Uploads `fw`, expects 200, and runs until the node has restarted. */
function update(c: Cluster, d: Device, fw: string): void {
  const boots = d.counters.boots;
  const r = upload(c, d, fw)!;
  assert.is(r.status, 200, r.body);
  runUntil(c, () => d.counters.boots > boots, 5000, "restarted");
}

/** Runs until the node answers its status with `version` (and, if given, boot state). */
function waitFor(c: Cluster, d: Device, version: string, state?: string, limit = 120000): Status {
  let last: Status | undefined;
  runUntil(c, () => {
    if (!d.running || !d.stationIp) return false;
    try {
      const r = c.http(d, "GET", "/api/node/status", { timeoutMs: 2000 });
      if (r.status !== 200) return false;
      last = JSON.parse(r.body) as Status;
    } catch {
      return false;
    }
    return last.version === version && (!state || last.boot?.state === state);
  }, limit, () => `${d.ip} reports ${version} ${state ?? ""} (last: ${JSON.stringify(last)}; console: ${d.console.slice(-6).join(" | ")})`);
  return last!;
}

test("esp8266: an upload goes to the other slot, runs on trial, confirms itself and reports its version", () => {
  const c = rig(["esp8266", "esp32"]);
  const d = c.devices[0];
  const before = status(c, d);
  assert.equal(before.boot, { slot: "a", state: "ok" });
  const fw = bundleWithVersion("esp8266", "0badcafe");
  const r = upload(c, d, fw)!;
  assert.is(r.status, 200, r.body);
  assert.equal(JSON.parse(r.body), { success: true, message: "rebooting" });
  const trial = waitFor(c, d, "0badcafe", "trial");
  assert.equal(trial.boot, { slot: "b", state: "trial" });
  const during = upload(c, d, fw)!;
  assert.is(during.status, 409, "no update while a version is on trial");
  const ok = waitFor(c, d, "0badcafe", "ok");
  assert.equal(ok.boot, { slot: "b", state: "ok" });
  assert.ok(d.console.some((l) => l === "boot: b confirmed"), d.console.join("\n"));
  assert.is(d.storage.read("spore.a"), readBundle("esp8266"), "the previous version is kept for the next rollback");
  assert.is(d.counters.uncaught, 0);
});

test("refused uploads leave the running version untouched and no partial file: bad checksum, truncated, too long, unauthenticated, too big, a second one at once", () => {
  const c = rig(["esp8266"]);
  const d = c.devices[0];
  const fw = bundleWithVersion("esp8266", "0badcafe");
  const refuse = (r: HttpResult | undefined, code: number, pattern: RegExp) => {
    assert.ok(r, "answered");
    assert.is(r!.status, code, r!.body);
    validateJson(schema("error"), JSON.parse(r!.body), "update error");
    assert.match(JSON.parse(r!.body).error, pattern);
  };
  refuse(upload(c, d, fw, { crc: "12345678" }), 400, /bad checksum/);
  assert.not.ok(d.storage.list().includes("spore.b"), "the rejected upload is erased");
  refuse(upload(c, d, fw, { auth: false }), 401, /secret/);
  refuse(upload(c, d, fw, { crc: "xyz" }), 400, /X-Spore-CRC32/);
  refuse(upload(c, d, fw, { length: 300000 }), 413, /no room/);
  refuse(upload(c, d, fw, { method: "PUT" }), 405, /POST only/);
  // a body longer than declared: the node reads what was declared, whose checksum is not the declared one
  refuse(upload(c, d, fw, { length: 1000 }), 400, /bad checksum/);
  // a second upload while one is running
  upload(c, d, fw, { hold: true, cut: 3000 });
  c.runFor(200);
  refuse(upload(c, d, fw), 409, /busy/);
  c.runFor(10000); // the first connection is dropped with 3000 of its bytes
  assert.not.ok(d.storage.list().includes("spore.b"), "the truncated upload is erased");
  c.runFor(3000);
  const s = status(c, d);
  assert.is(s.version, bundleVersion("esp8266"));
  assert.equal(s.boot, { slot: "a", state: "ok" });
  assert.is(d.counters.boots, 1, "never rebooted");
  // and a good one still works afterwards
  assert.is(upload(c, d, fw)!.status, 200);
  waitFor(c, d, "0badcafe", "ok");
});

test("esp8266: a version that throws while loading is rolled back to the previous slot", () => {
  const c = rig(["esp8266", "esp32"]);
  const d = c.devices[0];
  const bad = "throw new Error('boom');\n" + bundleWithVersion("esp8266", "0badcafe");
  update(c, d, bad);
  const s = waitFor(c, d, bundleVersion("esp8266"), "ok");
  assert.equal(s.boot, { slot: "a", state: "ok" });
  assert.ok(d.console.some((l) => /boot: load failed/.test(l)), d.console.join("\n"));
  assert.ok(d.console.some((l) => /slot b failed trial/.test(l)), d.console.join("\n"));
  // the failed version is never a fallback: with slot a corrupt too, the node waits in recovery mode
  d.storage.erase("spore.a");
  d.storage.write("spore.a", "/* corrupt */");
  c.restart(d);
  runUntil(c, () => !!d.stationIp, 30000, "joined WiFi");
  c.runFor(2000);
  assert.equal(c.getJson(d, "/api/node/status").boot, { slot: "", state: "recovery" });
});

test("esp32: a version that runs but never becomes healthy is rolled back after the trial time", () => {
  const c = rig(["esp32", "esp8266"]);
  const d = c.devices[0];
  // runs, but never joins the cluster nor says it is healthy
  const idle = `print("idle firmware"); setInterval(function () {}, 1000);`;
  const t0 = c.scheduler.now();
  update(c, d, idle);
  const s = waitFor(c, d, bundleVersion("esp32"), "ok", 200000);
  assert.ok(c.scheduler.now() - t0 >= TRIAL.trial, "rolled back only after the trial time");
  assert.ok(d.console.some((l) => /boot: b unconfirmed/.test(l)), d.console.join("\n"));
  assert.equal(s.boot, { slot: "a", state: "ok" });
});

test("esp01: an update reboots into recovery mode, which takes the upload; the new version is confirmed", () => {
  const c = rig(["esp01", "esp8266"]);
  const d = c.devices[0];
  const fw = bundleWithVersion("esp01", "0badcafe");
  const first = upload(c, d, fw)!;
  assert.is(first.status, 503, first.body);
  assert.equal(JSON.parse(first.body), { error: "recovery mode: send again", recovery: true });
  // recovery mode answers its own status
  runUntil(c, () => d.console.some((l) => l.startsWith("boot: recovery")), 10000, "in recovery mode");
  runUntil(c, () => !!d.stationIp, 30000, "joined WiFi");
  c.runFor(1000);
  const rec = c.getJson(d, "/api/node/status");
  validateJson(schema("recovery-status"), rec, "recovery status");
  assert.equal(rec.boot, { slot: "", state: "recovery" });
  const r = upload(c, d, fw)!;
  assert.is(r.status, 200, r.body);
  const s = waitFor(c, d, "0badcafe", "ok");
  assert.equal(s.boot, { slot: "a", state: "ok" });
  assert.is(d.counters.uncaught, 0);
});

test("esp01: a version that throws at boot is held in recovery mode, which takes the next upload", () => {
  const c = rig(["esp01", "esp8266"]);
  const d = c.devices[0];
  const bad = "throw new Error('boom');\n" + bundleWithVersion("esp01", "0badcafe");
  assert.is(upload(c, d, bad)!.status, 503);
  c.runFor(5000);
  assert.is(upload(c, d, bad)!.status, 200);
  runUntil(c, () => d.console.some((l) => /boot: recovery \(slot a failed trial\)/.test(l)), 30000, () => `recovery mode after the failed trial (${d.console.join(" | ")})`);
  const boots = d.counters.boots;
  c.runFor(60000);
  const rec = c.getJson(d, "/api/node/status");
  assert.equal(rec.boot, { slot: "", state: "recovery" }, "it waits in recovery mode, not in a boot loop");
  c.runFor(30000);
  assert.is(d.counters.boots, boots, "no restart in the 90 s after it went into recovery mode");
  assert.is(upload(c, d, readBundle("esp01"))!.status, 200);
  waitFor(c, d, bundleVersion("esp01"), "ok");
});

test("esp01: sent to recovery mode by an update that never comes, it goes back to its version after the trial time", () => {
  const c = rig(["esp01", "esp8266"]);
  const d = c.devices[0];
  assert.is(upload(c, d, bundleWithVersion("esp01", "0badcafe"))!.status, 503);
  runUntil(c, () => d.console.some((l) => l.startsWith("boot: recovery")), 10000, "in recovery mode");
  const t0 = c.scheduler.now();
  const s = waitFor(c, d, bundleVersion("esp01"), "ok", 120000);
  assert.ok(c.scheduler.now() - t0 >= TRIAL.trial - 5000, "it waited the trial time for the upload");
  assert.equal(s.boot, { slot: "a", state: "ok" });
});

test("a confirmed version that throws while loading, with nothing to fall back to, restarts into recovery mode", () => {
  const c = new Cluster({ seed, boards: [], config: TRIAL });
  const d = c.addNode("esp01", "throw new Error('broken');\n" + readBundle("esp01"));
  runUntil(c, () => d.console.some((l) => l.startsWith("boot: recovery")), 30000, "in recovery mode");
  runUntil(c, () => !!d.stationIp, 30000, "joined WiFi");
  c.runFor(1000);
  assert.ok(d.console.some((l) => l === "boot: load failed"), d.console.join("\n"));
  assert.equal(c.getJson(d, "/api/node/status").boot, { slot: "", state: "recovery" });
  const boots = d.counters.boots;
  c.runFor(120000);
  assert.is(d.counters.boots, boots, "it stays in recovery mode: the version that threw is marked failed");
});

test("a torn boot state copy (power cut while writing it) is ignored: the other copy decides", () => {
  const c = new Cluster({ seed, boards: [], config: TRIAL });
  const d = c.addNode("esp8266");
  // the newer copy (generation 2, in spore.s0) was being written when power went
  d.storage.write("spore.s0", '{"g":2,"a":"b","t":1,"m":0,"cb":12', 0, 60);
  runUntil(c, () => !!d.stationIp, 30000, "joined WiFi");
  c.runFor(1000);
  assert.equal(status(c, d).boot, { slot: "a", state: "ok" });
});

test("a slot whose file does not match its checksum never runs (esp8266 falls back to the other slot, esp01 to recovery mode)", () => {
  const c = new Cluster({ seed, boards: [], config: TRIAL });
  const a = c.addNode("esp8266");
  const b = c.addNode("esp01");
  for (const d of [a, b]) {
    const fw = d.storage.read("spore.a")!;
    d.storage.erase("spore.a");
    d.storage.write("spore.a", fw.slice(0, -10) + "/*corrupt*/");
  }
  // esp8266: a good slot b with its checksum recorded
  const good = readBundle("esp8266");
  a.storage.write("spore.b", good);
  a.storage.write("spore.s0", JSON.stringify({ g: 2, a: "a", t: 0, m: 0, ca: 1, cb: crc32Of(good) }));
  runUntil(c, () => !!a.stationIp && !!b.stationIp, 40000, "both joined WiFi");
  c.runFor(2000);
  assert.equal(status(c, a).boot, { slot: "b", state: "ok" });
  assert.equal(c.getJson(b, "/api/node/status").boot, { slot: "", state: "recovery" });
});

// Power is cut at one moment of an update (chosen across the whole update,
// from the first byte to past the confirmation) and comes back: the node must
// answer on the network again, and take the same update afterwards.
for (const board of ["esp8266", "esp01"]) {
  test(`${board}: power cut at every stage of an update never leaves the node unreachable or un-updatable`, () => {
    const stages = board === "esp01" ? [0, 100, 250, 400, 700, 1500, 3000, 4500, 9000, 20000] : [0, 100, 250, 400, 700, 1500, 3000, 9000, 20000];
    const report: string[] = [];
    for (const cutAt of stages) {
      const c = rig([board, "esp32"]);
      const d = c.devices[0];
      const fw = bundleWithVersion(board, "0badcafe");
      // esp01: the first request reboots into recovery mode; the cut lands in the second phase
      if (board === "esp01") {
        assert.is(upload(c, d, fw)!.status, 503);
        runUntil(c, () => d.console.some((l) => l.startsWith("boot: recovery")), 10000, "in recovery mode");
        runUntil(c, () => !!d.stationIp, 30000, "joined WiFi in recovery mode");
      }
      upload(c, d, fw, { hold: true });
      c.runFor(cutAt);
      const state = d.console.slice(-1)[0];
      c.restart(d);
      runUntil(c, () => !!d.stationIp, 60000, `${board} cut at ${cutAt} ms: joined WiFi again`);
      c.runFor(3000);
      const r = c.http(d, "GET", "/api/node/status");
      assert.is(r.status, 200, `${board} cut at ${cutAt} ms: no status (${d.console.slice(-5).join(" | ")})`);
      const s = JSON.parse(r.body) as Status;
      report.push(`${cutAt} ms (${state}): ${s.version || "recovery"}/${s.boot?.state}`);
      // whatever it runs now, the update goes through (once a version on trial has its verdict: until then updates get 409)
      const trialOver = () => (c.getJson(d, "/api/node/status") as { boot?: { state: string } }).boot?.state !== "trial";
      runUntil(c, () => d.running && !!d.stationIp && trialOver(), 120000, "the trial ends");
      const boots = d.counters.boots;
      let u = upload(c, d, fw);
      assert.ok(u, `${board} cut at ${cutAt} ms: no answer to the update afterwards (${d.console.slice(-6).join(" | ")})`);
      if (u!.status === 503) {
        runUntil(c, () => d.counters.boots > boots && !!d.stationIp, 30000, "restarted into recovery mode");
        assert.equal(c.getJson(d, "/api/node/status").boot, { slot: "", state: "recovery" });
        c.runFor(2000);
        u = upload(c, d, fw)!;
      }
      assert.ok(u && u.status === 200, `${board} cut at ${cutAt} ms: the update afterwards got ${u?.status} ${u?.body} (${d.console.slice(-6).join(" | ")})`);
      waitFor(c, d, "0badcafe", "ok");
    }
    console.log(`    ${board} power cuts (ms after the upload began: what ran after): ${report.join(", ")}`);
  });
}

test.run();
