// Services and RPC between nodes (issue 19), on emulated clusters running the
// real bundles: a node offers a service by name (spore.provide), any node
// calls it by name (spore.call, POST /api/services/call) and gets the answer
// and which node gave it, through failures of its providers.
import * as assert from "uvu/assert";
import { Cluster } from "../../host-tools/emulator/cluster.ts";
import type { Device } from "../../host-tools/emulator/device.ts";
import { api, hostnameOf, waitConverged } from "./helpers.ts";
import { validateJson } from "../../host-tools/build/json-schema.ts";
import { schema } from "./helpers.ts";
import { suite } from "../suite.ts";
import { BOARDS_DIR, loadBoard } from "../../host-tools/build/boards.ts";
import { bundleBoard } from "../../host-tools/build/bundle.ts";
import { cli } from "./cli.ts";
import { Rng } from "../../host-tools/emulator/rng.ts";
import { datagram } from "../../host-tools/lib/mac.ts";
import { bytes } from "./hostile-cases.ts";

const { test, seed } = suite("services", { seed: 1901 });

// esp8266 carries the capability when a project turns it on (espruino.json "capabilities": {"esp8266":
// {"services": true}}; off by default: README, Services): its clusters here run that build
let ESP8266_WITH_SERVICES = "";
test.before(async () => {
  ESP8266_WITH_SERVICES = (await bundleBoard(loadBoard("esp8266", BOARDS_DIR, { esp8266: { services: true } }), { write: false })).code;
});

type Result = [string | null, unknown, string | undefined];
type Listing = { services: { name: string; providers: { hostname: string; version: number; state: string }[] }[]; calls: number };

function cluster(boards: string[], options: { loss?: number; config?: Record<string, unknown> } = {}): Cluster {
  const c = new Cluster({ seed, boards, lan: { loss: options.loss ?? 0 }, config: options.config, bundles: { esp8266: ESP8266_WITH_SERVICES } });
  waitConverged(c, 90000, seed);
  return c;
}

/** Offers service `name` on d: answers {v: value, at: d's hostname} after `delay` ms (0: at once); counts its runs in global.RUNS. */
function provide(d: Device, name: string, version: number, value: unknown, delay = 0): void {
  const why = d.eval(`global.RUNS = global.RUNS || 0; spore.provide(${JSON.stringify(name)}, ${version}, function (args, reply, from) {
    RUNS++;
    var answer = function () { reply(null, {v: ${JSON.stringify(value)}, args: args, caller: from}); };
    if (${delay}) setTimeout(answer, ${delay}); else answer();
  })`);
  assert.is(why, "", `provide on ${d.ip}`);
}

/** Starts a call on d; its results go to global.OUT[key] (the call's own return value: "" or why not). */
function call(d: Device, key: string, name: string, args: unknown, options?: Record<string, number>): string {
  return d.eval(`global.OUT = global.OUT || {}; spore.call(${JSON.stringify(name)}, ${JSON.stringify(args)}, function (e, r, f) { OUT[${JSON.stringify(key)}] = [e, r, f]; }${options ? ", " + JSON.stringify(options) : ""})`) as string;
}

function result(d: Device, key: string): Result | undefined {
  const r = d.eval(`JSON.stringify((global.OUT || {})[${JSON.stringify(key)}] || null)`) as string;
  return (JSON.parse(r) as Result | null) ?? undefined;
}

function listing(c: Cluster, d: Device): Listing {
  return api<Listing>(c, d, "/api/services", "services");
}

test("a call finds a provider anywhere in the cluster and says which node answered", () => {
  const c = cluster(["esp8266", "esp32", "esp01", "esp8266"]);
  const [caller, provider, small] = c.devices;
  provide(provider, "temp", 1, 21.5);
  c.runFor(3000);
  assert.is(call(caller, "a", "temp", { unit: "c" }), "");
  c.runFor(2000);
  assert.equal(result(caller, "a"), [null, { v: 21.5, args: { unit: "c" }, caller: hostnameOf(caller) }, hostnameOf(provider)], `seed ${seed}`);
  // every node that carries the capability lists the provider
  for (const d of [caller, provider, c.devices[3]]) {
    const l = listing(c, d);
    assert.equal(l.services, [{ name: "temp", providers: [{ hostname: hostnameOf(provider), version: 1, state: "healthy" }] }], `${d.ip}`);
  }
  // esp01 carries none of it: no endpoint, no API
  assert.is(c.http(small, "GET", "/api/services").status, 404);
  assert.is(small.eval("typeof spore.call"), "undefined");
});

test("esp8266 carries none of it unless the project turns it on; esp32 does", () => {
  const c = new Cluster({ seed, boards: ["esp8266", "esp32"] });
  waitConverged(c, 90000, seed);
  const [plain, full] = c.devices;
  assert.equal([c.http(plain, "GET", "/api/services").status, plain.eval("typeof spore.call")], [404, "undefined"]);
  assert.equal([c.http(full, "GET", "/api/services").status, full.eval("typeof spore.call")], [200, "function"]);
  // an esp8266 announces no list: an esp32's listing has no entry from it
  assert.equal(listing(c, full).services, []);
});

test("no provider: the error comes at once, not after the deadline", () => {
  const c = cluster(["esp8266", "esp32"]);
  const [a] = c.devices;
  assert.is(call(a, "x", "nothing", null), "");
  c.runFor(10);
  assert.equal(result(a, "x"), ["no provider for nothing", null, null]);
});

test("bad input from user code is refused with why, and nothing is sent", () => {
  const c = cluster(["esp8266", "esp32"]);
  const [a] = c.devices;
  assert.match(a.eval('spore.provide("Bad Name", 1, function () {})') as string, /bad service name/);
  assert.match(a.eval('spore.provide("ok", -1, function () {})') as string, /bad version/);
  assert.match(a.eval('spore.provide("ok", 1, 5)') as string, /handler must be a function/);
  assert.match(a.eval('spore.unprovide("ok")') as string, /not provided/);
  assert.match(call(a, "b", "temp", null, { timeout: 5 }), /bad options/);
  assert.match(call(a, "b", "temp", "x".repeat(200)), /args over \d+ bytes/);
  assert.match(a.eval('spore.call("temp", null, 5)') as string, /callback must be a function/);
  // a list of services longer than an announce carries
  const answers = [0, 1, 2, 3].map((i) => a.eval(`spore.provide("service-name-${i}", 1, function () {})`));
  assert.equal(answers, ["", "", "", "services list over 64 bytes"]);
  assert.match(a.eval('spore.provide("service-name-3x", 1, function () {})') as string, /services list over 64 bytes/);
  assert.match(listing(c, a).services.map((s) => s.name).join(","), /^service-name-0,service-name-1,service-name-2$/);
});

test("calls in flight are bounded per board: one more is refused at once", () => {
  const c = cluster(["esp8266", "esp32"]);
  const [a, b] = c.devices;
  provide(b, "slow", 1, 1, 1000);
  c.runFor(3000);
  // esp8266: node.calls 4
  for (let i = 0; i < 4; i++) assert.is(call(a, `s${i}`, "slow", i), "");
  assert.match(call(a, "s4", "slow", 4), /^busy: 4 calls in flight$/);
  c.runFor(3000);
  for (let i = 0; i < 4; i++) assert.is(result(a, `s${i}`)?.[0], null, `call ${i}`);
  assert.is(call(a, "s5", "slow", 5), "", "room again once they ended");
});

test("versions are respected: the least version asked for picks the provider, none high enough is an error", () => {
  const c = cluster(["esp8266", "esp32", "esp32"]);
  const [a, v1, v2] = c.devices;
  provide(v1, "relay", 1, "one");
  provide(v2, "relay", 2, "two");
  c.runFor(3000);
  call(a, "v2", "relay", null, { version: 2 });
  call(a, "v3", "relay", null, { version: 3 });
  c.runFor(2000);
  assert.equal(result(a, "v2")?.slice(1), [{ v: "two", args: null, caller: hostnameOf(a) }, hostnameOf(v2)]);
  assert.equal(result(a, "v3"), ["no provider for relay", null, null]);
  // a new version replaces the old in every listing
  provide(v1, "relay", 3, "three");
  c.runFor(2000);
  call(a, "v3b", "relay", null, { version: 3 });
  c.runFor(2000);
  assert.is(result(a, "v3b")?.[2], hostnameOf(v1), `seed ${seed}`);
});

test("a provider killed mid-call: the call fails over to the other within its deadline", () => {
  const c = cluster(["esp8266", "esp32", "esp32"]);
  const [a, p, q] = c.devices;
  provide(p, "temp", 1, "p", 300);
  provide(q, "temp", 1, "q", 300);
  c.runFor(3000);
  call(a, "k", "temp", null);
  // the request is on its way or running: whichever was chosen dies
  c.runFor(50);
  const chosen = p.eval("RUNS") === 1 ? p : q;
  const other = chosen === p ? q : p;
  assert.is(chosen.eval("RUNS"), 1, "one provider took the request");
  c.kill(chosen);
  const t0 = c.scheduler.now();
  c.runUntil(() => result(a, "k") !== undefined, 5000);
  const r = result(a, "k");
  assert.equal(r?.[0], null, `answered (seed ${seed}): ${JSON.stringify(r)}`);
  assert.is(r?.[2], hostnameOf(other));
  assert.ok(c.scheduler.now() - t0 < 3000, `within the deadline: ${c.scheduler.now() - t0} ms`);
});

test("a provider that throws: its faults open its circuit, calls go to another without trying it; after the cool-down one trial call closes it", () => {
  const c = cluster(["esp8266", "esp32", "esp32"], { config: { cbn: 3, cbc: 10000 } });
  const [a, bad, good] = c.devices;
  bad.eval('global.RUNS = 0; global.BROKEN = 1; spore.provide("temp", 1, function (args, reply) { RUNS++; if (BROKEN) throw new Error("sensor gone"); reply(null, "bad ok"); })');
  c.runFor(3000);
  const state = () => listing(c, a).services[0].providers.find((p) => p.hostname === hostnameOf(bad))!.state;
  // alone, it answers each call with its fault (asked once per call: a fault is not retried on the same provider)
  for (let i = 0; i < 3; i++) {
    assert.is(state(), "healthy", `before fault ${i + 1}`);
    call(a, `t${i}`, "temp", null);
    c.runFor(1500);
    assert.equal(result(a, `t${i}`), ["handler threw: Error: sensor gone", null, hostnameOf(bad)], `call ${i} (seed ${seed})`);
  }
  assert.is(bad.eval("RUNS"), 3);
  assert.is(state(), "open", "three faults in a row opened its circuit");
  call(a, "none", "temp", null);
  c.runFor(10);
  assert.equal(result(a, "none"), ["no provider for temp", null, null], "its only provider open: none left");
  // another provider comes: calls go there, the open one is not even tried
  provide(good, "temp", 1, "good");
  c.runFor(2000);
  for (let i = 0; i < 3; i++) {
    call(a, `g${i}`, "temp", null);
    c.runFor(1500);
    assert.is(result(a, `g${i}`)?.[2], hostnameOf(good), `call g${i}`);
  }
  assert.is(bad.eval("RUNS"), 3);
  // the cool-down passes; repaired, it gets the one trial call, whose success closes the circuit
  bad.eval("BROKEN = 0");
  c.runFor(10000);
  assert.is(state(), "half-open");
  call(a, "trial", "temp", null);
  c.runFor(1500);
  assert.equal(result(a, "trial")?.slice(1), ["bad ok", hostnameOf(bad)], "the trial went to the repaired provider (a half-open provider's trial comes first)");
  assert.is(state(), "healthy");
});

test("a retry is answered from the provider's memory: a handler slower than the first attempt runs once", () => {
  const c = cluster(["esp8266", "esp32"]);
  const [a, p] = c.devices;
  // 700 ms: past the first attempt's 500, within the second's 1000
  provide(p, "slow", 1, "done", 700);
  c.runFor(3000);
  call(a, "r", "slow", null);
  c.runFor(3000);
  assert.equal(result(a, "r")?.slice(1), [{ v: "done", args: null, caller: hostnameOf(a) }, hostnameOf(p)]);
  assert.is(p.eval("RUNS"), 1, "run once, though asked twice");
});

test("with 10% of datagrams lost, calls still complete through retries", () => {
  const c = cluster(["esp8266", "esp32", "esp32", "esp8266"], { loss: 0.1 });
  const [a, p, q] = c.devices;
  provide(p, "temp", 1, "p");
  provide(q, "temp", 1, "q");
  c.runFor(5000);
  const N = 40;
  let ok = 0;
  for (let i = 0; i < N; i++) {
    assert.is(call(a, `l${i}`, "temp", i), "");
    c.runFor(3500);
    if (result(a, `l${i}`)?.[0] === null) ok++;
    // (the test's record of it is not the node's memory)
    a.eval(`delete OUT.l${i}`);
  }
  console.log(`    10% loss: ${ok} of ${N} calls answered (seed ${seed})`);
  assert.ok(ok >= N - 1, `${ok} of ${N} (seed ${seed})`);
});

test("a sole provider at 20% loss: its failures count once per call, so lost datagrams do not open its circuit and fail the calls after", () => {
  const c = cluster(["esp32", "esp32", "esp8266"], { loss: 0.2 });
  const [a, p] = c.devices;
  provide(p, "temp", 1, "p");
  c.runFor(5000);
  const N = 60;
  let ok = 0;
  const states = new Set<string>();
  for (let i = 0; i < N; i++) {
    call(a, `s${i}`, "temp", i);
    c.runFor(3500);
    if (result(a, `s${i}`)?.[0] === null) ok++;
    a.eval(`delete OUT.s${i}`);
    for (const x of listing(c, a).services) for (const y of x.providers) states.add(y.state);
  }
  console.log(`    20% loss, one provider: ${ok} of ${N} calls answered (seed ${seed})`);
  // an attempt is lost about a third of the time, a call (three attempts) one time in twenty
  assert.ok(ok >= N - 8, `${ok} of ${N} (seed ${seed})`);
  assert.equal([...states], ["healthy"], `the circuit never opened (seed ${seed})`);
});

test("over HTTP: GET /api/services lists; POST /api/services/call needs the secret and answers with the result and who gave it", () => {
  const c = cluster(["esp8266", "esp32"]);
  const [a, p] = c.devices;
  provide(p, "temp", 1, 20);
  c.runFor(3000);
  assert.is(c.http(a, "POST", "/api/services/call", { body: "service=temp" }).status, 401);
  const r = c.http(a, "POST", "/api/services/call", { body: 'service=temp&args={"unit":"c"}', auth: true });
  assert.is(r.status, 200, r.body);
  const body = validateJson<{ service: string; result: unknown; from: string; ms: number }>(schema("service-call"), JSON.parse(r.body), "POST /api/services/call");
  assert.equal([body.service, body.result, body.from], ["temp", { v: 20, args: { unit: "c" }, caller: hostnameOf(a) }, hostnameOf(p)]);
  const none = c.http(a, "POST", "/api/services/call", { body: "service=nothing", auth: true });
  assert.equal([none.status, JSON.parse(none.body)], [503, { error: "no provider for nothing" }]);
  assert.is(c.http(a, "POST", "/api/services/call", { body: "service=temp&args={bad", auth: true }).status, 400);
  assert.is(c.http(a, "POST", "/api/services/call", { body: "args=1", auth: true }).status, 400);
  p.eval('spore.provide("fails", 1, function (args, reply) { reply("out of range"); })');
  c.runFor(2000);
  const err = c.http(a, "POST", "/api/services/call", { body: "service=fails", auth: true });
  assert.equal([err.status, JSON.parse(err.body)], [502, { error: "out of range" }]);
});

test("a provider that goes away: INACTIVE is not chosen, and its services leave the listing with it", () => {
  const c = cluster(["esp8266", "esp32"], { config: { ina: 4, dead: 8, fgt: 10 } });
  const [a, p] = c.devices;
  provide(p, "temp", 1, 1);
  c.runFor(3000);
  c.kill(p);
  c.runFor(8000);
  const states = listing(c, a).services.flatMap((s) => s.providers.map((x) => x.state));
  assert.ok(states.length === 1 && ["inactive", "gone"].includes(states[0]), JSON.stringify(states));
  call(a, "gone", "temp", null);
  c.runFor(10);
  assert.equal(result(a, "gone"), ["no provider for temp", null, null]);
  c.runFor(30000);
  assert.equal(listing(c, a).services, [], "forgotten with the member");
});

test("unprovide: the service leaves every listing", () => {
  const c = cluster(["esp8266", "esp32"]);
  const [a, p] = c.devices;
  provide(p, "temp", 1, 1);
  c.runFor(2000);
  assert.is(listing(c, a).services.length, 1);
  assert.is(p.eval('spore.unprovide("temp")'), "");
  c.runFor(2000);
  assert.equal(listing(c, a).services, []);
});

test("a member that sends malformed service datagrams (it has the secret: a buggy node) crashes nothing, leaks nothing and is counted", () => {
  // membership's times short: the buggy member, silent after it, is forgotten within the test
  const c = cluster(["esp8266", "esp32"], { config: { ina: 4, dead: 8, fgt: 10 } });
  const [a, p] = c.devices;
  provide(p, "temp", 1, 5);
  provide(a, "echo", 1, "e");
  // a handler that never answers: its requests are remembered (bounded), its callers time out
  p.eval('spore.provide("mute", 1, function () {})');
  c.runFor(5000);
  const r = new Rng(seed);
  const BUGGY = "10.42.0.200";
  const ID = "b0661e";
  let seq = 0;
  let inc = 1;
  const send = (to: Device, type: string, arg: string) => c.lan.sendDatagram(BUGGY, 4210, to.ip, 4210, datagram(c.secret, "spore", `${type}|${ID}|${inc}|${(seq++).toString(36)}|0|0`, BUGGY, "", arg));
  // once before, so that the event logs hold what this member's coming and going logs and the counts of
  // dropped datagrams have their keys, with each log full of events longer than those (esp32 keeps 32,
  // more than a node logs at boot): then idle
  for (const d of c.devices) d.eval('for (var i = 0; i < 40; i++) spore.fire("node/padding", {hostname: "esp_b0661e", status: "INACTIVE", was: "ACTIVE", pad: "' + "p".repeat(40) + '"})');
  for (const d of c.devices) send(d, "A", "fake.1"), send(d, "C", "x"), send(d, "Y", "x"), send(d, "C", "1.0.nope:null");
  c.runFor(40000);
  const idle = c.devices.map((d) => d.memory().usage);
  // a member like any other: it announces (with a good list) and is listed
  inc = 2;
  seq = 0;
  for (const d of c.devices) send(d, "A", "fake.1");
  c.runFor(2000);
  const joined = c.devices.map((d) => d.memory().usage);
  const status = (d: Device) => JSON.parse(c.http(d, "GET", "/api/node/status").body) as { drops: Record<string, number> };
  const malformed0 = c.devices.map((d) => status(d).drops.malformed ?? 0);
  const pickOf = <T>(xs: T[]): T => xs[r.int(xs.length)];
  const junk = () => pickOf(["", ":", "::", bytes(r, r.int(60)).replace(/\|/g, "/"), "x".repeat(r.int(200)), '{"a":' + "[".repeat(r.int(40)), "null", "1e999", '"' + "s".repeat(r.int(120)) + '"']);
  const CASES = process.env.SPORE_FUZZ ? 3000 : 400;
  // two rounds: what the first leaves in the bounded tables (remembered requests and their answers, circuits,
  // the member's list) the second must not add to
  const after: number[][] = [];
  for (let i = 0; i < 2 * CASES; i++) {
    if (i === CASES) {
      c.runFor(15000);
      after.push(c.devices.map((d) => d.memory().usage));
    }
    const to = pickOf(c.devices);
    const kind = r.int(5);
    if (kind === 0) send(to, "C", `${pickOf(["1", "zz", "-1", "", "1.2", "a.b"])}.${pickOf(["0", "1", "zzzz", "", "-"])}.${pickOf(["temp", "echo", "mute", "nope", "Bad!", "", "x".repeat(40)])}:${junk()}`);
    else if (kind === 1) send(to, "C", `${(i + 1).toString(36)}.0.${pickOf(["temp", "echo", "mute", "nope"])}:${pickOf(['{"unit":"c"}', "null", junk()])}`);
    else if (kind === 2) send(to, "Y", `${pickOf(["1", "2", "zz", "", (i % 7).toString(36)])}.${pickOf(["0", "1", "2", "3", "", "00"])}:${junk()}`);
    else if (kind === 3) send(to, pickOf(["A", "H"]), pickOf(["fake.1", "a.b.c", "Bad.1", "x".repeat(80), ",", "fake.-1", "fake.1,", junk()]));
    else send(to, "C", junk());
    if (i % 50 === 49) c.runFor(1000);
  }
  c.runFor(15000);
  after.push(c.devices.map((d) => d.memory().usage));
  // the nodes answer, know each other, still call and serve; nothing piled up
  for (const d of c.devices) assert.is(c.http(d, "GET", "/api/node/status").status, 200);
  assert.is(call(a, "after", "temp", null), "");
  c.runFor(2000);
  assert.equal(result(a, "after")?.slice(1), [{ v: 5, args: null, caller: hostnameOf(a) }, hostnameOf(p)], `seed ${seed}`);
  c.devices.forEach((d, i) => {
    assert.ok(status(d).drops.malformed > malformed0[i], `${d.ip} counted the malformed ones`);
    assert.ok(after[1][i] <= joined[i] + 150, `${d.ip}: JsVars ${joined[i]} with the member, ${after[0][i]} after one round, ${after[1][i]} after two: within the bounded tables (seed ${seed})`);
  });
  const listed = listing(c, a).services.map((x) => x.name).sort();
  assert.ok(listed.includes("temp") && listed.includes("mute") && listed.includes("echo"), listed.join(","));
  // a minute later the requests remembered are forgotten (past any call's deadline), and so is the buggy
  // member, silent since: back to idle
  c.runFor(75000);
  // (the test's own record of the call made above is not the node's)
  a.eval("delete global.OUT");
  c.devices.forEach((d, i) => assert.ok(d.memory().usage <= idle[i] + 12, `${d.ip}: JsVars ${idle[i]} before, ${d.memory().usage} a minute after (seed ${seed})`));
  assert.equal(listing(c, a).services.map((x) => x.name).sort(), ["echo", "mute", "temp"]);
});

test("host-tools services lists every service with its providers; host-tools call calls one through a node and says who answered", async () => {
  const c = cluster(["esp8266", "esp32", "esp32", "esp01"]);
  const [a, p, q, small] = c.devices;
  provide(p, "temp", 1, 20);
  provide(q, "temp", 2, 21);
  provide(q, "relay", 1, "on");
  c.runFor(3000);
  const l = await cli(c, ["services", "--api-node", a.ip]);
  assert.is(l.code, 0, l.err);
  const lines = l.out.trim().split("\n");
  assert.match(lines[0], /^service\s+provider\s+version\s+state$/);
  for (const [n, d, v] of [["temp", p, 1], ["temp", q, 2], ["relay", q, 1]] as const) assert.ok(lines.some((x) => new RegExp(`^${n}\\s+${hostnameOf(d)}\\s+${v}\\s+healthy$`).test(x)), `${n} ${hostnameOf(d)}: ${l.out}`);
  const j = await cli(c, ["services", "--json", "--api-node", a.ip]);
  assert.is(validateJson<Listing>(schema("services"), JSON.parse(j.out), "services --json").services.length, 2);
  const r = await cli(c, ["call", "temp", '{"unit":"c"}', "--node", a.ip, "--version", "2"]);
  assert.is(r.code, 0, r.err);
  assert.match(r.out, new RegExp(`^\\{"v":21,"args":\\{"unit":"c"\\},"caller":"${hostnameOf(a)}"\\}\n\\(from ${hostnameOf(q)}, \\d+ ms\\)\n$`));
  const none = await cli(c, ["call", "nothing", "--node", a.ip]);
  assert.equal([none.code, none.err.trim()], [1, `host-tools call: ${a.ip}: POST /api/services/call: 503 no provider for nothing`]);
  const small01 = await cli(c, ["call", "temp", "--node", small.ip]);
  assert.is(small01.code, 1);
  assert.match(small01.err, /leaves the services capability out \(esp01\)/);
  const bad = await cli(c, ["call", "temp", "{nope", "--node", a.ip]);
  assert.equal([bad.code, bad.err.split("\n")[0]], [2, "host-tools call: args are not JSON: {nope"]);
  assert.is((await cli(c, ["call", "Temp!", "--node", a.ip])).code, 2);
  const noKey = await cli(c, ["call", "temp", "--node", a.ip], { secret: null });
  assert.is(noKey.code, 1);
  assert.match(noKey.err, /no cluster secret/);
  const help = await cli(c, ["call", "--help"]);
  assert.equal([help.code, help.out.split("\n")[0]], [0, "usage: host-tools call <service> [json args] [--node host[:port]] [--timeout ms] [--retries n] [--version n] [--json]"]);
});

test.run();
