// WiFi: join the configured network as a station; if that has not worked
// within apw ms (or the password is refused, the only failure ESP8266's
// connect reports), start an access point named after the node and keep
// retrying the station in the background. Espruino has no built-in fallback.
// Returns the check to run periodically (it rejoins while the station is down).
import type { Config } from "../core/config.ts";

export function startWifi(c: Config, hostname: string, up: (mode: string, ip: string, netmask: string) => void, report: (name: string, data: any) => void): () => void {
  const wifi = require("Wifi");
  const ssid = c.ssid;
  let ap = false;
  let timer = 0;
  const startAp = (why: string) => {
    if (!ap)
      wifi.startAP(hostname, {}, () => {
        report("wifi/ap", { ssid: hostname, reason: why });
        up("ap", "", "");
      });
    ap = true;
  };
  const arm = () => {
    if (!timer && ssid)
      timer = setTimeout(() => {
        timer = 0;
        startAp("no station after " + c.apw + " ms");
      }, c.apw);
  };
  const join = () =>
    wifi.connect(ssid, { password: c.pass }, (err) => {
      if (err) startAp(err);
    });
  wifi.setHostname(hostname);
  wifi.on("connected", () => {
    if (timer) clearTimeout(timer);
    timer = 0;
    if (ap) wifi.stopAP();
    ap = false;
    wifi.getIP((err, info) => {
      if (info) report("wifi/connected", { ssid: ssid, ip: info.ip });
      if (info) up("sta", info.ip, info.netmask);
    });
  });
  wifi.on("disconnected", () => {
    report("wifi/disconnected", { ssid: ssid });
    up("", "", "");
    arm();
  });
  if (ssid) join();
  if (ssid) arm();
  else startAp("no network configured");
  return () => {
    if (ssid) wifi.getDetails((d) => d.status === "connected" || d.status === "connecting" || join());
  };
}
