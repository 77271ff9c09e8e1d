// Wires the pure core to Espruino: the ports, the sockets, the tasks, and
// the capabilities this board carries (SPORE_CAPS: the build leaves out the
// code of the others).
import { publish } from "./core/cluster-events.ts";
import { receive } from "./core/dispatch.ts";
import { Endpoint } from "./core/endpoints.ts";
import { hostname } from "./core/env.ts";
import { fire, listeners, type Listener } from "./core/events.ts";
import { readConfig, StorageFile } from "./core/layout.ts";
import { drops } from "./core/gossip.ts";
import { memberCount } from "./core/members.ts";
import { Drop } from "./core/wire.ts";
import { serve, start } from "./core/node.ts";
import type { Ports } from "./core/env.ts";
import { register, taskManager, timed } from "./core/tasks.ts";
import { newBoot } from "./platform/boot-number.ts";
import { httpGet } from "./platform/http-client.ts";
import { keepInFlash } from "./platform/mac-keys.ts";
import { serveHttp } from "./platform/http-server.ts";
import { mqttDrops, mqttPub, mqttRefused, mqttSend, mqttUp, startMqtt } from "./platform/mqtt.ts";
import { startWifi } from "./platform/wifi.ts";
import { Op, services, type CallBack } from "./core/services.ts";
import type { Handler } from "./core/offered.ts";
import { jobs, JobsOp } from "./core/jobs.ts";
import { kv, KvOp } from "./core/kv.ts";
import { pin } from "./platform/io.ts";

const errors: string[] = [];
const config = readConfig(require("Storage").readJSON(StorageFile.Config, true), errors);
// SPORE_CHIP is a constant: the build keeps only this chip's branch. The
// state is asked for each time: kept, its object would cost 20 JsVars.
function chip(): any {
  return (SPORE_CHIP === "ESP32" ? ESP32 : ESP8266).getState();
}
const dgram = require("dgram");
// a broadcast sent from a bound socket goes nowhere: receive on one, send from another
const tx = dgram.createSocket("udp4");
const rx = dgram.createSocket("udp4");
for (const e of errors) print(StorageFile.Config + ": " + e);
const platform: Ports = {
  udp_: tx,
  hash_: E.CRC32,
  // a view of the string at any byte offset, no copy (a length of 0 is "to the end": 2v29's typed array constructor)
  words_: (s: string, from: number) => new Uint16Array(E.toArrayBuffer(s), from),
  dot_: E.convolve,
  reboot_: E.reboot,
  save_: (key: string) => {
    const S = require("Storage");
    const c: any = S.readJSON(StorageFile.Config, true) || {};
    c.key = key;
    S.writeJSON(StorageFile.Config, c);
    // the console's password is the secret's first 20 characters (the boot file sets it at boot): the new one's from now
    if (SPORE_TELNET) E.setPassword(key.substr(0, 20));
  },
  now_: () => getTime() * 1000,
  log_: print,
  every_: setInterval,
  change_: changeInterval,
  clear_: clearInterval,
  // (the health capability with jobs: what it calls back, a job's run among them, counted as busy)
  later_: SPORE_CAPS.health && SPORE_CAPS.jobs ? (fn: (a: any) => void, ms: number, a: any) => setTimeout(timed, ms, fn, a) : setTimeout,
  heap_: () => chip().freeHeap,
  // after a garbage collection: uncollected garbage would look like memory in use
  jsvars_: () => process.memory().free,
  mac_: getSerial(),
  sdk_: chip().sdkVersion,
  // the ESP8266 reports its clock and flash; the ESP32's are the board file's
  mhz_: SPORE_CHIP === "ESP32" ? SPORE_CPU_MHZ : chip().cpuFrequency,
  flash_: SPORE_CHIP === "ESP32" ? SPORE_FLASH_BYTES : chip().flashKB * 1024,
  boot_: global.SBS,
  // counts this boot and seeds Math.random before the core draws from it
  boots_: newBoot(),
  uniform_: Math.random,
  // what the boot file answers (when there is one) and the dashboard capability's upload
  served_: () => (global.SBS ? "|" + Endpoint.Update + "|" + Endpoint.Restart : "") + (SPORE_CAPS.dashboard ? "|" + Endpoint.DashboardUpload : ""),
};
// the optional ports only where the board has them (a property set to undefined costs a JsVar for good)
if (SPORE_LIMITS.macFlash) platform.keep_ = keepInFlash;
if (SPORE_CAPS.details) platform.get_ = httpGet;
if (SPORE_CAPS.adaptive) platform.analog_ = analogRead;
if (SPORE_CAPS.control) {
  platform.stored_ = () => require("Storage").readJSON(StorageFile.Config, true);
  platform.store_ = (c: any) => require("Storage").writeJSON(StorageFile.Config, c);
}
if (SPORE_CAPS.jobs) {
  platform.fs_ = require("Storage");
  platform.pin_ = pin;
  if (SPORE_CAPS.mqtt) {
    // (what jobs publish goes through the spool where there is one; called with nothing, it subscribes again)
    platform.pub_ = SPORE_CAPS.spool ? mqttSend : mqttPub;
  }
}
// the console's watch, from the probe task (the boot file sets its own interval only in recovery mode)
if (SPORE_TELNET && global.SBS && config.key) platform.watch_ = _SB;
start(platform, config);
// (a job set that throws while it is armed must not stop the firmware loading: the boot file would roll it back)
if (SPORE_CAPS.jobs)
  try {
    jobs(JobsOp.Boot);
  } catch (e) {
    print("jobs: " + e);
  }
// durable KV keys changed since the last flush go to Storage before a restart (E.reboot runs "kill" first; a power cut does not)
if (SPORE_CAPS.jobs && SPORE_LIMITS.kvDurable) E.on("kill", () => kv(KvOp.Flush, 1));
rx.on("message", receive);
rx.bind(config.udp);
serveHttp(config.http, serve);
register("wifi", 30000, startWifi());
if (SPORE_CAPS.mqtt) startMqtt();
/**
 * What user code (and the boot file) reaches: SPORE's task manager, the
 * event bus, the member count, MQTT publishing. Built each time it is asked
 * for (a getter on the global object): kept, the object and its getters cost
 * 40 JsVars on an ESP-01 for good (measured); built, about 20 until the
 * caller lets go.
 */
Object.defineProperty(global, "spore", {
  get: () => {
    const o: any = {
      get tasks() {
        return taskManager();
      },
      // members known; 1 while only nodes of another wire version are heard, so
      // that a version changing the wire format is confirmed in a rolling update
      // (the boot file waits for a member: README, Updates)
      members: memberCount || (drops[Drop.Version] > 0 ? 1 : 0),
      // made here, for the caller, not at the top level: there each function costs JsVars for good
      on: (name: string, fn: Listener) => {
        (listeners[name] = listeners[name] || []).push(fn);
      },
      off: (name: string, fn: Listener) => {
        const l = listeners[name];
        const i = l ? l.indexOf(fn) : -1;
        if (i >= 0) l.splice(i, 1);
      },
      fire: fire,
      publish: publish,
    };
    // the capabilities' parts only where the board has them (a property set to undefined costs bytes and a JsVar)
    // the MQTT capability: spore.mqtt.publish(topic, payload, qos 0 or 1, retain), up (1 while connected), dropped (by the full queue or low memory), refused (commands: not JSON, over 512 bytes, wrong secret)
    if (SPORE_CAPS.mqtt) o.mqtt = { publish: SPORE_CAPS.spool ? mqttSend : mqttPub, up: mqttUp, dropped: mqttDrops, refused: mqttRefused };
    // the services capability: provide(name, version, handler(args, reply, from)), unprovide(name), call(name, args, cb(err, result, from)[, {timeout, retries, version}]); each returns "" or why not
    if (SPORE_CAPS.services) {
      o.provide = (name: string, version: number, handler: Handler) => services(Op.Provide, name, version, handler);
      o.unprovide = (name: string) => services(Op.Unprovide, name);
      o.call = (name: string, args: any, cb: CallBack, options?: object) => services(Op.Call, name, args, cb, options);
    }
    return o;
  },
});
print(hostname + " " + SPORE_VERSION);
