// An MQTT 3.1.1 client over Espruino's "net": one socket to the broker, a
// retained "online"/"offline" status (the offline one as the last will),
// QoS 0 and 1 publishing, one subscription, keep-alive pings, reconnection
// with backoff (1 s doubling to 60 s). A broker that is down never blocks the
// node: publishes wait in a small queue while it is away, or while the socket
// still holds the last one ("drain" not yet come), and what does not fit is
// dropped and counted. QoS 1 messages not yet acknowledged are sent again
// (marked DUP) after a reconnection.
//
// One client per node, its state at the top level and its functions
// top-level too: a closure keeps its whole scope alive on the chip, which
// cost the first version of this client about 350 JsVars measured on the
// real interpreter (the emulator, which cannot see closure scopes, said a
// third of that).
import { CONNACK, connect, message, num16, parse, PINGREQ, puback, PUBACK, PUBLISH, publish, subscribe } from "../core/mqtt.ts";

export interface MqttConfig {
  /** Broker host and port. */
  h: string;
  p: number;
  /** Client id, and the topic under which "status" is kept. */
  i: string;
  s: string;
  /** Keep-alive, seconds. */
  k: number;
  /** User name and password ("" for none). */
  u: string;
  w: string;
  /** What receives the messages on "<s>/cmd", the topic subscribed to. */
  m: (topic: string, payload: string) => void;
  /** Runs after each (re)connection, once the status and subscription are sent: the first thing it publishes goes out at once, four more as the socket drains. */
  o?: () => void;
  /**
   * Runs with each keep-alive ping (every k/2 seconds) while connected: the
   * node's telemetry rides on the client's one timer instead of a task and
   * a timer of its own (about 25 JsVars).
   */
  t?: () => void;
}

/** Sizes (const enum: no JsVars, see core/wire.ts). */
const enum K {
  /** Packets kept while the broker is away, and QoS 1 messages awaiting PUBACK. */
  Queue = 4,
  /** Largest packet taken from the broker: more would not fit in JsVars. */
  MaxIn = 512,
}

let cf: MqttConfig;
let sock: any = null;
let buf = "";
/** Connected to the broker, with its CONNACK. */
export let mqttUp = 0;
/** Messages dropped because the queue was full. */
export let mqttDrops = 0;
let wait = 1000;
let pid = 0;
let heard = 0;
const queue: string[] = [];
/**
 * A publish written to the socket and not yet sent: the next waits in the
 * queue. Espruino keeps what a socket has not sent in JsVars, so writing
 * every publish at once let a burst of events take a hundred or more.
 */
let full = 0;
/** QoS 1 packets by id, until their PUBACK. */
const flight: Record<string, string> = {};

/** Starts the client (once per node). */
export function mqttStart(config: MqttConfig): void {
  cf = config;
  // keep-alive: a ping every half period; nothing heard for 1.5 periods ends the connection
  setInterval(ping, config.k * 500);
  open();
}

function ping(): void {
  if (!mqttUp) return;
  if (getTime() - heard > cf.k * 1.5) return sock.end();
  sock.write(PINGREQ);
  if (cf.t) cf.t();
}

function open(): void {
  buf = "";
  try {
    sock = require("net").connect({ host: cf.h, port: cf.p }, hello);
  } catch (e) {
    sock = null;
    return retry();
  }
  full = 1;
  sock.on("data", received);
  sock.on("drain", drained);
  sock.on("error", lost);
  sock.on("close", lost);
}

/** The socket has sent all it was given: the next queued publish goes. */
function drained(): void {
  full = 0;
  if (mqttUp && queue.length) write(queue.shift() as string);
}

function write(p: string): void {
  full = 1;
  sock.write(p);
}

function hello(): void {
  sock.write(connect(cf.i, cf.k, cf.s + "/status", "offline", cf.u, cf.w));
}

function retry(): void {
  setTimeout(open, wait);
  wait = Math.min(wait * 2, 60000);
}

/** "error" (no network, refused) and "close" may both come, or only one: the socket is dropped and retried once. */
function lost(): void {
  if (!sock) return;
  sock.removeAllListeners();
  sock = null;
  mqttUp = 0;
  retry();
}

function received(d: string): void {
  buf += d;
  for (;;) {
    const p = parse(buf, K.MaxIn);
    if (p === undefined) return sock.end();
    if (!p) return;
    buf = buf.substr(p.n);
    heard = getTime();
    if (p.t === CONNACK) {
      // a refused connection (bad credentials, ...) is closed and retried with backoff
      if (p.b.charCodeAt(1)) return sock.end();
      mqttUp = 1;
      wait = 1000;
      sock.write(publish(cf.s + "/status", "online", 0, true, 0, false));
      sock.write(subscribe(1, cf.s + "/cmd"));
      // unacknowledged QoS 1 messages again, with the DUP flag, and what waited (both bounded)
      for (const k in flight) sock.write(String.fromCharCode(flight[k].charCodeAt(0) | 8) + flight[k].substr(1));
      while (queue.length) sock.write(queue.shift() as string);
      full = 0;
      if (cf.o) cf.o();
    } else if (p.t === PUBACK) delete flight[num16(p.b, 0)];
    else if (p.t === PUBLISH) {
      const msg = message(p);
      if (msg.qos) sock.write(puback(msg.pid));
      cf.m(msg.topic, msg.message);
    }
  }
}

/** Publishes, or queues while the broker is away (QoS 0 or 1). */
export function mqttPub(topic: string, payload: string, qos: number, retain: boolean): void {
  if (qos) {
    pid = (pid % 65535) + 1;
    const p = publish(topic, payload, 1, retain, pid, false);
    // the oldest unacknowledged one gives way: the queue is bounded
    const ids = Object.keys(flight);
    if (ids.length >= K.Queue) {
      delete flight[ids[0]];
      mqttDrops++;
    }
    flight[pid] = p;
    // while the broker is away it waits in flight, sent again on reconnection
    if (!mqttUp) return;
    if (!full) return write(p);
    if (queue.length < K.Queue) return void queue.push(p);
    delete flight[pid];
    mqttDrops++;
    return;
  }
  const p = publish(topic, payload, 0, retain, 0, false);
  if (mqttUp && !full) write(p);
  else if (queue.length < K.Queue) queue.push(p);
  else mqttDrops++;
}
