// A node's MQTT side (boards with SPORE_LIMITS.mqtt, when spore.json has
// "mq": {"host", "port", "prefix", "period", "user", "pass"}): under
// <prefix>/<hostname>/ it keeps "status" (online/offline, retained, the
// offline one as last will), publishes "telemetry" every `period` seconds (5
// to 32767, with the client's keep-alive ping: the keep-alive is two periods)
// and every event as it happens on "events", and
// takes commands on "cmd": {"key": <cluster secret>, "cmd": "restart"} or
// {"key", "cmd": "task", "task", "action" | "interval"}. The result of a
// command is a "cmd/result" event (so it is published on "events"). With
// "ha": true, each connection also announces the node to Home Assistant (MQTT
// discovery, retained under homeassistant/): a device with its sensors, read
// from the telemetry, and its online status.
import { CONFIG_FILE } from "../core/config.ts";
import { C, host } from "../core/env.ts";
import { fire, setTap } from "../core/events.ts";
import { control } from "../core/tasks.ts";
import { telemetry } from "../core/telemetry.ts";
import { mqttDrops, mqttPub, mqttStart } from "./mqtt.ts";

// What the node keeps: the topic prefix with its hostname; all else is read once (top-level, no closures: see ./mqtt.ts)
let base = "";

export function startMqtt(): void {
  // read again here: the rest of the node does not keep it
  const m = ((require("Storage").readJSON(CONFIG_FILE, true) || {}) as any).mq;
  if (!m) return;
  if (typeof m !== "object" || typeof m.host !== "string" || !m.host) return print(CONFIG_FILE + ': bad mq: {"host": ...} needed');
  base = (typeof m.prefix === "string" && m.prefix ? m.prefix : "spore") + "/" + host;
  // telemetry with every keep-alive ping: the keep-alive is two periods
  mqttStart({ h: m.host, p: m.port > 0 && m.port < 65536 ? m.port : 1883, i: host, s: base, k: (m.period >= 5 && m.period <= 32767 ? m.period : 30) * 2, u: m.user || "", w: m.pass || "", m: command, o: m.ha ? announce : undefined, t: report });
  setTap(event);
}

function report(): void {
  mqttPub(base + "/telemetry", telemetry((require("Wifi") as any).getDetails().rssi || 0, mqttDrops), 0, false);
}

function event(json: string): void {
  mqttPub(base + "/events", json, 0, false);
}

/** A message on <prefix>/<hostname>/cmd. */
function command(topic: string, payload: string): void {
  let c: any;
  try {
    c = JSON.parse(payload);
  } catch (e) {
    return fire("cmd/result", { error: "not JSON" });
  }
  if (!c || !C.key || c.key !== C.key) return fire("cmd/result", { error: "cluster secret required" });
  if (c.cmd === "restart") {
    fire("cmd/result", { cmd: "restart" });
    setTimeout(E.reboot, 500);
    return;
  }
  const err = c.cmd === "task" ? control(String(c.task), c.action ? String(c.action) : "interval", c.interval ? String(c.interval) : "") : "unknown cmd";
  fire("cmd/result", err ? { cmd: c.cmd, error: err } : { cmd: c.cmd, task: c.task, done: c.action || "interval" });
}

/** Home Assistant MQTT discovery: one retained config per sensor, sent as each connection comes up. */
function announce(): void {
  const dev = { identifiers: [host], name: host, model: "Spore " + SPORE_BOARD, sw_version: SPORE_VERSION };
  const keys = ["load", "freeJsVars", "freeHeap", "uptime", "rssi"];
  for (const k of keys)
    mqttPub("homeassistant/sensor/" + host + "/" + k + "/config", JSON.stringify({ name: k, unique_id: host + "_" + k, state_topic: base + "/telemetry", value_template: "{{ value_json." + k + " }}", availability_topic: base + "/status", device: dev }), 0, true);
}
