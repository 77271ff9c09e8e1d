// Membership at scale: clusters of esp32 nodes running Spore or SPORE's
// scheme (test/bench/spore-baseline.js), watched from what the nodes print:
// convergence, steady-state load, a killed node's INACTIVE and DEAD
// everywhere, and false INACTIVE reports at each packet loss rate.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Cluster } from "../../../host-tools/emulator/cluster.ts";
import type { Device } from "../../../host-tools/emulator/device.ts";
import { hostnameOf, sporeBundle } from "../../cluster/helpers.ts";
import type { Plan } from "../plan.ts";

const BENCH_DIR = join(dirname(fileURLToPath(import.meta.url)), "..");

/** What each node believes of the others, from the events it prints ("node/discovered", "node/status"). */
class Watch {
  /** Per observer ip: hostname → status. */
  readonly seen = new Map<string, Map<string, string>>();
  /** INACTIVE reports: when, by whom, about whom. */
  readonly inactive: { t: number; by: string; of: string }[] = [];
  constructor(private readonly now: () => number) {}

  line(d: Device, text: string): void {
    const sp = text.indexOf(" ");
    const kind = text.slice(0, sp);
    if (kind !== "node/discovered" && kind !== "node/status") return;
    let e: { hostname?: string; status?: string };
    try {
      e = JSON.parse(text.slice(sp + 1)) as typeof e;
    } catch {
      return;
    }
    if (!e.hostname) return;
    let m = this.seen.get(d.ip);
    if (!m) this.seen.set(d.ip, (m = new Map()));
    const status = kind === "node/discovered" ? "ACTIVE" : (e.status ?? "");
    m.set(e.hostname, status);
    if (status === "INACTIVE") this.inactive.push({ t: this.now(), by: d.ip, of: e.hostname });
  }

  /** Every node in `nodes` sees every other as `status`. */
  all(nodes: Device[], status: string): boolean {
    return nodes.every((d) => {
      const m = this.seen.get(d.ip);
      return !!m && nodes.every((o) => o === d || m.get(hostnameOf(o)) === status);
    });
  }

  /** Every node in `observers` sees `of` as `status`. */
  everyone(observers: Device[], of: Device, status: string): boolean {
    return observers.every((d) => this.seen.get(d.ip)?.get(hostnameOf(of)) === status);
  }
}

/** Runs in steps of `step` ms until `done()`; the virtual ms it took, or -1 past `limit`. */
function timeUntil(c: Cluster, done: () => boolean, limit: number, step = 100): number {
  const start = c.scheduler.now();
  while (c.scheduler.now() - start < limit) {
    c.runFor(step);
    if (done()) return c.scheduler.now() - start;
  }
  return -1;
}

interface Load {
  /** Per node per second: datagrams, UDP bytes, TCP connections opened, TCP segments and bytes sent. */
  datagrams: number;
  udpBytes: number;
  connections: number;
  segments: number;
  tcpBytes: number;
  /** Everything sent, bytes per node per second, and packets (datagrams + segments). */
  bytes: number;
  packets: number;
  largestDatagram: number;
}

function snapshot(c: Cluster) {
  let datagrams = 0;
  let udpBytes = 0;
  let connections = 0;
  let segments = 0;
  let tcpBytes = 0;
  let largest = 0;
  for (const d of c.devices) {
    const s = c.lan.stats.get(d.ip);
    const t = c.lan.streamStats.get(d.ip);
    datagrams += s?.datagrams ?? 0;
    udpBytes += s?.bytes ?? 0;
    largest = Math.max(largest, s?.largest ?? 0);
    connections += t?.connections ?? 0;
    segments += t?.segments ?? 0;
    tcpBytes += t?.bytes ?? 0;
  }
  return { datagrams, udpBytes, connections, segments, tcpBytes, largest };
}

function measureLoad(c: Cluster, seconds: number): Load {
  const a = snapshot(c);
  c.runFor(seconds * 1000);
  const b = snapshot(c);
  const per = (k: "datagrams" | "udpBytes" | "connections" | "segments" | "tcpBytes") => (b[k] - a[k]) / c.devices.length / seconds;
  const r = { datagrams: per("datagrams"), udpBytes: per("udpBytes"), connections: per("connections"), segments: per("segments"), tcpBytes: per("tcpBytes") };
  return { ...r, bytes: r.udpBytes + r.tcpBytes, packets: r.datagrams + r.segments, largestDatagram: b.largest };
}

export interface MembershipResult {
  scheme: "spore" | "baseline";
  nodes: number;
  /** Virtual ms until every node lists every other as ACTIVE (-1: not within the limit), and in protocol periods (1 s). */
  convergeMs: number;
  rounds: number;
  load: Load;
  /** After one node is killed: virtual ms until every other node shows it INACTIVE, then DEAD (-1: not within the limit). */
  inactiveMs: number;
  deadMs: number;
  /** INACTIVE reports about live nodes while watching, per loss rate. */
  falseInactive: { loss: number; minutes: number; reports: number }[];
  wallSeconds: number;
}

/** `config`: settings every Spore node's spore.json gets (the detection part fixes the gossip mode with it). */
export async function membership(plan: Plan, scheme: "spore" | "baseline", n: number, seed: number, log: (s: string) => void, config?: Record<string, unknown>): Promise<MembershipResult> {
  const wall = Date.now();
  let watch: Watch | undefined;
  const code = scheme === "spore" ? await sporeBundle(n) : readFileSync(join(BENCH_DIR, "spore-baseline.js"), "latin1");
  const c = new Cluster({ seed, boards: [], config, onPrint: (d, line) => watch?.line(d, line) });
  watch = new Watch(() => c.scheduler.now());
  for (let i = 0; i < n; i++) c.addNode("esp32", code, { bare: scheme === "baseline" });
  const w = watch;
  const limit = Math.max(60000, n * 1000);
  const convergeMs = timeUntil(c, () => w.all(c.devices, "ACTIVE"), limit, 250);
  log(`  ${scheme} n=${n}: converged in ${convergeMs} ms`);
  const load = measureLoad(c, plan.loadSeconds);
  const victim = c.devices[0];
  const others = c.devices.slice(1);
  c.kill(victim);
  const t0 = c.scheduler.now();
  const inactiveMs = timeUntil(c, () => w.everyone(others, victim, "INACTIVE"), 120000);
  const dead = inactiveMs < 0 || timeUntil(c, () => w.everyone(others, victim, "DEAD"), 120000) < 0 ? -1 : c.scheduler.now() - t0;
  log(`  ${scheme} n=${n}: killed node INACTIVE everywhere after ${inactiveMs} ms, DEAD after ${dead} ms`);
  const falseInactive: MembershipResult["falseInactive"] = [];
  const victimName = hostnameOf(victim);
  const minutes = n >= plan.largeFrom[scheme] ? plan.largeMinutes : plan.minutes;
  for (const loss of plan.losses) {
    c.lan.options.loss = loss;
    const from = w.inactive.length;
    c.runFor(minutes * 60000);
    const reports = w.inactive.slice(from).filter((r) => r.of !== victimName).length;
    falseInactive.push({ loss, minutes, reports });
    log(`  ${scheme} n=${n}: ${reports} false INACTIVE reports in ${minutes} min at ${loss * 100}% loss`);
  }
  c.lan.options.loss = 0;
  await c.stop();
  return { scheme, nodes: n, convergeMs, rounds: convergeMs < 0 ? -1 : convergeMs / 1000, load, inactiveMs, deadMs: dead, falseInactive, wallSeconds: (Date.now() - wall) / 1000 };
}
