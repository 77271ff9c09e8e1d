// host-tools telemetry record, replay and top against real brokers (aedes on
// loopback TCP ports), with the npm mqtt client publishing as nodes would;
// they keep time by the transport's clock, which a test can hand in.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import * as assert from "uvu/assert";
import { type Io, runCli } from "../../host-tools/cli.ts";
import { nodeTransport, type Transport } from "../../host-tools/lib/transport.ts";
import { testBroker } from "./broker.ts";
import { Transcript } from "../wait.ts";
import { suite } from "../suite.ts";

const { test } = suite(`telemetry tools (broker: ${(await testBroker().then(async (b) => (await b.close(), b.kind)))})`);

const broker = testBroker;

/** Runs host-tools; resolves with its exit status and output, and `said` is what it has written so far, to wait on. */
function cli(argv: string[], stopAfter?: () => boolean, transport: Transport = nodeTransport) {
  let out = "";
  let err = "";
  const said = new Transcript();
  const io: Io = {
    out: (s) => (said.add(s), (out += s)),
    err: (s) => (said.add(s), (err += s)),
    tty: false,
    env: {},
    cwd: process.cwd(),
    transport,
    stopFollowing: stopAfter,
  };
  return Object.assign(
    runCli(argv, io).then((code) => ({ code, out, err })),
    { said },
  );
}

/** What two nodes would publish: retained statuses, telemetry, an event, and a topic outside the prefix. */
const SCRIPT: { topic: string; payload: string; retain: boolean }[] = [
  { topic: "spore/esp_aaaaaa/status", payload: "online", retain: true },
  { topic: "spore/esp_bbbbbb/status", payload: "online", retain: true },
  { topic: "spore/esp_aaaaaa/telemetry", payload: '{"load":0.12,"freeJsVars":400,"members":{"ACTIVE":1,"INACTIVE":0,"DEAD":0},"uptime":10,"version":"0badcafe"}', retain: false },
  { topic: "other/esp_aaaaaa/telemetry", payload: "{}", retain: false },
  { topic: "spore/esp_bbbbbb/telemetry", payload: '{"load":0.3,"freeJsVars":300,"members":{"ACTIVE":1,"INACTIVE":0,"DEAD":0},"uptime":11,"version":"0badcafe"}', retain: false },
  { topic: "spore/esp_aaaaaa/events", payload: '{"name":"node/status","data":{"status":"INACTIVE"}}', retain: false },
  { topic: "spore/esp_bbbbbb/status", payload: "offline", retain: true },
];

/** Real HTTP with a clock that runs only when slept on: each sleep moves it on at once, after a turn of the event loop (so the broker's messages still come in). */
function steppedClock(): { transport: Transport; slept: number[] } {
  let now = 0;
  const slept: number[] = [];
  const transport: Transport = {
    request: nodeTransport.request,
    now: () => now,
    async sleep(ms) {
      slept.push(ms);
      now += ms;
      await new Promise((r) => setImmediate(r));
    },
  };
  return { transport, slept };
}

async function play(url: string): Promise<void> {
  const c = await mqtt.connectAsync(url);
  for (const m of SCRIPT) {
    // QoS 1: each is acknowledged by the broker before the next goes
    await c.publishAsync(m.topic, m.payload, { retain: m.retain, qos: 1 });
  }
  await c.endAsync();
}

const lines = (file: string) =>
  readFileSync(file, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { t: number; topic: string; payload: string; retain: boolean });

test("record writes every message under the prefix with its time; replay gives the same messages in the same order", async () => {
  const a = await broker();
  const b = await broker();
  const dir = mkdtempSync(join(tmpdir(), "spore-tele-"));
  try {
    const first = join(dir, "first.jsonl");
    // --seconds: if the six never come it ends all the same, and the count below fails
    const recording = cli(["telemetry", "record", "--broker", a.url, "--out", first, "--count", "6", "--seconds", "20"]);
    await recording.said.waitFor(/^recording spore\/\+\/telemetry, spore\/\+\/status, spore\/\+\/events from /m, 1, 10000);
    await play(a.url);
    const r1 = await recording;
    assert.is(r1.code, 0, r1.err);
    assert.match(r1.err, /recorded 6 messages/);
    const got = lines(first);
    const expected = SCRIPT.filter((m) => m.topic.startsWith("spore/"));
    assert.equal(
      got.map((m) => [m.topic, m.payload, m.retain]),
      expected.map((m) => [m.topic, m.payload, false]),
      "live messages arrive unretained",
    );
    assert.ok(got.every((m, i) => i === 0 || m.t >= got[i - 1].t), "times never go back");

    // replayed ten times faster to another broker, recorded there again
    const second = join(dir, "second.jsonl");
    const again = cli(["telemetry", "record", "--broker", b.url, "--out", second, "--count", "6", "--seconds", "20"]);
    await again.said.waitFor(/^recording /m, 1, 10000);
    const rep = await cli(["telemetry", "replay", first, "--broker", b.url, "--speed", "10"]);
    assert.is(rep.code, 0, rep.err);
    assert.match(rep.err, /replayed 6 messages/);
    const r2 = await again;
    assert.is(r2.code, 0, r2.err);
    assert.equal(
      lines(second).map((m) => [m.topic, m.payload]),
      got.map((m) => [m.topic, m.payload]),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await a.close();
    await b.close();
  }
});

test("top shows each node from the broker's retained statuses and its telemetry", async () => {
  const a = await broker();
  try {
    await play(a.url);
    // it stops once it shows the live telemetry below, or after 50 frames (10 s)
    let frames = 0;
    const top = cli(["telemetry", "top", "--broker", a.url, "--every", "200"], () => ++frames > 50 || /esp_aaaaaa\s+online\s+91%/.test(top.said.text));
    // a frame with both nodes: it has subscribed, and has the retained statuses
    await top.said.waitFor(/2 nodes/, 1, 10000);
    // live telemetry while it watches
    const c = await mqtt.connectAsync(a.url);
    await c.publishAsync("spore/esp_aaaaaa/telemetry", SCRIPT[2].payload);
    // (health and gossip: "-" from a node without the health and adaptive capabilities)
    await top.said.waitFor(/esp_aaaaaa\s+online\s+12%\s+-\s+-\s+400/, 1, 10000);
    // from a node with the health capability: the load over its window, and OVERLOADED with why; with the adaptive
    // capability its gossip mode and period
    const health = { load: 0.91, overloaded: true, reason: "load", since: 3, freeJsVars: 380, freeHeap: 0, queue: 0, dropped: 0 };
    const gossip = { mode: "conservative", periodMs: 1500, lambda: 2, probeFailures: 0, battery: null, since: 70 };
    await c.publishAsync("spore/esp_aaaaaa/telemetry", JSON.stringify({ ...JSON.parse(SCRIPT[2].payload), health, gossip }));
    await c.endAsync();
    const r = await top;
    assert.is(r.code, 0, r.err);
    const last = r.out.trim().split("\n\n").pop()!;
    assert.match(last, /esp_aaaaaa\s+online\s+91%\s+OVERLOADED \(load\)\s+conservative 1500 ms\s+400/);
    assert.match(last, /esp_bbbbbb\s+offline/);
    assert.match(last, /2 nodes/);
  } finally {
    await a.close();
  }
});

test("record, replay and top keep time by the transport's clock: --seconds, a recording's spacing and the view's times pass on it", async () => {
  const a = await broker();
  const dir = mkdtempSync(join(tmpdir(), "spore-tele-"));
  try {
    // three messages a minute apart: replayed on the wall clock they would take two minutes
    const file = join(dir, "slow.jsonl");
    writeFileSync(file, [0, 60000, 120000].map((t, i) => JSON.stringify({ t, topic: `spore/esp_aaaaaa/telemetry`, payload: `{"n":${i}}`, retain: false, qos: 1 })).join("\n") + "\n");
    const recording = cli(["telemetry", "record", "--broker", a.url, "--count", "3", "--seconds", "20"]);
    await recording.said.waitFor(/^recording /m, 1, 10000);
    const replayClock = steppedClock();
    const rep = await cli(["telemetry", "replay", file, "--broker", a.url], undefined, replayClock.transport);
    assert.is(rep.code, 0, rep.err);
    assert.match(rep.err, /replaying 3 messages over 120\.0 s/);
    assert.equal(replayClock.slept, [60000, 60000], "replay waits out the recording's spacing on the transport's clock");
    const r = await recording;
    assert.is(r.code, 0, r.err);
    assert.equal(
      r.out.trim().split("\n").map((l) => (JSON.parse(l) as { payload: string }).payload),
      ['{"n":0}', '{"n":1}', '{"n":2}'],
      "every replayed message arrives, in order",
    );

    const recordClock = steppedClock();
    const rec = await cli(["telemetry", "record", "--broker", a.url, "--seconds", "2"], undefined, recordClock.transport);
    assert.is(rec.code, 0, rec.err);
    assert.match(rec.err, /recorded 0 messages/);
    assert.equal(recordClock.slept, Array(10).fill(200), "record checks when to stop every 200 ms of the transport's clock, and stops after --seconds of it");

    const topClock = steppedClock();
    const top = await cli(["telemetry", "top", "--broker", a.url, "--every", "1000", "--seconds", "5"], undefined, topClock.transport);
    assert.is(top.code, 0, top.err);
    assert.equal(topClock.slept, Array(5).fill(1000), "top draws every --every ms of the transport's clock until --seconds of it have passed");
    assert.equal(
      [...top.out.matchAll(/ nodes {2}(\S+)\n/g)].map((m) => m[1]),
      ["00:00:01", "00:00:02", "00:00:03", "00:00:04", "00:00:05"],
      "each frame is stamped with the transport's time",
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await a.close();
  }
});

test("clear errors: no broker, a broker that is not there, a bad recording", async () => {
  let r = await cli(["telemetry", "record"]);
  assert.is(r.code, 2);
  assert.match(r.err, /which broker\?/);
  r = await cli(["telemetry", "top", "--broker", "http://x"]);
  assert.match(r.err, /not a broker URL/);
  r = await cli(["telemetry", "record", "--broker", "mqtt://127.0.0.1:1", "--count", "1"]);
  assert.is(r.code, 1);
  assert.match(r.err, /cannot reach the broker at mqtt:\/\/127\.0\.0\.1:1/);
  const dir = mkdtempSync(join(tmpdir(), "spore-tele-"));
  try {
    writeFileSync(join(dir, "bad.jsonl"), '{"t":0,"topic":"a","payload":"x","retain":false,"qos":0}\nnot json\n');
    const a = await broker();
    try {
      r = await cli(["telemetry", "replay", join(dir, "bad.jsonl"), "--broker", a.url]);
      assert.is(r.code, 1);
      assert.match(r.err, /bad\.jsonl:2: not JSON/);
    } finally {
      await a.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  for (const cmd of ["record", "replay", "top"]) {
    r = await cli(["telemetry", cmd, "--help"]);
    assert.match(r.out, /^usage: host-tools telemetry/);
  }
});

test.run();
