// The device's MQTT client (device/platform/mqtt.ts) in the node firmware
// (dist/<board>.js), against a real broker (aedes) on the emulated LAN, in
// virtual time. User code's publishes go through spore.mqtt, as on a chip.
import mqttPacket from "mqtt-packet";
import * as assert from "uvu/assert";
import { loadBoard } from "../../host-tools/build/boards.ts";
import { lanBroker, runAsync } from "../../host-tools/emulator/broker.ts";
import { Cluster } from "../../host-tools/emulator/cluster.ts";
import type { Device } from "../../host-tools/emulator/device.ts";
import type { StreamEnd } from "../../host-tools/emulator/lan.ts";
import { suite } from "../suite.ts";
import { until } from "../wait.ts";

const { test, seed } = suite("mqtt client", { seed: 1603 });
const BROKER = "10.42.0.250";

/** One esp8266 node with the broker in its spore.json (telemetry every 30 s); with `counting`, 4 s later it runs the counter. */
async function rig(counting = false) {
  const c = new Cluster({ seed, boards: [], config: { mq: { host: BROKER, period: 30 } } });
  const broker = await lanBroker(c, BROKER);
  const d = c.addNode("esp8266");
  if (counting) {
    await runAsync(c, 4000);
    counter(d);
  }
  return { c, d, broker };
}

/** User code on the node: a counter published every second under the node's topics, at QoS 1 when odd (a long global name: see the README on user code). */
function counter(d: Device): void {
  d.eval(`(function () {
  global.countSent = 0;
  setInterval(function () { var k = ++countSent; spore.mqtt.publish("spore/${d.hostname}/count", String(k), k % 2, false); }, 1000);
})()`);
}

/** spore.mqtt's state on the node, as a plain object. */
const stat = (d: Device) => ({ up: d.eval("spore.mqtt.up") as number, dropped: d.eval("spore.mqtt.dropped") as number });
const counts = (b: { seen: { topic: string; payload: string }[] }, d: Device) => b.seen.filter((m) => m.topic === `spore/${d.hostname}/count`).map((m) => Number(m.payload));
/** How often the node said it is online. */
const onlines = (b: { seen: { topic: string; payload: string }[] }, d: Device) => b.seen.filter((m) => m.topic === `spore/${d.hostname}/status` && m.payload === "online").length;

test("connects, says it is online (retained), publishes at QoS 0 and 1, and receives what it subscribed to, acknowledging QoS 1", async () => {
  const { c, d, broker } = await rig();
  // the packets the broker reads from the node (aedes keeps nothing for a clean session to match a PUBACK against)
  const pubacks: number[] = [];
  broker.aedes.on("client", (cl) => (cl as unknown as { _parser: { on(e: string, f: (p: { cmd: string; messageId: number }) => void): void } })._parser.on("packet", (p) => p.cmd === "puback" && pubacks.push(p.messageId)));
  try {
    await runAsync(c, 4000);
    counter(d);
    await runAsync(c, 8000);
    const online = broker.seen.find((m) => m.topic === `spore/${d.hostname}/status`);
    assert.equal(online && { payload: online.payload, retain: online.retain }, { payload: "online", retain: true });
    const n = counts(broker, d);
    assert.ok(n.length >= 6, JSON.stringify(broker.seen));
    assert.equal(n, n.map((_, i) => n[0] + i), "in order, none lost");
    assert.ok(broker.seen.some((m) => m.topic === `spore/${d.hostname}/count` && m.qos === 1), "QoS 1 published");
    // a command at QoS 1: the node takes it and acknowledges it
    await new Promise<void>((r) => broker.aedes.publish({ cmd: "publish", topic: `spore/${d.hostname}/cmd`, payload: Buffer.from(JSON.stringify({ key: c.secret, cmd: "task", task: "details", action: "disable" })), qos: 1, retain: false, dup: false }, () => r()));
    await runAsync(c, 2000);
    assert.is(d.eval('spore.tasks.isTaskEnabled("details")'), false);
    assert.is(pubacks.length, 1, "one PUBACK, for the command");
    assert.ok(pubacks[0] >= 1 && pubacks[0] <= 65535);
    assert.is(d.counters.uncaught, 0, d.console.join("\n"));
    assert.equal(stat(d), { up: 1, dropped: 0 });
  } finally {
    await broker.close();
  }
});

/** mqtt-packet's bytes for a packet (an implementation other than the node's), as an 8-bit string. */
const bytes = (p: Record<string, unknown>) => mqttPacket.generate(p as unknown as mqttPacket.Packet, { protocolVersion: 4 }).toString("latin1");

/**
 * A broker written by hand on the emulated LAN: it accepts the node's
 * CONNECT and SUBSCRIBE, and otherwise writes to the node exactly the bytes
 * a test gives it, split as the test says; what the node sends is read with
 * mqtt-packet.
 */
function handBroker(c: Cluster, options: { dropAfterConnack?: boolean } = {}) {
  const from: Record<string, any>[] = [];
  /** Virtual ms of each CONNECT. */
  const connects: number[] = [];
  let node: StreamEnd | undefined;
  c.lan.attach(BROKER, {
    deliverDatagram: () => {},
    streamListener: (port) =>
      port === 1883
        ? (end) => {
            node = end;
            const parser = mqttPacket.parser({ protocolVersion: 4 });
            parser.on("packet", (p: Record<string, any>) => {
              from.push(p);
              if (p.cmd === "connect") {
                connects.push(c.scheduler.now());
                end.write(bytes({ cmd: "connack", returnCode: 0, sessionPresent: false }));
                if (options.dropAfterConnack) end.close();
              }
              if (p.cmd === "subscribe") end.write(bytes({ cmd: "suback", messageId: p.messageId, granted: [1] }));
            });
            end.onData = (d) => parser.parse(Buffer.from(d, "latin1"));
          }
        : undefined,
  });
  return {
    from,
    connects,
    /** Writes `data` to the node in pieces of `piece` bytes, each a segment of its own. */
    write(data: string, piece: number) {
      assert.ok(node && !node.closed, "the node is connected");
      for (let i = 0; i < data.length; i += piece) node!.write(data.slice(i, i + piece));
    },
  };
}

test("the client reads a PUBLISH as a broker writes it, however its bytes are split: topic, packet id, payload, acknowledging QoS 1 with its id", async () => {
  const c = new Cluster({ seed, boards: [], config: { mq: { host: BROKER, period: 30 } } });
  const broker = handBroker(c);
  const d = c.addNode("esp8266");
  const cmd = `spore/${d.hostname}/cmd`;
  // connected and subscribed: within 2 s of a start, or later with the backoff if WiFi was not up yet
  const subscribed = () => broker.from.some((p) => p.cmd === "subscribe" && p.subscriptions[0].topic === cmd);
  for (let t = 0; t < 30000 && !subscribed(); t += 500) await runAsync(c, 500);
  assert.ok(subscribed(), `subscribed within 30 s: ${JSON.stringify(broker.from.map((p) => p.cmd))}`);
  const publish = (topic: string, body: unknown, qos: number, messageId?: number, retain = false) => bytes({ cmd: "publish", topic, payload: Buffer.from(typeof body === "string" ? body : JSON.stringify(body)), qos, messageId, retain, dup: false });
  const task = (o: Record<string, string>) => ({ key: c.secret, cmd: "task", ...o });
  // a byte at a time: QoS 1 (id 300); QoS 0, retained, over 127 bytes (two length bytes); QoS 1 (id 301) on another topic, not a command
  broker.write(
    publish(cmd, task({ task: "details", action: "disable" }), 1, 300) +
      publish(cmd, { ...task({ task: "wifi", interval: "45000" }), pad: "x".repeat(150) }, 0, undefined, true) +
      publish(`spore/${d.hostname}/other`, task({ task: "probe", action: "disable" }), 1, 301),
    1,
  );
  await runAsync(c, 1000);
  // two packets in one segment: QoS 1 with the highest id, then one that is not JSON
  broker.write(publish(cmd, task({ task: "details", action: "enable" }), 1, 65535) + publish(cmd, "{nope", 0), 1000);
  await runAsync(c, 1000);
  assert.equal(
    broker.from.filter((p) => p.cmd === "puback").map((p) => p.messageId),
    [300, 301, 65535],
    "each QoS 1 message acknowledged once with its own id, QoS 0 ones not at all",
  );
  const results = broker.from.filter((p) => p.cmd === "publish" && p.topic === `spore/${d.hostname}/events`).map((p) => JSON.parse(p.payload.toString()) as { name: string; data: unknown }).filter((e) => e.name === "cmd/result");
  assert.equal(
    results.map((e) => e.data),
    [{ cmd: "task", task: "details", done: "disable" }, { cmd: "task", task: "wifi", done: "interval" }, { cmd: "task", task: "details", done: "enable" }, { error: "not JSON", refused: 1 }],
  );
  assert.equal([d.eval('spore.tasks.isTaskEnabled("details")'), d.eval('spore.tasks.getTaskInterval("wifi")'), d.eval('spore.tasks.isTaskEnabled("probe")')], [true, 45000, true]);
  assert.is(d.counters.uncaught, 0, d.console.join("\n"));
});

test("a retained command over 512 bytes is passed over as it comes: the node stays connected and takes the next command", async () => {
  const c = new Cluster({ seed, boards: [], config: { mq: { host: BROKER, period: 30 } } });
  const broker = handBroker(c);
  const d = c.addNode("esp8266");
  const cmd = `spore/${d.hostname}/cmd`;
  for (let t = 0; t < 30000 && !broker.from.some((p) => p.cmd === "subscribe"); t += 500) await runAsync(c, 500);
  const publish = (body: unknown, retain: boolean) => bytes({ cmd: "publish", topic: cmd, payload: Buffer.from(JSON.stringify(body)), qos: 0, retain, dup: false });
  const before = d.memory().usage;
  // 600 bytes in segments of 100 (the node never holds it), then a command in the same stream
  broker.write(publish({ key: c.secret, cmd: "task", task: "probe", action: "disable", pad: "x".repeat(600) }, true) + publish({ key: c.secret, cmd: "task", task: "details", action: "disable" }, false), 100);
  await runAsync(c, 5000);
  assert.is(broker.connects.length, 1, "no reconnection");
  assert.equal([d.eval('spore.tasks.isTaskEnabled("probe")'), d.eval('spore.tasks.isTaskEnabled("details")')], [true, false], "the oversized one did nothing; the next was taken");
  assert.is(d.eval("spore.mqtt.refused"), 1);
  assert.is(d.eval("spore.mqtt.up"), 1);
  assert.ok(d.memory().usage <= before + 30, `JsVars ${before} then ${d.memory().usage}`);
  assert.is(d.counters.uncaught, 0, d.console.join("\n"));
});

test("a broker that drops the node right after each CONNACK is retried with backoff, not every second", async () => {
  const c = new Cluster({ seed, boards: [], config: { mq: { host: BROKER, period: 30 } } });
  const broker = handBroker(c, { dropAfterConnack: true });
  c.addNode("esp8266");
  for (let t = 0; t < 30000 && !broker.connects.length; t += 500) await runAsync(c, 500);
  await runAsync(c, 120000);
  const gaps = broker.connects.slice(1).map((t, i) => Math.round((t - broker.connects[i]) / 1000));
  // 1, 2, 4, 8, 16, 32, 60 s: seven or eight connections in two minutes, not 120
  assert.ok(broker.connects.length <= 9, `${broker.connects.length} connections, gaps ${gaps.join(", ")} s`);
  assert.ok(gaps.every((g, i) => i === 0 || g >= gaps[i - 1]), `gaps grow: ${gaps.join(", ")} s`);
});

test("a flood of commands with the wrong secret is counted and reported once a minute, not once each: the event log keeps the rest", async () => {
  const c = new Cluster({ seed, boards: [], config: { mq: { host: BROKER, period: 30 } } });
  const broker = handBroker(c);
  const d = c.addNode("esp8266");
  for (let t = 0; t < 30000 && !broker.from.some((p) => p.cmd === "subscribe"); t += 500) await runAsync(c, 500);
  d.eval('spore.fire("keep/me", 1)');
  const wrong = bytes({ cmd: "publish", topic: `spore/${d.hostname}/cmd`, payload: Buffer.from(JSON.stringify({ key: "guess", cmd: "restart" })), qos: 0, retain: false, dup: false });
  for (let i = 0; i < 50; i++) {
    broker.write(wrong, 1000);
    await runAsync(c, 200);
  }
  assert.is(d.eval("spore.mqtt.refused"), 50);
  const results = broker.from.filter((p) => p.cmd === "publish" && p.topic === `spore/${d.hostname}/events`).map((p) => JSON.parse(p.payload.toString()) as { name: string; data: unknown }).filter((e) => e.name === "cmd/result");
  assert.equal(results.map((e) => e.data), [{ error: "cluster secret required", refused: 1 }], "one report in the 10 s");
  const events = c.getJson<{ events: { name: string }[] }>(d, "/api/events").events.map((e) => e.name);
  assert.ok(events.includes("keep/me"), `the event log kept the rest: ${events.join(", ")}`);
  assert.is(d.counters.boots, 1, "no restart");
});

test("a burst while connected: one publish in the socket, four queued until it drains, the rest dropped and counted", async () => {
  const { c, d, broker } = await rig();
  try {
    await runAsync(c, 8000);
    assert.is(stat(d).up, 1);
    const before = stat(d).dropped;
    d.eval(`(function () { for (var j = 0; j < 20; j++) spore.mqtt.publish("spore/${d.hostname}/burst", String(j), 0, false); })()`);
    await runAsync(c, 3000);
    const burst = broker.seen.filter((m) => m.topic === `spore/${d.hostname}/burst`).map((m) => m.payload);
    assert.equal(burst, ["0", "1", "2", "3", "4"]);
    assert.is(stat(d).dropped - before, 15);
    counter(d);
    await runAsync(c, 3000);
    assert.ok(counts(broker, d).length >= 2, "the node's other publishes go on after the burst");
  } finally {
    await broker.close();
  }
});

test("it reconnects after the broker drops it, losing only what its bounded queue could not hold", async () => {
  const { c, d, broker } = await rig(true);
  try {
    await runAsync(c, 4000);
    broker.dropClients();
    await runAsync(c, 6000);
    assert.ok(onlines(broker, d) >= 2, `online again after the reconnection (${onlines(broker, d)})`);
    const n = counts(broker, d);
    assert.ok(n.length >= 8, JSON.stringify(n));
    // while the broker was away, messages waited in the node's queue (bounded: the rest were counted)
    const dropped = stat(d).dropped;
    const missing = Math.max(...n) - new Set(n).size;
    assert.ok(missing <= dropped + 1, `missing ${missing}, dropped ${dropped}`);
  } finally {
    await broker.close();
  }
});

test("a node that loses power goes silent; the broker publishes its last will, offline, after 1.5 keep-alive periods (real time, 2 s keep-alive)", async () => {
  const c = new Cluster({ seed, boards: [], realtime: true, lan: { firstIp: "127.0.0.81" }, privilegedPortOffset: 9300, config: { mq: { host: BROKER, period: 1 } } });
  const broker = await lanBroker(c, BROKER);
  const d = c.addNode("esp32");
  c.startRealtime();
  const status = () => broker.seen.filter((m) => m.topic === `spore/${d.hostname}/status`).map((m) => m.payload);
  try {
    await until(() => status().includes("online"), 10000, "the node said it is online");
    const t0 = Date.now();
    c.kill(d);
    await until(() => status().includes("offline"), 8000, () => `the broker published the last will (last seen: ${JSON.stringify(broker.seen.slice(-3))})`);
    const waited = Date.now() - t0;
    assert.ok(waited >= 2000, `the will came ${waited} ms after the power went: the broker waited for the keep-alive, not for a FIN`);
  } finally {
    await c.stop();
    await broker.close();
  }
});

test("QoS 1: a message whose acknowledgement never came is sent again, marked DUP, after the reconnection", async () => {
  const { c, d, broker } = await rig(true);
  try {
    await runAsync(c, 2000);
    const tries: { payload: string; dup: boolean }[] = [];
    let lost = "";
    // the broker refuses the first QoS 1 message after this point: it closes the connection without a PUBACK
    broker.aedes.authorizePublish = (_client, packet, cb) => {
      if (packet.qos === 1 && packet.topic === `spore/${d.hostname}/count`) {
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
    assert.ok(counts(broker, d).includes(Number(lost)), "and it got through");
  } finally {
    await broker.close();
  }
});

test("after the broker restarts (retained messages gone), the node reconnects and says it is online again", async () => {
  const { c, d, broker } = await rig(true);
  try {
    await runAsync(c, 2000);
    await broker.restart();
    await runAsync(c, 10000);
    assert.ok(onlines(broker, d) >= 2, `online ${onlines(broker, d)} times`);
    const before = counts(broker, d).length;
    await runAsync(c, 3000);
    assert.ok(counts(broker, d).length > before, "publishing again");
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
  const c = new Cluster({ seed, boards: [], config: { mq: { host: BROKER, period: 30 } } });
  // an esp8266: an esp32 spools what user code publishes while the broker is away (README, Jobs; jobs.test.ts)
  const d = c.addNode("esp8266");
  await runAsync(c, 4000);
  // four QoS 0 messages: with the node's own events from its boot, the queue is full
  d.eval(`(function () { for (var j = 0; j < 4; j++) spore.mqtt.publish("spore/${d.hostname}/fill", String(j), 0, false); })()`);
  const before = stat(d).dropped;
  counter(d);
  await runAsync(c, 20000);
  assert.ok(d.running);
  const published = d.eval("countSent") as number;
  const { up, dropped } = stat(d);
  assert.is(up, 0);
  // every QoS 0 one (the even ones) is dropped; four QoS 1 ones await their PUBACK, the rest are dropped
  assert.ok(published >= 12, `published ${published}`);
  assert.is(dropped - before, Math.floor(published / 2) + Math.ceil(published / 2) - 4);
  assert.is(d.counters.uncaught, 0, d.console.join("\n"));
});

test("a broker that takes the connection and never answers it: the client gives up after 1.5 keep-alives and connects again", async () => {
  const c = new Cluster({ seed, boards: [], config: { mq: { host: BROKER, period: 5 } } });
  const broker = await lanBroker(c, BROKER);
  const d = c.addNode("esp8266");
  try {
    await runAsync(c, 5000);
    assert.is(stat(d).up, 1);
    // the broker's process is gone but its port still takes connections (aedes closed: nothing answers)
    await broker.close();
    broker.dropClients();
    await runAsync(c, 20000);
    assert.is(stat(d).up, 0);
    await broker.restart();
    // the connection that hangs goes within 15 s (keep-alive 10 s), then the backoff's next try
    await runAsync(c, 40000);
    assert.is(stat(d).up, 1, `connected again (seed ${seed})`);
  } finally {
    await broker.close();
  }
});

test("nodes with a broker in spore.json keep their status, publish telemetry every period and every event, and take authenticated commands", async () => {
  const boards = ["esp8266", "esp32", "esp01", "esp8266", "esp32", "esp01", "esp8266", "esp32", "esp01"];
  const c = new Cluster({ seed, boards, config: { mq: { host: BROKER, period: 10 } } });
  const broker = await lanBroker(c, BROKER);
  try {
    await runAsync(c, 60000);
    // the boards built with the client (boards/<board>.json capabilities.mqtt)
    const withMqtt = c.devices.filter((d) => loadBoard(d.board.name).capabilities.mqtt);
    assert.ok(withMqtt.length >= 3);
    for (const d of withMqtt) {
      const base = `spore/${d.hostname}`;
      assert.ok(broker.seen.some((m) => m.topic === base + "/status" && m.payload === "online" && m.retain), `${d.hostname} online`);
      const tele = broker.seen.filter((m) => m.topic === base + "/telemetry").map((m) => JSON.parse(m.payload) as Record<string, any>);
      assert.ok(tele.length >= 4, `${d.hostname}: ${tele.length} telemetry messages in 60 s at 10 s`);
      const last = tele[tele.length - 1];
      const caps = loadBoard(d.board.name).capabilities;
      assert.equal(Object.keys(last), ["load", "tasks", "freeJsVars", "freeHeap", "members", "uptime", "version", "rssi", "dropped", ...(caps.adaptive ? ["gossip"] : []), ...(caps.health ? ["health", "energy"] : []), ...(caps.jobs ? ["jobs"] : []), ...(caps.spool ? ["spool"] : [])]);
      assert.ok(last.load >= 0 && last.load <= 1, `load ${last.load}`);
      assert.is(last.members.ACTIVE, Math.min(8, loadBoard(d.board.name).node.memberTable), `${d.hostname}: its eight others, as many as its table holds`);
      assert.ok(broker.seen.some((m) => m.topic === base + "/events" && JSON.parse(m.payload).name === "node/discovered"), "events published");
    }
    assert.not.ok(broker.seen.some((m) => c.devices.some((d) => !loadBoard(d.board.name).capabilities.mqtt && m.topic.includes(d.hostname))), "boards without the client publish nothing");
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
    assert.equal(results, [{ error: "cluster secret required", refused: 1 }, { cmd: "task", task: "details", done: "disable" }]);
    assert.is(d.eval('spore.tasks.isTaskEnabled("details")'), false);
  } finally {
    await broker.close();
  }
});

test.run();
