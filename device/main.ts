// Wires the pure core to Espruino.
import { CONFIG_FILE, readConfig } from "./core/config.ts";
import { host } from "./core/env.ts";
import { fire, off, on, publish } from "./core/events.ts";
import { receive, size } from "./core/members.ts";
import { serve, start } from "./core/node.ts";
import { register, taskManager } from "./core/tasks.ts";
import { httpGet } from "./platform/http-client.ts";
import { serveHttp } from "./platform/http-server.ts";
import { startWifi } from "./platform/wifi.ts";
import { newBoot } from "./platform/boot-number.ts";
import { mqttDrops, mqttPub, mqttUp, startMqtt } from "./platform/mqtt.ts";

const errors: string[] = [];
const config = readConfig(require("Storage").readJSON(CONFIG_FILE, true), errors);
// SPORE_BOARD is a constant: the build keeps only this board's branch. The
// state is asked for each time: kept, its object would cost 20 JsVars.
function chip(): any {
  return (SPORE_BOARD === "esp32" ? ESP32 : ESP8266).getState();
}
const dgram = require("dgram");
// a broadcast sent from a bound socket goes nowhere: receive on one, send from another
const tx = dgram.createSocket("udp4");
const rx = dgram.createSocket("udp4");
for (const e of errors) print(CONFIG_FILE + ": " + e);
start(
  {
    udp: tx,
    hash: E.CRC32,
    now: () => getTime() * 1000,
    log: print,
    every: setInterval,
    change: changeInterval,
    clear: clearInterval,
    later: setTimeout,
    get: httpGet,
    heap: () => chip().freeHeap,
    // after a garbage collection: uncollected garbage would look like memory in use
    jsvars: () => process.memory().free,
    mac: getSerial(),
    sdk: chip().sdkVersion,
    mhz: SPORE_BOARD === "esp32" ? 240 : chip().cpuFrequency,
    flash: SPORE_BOARD === "esp32" ? 4194304 : chip().flashKB * 1024,
    boot: global.SBS,
    // counts this boot and seeds Math.random before the core draws from it
    boots: newBoot(),
    uniform: Math.random,
  },
  config,
);
rx.on("message", receive);
rx.bind(config.udp);
serveHttp(config.http, serve);
register("wifi", 30000, startWifi());
if (SPORE_LIMITS.mqtt) startMqtt();
/**
 * What user code (and the boot file) reaches: SPORE's task manager, the
 * event bus, the member count, MQTT publishing. Built each time it is asked
 * for (a getter on the global object): kept, the object and its getters cost
 * 40 JsVars on an ESP-01 for good (measured); built, about 20 until the
 * caller lets go.
 */
Object.defineProperty(global, "spore", {
  get: () => ({
    get tasks() {
      return taskManager();
    },
    members: size,
    on: on,
    off: off,
    fire: fire,
    publish: publish,
    // boards with MQTT: spore.mqtt.publish(topic, payload, qos 0 or 1, retain), up (1 while connected), dropped (by the full queue or low memory)
    mqtt: SPORE_LIMITS.mqtt ? { publish: mqttPub, up: mqttUp, dropped: mqttDrops } : undefined,
  }),
});
print(host + " " + SPORE_VERSION);
