// Telemetry from the cluster's MQTT broker: record every telemetry, status
// and event message with its time (JSON lines), replay a recording with the
// original spacing (scaled), and a live view of the nodes. Time is the
// caller's clock (a transport's), never read or slept on here.
import { createReadStream, createWriteStream, type WriteStream } from "node:fs";
import { createInterface } from "node:readline";
import mqtt, { type MqttClient } from "mqtt";
import type { Clock } from "./transport.ts";

/** One recorded message: ms since the recording began, topic, payload (text), retained flag, QoS. */
export interface Recorded {
  t: number;
  topic: string;
  payload: string;
  retain: boolean;
  qos: number;
}

export function topicsOf(prefix: string): string[] {
  return ["telemetry", "status", "events"].map((k) => `${prefix}/+/${k}`);
}

export async function connectBroker(url: string): Promise<MqttClient> {
  try {
    return await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000 });
  } catch (e) {
    throw new Error(`cannot reach the broker at ${url}: ${(e as Error).message}`);
  }
}

/**
 * Records until `stop()` says so (checked after each message and every
 * 200 ms of `clock`), or `count` messages; `onSubscribed` once the broker has
 * acknowledged the subscription (messages published from then on are
 * recorded). Resolves with the number recorded.
 */
export async function record(url: string, prefix: string, out: WriteStream | NodeJS.WritableStream, clock: Clock, o: { count?: number; stop?: () => boolean; onMessage?: (r: Recorded) => void; onSubscribed?: () => void }): Promise<number> {
  const client = await connectBroker(url);
  const t0 = clock.now();
  let n = 0;
  let finished = false;
  await new Promise<void>((resolve, reject) => {
    const finish = () => {
      finished = true;
      resolve();
    };
    void (async () => {
      while (!finished) {
        await clock.sleep(200);
        if (!finished && o.stop?.()) finish();
      }
    })();
    client.on("message", (topic, payload, packet) => {
      const r: Recorded = { t: clock.now() - t0, topic, payload: payload.toString("utf8"), retain: !!packet.retain, qos: packet.qos };
      out.write(JSON.stringify(r) + "\n");
      n++;
      o.onMessage?.(r);
      if ((o.count && n >= o.count) || o.stop?.()) finish();
    });
    client.on("error", (e) => reject(e));
    client.subscribeAsync(topicsOf(prefix), { qos: 1 }).then(() => o.onSubscribed?.(), reject);
  });
  await client.endAsync();
  return n;
}

/** Reads a recording; a bad line is an error that names it. */
export async function readRecording(file: string): Promise<Recorded[]> {
  const out: Recorded[] = [];
  let line = 0;
  for await (const text of createInterface({ input: createReadStream(file) })) {
    line++;
    if (!text.trim()) continue;
    let r: Recorded;
    try {
      r = JSON.parse(text) as Recorded;
    } catch {
      throw new Error(`${file}:${line}: not JSON`);
    }
    if (typeof r.t !== "number" || typeof r.topic !== "string" || typeof r.payload !== "string") throw new Error(`${file}:${line}: needs t (number), topic and payload (strings)`);
    out.push(r);
  }
  return out;
}

/** Publishes a recording with its original spacing divided by `speed`, on `clock`; resolves with the number sent. */
export async function replay(url: string, messages: Recorded[], speed: number, clock: Clock, onSent?: (i: number, r: Recorded) => void): Promise<number> {
  const client = await connectBroker(url);
  const t0 = clock.now();
  const first = messages.length ? messages[0].t : 0;
  for (let i = 0; i < messages.length; i++) {
    const r = messages[i];
    const due = t0 + (r.t - first) / speed;
    const wait = due - clock.now();
    if (wait > 0) await clock.sleep(wait);
    await client.publishAsync(r.topic, r.payload, { retain: r.retain, qos: r.qos === 1 ? 1 : 0 });
    onSent?.(i, r);
  }
  await client.endAsync();
  return messages.length;
}

/** The latest of each node's status and telemetry, as the live view shows it. */
export class ClusterView {
  readonly nodes = new Map<string, { status: string; telemetry: Record<string, any> | undefined; at: number }>();

  constructor(private readonly prefix: string) {}

  take(topic: string, payload: string, now: number): void {
    const parts = topic.split("/");
    if (parts.length < 3 || parts.slice(0, -2).join("/") !== this.prefix) return;
    const host = parts[parts.length - 2];
    const n = this.nodes.get(host) ?? { status: "?", telemetry: undefined, at: now };
    const kind = parts[parts.length - 1];
    if (kind === "status") n.status = payload;
    if (kind === "telemetry") {
      try {
        n.telemetry = JSON.parse(payload) as Record<string, any>;
      } catch {
        // a malformed message is shown as missing data
      }
    }
    n.at = now;
    this.nodes.set(host, n);
  }

  /** The --green view: power now, energy since boot, CO2 and grade; "-" from a node without the health capability. */
  greenRows(): (string | number)[][] {
    return [...this.nodes.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([host, n]) => {
        const t = n.telemetry ?? {};
        const e = t.energy;
        const load = t.health ? t.health.load : t.load;
        const b = t.gossip ? t.gossip.battery : null;
        return [host, n.status, load === undefined ? "?" : `${Math.round(load * 100)}%`, e ? `${e.powerMw} mW` : "-", e ? `${e.energyMwh} mWh` : "-", e ? `${e.co2g} g` : "-", e ? e.grade : "-", b === null || b === undefined ? "-" : `${b}%`];
      });
  }

  rows(now: number): (string | number)[][] {
    return [...this.nodes.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([host, n]) => {
        const t = n.telemetry ?? {};
        const m = t.members ?? {};
        // the health capability: load over its window, and OVERLOADED (with why)
        const h = t.health;
        const load = h ? h.load : t.load;
        // the adaptive capability: the gossip mode and its probe period
        const g = t.gossip;
        return [host, n.status, load === undefined ? "?" : `${Math.round(load * 100)}%`, h ? (h.overloaded ? `OVERLOADED (${h.reason})` : "ok") : "-", g ? `${g.mode} ${g.periodMs} ms` : "-", t.freeJsVars ?? "?", t.freeHeap ?? "?", t.members ? `${m.ACTIVE}/${m.INACTIVE}/${m.DEAD}` : "?", t.uptime ?? "?", t.version ?? "?", `${Math.round((now - n.at) / 1000)} s`];
      });
  }
}

/** The --green view's last line: the cluster's total power, energy and CO2 over the nodes that report them. */
export function greenTotal(view: ClusterView): string {
  let mw = 0;
  let mwh = 0;
  let g = 0;
  let n = 0;
  for (const x of view.nodes.values()) {
    const e = x.telemetry?.energy;
    if (!e) continue;
    n++;
    mw += e.powerMw;
    mwh += e.energyMwh;
    g += e.co2g;
  }
  return `total of ${n} reporting: ${mw} mW, ${Math.round(mwh * 10) / 10} mWh, ${Math.round(g * 1000) / 1000} g CO2`;
}

/** The --green view's columns: each node's energy estimate (nodes with the health capability). */
export const GREEN_HEADERS = ["node", "status", "load", "power", "energy", "CO2", "grade", "battery"];

export const VIEW_HEADERS = ["node", "status", "load", "health", "gossip", "free JsVars", "free heap", "members A/I/D", "uptime", "version", "heard"];
