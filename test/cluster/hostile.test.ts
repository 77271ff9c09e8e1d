// The hostile-input suite (issue 18), first part: an attacker on the LAN who
// does not know the cluster secret sends a few thousand seeded cases at an
// emulated cluster of every board: random, mutated, oversized, truncated and
// slow HTTP requests to every endpoint (the boot file's update and restart,
// the dashboard upload included) with wrong secrets, and random, mutated,
// oversized and wrongly signed datagrams, and genuine broadcasts replayed
// from the attacker's address. After each batch: every node answers, lists
// exactly its real members, ACTIVE at their own addresses, nothing threw,
// Storage is byte for byte what it was, and at the end free JsVars are back
// at idle.
// (Datagrams forged by an attacker who heard one broadcast come with the
// keyed MAC; `npm run test:fuzz` runs this with random seeds.)
import * as assert from "uvu/assert";
import { Cluster } from "../../host-tools/emulator/cluster.ts";
import { datagram } from "../../host-tools/lib/mac.ts";
import type { Device } from "../../host-tools/emulator/device.ts";
import { Rng } from "../../host-tools/emulator/rng.ts";
import { waitConverged } from "./helpers.ts";
import { suite } from "../suite.ts";

const { test, seed } = suite("hostile input", { seed: 1619, limit: 600 });
const FUZZ = !!process.env.SPORE_FUZZ;
const CASES = FUZZ ? 20000 : 4000;
const BATCH = 40;
const ATTACKER = "10.42.0.250";

const PATHS = ["/", "/api/node/status", "/api/cluster/members", "/api/tasks/status", "/api/tasks/control", "/api/events", "/api/node/update", "/api/node/restart", "/api/node/dashboard", "/api/", "/api/node", "/x"];
const METHODS = ["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "post", "G E T", ""];

/** Every Storage file of a node and its bytes. */
function storage(d: Device): Map<string, string> {
  return new Map(d.storage.list().map((f) => [f, d.storage.read(f)!] as [string, string]));
}

function bytes(r: Rng, n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += String.fromCharCode(r.int(256));
  return s;
}

/** A secret that is not the cluster's: random, empty, a prefix, the secret with a byte changed. */
function wrongSecret(r: Rng, secret: string): string {
  const k = r.int(4);
  if (k === 0) return bytes(r, r.int(40)).replace(/[\r\n]/g, "x");
  if (k === 1) return "";
  if (k === 2) return secret.slice(0, r.int(secret.length));
  const i = r.int(secret.length);
  return secret.slice(0, i) + String.fromCharCode((secret.charCodeAt(i) + 1) & 127 || 65) + secret.slice(i + 1);
}

/** One HTTP request the attacker writes raw: its head, maybe its body, maybe cut short. */
function httpCase(r: Rng, secret: string, host: string): { raw: string; cut: boolean } {
  const pick = <T>(a: T[]) => a[r.int(a.length)];
  let path = pick(PATHS);
  if (r.int(4) === 0) path += pick(["?a=1", "/../x", "%00", "//", "?" + "q".repeat(r.int(600))]);
  const headers: string[] = [`Host: ${host}`];
  const auth = r.int(3);
  if (auth === 1) headers.push(`Authorization: Bearer ${wrongSecret(r, secret)}`);
  if (auth === 2) headers.push(`X-Spore-Key: ${wrongSecret(r, secret)}`);
  const bodyKind = r.int(5);
  let body = "";
  if (bodyKind === 1) body = "task=probe&action=" + pick(["disable", "stop", "interval&interval=10", "enable"]);
  if (bodyKind === 2) body = "name=x&scope=cluster&data=" + encodeURIComponent(JSON.stringify({ n: r.int(1000) }));
  if (bodyKind === 3) body = bytes(r, r.int(3000));
  if (bodyKind === 4) body = "x".repeat(r.int(5000));
  // a declared length over what is sent holds the connection until the node answers 408 (10 s); under
  // it, the rest of the body is dropped
  const declared = r.int(4) === 0 ? r.int(100000) : body.length;
  if (body || r.int(2)) headers.push(`Content-Length: ${declared}`);
  if (r.int(3) === 0) headers.push(`X-Spore-CRC32: ${pick([bytes(r, 8), "00000000", "zzzzzzzz", ""])}`);
  if (r.int(8) === 0) headers.push("X-Junk: " + "j".repeat(r.int(1500)));
  const raw = `${pick(METHODS)} ${path} HTTP/1.1\r\n${headers.join("\r\n")}\r\n\r\n${body}`;
  return { raw, cut: r.int(6) === 0 };
}

/** One datagram: random bytes, a good one mutated, one signed with a wrong secret, oversized, truncated. */
function udpCase(r: Rng, secret: string): string {
  const ids = ["0000fe", "a1b2c3", "ffffff"];
  const head = `${"PKRAHE"[r.int(6)]}|${ids[r.int(3)]}|${r.int(100000).toString(36)}|${r.int(100000).toString(36)}|0|0`;
  const ups = r.int(2) ? `a${ids[r.int(3)]}/${r.int(99)}/10.42.0.${r.int(256)}/0` : "";
  const arg = r.int(2) ? "x.1.2.ev:" + JSON.stringify({ n: r.int(9) }) : r.int(99999).toString(36);
  const k = r.int(5);
  if (k === 0) return bytes(r, r.int(400));
  if (k === 1) return datagram(wrongSecret(r, secret), "spore", head, ATTACKER, ups, arg);
  const good = datagram(secret, "spore", head, ATTACKER, ups, arg);
  if (k === 2) {
    // signed, then a byte changed after the signature
    const i = 3 + r.int(good.length - 3);
    return good.slice(0, i) + String.fromCharCode((good.charCodeAt(i) + 1 + r.int(250)) & 255) + good.slice(i + 1);
  }
  if (k === 3) return good + "y".repeat(300);
  return good.slice(0, r.int(good.length));
}

test("thousands of seeded hostile inputs without the secret: nothing crashes, leaks, changes or stops a node", () => {
  const c = new Cluster({ seed, boards: ["esp01", "esp8266", "esp32"] });
  waitConverged(c, 60000, seed);
  c.runFor(30000);
  // the attacker hears every broadcast (announces, cluster events) and keeps the latest few to replay
  const heard: string[] = [];
  c.lan.attach(ATTACKER, { deliverDatagram: (data) => void (heard.push(data), heard.length > 20 && heard.shift()), streamListener: () => undefined });
  const r = new Rng(seed);
  // warm-up: a few bad datagrams to each node, so that its drop counters (one per reason, a fixed set) exist before idle is read
  c.runFor(10000);
  for (let i = 0; i < 300; i++) for (const d of c.devices) c.lan.sendDatagram(ATTACKER, 4210, d.ip, 4210, i % 4 ? udpCase(r, c.secret) : heard[i % heard.length]);
  c.runFor(10000);
  const before = c.devices.map(storage);
  const idle = c.devices.map((d) => d.memory().usage);
  const idleAt = c.scheduler.now();
  const counts = { http: 0, cut: 0, udp: 0, replayed: 0, accepted: 0 };
  for (let n = 0; n < CASES; n++) {
    const d = c.devices[r.int(c.devices.length)];
    if (r.int(2)) {
      const { raw, cut } = httpCase(r, c.secret, d.ip);
      let answer = "";
      let closed = false;
      c.lan.connect(ATTACKER, d.ip, 80, (err, s) => {
        if (!s) return void (closed = true);
        s.onData = (x) => (answer += x);
        s.onClose = () => (closed = true);
        s.write(cut ? raw.slice(0, r.int(raw.length)) : raw);
        if (cut) c.scheduler.after(200, () => s.close());
      });
      c.runFor(cut ? 1000 : 300);
      for (let t = 0; t < 30000 && !closed; t += 500) c.runFor(500);
      if (!closed) assert.unreachable(`case ${n} (seed ${seed}): ${d.board.name} never closed ${JSON.stringify(raw.slice(0, 120))}`);
      const status = +(/^HTTP\/1\.[01] (\d+)/.exec(answer)?.[1] ?? 0);
      const method = raw.slice(0, raw.indexOf(" "));
      // without the secret nothing that changes a node is accepted
      if (status === 200 && method !== "GET") assert.unreachable(`case ${n} (seed ${seed}): ${d.board.name} accepted ${JSON.stringify(raw.slice(0, 200))}: ${answer.slice(0, 200)}`);
      if (status === 200) counts.accepted++;
      counts[cut ? "cut" : "http"]++;
    } else if (heard.length && r.int(4) === 0) {
      // a genuine datagram heard earlier, sent again from the attacker's address
      c.lan.sendDatagram(ATTACKER, 4210, d.ip, 4210, heard[r.int(heard.length)]);
      c.runFor(50);
      counts.replayed++;
    } else {
      c.lan.sendDatagram(ATTACKER, 4210, d.ip, 4210, udpCase(r, c.secret));
      c.runFor(50);
      counts.udp++;
    }
    if ((n + 1) % BATCH === 0) {
      c.runFor(3000);
      for (const [i, x] of c.devices.entries()) {
        const where = `after case ${n} (seed ${seed}), ${x.board.name}`;
        assert.is(x.counters.uncaught, 0, `${where}: ${x.console.slice(-5).join("\n")}`);
        assert.is(x.counters.boots, 1, `${where}: restarted`);
        const st = c.http(x, "GET", "/api/node/status", { timeoutMs: 30000 });
        assert.ok(st.status === 200 || st.status === 503, `${where}: ${st.status}`);
        const members = c.getJson<{ members: { hostname: string; ip: string; status: string }[] }>(x, "/api/cluster/members").members;
        for (const o of c.devices.filter((o) => o !== x)) {
          const m = members.find((m) => m.hostname === o.hostname);
          assert.equal(m && [m.status, m.ip], ["ACTIVE", o.ip], `${where}: ${o.hostname}`);
        }
        assert.is(members.length, c.devices.length, `${where}: members ${members.map((m) => m.hostname).join(", ")}`);
        assert.equal(storage(x), before[i], `${where}: Storage changed`);
      }
    }
  }
  // settled: memory back at idle
  c.runFor(60000);
  const after = c.devices.map((d) => d.memory().usage);
  // the same cluster left alone: what its JsVars grow by over the same stretch of time on their own
  // (task run times, totals and uptimes take more JsVars as the numbers grow)
  const quiet = new Cluster({ seed, boards: ["esp01", "esp8266", "esp32"] });
  quiet.runFor(idleAt);
  const quietBefore = quiet.devices.map((d) => d.memory().usage);
  quiet.runFor(c.scheduler.now() - idleAt);
  const growth = quiet.devices.map((d, i) => d.memory().usage - quietBefore[i]);
  console.log(`    ${CASES} cases (seed ${seed}): ${counts.http} HTTP requests, ${counts.cut} cut short, ${counts.udp} datagrams, ${counts.replayed} replayed; ${counts.accepted} GETs answered 200, nothing else accepted; JsVars used at idle before and after (growth of the same cluster left alone): ${c.devices.map((d, i) => `${d.board.name} ${idle[i]}/${after[i]} (${growth[i]})`).join(", ")}`);
  for (const [i, d] of c.devices.entries()) assert.ok(after[i] - idle[i] <= growth[i] + 3, `${d.board.name}: ${idle[i]} JsVars used at idle before, ${after[i]} after, ${growth[i]} more left alone (seed ${seed})`);
});

test.run();
