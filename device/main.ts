// Wires the pure core to Espruino. Top-level bindings keep the node's state
// reachable from the global scope (the emulator counts JsVars from there).
import { CONFIG_FILE, readConfig } from "./core/config.ts";
import { broadcastAddress } from "./core/identity.ts";
import { SporeNode } from "./core/node.ts";
import { boardInfo } from "./platform/board.ts";
import { httpGet } from "./platform/http-client.ts";
import { serveHttp } from "./platform/http-server.ts";
import { UdpTransport } from "./platform/udp.ts";
import { startWifi } from "./platform/wifi.ts";

function log(line: string): void {
  print(line);
}

function start(): SporeNode {
  const errors: string[] = [];
  const config = readConfig(require("Storage").readJSON(CONFIG_FILE, true) || undefined, errors);
  for (let i = 0; i < errors.length; i++) log("config: " + errors[i]);
  const node: SporeNode = new SporeNode({
    config: config,
    mac: getSerial(),
    clock: { now: () => getTime() * 1000 },
    // datagrams arrive only after start() returns, when node is set
    udp: new UdpTransport(config.udp, (data, address) => node.receive(data, address)),
    info: boardInfo(),
    log: log,
    timers: { setInterval: setInterval, changeInterval: changeInterval, clearInterval: clearInterval },
    hash: E.CRC32,
    httpGet: httpGet,
    limits: SPORE_LIMITS,
    version: SPORE_VERSION,
    restart: E.reboot,
  });
  node.start();
  serveHttp(config.http, SPORE_LIMITS, (req) => node.handleHttp(req));
  const wifiCheck = startWifi(config.ssid, config.pass, node.hostname, config.apw, log, {
    up: (info) => node.online(info.ip, broadcastAddress(info.ip, info.netmask)),
    down: (mode) => node.offline(mode),
    event: (name, data) => node.fire(name, data),
  });
  node.tasks.registerTask("wifi", 30000, wifiCheck);
  return node;
}

const spore = start();
log(spore.hostname + " " + SPORE_BOARD + " " + SPORE_VERSION + " booted");
