// npm run bench: Spore's cost as the cluster grows, measured in the emulator
// in virtual time, seeded, side by side with SPORE's scheme (a discovery
// broadcast and an HTTP status request to every member, every second:
// test/bench/spore-baseline.js). Writes test/bench/results.json and
// test/bench/BENCHMARKS.md. `--smoke` runs the same code on small clusters
// for a short time (CI runs it, so the benchmark cannot rot).
//
//   npm run bench [-- --smoke] [--seed n] [--out dir] [--only sizes,membership,ota,speed] [--sizes 10,50] [--schemes spore,baseline] [--minutes m] [--jobs n]
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadBoard } from "../../host-tools/build/boards.ts";
import { bundleBoard } from "../../host-tools/build/bundle.ts";
import { REPO_ROOT } from "../../host-tools/build/paths.ts";
import { type Io, runCli } from "../../host-tools/cli.ts";
import { hostnameOf } from "../cluster/helpers.ts";
import { bundleWithVersion, Cluster, readBundle } from "../../host-tools/emulator/cluster.ts";
import type { Device } from "../../host-tools/emulator/device.ts";
import { parseSeed } from "../../host-tools/emulator/rng.ts";
import { drive, EmulatorTransport } from "../../host-tools/emulator/transport.ts";
import type { Firmware } from "../../host-tools/lib/ota.ts";

const HERE = dirname(fileURLToPath(import.meta.url));
const BOARDS = ["esp01", "esp8266", "esp32"];

export interface Plan {
  smoke: boolean;
  /** Cluster sizes for membership. */
  sizes: number[];
  /**
   * Packet loss rates, and the virtual minutes watched at each for false
   * INACTIVE reports; clusters of `largeFrom` nodes and more (per scheme)
   * are watched `largeMinutes`: SPORE's scheme at 100 nodes makes thousands
   * of HTTP requests per virtual second (at 200 nodes the emulator runs it
   * at about one virtual second per wall-clock second).
   */
  losses: number[];
  minutes: number;
  largeFrom: { spore: number; baseline: number };
  largeMinutes: number;
  /** Virtual seconds of steady state over which load is measured. */
  loadSeconds: number;
  /** Members at idle for the memory figures ("max": the board's member table). */
  idleMembers: (number | "max")[];
  ota: { sizes: number[]; concurrency: number[] };
  speed: { nodes: number; seconds: number };
}

export const FULL: Plan = {
  smoke: false,
  sizes: [10, 50, 100, 200],
  losses: [0, 0.05, 0.1],
  minutes: 10,
  largeFrom: { spore: Infinity, baseline: 100 },
  largeMinutes: 1,
  loadSeconds: 60,
  idleMembers: [1, 8, "max"],
  ota: { sizes: [5, 20, 50], concurrency: [1, 4, 8] },
  speed: { nodes: 200, seconds: 60 },
};

export const SMOKE: Plan = {
  smoke: true,
  sizes: [5, 10],
  losses: [0, 0.1],
  minutes: 1,
  largeFrom: { spore: 100, baseline: 10 },
  largeMinutes: 0.5,
  loadSeconds: 20,
  idleMembers: [1, 4],
  ota: { sizes: [3], concurrency: [1, 2] },
  speed: { nodes: 10, seconds: 10 },
};

// ---- watching membership from what nodes print

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

/**
 * Spore's esp32 bundle with a member table for `n` nodes (the chip's 64 would
 * cap clusters over 65), and as many answers to announces waiting (hellos:
 * the chip's 64 would leave a node booting among 200 unanswered by most).
 */
async function sporeBundle(n: number): Promise<string> {
  const b = loadBoard("esp32");
  if (b.node.memberTable >= n && b.node.hellos >= n) return readBundle("esp32");
  return (await bundleBoard({ ...b, node: { ...b.node, memberTable: Math.max(n, b.node.memberTable), hellos: Math.max(n, b.node.hellos) } }, { write: false })).code;
}

export async function membership(plan: Plan, scheme: "spore" | "baseline", n: number, seed: number, log: (s: string) => void): Promise<MembershipResult> {
  const wall = Date.now();
  let watch: Watch | undefined;
  const code = scheme === "spore" ? await sporeBundle(n) : readFileSync(join(HERE, "spore-baseline.js"), "latin1");
  const c = new Cluster({ seed, boards: [], onPrint: (d, line) => watch?.line(d, line) });
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

// ---- size and memory

export interface SizeResult {
  board: string;
  bytes: number;
  budget: number;
  /** JsVars in use at idle (the emulator's accounting), by member count, and the board's idle budget. */
  idle: { members: number; usage: number }[];
  idleBudget: number;
}

export async function sizes(plan: Plan, seed: number, log: (s: string) => void): Promise<SizeResult[]> {
  const out: SizeResult[] = [];
  for (const name of BOARDS) {
    const board = loadBoard(name);
    const built = await bundleBoard(board, { write: false });
    const idle: SizeResult["idle"] = [];
    for (const m of plan.idleMembers) {
      const members = m === "max" ? board.node.memberTable : m;
      // the node measured is of this board; the others esp32 (their table holds everyone)
      const c = new Cluster({ seed, boards: [name, ...Array.from({ length: members }, () => "esp32")] });
      // time to meet everyone, then 30 s of idle
      c.runFor(60000 + members * 500);
      const d = c.devices[0];
      idle.push({ members, usage: d.memory().usage });
      log(`  ${name}: ${d.memory().usage} JsVars in use at idle with ${members} members`);
      await c.stop();
    }
    out.push({ board: name, bytes: built.bytes, budget: built.budget, idle, idleBudget: board.budgets.idleJsVars });
  }
  return out;
}

// ---- cluster update

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

// ---- the emulator's own speed

export async function speed(plan: Plan, seed: number): Promise<{ nodes: number; virtualSeconds: number; wallSeconds: number }> {
  const c = new Cluster({ seed, boards: Array.from({ length: plan.speed.nodes }, () => "esp32") });
  const t = Date.now();
  c.runFor(plan.speed.seconds * 1000);
  const r = { nodes: plan.speed.nodes, virtualSeconds: plan.speed.seconds, wallSeconds: (Date.now() - t) / 1000 };
  await c.stop();
  return r;
}

// ---- report

export interface Results {
  machine: { cpu: string; cores: number; memoryGiB: number; node: string; platform: string };
  commit: string;
  seed: number;
  smoke: boolean;
  date: string;
  sizes?: SizeResult[];
  membership?: MembershipResult[];
  ota?: OtaResult[];
  speed?: { nodes: number; virtualSeconds: number; wallSeconds: number };
  wallSeconds: number;
}

const f = (x: number, digits = 1) => (x < 0 ? "never" : x.toFixed(digits));

export function markdown(r: Results): string {
  const L: string[] = [];
  L.push("# Spore benchmarks", "");
  L.push(`Generated by \`npm run bench${r.smoke ? " -- --smoke" : ""}\` on ${r.date}: commit \`${r.commit}\`, seed ${r.seed}, ${r.machine.cpu} (${r.machine.cores} cores, ${r.machine.memoryGiB} GiB), Node ${r.machine.node}. Run time ${f(r.wallSeconds, 0)} s.`);
  L.push("", "Everything runs in the emulator, in virtual time. JsVars are the emulator's accounting, which sees less than the real interpreter (closure scopes are invisible to it): the README gives the figures measured on Espruino's own Linux build. Packet loss applies to UDP datagrams; TCP streams are lossless in the emulator.", "");
  if (r.sizes) {
    const sizes = r.sizes;
    // a column whose member count differs by board is "the member table full", the count in each cell
    const same = (i: number) => sizes.every((s) => s.idle[i].members === sizes[0].idle[i].members);
    const label = (i: number) => (same(i) ? `${sizes[0].idle[i].members} member${sizes[0].idle[i].members > 1 ? "s" : ""}` : "its member table full");
    L.push("## Size and memory per board", "", "| board | bundle bytes | budget | " + r.sizes[0].idle.map((_, i) => `JsVars at idle, ${label(i)}`).join(" | ") + " | idle budget |");
    L.push("|---|---:|---:|" + r.sizes[0].idle.map(() => "---:|").join("") + "---:|");
    for (const s of r.sizes) L.push(`| ${s.board} | ${s.bytes} | ${s.budget} | ${s.idle.map((i, k) => (same(k) ? i.usage : `${i.usage} (${i.members})`)).join(" | ")} | ${s.idleBudget} |`);
    L.push("");
  }
  if (r.membership) {
    L.push("## Membership at scale", "", "esp32 nodes (member table and waiting answers to announces, `hellos`, raised to the cluster size where it is over 64). Spore: SWIM-style gossip on UDP; SPORE's scheme: a discovery broadcast and an HTTP status request to every member, every second (test/bench/spore-baseline.js). Load is what a node sends, per second, in steady state.", "");
    L.push("| scheme | nodes | converged (s) | rounds | datagrams/s | packets/s | bytes/s | TCP connections/s | largest datagram | INACTIVE after kill (s) | DEAD after kill (s) | " + r.membership[0].falseInactive.map((x) => `false INACTIVE at ${x.loss * 100}% loss`).join(" | ") + " | minutes watched per loss rate |");
    L.push("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|" + r.membership[0].falseInactive.map(() => "---:|").join("") + "---:|");
    for (const m of r.membership)
      L.push(`| ${m.scheme} | ${m.nodes} | ${f(m.convergeMs / 1000)} | ${f(m.rounds, 0)} | ${f(m.load.datagrams, 2)} | ${f(m.load.packets, 2)} | ${f(m.load.bytes, 0)} | ${f(m.load.connections, 2)} | ${m.load.largestDatagram} | ${f(m.inactiveMs / 1000)} | ${f(m.deadMs / 1000)} | ${m.falseInactive.map((x) => x.reports).join(" | ")} | ${m.falseInactive[0]?.minutes ?? 0} |`);
    L.push("", "### Side by side", "", "| nodes | bytes/s, SPORE's scheme ÷ Spore | packets/s, SPORE's ÷ Spore | INACTIVE detection, SPORE's ÷ Spore |", "|---:|---:|---:|---:|");
    for (const s of r.membership.filter((m) => m.scheme === "spore")) {
      const b = r.membership.find((m) => m.scheme === "baseline" && m.nodes === s.nodes);
      if (!b) continue;
      const ratio = (x: number, y: number) => (y > 0 && x >= 0 ? (x / y).toFixed(1) : "n/a");
      L.push(`| ${s.nodes} | ${ratio(b.load.bytes, s.load.bytes)} | ${ratio(b.load.packets, s.load.packets)} | ${ratio(b.inactiveMs, s.inactiveMs)} |`);
    }
    L.push("");
  }
  if (r.ota) {
    L.push("## Cluster update (`host-tools ota all`)", "", "Mixed esp32, esp8266 and esp01 nodes (trial hold 5 s); one canary first, then waves of the given size, the API node last.", "");
    L.push("| nodes | at a time | exit | updated | virtual s | bytes sent |", "|---:|---:|---:|---:|---:|---:|");
    for (const o of r.ota) L.push(`| ${o.nodes} | ${o.concurrency} | ${o.code} | ${o.updated} | ${f(o.seconds, 0)} | ${o.bytes} |`);
    L.push("");
  }
  if (r.speed) L.push("## The emulator's speed", "", `${r.speed.nodes} esp32 nodes, ${r.speed.virtualSeconds} virtual seconds: **${f(r.speed.wallSeconds)} s** of wall-clock time.`, "");
  return L.join("\n");
}

function machine(): Results["machine"] {
  const c = cpus();
  return { cpu: c[0]?.model ?? "unknown", cores: c.length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, platform: `${process.platform} ${process.arch}` };
}

function commit(): string {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: REPO_ROOT, encoding: "utf8" }).trim();
  } catch {
    return "unknown";
  }
}

/** One piece of the benchmark, run in a worker process of its own (or in this one). */
export type Task = { kind: "sizes" } | { kind: "membership"; scheme: "spore" | "baseline"; n: number } | { kind: "ota"; n: number; k: number };

export function tasks(plan: Plan, only: string[], schemes: ("spore" | "baseline")[]): Task[] {
  const want = (s: string) => !only.length || only.includes(s);
  const out: Task[] = [];
  if (want("sizes")) out.push({ kind: "sizes" });
  if (want("membership")) for (const n of plan.sizes) for (const scheme of schemes) out.push({ kind: "membership", scheme, n });
  if (want("ota")) for (const n of plan.ota.sizes) for (const k of plan.ota.concurrency) out.push({ kind: "ota", n, k });
  return out;
}

export async function runTask(plan: Plan, seed: number, t: Task, log: (s: string) => void): Promise<unknown> {
  if (t.kind === "sizes") return sizes(plan, seed, log);
  if (t.kind === "membership") return membership(plan, t.scheme, t.n, seed, log);
  return ota(t.n, t.k, seed, log);
}

/** Runs a task in a child process (this file with --task): its log goes to stderr, its result comes back as JSON. */
function inWorker(t: Task, smoke: boolean, seed: number, minutes: number | undefined, log: (s: string) => void): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const args = [...process.execArgv, fileURLToPath(import.meta.url), "--task", JSON.stringify(t), "--seed", String(seed), ...(smoke ? ["--smoke"] : []), ...(minutes ? ["--minutes", String(minutes)] : [])];
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => {
      for (const line of d.toString().split("\n")) if (line.trim() && !line.includes("npm warn")) log(line);
    });
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`task ${JSON.stringify(t)} failed (exit ${code})`));
      try {
        resolve(JSON.parse(out));
      } catch (e) {
        reject(e as Error);
      }
    });
  });
}

export interface RunOptions {
  only?: string[];
  schemes?: ("spore" | "baseline")[];
  /** Worker processes (1: everything in this process). */
  jobs?: number;
  minutes?: number;
}

export async function runBench(plan: Plan, seed: number, log: (s: string) => void, o: RunOptions = {}): Promise<Results> {
  const t0 = Date.now();
  const only = o.only ?? [];
  const r: Results = { machine: machine(), commit: commit(), seed, smoke: plan.smoke, date: new Date().toISOString().slice(0, 10), wallSeconds: 0 };
  // first, alone on the machine, so nothing else skews it
  if (!only.length || only.includes("speed")) {
    log(`the emulator's speed: ${plan.speed.nodes} nodes, ${plan.speed.seconds} virtual s`);
    r.speed = await speed(plan, seed);
    log(`  ${r.speed.wallSeconds.toFixed(1)} s`);
  }
  const list = tasks(plan, only, o.schemes ?? ["spore", "baseline"]);
  const results = new Map<Task, unknown>();
  // the largest clusters first, so the pool ends together
  const queue = [...list].sort((a, b) => weight(b) - weight(a));
  const jobs = Math.max(1, Math.min(o.jobs ?? 1, queue.length));
  const worker = async () => {
    for (let t = queue.shift(); t; t = queue.shift()) results.set(t, jobs > 1 ? await inWorker(t, plan.smoke, seed, o.minutes, log) : await runTask(plan, seed, t, log));
  };
  await Promise.all(Array.from({ length: jobs }, worker));
  for (const t of list) {
    const v = results.get(t);
    if (t.kind === "sizes") r.sizes = v as SizeResult[];
    if (t.kind === "membership") (r.membership ??= []).push(v as MembershipResult);
    if (t.kind === "ota") (r.ota ??= []).push(v as OtaResult);
  }
  r.wallSeconds = (Date.now() - t0) / 1000;
  return r;
}

/** Rough cost of a task, to start the longest first. */
function weight(t: Task): number {
  if (t.kind === "membership") return t.n * (t.scheme === "baseline" ? 3 : 2);
  if (t.kind === "ota") return t.n * 4;
  return 50;
}

export async function main(argv: string[]): Promise<number> {
  let plan = FULL;
  let seed = 1;
  let out = HERE;
  let only: string[] = [];
  let schemes: ("spore" | "baseline")[] = ["spore", "baseline"];
  let task: Task | undefined;
  let jobs = cpus().length;
  let minutes: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--help" || a === "-h") {
      process.stdout.write(`usage: npm run bench [-- --smoke] [--seed n] [--out dir] [--only sizes,membership,ota,speed] [--sizes 10,50]

Measures Spore in the emulator, in virtual time, seeded (default seed 1, or
SPORE_SEED): bundle sizes and JsVars per board; membership at 10, 50, 100 and
200 nodes against SPORE's scheme; ota all; the emulator's speed. Writes
results.json and BENCHMARKS.md to --out (default test/bench). --smoke: small
clusters, short runs (what CI runs). --sizes: other cluster sizes for the
membership part, --schemes one of the two, --minutes how long each loss
rate is watched for false INACTIVE reports (default 10; 1 for SPORE's
scheme at 100 nodes and more), --jobs how many worker processes run the parts
(default: one per core).
`);
      return 0;
    }
    if (a === "--smoke") plan = SMOKE;
    else if (a === "--seed") seed = parseSeed(argv[++i] ?? "", "--seed");
    else if (a === "--out") out = argv[++i] ?? "";
    else if (a === "--minutes") {
      const m = Number(argv[++i]);
      if (!(m > 0 && m <= 60)) {
        process.stderr.write("bench: --minutes takes 0 < m <= 60\n");
        return 2;
      }
      plan = { ...plan, minutes: m, largeMinutes: Math.min(m, plan.largeMinutes) };
      minutes = m;
    } else if (a === "--task") task = JSON.parse(argv[++i] ?? "") as Task;
    else if (a === "--jobs") {
      jobs = Number(argv[++i]);
      if (!Number.isInteger(jobs) || jobs < 1 || jobs > 64) {
        process.stderr.write("bench: --jobs takes 1 to 64 worker processes\n");
        return 2;
      }
    } else if (a === "--only") only = (argv[++i] ?? "").split(",");
    else if (a === "--schemes") {
      schemes = (argv[++i] ?? "").split(",") as typeof schemes;
      if (!schemes.length || !schemes.every((x) => x === "spore" || x === "baseline")) {
        process.stderr.write("bench: --schemes takes spore, baseline or both\n");
        return 2;
      }
    } else if (a === "--sizes") {
      const sizes = (argv[++i] ?? "").split(",").map(Number);
      if (!sizes.every((n) => Number.isInteger(n) && n >= 2 && n <= 500)) {
        process.stderr.write("bench: --sizes takes cluster sizes from 2 to 500, e.g. 10,50\n");
        return 2;
      }
      plan = { ...plan, sizes };
    }
    else {
      process.stderr.write(`bench: unknown argument ${a} (see --help)\n`);
      return 2;
    }
  }
  if (process.env.SPORE_SEED && !argv.includes("--seed")) seed = parseSeed(process.env.SPORE_SEED, "SPORE_SEED");
  if (!out) {
    process.stderr.write("bench: --out needs a directory\n");
    return 2;
  }
  const bad = only.filter((s) => !["sizes", "membership", "ota", "speed"].includes(s));
  if (bad.length) {
    process.stderr.write(`bench: --only takes sizes, membership, ota, speed (not ${bad.join(", ")})\n`);
    return 2;
  }
  const log = (s: string) => process.stderr.write(s + "\n");
  if (task) {
    process.stdout.write(JSON.stringify(await runTask(plan, seed, task, log)));
    return 0;
  }
  log(`bench: seed ${seed}${plan.smoke ? ", smoke run" : ""}, ${jobs} worker process${jobs > 1 ? "es" : ""}`);
  const r = await runBench(plan, seed, log, { only, schemes, jobs, minutes });
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, "results.json"), JSON.stringify(r, null, 2) + "\n");
  writeFileSync(join(out, "BENCHMARKS.md"), markdown(r));
  log(`bench: wrote ${join(out, "results.json")} and BENCHMARKS.md in ${r.wallSeconds.toFixed(0)} s (seed ${seed})`);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`bench failed: ${(e as Error).stack ?? String(e)}\n`);
      process.exit(1);
    },
  );
}
