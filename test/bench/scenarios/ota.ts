// Cluster update: host-tools ota all over mixed esp32, esp8266 and esp01
// nodes, some at a time, through the emulator's transport.
import { type Io, runCli } from "../../../host-tools/cli.ts";
import { bundleWithVersion, Cluster } from "../../../host-tools/emulator/cluster.ts";
import { drive, EmulatorTransport } from "../../../host-tools/emulator/transport.ts";
import type { Firmware } from "../../../host-tools/lib/ota.ts";

export interface OtaResult {
  nodes: number;
  concurrency: number;
  /** Exit status of ota all, virtual seconds it took, bytes the host sent. */
  code: number;
  seconds: number;
  bytes: number;
  updated: number;
}

export async function ota(n: number, k: number, seed: number, log: (s: string) => void): Promise<OtaResult> {
  const mix = ["esp32", "esp8266", "esp01"];
  const c = new Cluster({ seed, boards: Array.from({ length: n }, (_, i) => mix[i % mix.length]), config: { hold: 5000, trial: 60000 } });
  const api = c.devices[0];
  c.runFor(30000 + n * 500);
  const build: Firmware[] = [];
  for (const b of mix) build.push({ board: b, code: bundleWithVersion(b, "0badcafe"), version: "0badcafe" });
  const host = c.lan.gateway();
  const before = c.lan.streamStats.get(host)?.bytes ?? 0;
  const t0 = c.scheduler.now();
  let text = "";
  const io: Io = {
    out: (s) => (text += s),
    err: () => {},
    tty: false,
    env: { SPORE_SECRET: c.secret },
    cwd: process.cwd(),
    transport: new EmulatorTransport(c),
    build: async () => build,
    stopFollowing: () => true,
  };
  const code = await drive(c, runCli(["ota", "all", "--api-node", api.ip, "--concurrency", String(k), "--timeout", "600"], io), 4 * 3600000);
  const r = { nodes: n, concurrency: k, code, seconds: (c.scheduler.now() - t0) / 1000, bytes: (c.lan.streamStats.get(host)?.bytes ?? 0) - before, updated: (text.match(/ updated /g) ?? []).length };
  log(`  ota all: ${n} nodes, ${k} at a time: exit ${code}, ${r.updated} updated in ${r.seconds.toFixed(0)} s virtual, ${r.bytes} B sent`);
  if (code) log(text.split("\n").filter((l) => l && !l.includes(" updated ") && !l.includes("not started")).map((l) => "    " + l).join("\n"));
  await c.stop();
  return r;
}
