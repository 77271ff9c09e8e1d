// A real MQTT broker (the npm package aedes) on the emulated LAN: a host at
// `ip` whose port 1883 hands each emulated TCP stream to aedes as a Node
// stream. aedes works with Node's own timers and promises, so a test drives
// virtual time with runAsync(), which lets them run between events.
import { Duplex } from "node:stream";
import { Aedes } from "aedes";
import type { Cluster } from "./cluster.ts";
import type { StreamEnd } from "./lan.ts";

export const MQTT_PORT = 1883;

export interface LanBroker {
  aedes: Aedes;
  ip: string;
  /** Messages the broker saw published, in order. */
  seen: { topic: string; payload: string; retain: boolean; qos: number }[];
  /** Drops every client connection. */
  dropClients(): void;
  /** Stops the broker and starts a new one at the same address: connections and retained messages are gone. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

function bridge(end: StreamEnd, aedes: Aedes): Duplex {
  const duplex = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, cb) {
      end.write(chunk.toString("latin1"));
      cb();
    },
    final(cb) {
      end.close();
      cb();
    },
    destroy(_err, cb) {
      end.close();
      cb(null);
    },
  });
  end.onData = (d) => duplex.push(Buffer.from(d, "latin1"));
  end.onClose = () => {
    duplex.push(null);
    duplex.destroy();
  };
  aedes.handle(duplex);
  return duplex;
}

export async function lanBroker(c: Cluster, ip: string): Promise<LanBroker> {
  const streams = new Set<Duplex>();
  const seen: LanBroker["seen"] = [];
  const start = async () => {
    const a = await Aedes.createBroker();
    a.on("publish", (packet, client) => {
      if (client) seen.push({ topic: packet.topic, payload: packet.payload.toString(), retain: packet.retain, qos: packet.qos });
    });
    return a;
  };
  let aedes = await start();
  c.lan.attach(ip, {
    deliverDatagram: () => {},
    streamListener: (port) =>
      port === MQTT_PORT
        ? (end) => {
            const d = bridge(end, aedes);
            streams.add(d);
            d.on("close", () => streams.delete(d));
          }
        : undefined,
  });
  const broker: LanBroker = {
    aedes,
    ip,
    seen,
    dropClients: () => {
      for (const d of streams) d.destroy();
    },
    restart: async () => {
      broker.dropClients();
      await broker.close();
      aedes = await start();
      broker.aedes = aedes;
    },
    close: () => new Promise((resolve) => aedes.close(() => resolve())),
  };
  return broker;
}

/** Runs `ms` of virtual time, letting Node's promises and timers (the broker's) run between events. */
export async function runAsync(c: Cluster, ms: number): Promise<void> {
  const end = c.scheduler.now() + ms;
  for (;;) {
    await new Promise((r) => setImmediate(r));
    const next = c.scheduler.nextTime();
    if (next === undefined || next > end) break;
    c.scheduler.runUntil(next);
  }
  c.scheduler.runUntil(end);
  await new Promise((r) => setImmediate(r));
}
