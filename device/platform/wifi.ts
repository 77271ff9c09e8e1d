// WiFi: join the configured network as a station; if that has not worked
// within apw ms (or the password is refused, the only failure ESP8266's
// connect reports), start an access point named after the node and keep
// retrying the station in the background. Espruino has no built-in fallback.
//
// State and functions at the top level, not in closures over startWifi():
// a closure keeps its whole scope alive on the chip (see ./mqtt.ts).
import { config, hostname } from "../core/env.ts";
import { note } from "../core/events.ts";
import { online } from "../core/gossip.ts";

/** Espruino's Wifi module; serving the access point; the timer that starts it when the station is not up in time. */
let radio: EspruinoWifi;
let ap = false;
let timer = 0;

/** Starts WiFi; returns the check to run periodically (it rejoins while the station is down). */
export function startWifi(): () => void {
  radio = require("Wifi");
  radio.setHostname(hostname);
  radio.on("connected", connected);
  radio.on("disconnected", disconnected);
  if (config.ssid) {
    join();
    arm();
  } else startAp("no network configured");
  return check;
}

function startAp(why: string): void {
  if (!ap)
    radio.startAP(hostname, {}, () => {
      note("wifi/ap", { ssid: hostname, reason: why });
      online("ap", "", "");
    });
  ap = true;
}

function arm(): void {
  if (!timer && config.ssid)
    timer = setTimeout(() => {
      timer = 0;
      startAp("no station in " + config.apw + " ms");
    }, config.apw);
}

function join(): void {
  radio.connect(config.ssid, { password: config.pass }, (err) => {
    if (err) startAp(err);
  });
}

function connected(): void {
  if (timer) clearTimeout(timer);
  timer = 0;
  if (ap) radio.stopAP();
  ap = false;
  radio.getIP((err, info) => {
    if (info) {
      note("wifi/connected", { ssid: config.ssid, ip: info.ip });
      online("sta", info.ip, info.netmask);
    }
  });
}

function disconnected(): void {
  note("wifi/disconnected", { ssid: config.ssid });
  online("", "", "");
  arm();
}

function check(): void {
  if (config.ssid) radio.getDetails((d) => d.status === "connected" || d.status === "connecting" || join());
}
