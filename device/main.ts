// Wires the pure core to Espruino. Top-level bindings keep the node's state
// reachable from the global scope (the emulator counts JsVars from there).
import { CONFIG_FILE, readConfig } from "./core/config.ts";
import { broadcastAddress } from "./core/identity.ts";
import { SporeNode } from "./core/node.ts";
import { boardInfo } from "./platform/board.ts";
import { serveHttp } from "./platform/http-server.ts";
import { UdpTransport } from "./platform/udp.ts";
import { joinWifi } from "./platform/wifi.ts";

/** Largest request body the node accepts, in bytes. */
const MAX_BODY = 1024;

function log(line: string): void {
  print(line);
}

function start(): SporeNode {
  const errors: string[] = [];
  const config = readConfig(require("Storage").readJSON(CONFIG_FILE, true) || undefined, errors);
  for (const e of errors) log("config: " + e);
  const mac = getSerial();
  const clock = { now: () => getTime() * 1000 };
  // datagrams arrive only after start() returns, when node is set
  const udp = new UdpTransport(config.udp, (data, address) => node.receive(data, address));
  const node = new SporeNode({ config: config, mac: mac, clock: clock, udp: udp, info: boardInfo(), log: log });
  serveHttp(config.http, MAX_BODY, (req) => node.handleHttp(req));
  joinWifi(config.ssid, config.pass, node.hostname, log, (info) => {
    node.online(info.ip, broadcastAddress(info.ip, info.netmask));
  });
  setInterval(() => node.announce(), config.ann);
  return node;
}

const spore = start();
log(spore.hostname + " " + SPORE_BOARD + " booted");
