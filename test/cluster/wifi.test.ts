// WiFi with access-point fallback against the emulated access point.
import * as assert from "uvu/assert";
import { Cluster } from "../../host-tools/emulator/cluster.ts";
import { api } from "./helpers.ts";
import { suite } from "../suite.ts";

const { test: wifi, seed } = suite("wifi", { seed: 1606 });

wifi("no network within apw: the node starts its own access point, then joins when the network appears", () => {
  const lines: string[] = [];
  const c = new Cluster({ seed, boards: ["esp8266"], accessPoint: { up: false }, config: { apw: 5000 }, onPrint: (_d, l) => lines.push(`${Math.round(c.scheduler.now())} ${l}`) });
  c.runFor(8000);
  const ap = lines.find((l) => /wifi\/ap \{"ssid":"esp_[0-9a-f]{6}","reason":"no station after 5000 ms"\}/.test(l));
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

wifi.run();
