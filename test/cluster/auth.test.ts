// The cluster secret is checked in three places on a node: the firmware's API
// (device/core/auth.ts), the dashboard upload (the same function) and the boot
// file's update and restart (device/boot.ts keeps its own copy: it may define
// no global but _SB). They must give the same answer to the same headers.
import * as assert from "uvu/assert";
import { Cluster } from "../../host-tools/emulator/cluster.ts";
import { suite } from "../suite.ts";
import { runUntil } from "../wait.ts";

const { test, seed } = suite("secret check", { seed: 1618 });

test("the API, the dashboard upload and the boot file accept and refuse the same headers", () => {
  const c = new Cluster({ seed, boards: ["esp8266"] });
  const d = c.devices[0];
  runUntil(c, () => !!d.stationIp, 30000, "the node joined WiFi");
  c.runFor(2000);
  const k = c.secret;
  const cases: [string, Record<string, string>, boolean][] = [
    ["no secret", {}, false],
    ["bearer token", { Authorization: `Bearer ${k}` }, true],
    ["X-Spore-Key", { "X-Spore-Key": k }, true],
    ["header names in any case", { "x-spore-key": k }, true],
    ["a wrong bearer token", { Authorization: "Bearer wrong" }, false],
    ["a wrong X-Spore-Key", { "X-Spore-Key": "wrong" }, false],
    ["a bearer token wins over X-Spore-Key", { Authorization: `Bearer ${k}`, "X-Spore-Key": "wrong" }, true],
    ["a wrong bearer token is not saved by X-Spore-Key", { Authorization: "Bearer wrong", "X-Spore-Key": k }, false],
    ["another scheme falls back to X-Spore-Key", { Authorization: "Basic eDp5", "X-Spore-Key": k }, true],
    ["the scheme is case-sensitive", { Authorization: `bearer ${k}` }, false],
    ["the secret with a suffix", { Authorization: `Bearer ${k}x` }, false],
  ];
  // requests the secret lets through to a 400 (nothing is changed): an empty form, an upload without its length
  const where: [string, string][] = [
    ["the API", "/api/tasks/control"],
    ["the dashboard upload", "/api/node/dashboard"],
    ["the boot file", "/api/node/update"],
  ];
  for (const [what, headers, ok] of cases)
    for (const [who, path] of where) {
      const r = c.http(d, "POST", path, { headers });
      assert.is(r.status, ok ? 400 : 401, `${who}, ${what}: ${r.status} ${r.body}`);
    }
});

test.run();
