// Joins the configured WiFi network and reports the IP configuration.
import type { Log } from "../core/ports.ts";

export function joinWifi(ssid: string, pass: string, hostname: string, log: Log, onIp: (info: EspruinoIpInfo) => void): void {
  const wifi = require("Wifi");
  wifi.on("connected", () => {
    wifi.setHostname(hostname);
    wifi.getIP((err, info) => {
      if (err) log("wifi: no IP: " + err);
      else onIp(info);
    });
  });
  wifi.on("disconnected", () => log("wifi: disconnected"));
  log("wifi: joining " + ssid);
  wifi.connect(ssid, { password: pass }, (err) => {
    if (err) log("wifi: " + err);
  });
}
