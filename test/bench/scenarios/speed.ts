// The emulator's own speed: wall-clock seconds for a cluster's virtual ones.
import { Cluster } from "../../../host-tools/emulator/cluster.ts";
import type { Plan } from "../plan.ts";

export async function speed(plan: Plan, seed: number): Promise<{ nodes: number; virtualSeconds: number; wallSeconds: number }> {
  const c = new Cluster({ seed, boards: Array.from({ length: plan.speed.nodes }, () => "esp32") });
  const t = Date.now();
  c.runFor(plan.speed.seconds * 1000);
  const r = { nodes: plan.speed.nodes, virtualSeconds: plan.speed.seconds, wallSeconds: (Date.now() - t) / 1000 };
  await c.stop();
  return r;
}
