// Services and RPC (README, Services) on emulated clusters in virtual time:
// call latency (p50, p99) and success rate at each loss rate with 1 and 3
// providers in a cluster of `nodes`, the time a call takes to fail over
// when its provider dies, and JsVars per board at idle and with 4 calls in
// flight (the emulator's accounting, esp8266 as built with the capability
// turned on; the real interpreter's figures are in the README).
import { BOARDS_DIR, loadBoard } from "../../../host-tools/build/boards.ts";
import { bundleBoard } from "../../../host-tools/build/bundle.ts";
import { Cluster } from "../../../host-tools/emulator/cluster.ts";
import type { Device } from "../../../host-tools/emulator/device.ts";
import { waitConverged } from "../../cluster/helpers.ts";
import type { Plan } from "../plan.ts";

export interface ServiceLatency {
  providers: number;
  loss: number;
  calls: number;
  ok: number;
  p50: number;
  p99: number;
}

export interface ServicesResult {
  nodes: number;
  latency: ServiceLatency[];
  /** ms from the call to its answer when the provider it went to died as the call left (the other answering), each run */
  failover: number[];
  /** JsVars used per board: idle (with a service offered somewhere), and with 4 calls in flight on the caller */
  memory: { board: string; idle: number; inFlight: number }[];
}

const CALLS = "global.BENCH = {}";

/** A provider whose handler answers after `delay` ms. */
function provide(d: Device, delay: number): void {
  d.eval(`global.RUNS = 0; spore.provide("bench", 1, function (args, reply) { RUNS++; if (${delay}) setTimeout(function () { reply(null, args); }, ${delay}); else reply(null, args); })`);
}

function start(d: Device, key: string): string {
  return d.eval(`spore.call("bench", ${JSON.stringify(key)}, function (e, r, f) { BENCH[${JSON.stringify(key)}] = [e, getTime() * 1000, f]; })`) as string;
}

function quantile(xs: number[], q: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

function latency(plan: Plan, seed: number, providers: number, loss: number, log: (s: string) => void): ServiceLatency {
  // esp32 only: an esp8266 keeps 12 members, and a 50-node cluster of them never lists everyone
  const boards = Array.from({ length: plan.services.nodes }, () => "esp32");
  const c = new Cluster({ seed, boards, lan: { loss } });
  waitConverged(c, 300000, seed);
  const [caller, ...rest] = c.devices;
  for (const p of rest.slice(-providers)) provide(p, 0);
  c.runFor(10000);
  caller.eval(CALLS);
  const times: number[] = [];
  let ok = 0;
  for (let i = 0; i < plan.services.calls; i++) {
    const t0 = c.scheduler.now();
    if (start(caller, `c${i}`) !== "") continue;
    c.runUntil(() => caller.eval(`BENCH.c${i} ? 1 : 0`) === 1, 4000);
    const r = JSON.parse(caller.eval(`JSON.stringify(BENCH.c${i} || null)`) as string) as [string | null, number, string] | null;
    if (r && r[0] === null) {
      ok++;
      times.push(c.scheduler.now() - t0);
    }
    c.runFor(200);
  }
  const round = (x: number) => Math.round(x * 10) / 10;
  const out = { providers, loss, calls: plan.services.calls, ok, p50: round(quantile(times, 0.5)), p99: round(quantile(times, 0.99)) };
  log(`  services: ${plan.services.nodes} nodes, ${providers} provider(s), ${loss * 100}% loss: ${ok} of ${out.calls} answered, p50 ${out.p50} ms, p99 ${out.p99} ms`);
  return out;
}

function failover(plan: Plan, seed: number, log: (s: string) => void): number[] {
  const out: number[] = [];
  for (let run = 0; run < plan.services.failovers; run++) {
    const c = new Cluster({ seed: seed + run, boards: ["esp32", "esp32", "esp32", "esp8266"] });
    waitConverged(c, 120000, seed + run);
    const [caller, p, q] = c.devices;
    // each answers after 300 ms: the call is in flight when its provider dies
    provide(p, 300);
    provide(q, 300);
    c.runFor(5000);
    caller.eval(CALLS);
    const t0 = c.scheduler.now();
    start(caller, "f");
    c.runFor(50);
    // the provider the call went to is the one whose handler runs
    const asked = [p, q].find((d) => (d.eval("RUNS") as number) > 0);
    if (!asked) continue;
    c.kill(asked);
    c.runUntil(() => caller.eval("BENCH.f ? 1 : 0") === 1, 5000);
    const r = JSON.parse(caller.eval("JSON.stringify(BENCH.f || null)") as string) as [string | null] | null;
    if (r && r[0] === null) out.push(Math.round(c.scheduler.now() - t0));
  }
  log(`  services: failover after the provider's death: ${out.join(", ")} ms`);
  return out;
}

async function memory(seed: number, log: (s: string) => void): Promise<ServicesResult["memory"]> {
  const out: ServicesResult["memory"] = [];
  // esp8266 carries the capability when the project turns it on (off by default): that build
  const esp8266 = (await bundleBoard(loadBoard("esp8266", BOARDS_DIR, { esp8266: { services: true } }), { write: false })).code;
  for (const board of ["esp8266", "esp32"]) {
    const c = new Cluster({ seed, boards: [board, "esp32", ...Array.from({ length: 7 }, () => "esp8266")], bundles: { esp8266 } });
    waitConverged(c, 120000, seed);
    const [caller, p] = c.devices;
    provide(p, 2000);
    c.runFor(10000);
    const idle = caller.memory().usage;
    caller.eval(CALLS);
    for (let i = 0; i < 4; i++) start(caller, `m${i}`);
    c.runFor(300);
    const inFlight = caller.memory().usage;
    out.push({ board, idle, inFlight });
    log(`  services: ${board} with 8 members: ${idle} JsVars at idle, ${inFlight} with 4 calls in flight (emulator)`);
  }
  return out;
}

export async function services(plan: Plan, seed: number, log: (s: string) => void): Promise<ServicesResult> {
  const lat: ServiceLatency[] = [];
  for (const providers of [1, 3]) for (const loss of plan.losses) lat.push(latency(plan, seed, providers, loss, log));
  return { nodes: plan.services.nodes, latency: lat, failover: failover(plan, seed, log), memory: await memory(seed, log) };
}
