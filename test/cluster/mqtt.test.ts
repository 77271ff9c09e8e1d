// The device's MQTT client (device/platform/mqtt.ts, bundled for a board as
// the build does) on an emulated node, against a real broker (aedes) on the
// emulated LAN, in virtual time.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { loadBoard } from "../../host-tools/build/boards.ts";
import { bundleBoard, DEVICE_ENTRY } from "../../host-tools/build/bundle.ts";
import { lanBroker, runAsync } from "../../host-tools/emulator/broker.ts";
import { Cluster } from "../../host-tools/emulator/cluster.ts";
import { seedFromEnv } from "../../host-tools/emulator/rng.ts";

const seed = seedFromEnv();
const test = suite(`mqtt client (seed ${seed})`);
const BROKER = "10.42.0.250";

/** A firmware that joins WiFi and runs the client: it publishes a counter every second and prints what it receives. */
async function firmware(board: string, keep: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "spore-mqtt-"));
  const file = join(dir, "main.ts");
  writeFileSync(
    file,
    `import * as mq from ${JSON.stringify(join(DEVICE_ENTRY, "..", "platform", "mqtt.ts"))};
declare const global: any;
const W: any = require("Wifi");
W.connect("spore-lan", { password: "spore-pass" }, () => {});
global.n = 0;
W.on("connected", () => {
  if (global.mq) return;
  mq.mqttStart({ h: "${BROKER}", p: 1883, i: "esp_test", s: "spore/esp_test", k: ${keep}, u: "", w: "", m: (t: string, m: string) => print("got " + t + " " + m) });
  global.mq = { dropped: () => mq.mqttDrops, up: () => !!mq.mqttUp, pub: (t: string, p: string) => mq.mqttPub(t, p, 0, false) };
  setInterval(() => { const k = ++global.n; mq.mqttPub("spore/esp_test/count", String(k), k % 2, false); }, 1000);
});
`,
  );
  try {
    return (await bundleBoard(loadBoard(board), { entry: file, write: false })).code;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function rig(board = "esp8266", keep = 10) {
  const c = new Cluster({ seed, boards: [] });
  const broker = await lanBroker(c, BROKER);
  const d = c.addNode(board, await firmware(board, keep), { bare: true });
  return { c, d, broker };
}

const counts = (b: { seen: { topic: string; payload: string }[] }) => b.seen.filter((m) => m.topic === "spore/esp_test/count").map((m) => Number(m.payload));

test("connects, says it is online (retained), publishes at QoS 0 and 1, and receives what it subscribed to", async () => {
  const { c, d, broker } = await rig();
  try {
    await runAsync(c, 10000);
    const online = broker.seen.find((m) => m.topic === "spore/esp_test/status");
    assert.equal(online && { payload: online.payload, retain: online.retain }, { payload: "online", retain: true });
    const n = counts(broker);
    assert.ok(n.length >= 5, JSON.stringify(broker.seen));
    assert.equal(n, n.map((_, i) => n[0] + i), "in order, none lost");
    assert.ok(broker.seen.some((m) => m.topic === "spore/esp_test/count" && m.qos === 1), "QoS 1 published");
    await new Promise<void>((r) => broker.aedes.publish({ cmd: "publish", topic: "spore/esp_test/cmd", payload: Buffer.from('{"c":"hi"}'), qos: 1, retain: false, dup: false }, () => r()));
    await runAsync(c, 2000);
    assert.ok(d.console.includes('got spore/esp_test/cmd {"c":"hi"}'), d.console.join("\n"));
    assert.is(d.counters.uncaught, 0, d.console.join("\n"));
    assert.is(d.eval("mq.dropped()"), 0);
  } finally {
    await broker.close();
  }
});

test("a burst while connected: one publish in the socket, four queued until it drains, the rest dropped and counted", async () => {
  const { c, d, broker } = await rig();
  try {
    await runAsync(c, 5000);
    assert.is(d.eval("mq.up()"), true);
    const before = d.eval("mq.dropped()") as number;
    const counted = counts(broker).length;
    d.eval('(function () { for (var j = 0; j < 20; j++) mq.pub("spore/esp_test/burst", String(j)); })()');
    await runAsync(c, 3000);
    const burst = broker.seen.filter((m) => m.topic === "spore/esp_test/burst").map((m) => m.payload);
    assert.equal(burst, ["0", "1", "2", "3", "4"]);
    assert.is((d.eval("mq.dropped()") as number) - before, 15);
    assert.ok(counts(broker).length >= counted + 2, "the node's other publishes go on after the burst");
  } finally {
    await broker.close();
  }
});

test("it reconnects after the broker drops it, losing only what its bounded queue could not hold", async () => {
  const { c, d, broker } = await rig();
  try {
    await runAsync(c, 8000);
    broker.dropClients();
    await runAsync(c, 6000);
    const onlines = broker.seen.filter((m) => m.topic === "spore/esp_test/status" && m.payload === "online").length;
    assert.ok(onlines >= 2, `online again after the reconnection (${onlines})`);
    const n = counts(broker);
    assert.ok(n.length >= 8, JSON.stringify(n));
    // while the broker was away, messages waited in the node's queue (bounded: the rest were counted)
    const dropped = d.eval("mq.dropped()") as number;
    const missing = Math.max(...n) - new Set(n).size;
    assert.ok(missing <= dropped + 1, `missing ${missing}, dropped ${dropped}`);
  } finally {
    await broker.close();
  }
});

test("a node that loses power goes silent; the broker publishes its last will, offline, after 1.5 keep-alive periods (real time, 2 s keep-alive)", async () => {
  const c = new Cluster({ seed, boards: [], realtime: true, lan: { firstIp: "127.0.0.81" }, privilegedPortOffset: 9300 });
  const broker = await lanBroker(c, BROKER);
  const d = c.addNode("esp32", await firmware("esp32", 2), { bare: true });
  c.startRealtime();
  const status = () => broker.seen.filter((m) => m.topic === "spore/esp_test/status").map((m) => m.payload);
  const until = async (ok: () => boolean, ms: number) => {
    const end = Date.now() + ms;
    while (!ok() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    return ok();
  };
  try {
    assert.ok(await until(() => status().includes("online"), 10000), "online");
    const t0 = Date.now();
    c.kill(d);
    assert.ok(await until(() => status().includes("offline"), 8000), JSON.stringify(broker.seen.slice(-3)));
    const waited = Date.now() - t0;
    assert.ok(waited >= 2000, `the will came ${waited} ms after the power went: the broker waited for the keep-alive, not for a FIN`);
  } finally {
    await c.stop();
    await broker.close();
  }
});

test("QoS 1: a message whose acknowledgement never came is sent again, marked DUP, after the reconnection", async () => {
  const { c, d, broker } = await rig();
  try {
    await runAsync(c, 6000);
    const tries: { payload: string; dup: boolean }[] = [];
    let lost = "";
    // the broker refuses the first QoS 1 message after this point: it closes the connection without a PUBACK
    broker.aedes.authorizePublish = (_client, packet, cb) => {
      if (packet.qos === 1 && packet.topic === "spore/esp_test/count") {
        tries.push({ payload: packet.payload.toString(), dup: packet.dup });
        if (!lost) {
          lost = packet.payload.toString();
          return cb(new Error("lost"));
        }
      }
      cb(null);
    };
    await runAsync(c, 8000);
    const again = tries.filter((t) => t.payload === lost);
    assert.is(again.length, 2, JSON.stringify(tries));
    assert.equal(again[1].dup, true, "the second try is marked DUP");
    assert.ok(counts(broker).includes(Number(lost)), "and it got through");
  } finally {
    await broker.close();
  }
});

test("after the broker restarts (retained messages gone), the node reconnects and says it is online again", async () => {
  const { c, broker } = await rig();
  try {
    await runAsync(c, 6000);
    await broker.restart();
    await runAsync(c, 10000);
    const online = broker.seen.filter((m) => m.topic === "spore/esp_test/status" && m.payload === "online");
    assert.ok(online.length >= 2, `online ${online.length} times`);
    const before = counts(broker).length;
    await runAsync(c, 3000);
    assert.ok(counts(broker).length > before, "publishing again");
  } finally {
    await broker.close();
  }
});

test("with ha: true a node announces itself to Home Assistant: a device with sensors read from its telemetry", async () => {
  const c = new Cluster({ seed, boards: ["esp32"], config: { mq: { host: BROKER, period: 10, ha: true } } });
  const broker = await lanBroker(c, BROKER);
  try {
    await runAsync(c, 15000);
    const d = c.devices[0];
    const configs = broker.seen.filter((m) => m.topic.startsWith("homeassistant/sensor/"));
    assert.equal(
      configs.map((m) => m.topic),
      ["load", "freeJsVars", "freeHeap", "uptime", "rssi"].map((k) => `homeassistant/sensor/${d.hostname}/${k}/config`),
    );
    assert.ok(configs.every((m) => m.retain));
    const load = JSON.parse(configs[0].payload) as Record<string, any>;
    assert.equal(load.state_topic, `spore/${d.hostname}/telemetry`);
    assert.equal(load.value_template, "{{ value_json.load }}");
    assert.equal(load.availability_topic, `spore/${d.hostname}/status`);
    assert.equal(load.device.identifiers, [d.hostname]);
    assert.match(load.device.model, /esp32/);
  } finally {
    await broker.close();
  }
});

test("a broker that is down never blocks the node: publishes are queued up to a bound, the rest dropped and counted", async () => {
  const c = new Cluster({ seed, boards: [] });
  const d = c.addNode("esp32", await firmware("esp32", 10), { bare: true });
  await runAsync(c, 20000);
  assert.ok(d.running);
  const dropped = d.eval("mq.dropped()") as number;
  const published = d.eval("n") as number;
  // four QoS 0 messages wait in the queue and four QoS 1 messages await their PUBACK: the others are dropped
  assert.ok(published >= 12, `published ${published}`);
  assert.is(dropped, published - 8);
  assert.is(d.eval("mq.up()"), false);
  assert.is(d.counters.uncaught, 0, d.console.join("\n"));
});

test("nodes with a broker in spore.json keep their status, publish telemetry every period and every event, and take authenticated commands", async () => {
  const boards = ["esp8266", "esp32", "esp01", "esp8266", "esp32", "esp01", "esp8266", "esp32", "esp01"];
  const c = new Cluster({ seed, boards, config: { mq: { host: BROKER, period: 10 } } });
  const broker = await lanBroker(c, BROKER);
  try {
    await runAsync(c, 60000);
    // the boards built with the client (boards/<board>.json node.mqtt)
    const withMqtt = c.devices.filter((d) => loadBoard(d.board.name).node.mqtt);
    assert.ok(withMqtt.length >= 3);
    for (const d of withMqtt) {
      const base = `spore/${d.hostname}`;
      assert.ok(broker.seen.some((m) => m.topic === base + "/status" && m.payload === "online" && m.retain), `${d.hostname} online`);
      const tele = broker.seen.filter((m) => m.topic === base + "/telemetry").map((m) => JSON.parse(m.payload) as Record<string, any>);
      assert.ok(tele.length >= 4, `${d.hostname}: ${tele.length} telemetry messages in 60 s at 10 s`);
      const last = tele[tele.length - 1];
      assert.equal(Object.keys(last), ["load", "tasks", "freeJsVars", "freeHeap", "members", "uptime", "version", "rssi", "dropped"]);
      assert.ok(last.load >= 0 && last.load <= 1, `load ${last.load}`);
      assert.is(last.members.ACTIVE, loadBoard(d.board.name).node.memberTable >= 8 ? 8 : last.members.ACTIVE);
      assert.ok(broker.seen.some((m) => m.topic === base + "/events" && JSON.parse(m.payload).name === "node/discovered"), "events published");
    }
    assert.not.ok(broker.seen.some((m) => c.devices.some((d) => !loadBoard(d.board.name).node.mqtt && m.topic.includes(d.hostname))), "boards without the client publish nothing");
    const report = c.devices.map((d) => `${d.board.name} ${d.memory().usage}`).join(", ");
    console.log(`    JsVars used with 8 members and MQTT (emulator's estimate): ${report}`);
    for (const d of withMqtt) assert.ok(d.memory().usage <= loadBoard(d.board.name).budgets.idleJsVarsMqtt!, `${d.board.name} over its idleJsVarsMqtt`);
    // commands: a bad secret is refused, a good one disables a task
    const d = withMqtt[0];
    const cmd = (payload: string) => new Promise<void>((r) => broker.aedes.publish({ cmd: "publish", topic: `spore/${d.hostname}/cmd`, payload: Buffer.from(payload), qos: 1, retain: false, dup: false }, () => r()));
    await cmd(JSON.stringify({ key: "wrong", cmd: "task", task: "details", action: "disable" }));
    await runAsync(c, 1000);
    await cmd(JSON.stringify({ key: c.secret, cmd: "task", task: "details", action: "disable" }));
    await runAsync(c, 1000);
    const results = broker.seen.filter((m) => m.topic === `spore/${d.hostname}/events` && JSON.parse(m.payload).name === "cmd/result").map((m) => JSON.parse(m.payload).data);
    assert.equal(results, [{ error: "cluster secret required" }, { cmd: "task", task: "details", done: "disable" }]);
    assert.is(d.eval('spore.tasks.isTaskEnabled("details")'), false);
  } finally {
    await broker.close();
  }
});

test.run();
