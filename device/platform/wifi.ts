// WiFi: join the configured network as a station; if that has not worked
// within apWait ms (or the password is refused, the only failure ESP8266's
// connect reports), start an access point named after the node and keep
// retrying the station in the background. Espruino has no built-in fallback.
import type { Log } from "../core/ports.ts";

export interface WifiHooks {
  /** The station is up. */
  up(info: EspruinoIpInfo): void;
  /** The station is down; mode "ap" when the access point serves instead. */
  down(mode: string): void;
  event(name: string, data: unknown): void;
}

/** Starts WiFi; returns the check to run periodically (retries the station while it is down). */
export function startWifi(ssid: string, pass: string, hostname: string, apWait: number, log: Log, hooks: WifiHooks): () => void {
  const wifi = require("Wifi");
  let ap = false;
  let timer = 0;
  const startAp = (why: string) => {
    if (ap) return;
    ap = true;
    wifi.startAP(hostname, {}, (err) => {
      if (err) return log("wifi: access point failed: " + err);
      log("wifi: access point " + hostname + " (" + why + ")");
      hooks.event("wifi/ap", { ssid: hostname, reason: why });
      hooks.down("ap");
    });
  };
  const arm = () => {
    if (!timer && ssid)
      timer = setTimeout(() => {
        timer = 0;
        startAp("no station after " + apWait + " ms");
      }, apWait);
  };
  const join = () => {
    wifi.connect(ssid, { password: pass }, (err) => {
      if (err) {
        log("wifi: " + err);
        startAp(err);
      }
    });
  };
  wifi.setHostname(hostname);
  wifi.on("connected", () => {
    if (timer) clearTimeout(timer);
    timer = 0;
    if (ap) wifi.stopAP();
    ap = false;
    wifi.getIP((err, info) => {
      if (err || !info) return log("wifi: no IP: " + err);
      log("wifi: connected to " + ssid + " as " + info.ip);
      hooks.event("wifi/connected", { ssid: ssid, ip: info.ip });
      hooks.up(info);
    });
  });
  wifi.on("disconnected", () => {
    log("wifi: disconnected");
    hooks.event("wifi/disconnected", { ssid: ssid });
    hooks.down("");
    arm();
  });
  if (!ssid) startAp("no network configured");
  else {
    log("wifi: joining " + ssid);
    join();
    arm();
  }
  return () => {
    if (ssid)
      wifi.getDetails((d) => {
        if (d.status !== "connected" && d.status !== "connecting") join();
      });
  };
}
