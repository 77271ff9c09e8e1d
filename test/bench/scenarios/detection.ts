// Failure detection over seeds, and gossip per adaptive mode (README:
// Sharper failure detection, Adaptive gossip), on esp32 clusters in the
// emulator, in virtual time: for each cluster size and seed, how long until
// a killed node is INACTIVE on every other node, and the false INACTIVE
// reports at a packet loss rate; for each gossip mode (fixed with gm, and
// adapting), what a node sends and how long a death takes to be noticed.
import type { Plan } from "../plan.ts";
import { membership } from "./membership.ts";

export interface DetectionRun {
  nodes: number;
  seed: number;
  /** ms from the kill until every other node reports it INACTIVE (-1: not within the limit) */
  inactiveMs: number;
  /** INACTIVE reports about live nodes over `minutes` at `loss` */
  falseInactive: number;
  minutes: number;
  loss: number;
}

export interface ModeRun {
  mode: string;
  nodes: number;
  /** per node per second, in steady state */
  datagrams: number;
  bytes: number;
  inactiveMs: number;
}

/** The membership scenario at one size and seed, with a short load window and one loss rate watched. */
export async function detectionRun(plan: Plan, n: number, seed: number, log: (s: string) => void): Promise<DetectionRun> {
  const d = plan.detection;
  const r = await membership({ ...plan, losses: [d.loss], minutes: d.minutes, largeFrom: { spore: Infinity, baseline: Infinity }, loadSeconds: 10 }, "spore", n, seed, log);
  return { nodes: n, seed, inactiveMs: r.inactiveMs, falseInactive: r.falseInactive[0].reports, minutes: d.minutes, loss: d.loss };
}

export const MODES = ["auto", "aggressive", "normal", "conservative", "emergency"];

/** One gossip mode (gm: 0 adapts, 1 to 4 fixed) at plan.detection.modeNodes nodes: its load and its detection time, no loss. */
export async function modeRun(plan: Plan, gm: number, seed: number, log: (s: string) => void): Promise<ModeRun> {
  const n = plan.detection.modeNodes;
  const r = await membership({ ...plan, losses: [] }, "spore", n, seed, log, { gm });
  return { mode: MODES[gm], nodes: n, datagrams: r.load.datagrams, bytes: r.load.bytes, inactiveMs: r.inactiveMs };
}
