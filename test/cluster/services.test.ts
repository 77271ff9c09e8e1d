// Services and RPC between nodes (issue 19), on emulated clusters running the
// real bundles: a node offers a service by name (spore.provide), any node
// calls it by name (spore.call, POST /api/services/call) and gets the answer
// and which node gave it, through failures of its providers. Bad input, the
// host tools and memory: services-input.test.ts.
import * as assert from "uvu/assert";
import { Cluster } from "../../host-tools/emulator/cluster.ts";
import { validateJson } from "../../host-tools/build/json-schema.ts";
import { hostnameOf, schema, waitConverged } from "./helpers.ts";
import { buildServices, call, listing, provide, result, servicesCluster } from "./services-helpers.ts";
import { suite } from "../suite.ts";

const { test, seed } = suite("services", { seed: 1901 });
test.before(buildServices);
const cluster = (boards: string[], options: { loss?: number; config?: Record<string, unknown> } = {}) => servicesCluster(seed, boards, options);

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

test("a caller that restarts numbers its calls on: a provider still remembering its last boot's call runs the new one", () => {
  const c = cluster(["esp32", "esp32"]);
  const [a, p] = c.devices;
  p.eval('global.COUNTS = {}; ["temp", "relay"].forEach(function (n) { spore.provide(n, 1, function (args, reply) { COUNTS[n] = (COUNTS[n] || 0) + 1; reply(null, n); }); })');
  c.runFor(3000);
  call(a, "t", "temp", null);
  c.runFor(2000);
  assert.equal(result(a, "t")?.slice(0, 2), [null, "temp"]);
  c.restart(a);
  c.runUntil(() => !!a.stationIp && listing(c, a).services.length === 2, 60000);
  c.runFor(5000);
  call(a, "r", "relay", "on");
  c.runFor(3000);
  assert.equal(result(a, "r")?.slice(0, 2), [null, "relay"], `seed ${seed}`);
  assert.equal(p.eval("JSON.stringify(COUNTS)"), '{"temp":1,"relay":1}');
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

test.run();
