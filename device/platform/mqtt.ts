// The MQTT capability (boards whose "capabilities" include "mqtt", when
// spore.json has "mq", layout.ts MqttSettings): an MQTT
// 3.1.1 client over Espruino's "net", one socket to the broker. Under
// <prefix>/<hostname>/ it keeps "status" (online/offline, retained, the
// offline one as last will), publishes "telemetry" every `period` seconds (1
// to 32767, with the keep-alive ping: the keep-alive is two periods) and
// every event as it happens on "events", and takes commands on "cmd":
// {"key": <cluster secret>, "cmd": "restart"} or {"key", "cmd": "task",
// "task", "action" | "interval"}; the result of a command is a "cmd/result"
// event (so it is published on "events"). With "ha": true, each connection
// also announces the node to Home Assistant (MQTT discovery, retained under
// homeassistant/): a device with its sensors, read from the telemetry, and
// its online status. User code publishes with spore.mqtt.publish(topic,
// payload, qos, retain) and reads spore.mqtt.up and spore.mqtt.dropped.
//
// It reconnects with backoff (1 s doubling to 60 s, back to 1 s only after a
// connection that lasted a minute: a broker that accepts and then drops the
// node, or a message that ends each connection, cannot make it reconnect
// every second). A packet over 512 bytes is passed over as it comes, never
// held, and the connection stays. A command refused (not JSON, over 512
// bytes, the wrong secret) is counted (spore.mqtt.refused) and reported as a
// cmd/result event at most once a minute: a flood of them cannot push every
// other event out of the node's event log. A broker that is down
// never blocks the node: publishes wait in a small queue while it is away,
// or while the socket still holds the last one ("drain" not yet come), and
// what does not fit is dropped and counted. QoS 1 messages not yet
// acknowledged are sent again (marked DUP) after a reconnection.
//
// Everything is top-level, the settings read from Storage when needed, not
// kept: a closure keeps its whole scope alive on the chip, which cost the
// first version of this client about 350 JsVars measured on the real
// interpreter (the emulator, which cannot see closure scopes, said a third
// of that), and a settings object about 17.
import { config, hostname, parseJson, ports } from "../core/env.ts";
import { enqueue, fire, setTap } from "../core/events.ts";
import { jobs, JobsOp } from "../core/jobs.ts";
import { StorageFile, type MqttSettings } from "../core/layout.ts";
import { connect, lstr, Mqtt, packet, parse, publish } from "../core/mqtt.ts";
import { control } from "../core/tasks.ts";
import { telemetry } from "../core/telemetry.ts";
import { spoolDone, spoolPush, spoolStats, spoolTake } from "../core/spool.ts";

/** Packets kept while the broker is away, and QoS 1 messages awaiting PUBACK (const enum: no JsVars). */
const enum MqttQueue {
  Max = 4,
}

/** "<prefix>/<hostname>", the topics' base; the keep-alive in seconds. */
let base = "";
let keep = 0;
let sock: any = null;
let buf = "";
/** Connected to the broker, with its CONNACK. */
export let mqttUp = 0;
/** Messages dropped: the queue was full, or memory short (see mqttPub). */
export let mqttDrops = 0;
/** Commands refused: not JSON, over 512 bytes, or without the cluster secret. */
export let mqttRefused = 0;
/** When (getTime(), s) the last refusal was reported; the connection came up. */
let refusedAt = -1e9;
let upAt = 0;
/** Bytes of a packet over Mqtt.MaxIn still to pass over. */
let skip = 0;
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
/**
 * The spool capability: the id of the last spooled record sent on this
 * connection (-1: none yet; each reconnection starts again from the oldest
 * pending, so an unacknowledged QoS 1 one goes again), and the spooled QoS 1
 * records sent, by packet id, until their PUBACK marks them done.
 */
let spooled = -1;
const spoolAcks: Record<string, number> = {};
/** The jobs capability: the MQTT triggers' topics last subscribed to. */
let subbed: string[] = [];
/** The next Home Assistant discovery config to send (5: none left). */
let ha = 5;


/** Starts the client if spore.json names a broker (once per node). */
export function startMqtt(): void {
  // the "mq" settings are read again each time they are needed (here, open(), received()): the node does not keep them
  const m: MqttSettings | undefined = ((require("Storage").readJSON(StorageFile.Config, true) || {}) as any).mq;
  if (!m) return;
  if (typeof m !== "object" || typeof m.host !== "string" || !m.host) return print(StorageFile.Config + ': bad mq: {"host": ...} needed');
  base = (typeof m.prefix === "string" && m.prefix ? m.prefix : "spore") + "/" + hostname;
  keep = (m.period! >= 1 && m.period! <= 32767 ? m.period! | 0 : 30) * 2;
  // a ping every half keep-alive, with the telemetry; nothing heard for 1.5 keep-alives ends the connection
  setInterval(ping, keep * 500);
  setTap(event);
  // within 2 s: a cluster booting at once spreads its connections
  setTimeout(open, Math.random() * 2000);
}

function ping(): void {
  // nothing heard for 1.5 keep-alives, connected or still waiting for the CONNACK (a broker that takes the
  // connection and never answers it held the client for good): the connection goes, and is tried again
  if (sock && getTime() - heard > keep * 1.5) return sock.end();
  if (!mqttUp) return;
  sock.write("\xc0\x00");
  mqttPub(base + "/telemetry", telemetry((require("Wifi") as any).getDetails().rssi || 0, mqttDrops), 0, false);
}

function open(): void {
  const m: MqttSettings = ((require("Storage").readJSON(StorageFile.Config, true) || {}) as any).mq || {};
  buf = "";
  skip = 0;
  heard = getTime();
  try {
    sock = require("net").connect({ host: m.host, port: m.port! > 0 && m.port! < 65536 ? m.port! : 1883 });
  } catch (e) {
    // offline, or no socket free: Espruino throws (and closes the socket it made); tried again after the backoff
    return lost();
  }
  // written now, it goes out once the connection is up (Espruino keeps it in the socket)
  sock.write(connect(hostname, keep, base + "/status", "offline", m.user || "", m.pass || ""));
  full = 1;
  sock.on("data", received);
  sock.on("drain", drained);
  // "close" always comes, after "error" if there was one (socketserver.c)
  sock.on("close", lost);
}

/** The socket has sent all it was given: the next Home Assistant config or queued publish goes. */
function drained(): void {
  full = 0;
  if (!mqttUp) return;
  if (ha < 5) {
    const k = "load,freeJsVars,freeHeap,uptime,rssi".split(",")[ha++];
    full = 1;
    sock.write(publish("homeassistant/sensor/" + hostname + "/" + k + "/config", JSON.stringify({ name: k, unique_id: hostname + "_" + k, state_topic: base + "/telemetry", value_template: "{{ value_json." + k + " }}", availability_topic: base + "/status", device: { identifiers: [hostname], name: hostname, model: "Spore " + SPORE_BOARD, sw_version: SPORE_VERSION } }), 1, 0));
  } else if (queue.length) {
    full = 1;
    sock.write(queue.shift());
  } else if (SPORE_CAPS.spool) {
    // what was spooled while the broker was away, in order, four at a time (one write: they go out together)
    let w = "";
    for (const r of spoolTake(4, spooled)) {
      spooled = r[0];
      if (r[3]) {
        pid = (pid % 65535) + 1;
        spoolAcks[pid] = r[0];
      } else spoolDone(r[0]);
      w += publish(r[1], r[2], (r[3] ? 2 : 0) | r[4], r[3] ? pid : 0);
    }
    if (w) {
      full = 1;
      sock.write(w);
    }
  }
}

/** The connection is gone (refused, dropped, ended) or never came: it is tried again after the backoff. */
function lost(): void {
  sock = null;
  // a connection that lasted a minute starts the backoff again
  if (mqttUp && getTime() - upAt > 60) wait = 1000;
  mqttUp = 0;
  setTimeout(open, wait);
  wait = Math.min(wait * 2, 60000);
}

function received(d: string): void {
  // a command refused: counted, reported at most once a minute (made here, not at the top level: a function there costs JsVars for good)
  const refuse = (why: string) => {
    mqttRefused++;
    if (getTime() - refusedAt < 60) return;
    refusedAt = getTime();
    fire("cmd/result", { error: why, refused: mqttRefused });
  };
  buf += d;
  for (;;) {
    if (skip) {
      // the rest of a packet too large to hold, as it comes
      const k = Math.min(skip, buf.length);
      buf = buf.substr(k);
      skip -= k;
      if (skip) return;
    }
    const p = parse(buf);
    if (p === undefined) return sock.end();
    if (!p) return;
    heard = getTime();
    if (p.t === Mqtt.TooLarge) {
      skip = p.n;
      refuse("over " + Mqtt.MaxIn + " bytes");
      continue;
    }
    buf = buf.substr(p.n);
    if (p.t === Mqtt.Connack) {
      // a refused connection (bad credentials, ...) is closed and retried with backoff
      if (p.b.charCodeAt(1)) return sock.end();
      mqttUp = 1;
      upAt = getTime();
      // the spool from its oldest pending record (an unacknowledged one again)
      if (SPORE_CAPS.spool) {
        spooled = -1;
        for (const k of Object.keys(spoolAcks)) delete spoolAcks[k];
      }
      sock.write(publish(base + "/status", "online", 1, 0));
      // SUBSCRIBE, packet id 1, QoS 1
      sock.write(packet(130, "\x00\x01" + lstr(base + "/cmd") + "\x01"));
      if (SPORE_CAPS.jobs) mqttPub();
      // unacknowledged QoS 1 messages again, with the DUP flag (bounded); what waited goes one per "drain"
      for (const k in flight) sock.write(String.fromCharCode(flight[k].charCodeAt(0) | 8) + flight[k].substr(1));
      full = 1;
      // Home Assistant MQTT discovery: one retained config per sensor, one per "drain"
      ha = (((require("Storage").readJSON(StorageFile.Config, true) || {}) as any).mq || {}).ha ? 0 : 5;
    } else if (p.t === Mqtt.Puback) {
      const id = (p.b.charCodeAt(0) << 8) | p.b.charCodeAt(1);
      delete flight[id];
      // a spooled QoS 1 record is done only now
      if (SPORE_CAPS.spool && spoolAcks[id] !== undefined) {
        spoolDone(spoolAcks[id]);
        delete spoolAcks[id];
      }
    }
    else if (p.t === Mqtt.Publish) {
      // topic, packet id at QoS 1 (2 treated as 1: acknowledged once), payload
      const tl = (p.b.charCodeAt(0) << 8) | p.b.charCodeAt(1);
      const qos = p.f & 6;
      if (qos) sock.write(packet(64, p.b.substr(2 + tl, 2)));
      // the jobs capability: a message on another topic goes to the queue, for the jobs it triggers
      // (straight to the jobs on a board without a queue)
      if (SPORE_CAPS.jobs && p.b.substr(2, tl) !== base + "/cmd") {
        if (SPORE_LIMITS.queue) enqueue("m", p.b.substr(2, tl), p.b.substr(2 + tl + (qos ? 2 : 0)), "");
        else if (ports.trig_) ports.trig_("m", p.b.substr(2, tl), p.b.substr(2 + tl + (qos ? 2 : 0)), "");
      }
      if (p.b.substr(2, tl) !== base + "/cmd") continue;
      // a command (inline, as each function costs JsVars for good): its result is a cmd/result event
      let c: any;
      try {
        c = parseJson(p.b.substr(2 + tl + (qos ? 2 : 0)));
      } catch (e) {
        refuse("not JSON");
        continue;
      }
      if (!c || !config.key || c.key !== config.key) refuse("cluster secret required");
      else if (c.cmd === "restart") {
        fire("cmd/result", { cmd: "restart" });
        setTimeout(E.reboot, 500);
      } else {
        const err = c.cmd === "task" ? control(String(c.task), c.action ? String(c.action) : "interval", c.interval ? String(c.interval) : "") : "unknown cmd";
        fire("cmd/result", err ? { cmd: c.cmd, error: err } : { cmd: c.cmd, task: c.task, done: c.action || "interval" });
      }
    }
  }
}

/**
 * Publishes, or queues while the broker is away or the socket is busy (QoS
 * 0 or 1). A packet waiting in the socket, in the queue or for its PUBACK
 * holds a JsVar per 10 bytes or so: one written at once needs as many free
 * JsVars as a request (SPORE_LIMITS.minFree), one kept waiting 100 more (as
 * a details fetch does, see core/node.ts), or it is dropped and counted.
 * Queued while a whole cluster booted at once (every node discovering every
 * other, each discovery an event), they ran nodes out of memory on the real
 * interpreter.
 */
export function mqttPub(topic?: string, payload?: string, qos?: number, retain?: boolean): void {
  // no topic (the jobs capability, once connected and after each deploy): subscribes to the MQTT triggers' topics
  // at QoS 1 (a branch here, not a function of its own: each holds JsVars on the chip for good)
  // and unsubscribes from those of the set before that it no longer has (their messages would keep coming)
  if (SPORE_CAPS.jobs && topic === undefined) {
    const l = jobs(JobsOp.Topics);
    let t = "";
    let u = "";
    for (const f of l) t += lstr(f) + "\x01";
    if (!mqttUp) return;
    for (const f of subbed) if (l.indexOf(f) < 0 && f !== base + "/cmd") u += lstr(f);
    // UNSUBSCRIBE, packet id 3; SUBSCRIBE, packet id 2, QoS 1
    if (u) sock.write(packet(162, "\x00\x03" + u));
    if (t) sock.write(packet(130, "\x00\x02" + t));
    subbed = l;
    return;
  }
  const now = mqttUp && !full;
  let p: string;
  if (ports.jsvars_() < SPORE_LIMITS.minFree + (now ? 0 : 100)) {
    mqttDrops++;
    return;
  }
  if (qos) {
    pid = (pid % 65535) + 1;
    p = publish(topic!, payload!, retain ? 3 : 2, pid);
    // the oldest unacknowledged one gives way: the queue is bounded
    const ids = Object.keys(flight);
    if (ids.length >= MqttQueue.Max) {
      delete flight[ids[0]];
      mqttDrops++;
    }
    flight[pid] = p;
    // while the broker is away it waits in flight, sent again on reconnection
    if (!mqttUp) return;
  } else p = publish(topic!, payload!, retain ? 1 : 0, 0);
  if (now) {
    full = 1;
    sock.write(p);
  } else if (queue.length < MqttQueue.Max) queue.push(p);
  else {
    if (qos) delete flight[pid];
    mqttDrops++;
  }
}

/**
 * What user code and jobs publish: with the spool capability, while the
 * broker is away, into Storage (in order, bounded, drops counted there) and
 * sent once it is back. The node's own status, telemetry and events are not
 * spooled: they say how it is now, and every event written to flash while a
 * broker is down for hours would wear it and fill Storage.
 */
export function mqttSend(topic?: string, payload?: string, qos?: number, retain?: boolean): void {
  // (and behind what the spool still holds: sent live it would overtake it)
  if (SPORE_CAPS.spool && topic !== undefined && (!mqttUp || spoolStats().pending)) {
    spoolPush(String(topic), String(payload), qos!, !!retain);
    // an idle socket sends it now (else the next drain does)
    if (mqttUp && !full) drained();
  } else mqttPub(topic, payload, qos, retain);
}

function event(json: string): void {
  mqttPub(base + "/events", json, 0, false);
}
