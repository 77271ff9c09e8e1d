// npm run bench: Spore's cost as the cluster grows, measured in the emulator
// in virtual time, seeded, side by side with SPORE's scheme (a discovery
// broadcast and an HTTP status request to every member, every second:
// test/bench/spore-baseline.js). Writes test/bench/results.json and
// test/bench/BENCHMARKS.md. `--smoke` runs the same code on small clusters
// for a short time (CI runs it, so the benchmark cannot rot).
//
// Also the hostile-input suite's counts (cases, crashes, leaks, wrong results)
// and the datagram MAC's cost per board.
//
//   npm run bench [-- --smoke] [--seed n] [--out dir] [--only sizes,membership,ota,speed,hostile,mac,services,jobs,balance,detection] [--merge] [--sizes 10,50] [--schemes spore,baseline] [--minutes m] [--jobs n]
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseSeed } from "../../host-tools/emulator/rng.ts";
import { FULL, type Plan, SMOKE } from "./plan.ts";
import { commit, machine, markdown, type Results } from "./report.ts";
import { type HostileResult, hostile } from "./scenarios/hostile.ts";
import { macCosts } from "./scenarios/mac.ts";
import { membership, type MembershipResult } from "./scenarios/membership.ts";
import { ota, type OtaResult } from "./scenarios/ota.ts";
import { type SizeResult, sizes } from "./scenarios/sizes.ts";
import { speed } from "./scenarios/speed.ts";
import { type ServicesResult, services } from "./scenarios/services.ts";
import { jobs as jobsBench, type JobsResult } from "./scenarios/jobs.ts";
import { balance, type BalanceResult } from "./scenarios/balance.ts";
import { detectionRun, type DetectionRun, MODES, modeRun, type ModeRun } from "./scenarios/detection.ts";

const HERE = dirname(fileURLToPath(import.meta.url));

/** One piece of the benchmark, run in a worker process of its own (or in this one). */
export type Task = { kind: "sizes" } | { kind: "membership"; scheme: "spore" | "baseline"; n: number } | { kind: "ota"; n: number; k: number } | { kind: "hostile" } | { kind: "services" } | { kind: "jobs" } | { kind: "balance" } | { kind: "detection"; n: number; seed: number } | { kind: "mode"; gm: number };

export function tasks(plan: Plan, only: string[], schemes: ("spore" | "baseline")[]): Task[] {
  const want = (s: string) => !only.length || only.includes(s);
  const out: Task[] = [];
  if (want("sizes")) out.push({ kind: "sizes" });
  if (want("hostile")) out.push({ kind: "hostile" });
  if (want("services")) out.push({ kind: "services" });
  if (want("jobs")) out.push({ kind: "jobs" });
  if (want("balance")) out.push({ kind: "balance" });
  if (want("detection")) {
    for (const n of plan.detection.sizes) for (let s = 1; s <= plan.detection.seeds; s++) out.push({ kind: "detection", n, seed: s });
    for (let gm = 0; gm < MODES.length; gm++) out.push({ kind: "mode", gm });
  }
  if (want("membership")) for (const n of plan.sizes) for (const scheme of schemes) out.push({ kind: "membership", scheme, n });
  if (want("ota")) for (const n of plan.ota.sizes) for (const k of plan.ota.concurrency) out.push({ kind: "ota", n, k });
  return out;
}

export async function runTask(plan: Plan, seed: number, t: Task, log: (s: string) => void): Promise<unknown> {
  if (t.kind === "sizes") return sizes(plan, seed, log);
  if (t.kind === "membership") return membership(plan, t.scheme, t.n, seed, log);
  if (t.kind === "hostile") return hostile(plan, seed, log);
  if (t.kind === "services") return services(plan, seed, log);
  if (t.kind === "jobs") return jobsBench(plan, seed, log);
  if (t.kind === "balance") return balance(plan, seed, log);
  // (its own seeds, 1 to plan.detection.seeds: the goal is over several)
  if (t.kind === "detection") return detectionRun(plan, t.n, t.seed, log);
  if (t.kind === "mode") return modeRun(plan, t.gm, seed, log);
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
  // alone too: its times on the real interpreter
  if (!only.length || only.includes("mac")) {
    log("the datagram MAC's cost per board");
    r.mac = await macCosts(plan, seed, log);
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
    if (t.kind === "hostile") r.hostile = v as HostileResult[];
    if (t.kind === "services") r.services = v as ServicesResult;
    if (t.kind === "jobs") r.jobs = v as JobsResult;
    if (t.kind === "balance") r.balance = v as BalanceResult;
    if (t.kind === "detection") (r.detection ??= { runs: [], modes: [] }).runs.push(v as DetectionRun);
    if (t.kind === "mode") (r.detection ??= { runs: [], modes: [] }).modes.push(v as ModeRun);
  }
  r.wallSeconds = (Date.now() - t0) / 1000;
  return r;
}

/** Rough cost of a task, to start the longest first. */
function weight(t: Task): number {
  if (t.kind === "membership") return t.n * (t.scheme === "baseline" ? 3 : 2);
  if (t.kind === "ota") return t.n * 4;
  if (t.kind === "hostile") return 100;
  if (t.kind === "services") return 150;
  if (t.kind === "jobs") return 40;
  if (t.kind === "balance") return 300;
  if (t.kind === "detection") return t.n * 2;
  if (t.kind === "mode") return 60;
  return 50;
}

export async function main(argv: string[]): Promise<number> {
  let plan = FULL;
  let seed = 1;
  let out = HERE;
  let only: string[] = [];
  let schemes: ("spore" | "baseline")[] = ["spore", "baseline"];
  let task: Task | undefined;
  let merge = false;
  let jobs = cpus().length;
  let minutes: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--help" || a === "-h") {
      process.stdout.write(`usage: npm run bench [-- --smoke] [--seed n] [--out dir] [--only sizes,membership,ota,speed,hostile,mac,services,jobs,balance,detection] [--merge] [--sizes 10,50]

Measures Spore in the emulator, in virtual time, seeded (default seed 1, or
SPORE_SEED): bundle sizes and JsVars per board; membership at 10, 50, 100 and
200 nodes against SPORE's scheme; ota all; the emulator's speed; the
hostile-input suite's counts (cases, crashes, leaks, wrong results: HTTP,
datagrams, forged datagrams, MQTT commands); the datagram MAC's cost per
board (bundle bytes, JsVars of its keys, and ms per datagram on the real
interpreter when ESPRUINO_BIN names Espruino's Linux build); services: call
latency and success at each loss rate with 1 and 3 providers in a 50-node
cluster, the time to fail over, JsVars at idle and with 4 calls in flight;
jobs: trigger to first step per trigger kind, the spool's drain rate, JsVars
per job, a burst of 1,000 events per overflow policy, and (ESPRUINO_BIN) the
engine's steps and KV operations per second on the real interpreter;
detection: the time until a killed node is INACTIVE everywhere and the false
INACTIVE reports at 10% loss, at 10, 50, 100 and 200 nodes over seeds 1 to 5, and each
gossip mode's load and detection time at 50 nodes;
balance: the time a movable task takes to move after its node dies and after
it is OVERLOADED, and leader re-election, at 50 and 200 esp32 nodes. Writes
results.json and BENCHMARKS.md to --out (default test/bench); with --only
and --merge, the parts run replace theirs in the results already there (the
report says which parts were run again, at which commit). --smoke: small
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
    else if (a === "--merge") merge = true;
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
  const bad = only.filter((s) => !["sizes", "membership", "ota", "speed", "hostile", "mac", "services", "jobs", "balance", "detection"].includes(s));
  if (bad.length) {
    process.stderr.write(`bench: --only takes sizes, membership, ota, speed, hostile, mac, services, jobs, balance, detection (not ${bad.join(", ")})\n`);
    return 2;
  }
  const log = (s: string) => process.stderr.write(s + "\n");
  if (task) {
    process.stdout.write(JSON.stringify(await runTask(plan, seed, task, log)));
    return 0;
  }
  log(`bench: seed ${seed}${plan.smoke ? ", smoke run" : ""}, ${jobs} worker process${jobs > 1 ? "es" : ""}`);
  let r = await runBench(plan, seed, log, { only, schemes, jobs, minutes });
  const took = r.wallSeconds;
  // --merge: the parts run now replace theirs in the results already there, each noted with its own commit and date
  const previous = join(out, "results.json");
  if (merge && only.length && existsSync(previous)) {
    const old = JSON.parse(readFileSync(previous, "utf8")) as Results;
    const parts: Record<string, unknown> = {};
    for (const k of only) if ((r as unknown as Record<string, unknown>)[k] !== undefined) parts[k] = (r as unknown as Record<string, unknown>)[k];
    r = { ...old, ...parts, rerun: { ...old.rerun, ...Object.fromEntries(Object.keys(parts).map((k) => [k, { commit: r.commit, date: r.date, seed, wallSeconds: r.wallSeconds }])) } } as Results;
  }
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, "results.json"), JSON.stringify(r, null, 2) + "\n");
  writeFileSync(join(out, "BENCHMARKS.md"), markdown(r));
  log(`bench: wrote ${join(out, "results.json")} and BENCHMARKS.md in ${took.toFixed(0)} s (seed ${seed})`);
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
