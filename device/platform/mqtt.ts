// An MQTT 3.1.1 client over Espruino's "net": one socket to the broker, a
// retained "online"/"offline" status (the offline one as the last will),
// QoS 0 and 1 publishing, one subscription, keep-alive pings, reconnection
// with backoff (1 s doubling to 60 s). A broker that is down never blocks the
// node: publishes wait in a small queue while it is away, and what does not
// fit is dropped and counted. QoS 1 messages not yet acknowledged are sent
// again (marked DUP) after a reconnection.
import { CONNACK, mqttCodec, PINGREQ, PUBACK, PUBLISH } from "../core/mqtt.ts";

export interface MqttClient {
  /** Publishes, or queues while the broker is away (QoS 0 or 1). */
  pub(topic: string, payload: string, qos: number, retain: boolean): void;
  /** Connected to the broker, with its CONNACK. */
  up(): boolean;
  /** Messages dropped because the queue was full. */
  dropped(): number;
}

/** Packets kept while the broker is away, and QoS 1 messages awaiting PUBACK. */
const QUEUE = 4;
/** Largest packet taken from the broker: more would not fit in JsVars. */
const MAX_IN = 512;

/** `onUp` runs after each (re)connection, once the status and subscription are sent: what it publishes goes out at once. */
export function mqttClient(host: string, port: number, id: string, topic: string, keep: number, user: string, pass: string, sub: string, onMessage: (topic: string, payload: string) => void, onUp?: () => void): MqttClient {
  const m = mqttCodec();
  let sock: any = null;
  let buf = "";
  let live = 0;
  let wait = 1000;
  let pid = 0;
  let heard = 0;
  let drops = 0;
  const queue: string[] = [];
  // QoS 1 packets by id, until their PUBACK
  const flight: Record<string, string> = {};
  const status = topic + "/status";
  const send = (p: string) => {
    if (live) sock.write(p);
    else if (queue.length < QUEUE) queue.push(p);
    else drops++;
  };
  const handle = (p: any) => {
    heard = getTime();
    if (p.t === CONNACK) {
      // a refused connection (bad credentials, ...) is closed and retried with backoff
      if (p.b.charCodeAt(1)) return sock.end();
      live = 1;
      wait = 1000;
      sock.write(m.publish(status, "online", 0, true, 0, false));
      if (sub) sock.write(m.subscribe(1, sub));
      if (onUp) onUp();
      // unacknowledged QoS 1 messages again, with the DUP flag
      for (const k in flight) sock.write(String.fromCharCode(flight[k].charCodeAt(0) | 8) + flight[k].substr(1));
      while (queue.length) sock.write(queue.shift() as string);
    } else if (p.t === PUBACK) delete flight[m.num16(p.b, 0)];
    else if (p.t === PUBLISH) {
      const msg = m.message(p);
      if (msg.qos) sock.write(m.puback(msg.pid));
      onMessage(msg.topic, msg.message);
    }
  };
  const open = () => {
    buf = "";
    let gone = 0;
    // "error" (no network, refused) and "close" may both come, or only one: retry once, with backoff
    const lost = () => {
      if (gone) return;
      gone = 1;
      live = 0;
      sock = null;
      setTimeout(open, wait);
      wait = Math.min(wait * 2, 60000);
    };
    try {
      sock = require("net").connect({ host: host, port: port }, () => sock.write(m.connect(id, keep, status, "offline", user, pass)));
    } catch (e) {
      return lost();
    }
    sock.on("data", (d: string) => {
      buf += d;
      for (;;) {
        const p = m.parse(buf, MAX_IN);
        if (p === undefined) return sock.end();
        if (!p) return;
        buf = buf.substr(p.n);
        handle(p);
      }
    });
    sock.on("error", lost);
    sock.on("close", lost);
  };
  // keep-alive: a ping every half period; nothing heard for 1.5 periods ends the connection
  setInterval(() => {
    if (!live) return;
    if (getTime() - heard > keep * 1.5) sock.end();
    else sock.write(PINGREQ);
  }, keep * 500);
  open();
  return {
    pub: (t, payload, qos, retain) => {
      let p = "";
      if (qos) {
        pid = (pid % 65535) + 1;
        p = m.publish(t, payload, 1, retain, pid, false);
        // the oldest unacknowledged one gives way: the queue is bounded
        const ids = Object.keys(flight);
        if (ids.length >= QUEUE) {
          delete flight[ids[0]];
          drops++;
        }
        flight[pid] = p;
        if (live) sock.write(p);
        return;
      }
      send(m.publish(t, payload, 0, retain, 0, false));
    },
    up: () => !!live,
    dropped: () => drops,
  };
}
