// WiFi with access-point fallback against the emulated access point.
import * as assert from "uvu/assert";
import { Cluster } from "../../host-tools/emulator/cluster.ts";
import { api, hostnameOf, waitConverged, whenAll } from "./helpers.ts";
import { suite } from "../suite.ts";

const { test: wifi, seed } = suite("wifi", { seed: 1606 });

wifi("no network within apw: the node starts its own access point, then joins when the network appears", () => {
  const lines: string[] = [];
  const c = new Cluster({ seed, boards: ["esp8266"], accessPoint: { up: false }, config: { apw: 5000 }, onPrint: (_d, l) => lines.push(`${Math.round(c.scheduler.now())} ${l}`) });
  c.runFor(8000);
  const ap = lines.find((l) => /wifi\/ap \{"ssid":"esp_[0-9a-f]{6}","reason":"no station in 5000 ms"\}/.test(l));
  assert.ok(ap, lines.join("\n"));
  // measured from the boot line (power-on is at a random moment of the first second)
  const boot = lines.find((l) => /^\d+ esp_[0-9a-f]{6} [0-9a-f]{8}$/.test(l));
  assert.ok(boot, lines.join("\n"));
  const t = parseInt(ap!, 10) - parseInt(boot!, 10);
  assert.ok(t >= 5000 && t <= 5500, `access point ${t} ms after boot`);
  c.accessPoint.up = true;
  c.runFor(40000);
  const d = c.devices[0];
  const s = api<{ wifi: string }>(c, d, "/api/node/status", "node-status");
  assert.is(s.wifi, "sta");
  const events = api<{ events: { name: string }[] }>(c, d, "/api/events", "events").events.map((e) => e.name);
  assert.ok(events.includes("wifi/ap") && events.includes("wifi/connected"), events.join(","));
});

wifi("a refused password starts the access point at once", () => {
  const lines: string[] = [];
  const c = new Cluster({ seed, boards: ["esp32"], config: { pass: "wrong" }, onPrint: (_d, l) => lines.push(`${Math.round(c.scheduler.now())} ${l}`) });
  c.runFor(4000);
  assert.ok(lines.some((l) => /wifi\/ap \{"ssid":"esp_[0-9a-f]{6}","reason":"bad_password"\}/.test(l)), lines.join("\n"));
});

wifi("a node out of the access point's range for 30 s: its peers see it INACTIVE; back in range it rejoins by itself, is ACTIVE everywhere again and lists its peers ACTIVE", () => {
  const c = new Cluster({ seed, boards: ["esp8266", "esp32", "esp01", "esp32"] });
  waitConverged(c, 30000, seed);
  const [away, ...peers] = c.devices;
  away.setInRange(false);
  const lost = c.scheduler.now();
  const inactive = whenAll(c, peers, away, "INACTIVE", lost, 20000);
  // ina (10 s) after the first failed probe of it; each peer probes its three members in turn
  assert.ok(inactive >= 9000 && inactive <= 16000, `INACTIVE on every peer after ${inactive} ms`);
  assert.is(away.stationIp, undefined, "no station while out of range");
  c.runFor(lost + 30000 - c.scheduler.now());
  away.setInRange(true);
  // every node lists every other ACTIVE again: the peers it, and it its peers
  const back = waitConverged(c, 60000, seed);
  console.log(`    back in range: ACTIVE everywhere again after ${(back / 1000).toFixed(0)} s`);
  assert.ok(away.stationIp, "it joined again");
  assert.is(away.counters.boots, 1, "without a restart");
  // out of range past apw (20 s), it served its own access point meanwhile, and stopped it once joined
  const wifiLines = away.console.filter((l) => /^wifi\//.test(l)).map((l) => l.split(" ")[0]);
  assert.equal(wifiLines.slice(wifiLines.lastIndexOf("wifi/disconnected")), ["wifi/disconnected", "wifi/ap", "wifi/connected"], away.console.join("\n"));
  assert.is(away.eval('require("Wifi").getAPDetails().status'), "disabled");
  for (const p of peers) assert.is(api<{ members: { hostname: string; status: string }[] }>(c, p, "/api/cluster/members", "cluster-members").members.find((m) => m.hostname === hostnameOf(away))?.status, "ACTIVE");
});

wifi.run();
