// Runs small scripts on emulated boards, as the Linux interpreter runs a file.
import { Cluster } from "../../host-tools/emulator/cluster.ts";
import type { Device } from "../../host-tools/emulator/device.ts";

export interface Bench {
  cluster: Cluster;
  device: Device;
  /** Lines the device printed since boot. */
  out(): string[];
}

/** One board running `code` as its .bootcde, booted (virtual time stands just after boot). */
export function run(code: string, board = "esp8266", seed = 1): Bench {
  const cluster = new Cluster({ seed, boards: [] });
  const device = cluster.addNode(board, code, { bare: true });
  cluster.runUntil(() => device.running, 5000);
  return { cluster, device, out: () => device.console.slice() };
}
