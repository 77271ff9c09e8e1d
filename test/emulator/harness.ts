// Runs small scripts on emulated boards, as the Linux interpreter runs a file.
import { Cluster } from "../../host-tools/emulator/cluster.ts";
import type { Device } from "../../host-tools/emulator/device.ts";
import { runUntil } from "../wait.ts";

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
  runUntil(cluster, () => device.running, 5000, "booted");
  return { cluster, device, out: () => device.console.slice() };
}
