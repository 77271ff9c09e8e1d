// host-tools telemetry record, replay and top against real brokers (aedes on
// loopback TCP ports), with the npm mqtt client publishing as nodes would.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import * as assert from "uvu/assert";
import { type Io, runCli } from "../../host-tools/cli.ts";
import { nodeTransport } from "../../host-tools/lib/transport.ts";
import { testBroker } from "./broker.ts";
import { Transcript } from "../wait.ts";
import { suite } from "../suite.ts";

const { test } = suite(`telemetry tools (broker: ${(await testBroker().then(async (b) => (await b.close(), b.kind)))})`);

const broker = testBroker;

/** Runs host-tools; resolves with its exit status and output, and `said` is what it has written so far, to wait on. */
function cli(argv: string[], stopAfter?: () => boolean) {
  let out = "";
  let err = "";
  const said = new Transcript();
  const io: Io = {
    out: (s) => (said.add(s), (out += s)),
    err: (s) => (said.add(s), (err += s)),
    tty: false,
    env: {},
    cwd: process.cwd(),
    transport: nodeTransport,
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
    const top = cli(["telemetry", "top", "--broker", a.url, "--every", "200"], () => ++frames > 50 || /esp_aaaaaa\s+online\s+12%/.test(top.said.text));
    // a frame with both nodes: it has subscribed, and has the retained statuses
    await top.said.waitFor(/2 nodes/, 1, 10000);
    // live telemetry while it watches
    const c = await mqtt.connectAsync(a.url);
    await c.publishAsync("spore/esp_aaaaaa/telemetry", SCRIPT[2].payload);
    await c.endAsync();
    const r = await top;
    assert.is(r.code, 0, r.err);
    const last = r.out.trim().split("\n\n").pop()!;
    assert.match(last, /esp_aaaaaa\s+online\s+12%\s+400/);
    assert.match(last, /esp_bbbbbb\s+offline/);
    assert.match(last, /2 nodes/);
  } finally {
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
