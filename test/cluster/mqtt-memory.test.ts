// A node whose broker refuses it, or takes it and drops it, reconnects for as
// long as that lasts (device/platform/mqtt.ts, with backoff) and its free
// JsVars stay where they were: the sockets it closed are gone on the chip,
// and the emulator no longer counts them (it used to count the listeners of
// every socket the node had ever opened: 3 JsVars fewer each reconnection).
import mqttPacket from "mqtt-packet";
import * as assert from "uvu/assert";
import { Cluster } from "../../host-tools/emulator/cluster.ts";
import type { StreamEnd } from "../../host-tools/emulator/lan.ts";
import { suite } from "../suite.ts";
import { runUntil } from "../wait.ts";

const { test, seed } = suite("mqtt reconnections and memory", { seed: 1621 });
const BROKER = "10.42.0.250";
const RECONNECTIONS = 12;

/** How the broker's host treats each connection to port 1883. */
const BROKERS: Record<string, ((end: StreamEnd) => void) | undefined> = {
  "refuses (nothing listens)": undefined,
  "closes each connection at once": (end) => end.close(),
  "drops the node right after its CONNACK": (end) => {
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    parser.on("packet", (p) => {
      if (p.cmd !== "connect") return;
      end.write(mqttPacket.generate({ cmd: "connack", returnCode: 0, sessionPresent: false }).toString("latin1"));
      end.close();
    });
    end.onData = (d) => parser.parse(Buffer.from(d, "latin1"));
  },
};

for (const [how, listener] of Object.entries(BROKERS))
  test(`a broker that ${how}: ${RECONNECTIONS} reconnections later the node has as many JsVars free and no socket more`, () => {
    const c = new Cluster({ seed, boards: [], config: { mq: { host: BROKER, period: 30 } } });
    let tries = 0;
    c.lan.attach(BROKER, {
      deliverDatagram: () => {},
      streamListener: (port) => {
        if (port !== 1883) return undefined;
        tries++;
        return listener;
      },
    });
    const d = c.addNode("esp8266");
    /** Free JsVars and sockets in use half a second after the node's `n`th try (it is waiting out its backoff then). */
    const after = (n: number) => {
      // the backoff doubles from 1 s to 60 s
      runUntil(c, () => tries >= n, n * 60000, `try ${n} of the node to connect`);
      c.runFor(500);
      return { free: d.memory().free, sockets: d.sockets.inUse };
    };
    const start = after(3);
    const end = after(3 + RECONNECTIONS);
    assert.ok(Math.abs(end.free - start.free) <= 3, `${start.free} JsVars free after try 3, ${end.free} after try ${3 + RECONNECTIONS}`);
    assert.is(end.sockets, start.sockets, "sockets in use");
    assert.is(d.eval("spore.mqtt.up"), 0);
    assert.is(d.counters.uncaught, 0, d.console.join("\n"));
  });

test.run();
