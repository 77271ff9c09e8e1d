// What the probes share: options with --help, the cluster they measure, and
// the CPU the nodes got (figures from an overloaded machine are not a
// chip's: every probe prints what its nodes were given).
import { readFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { type OptionSpec, parseArgs } from "../../../host-tools/lib/args.ts";
import { UsageError } from "../../../host-tools/lib/transport.ts";
import { type ClusterOptions, RealCluster, slowed } from "../harness/cluster.ts";
import { ESPRUINO_ENV, espruinoCommand, idlePreload } from "../harness/interpreter.ts";
import type { RealNode } from "../harness/node.ts";

export interface Option extends OptionSpec {
  help: string;
  default?: string;
}

/** The options every probe takes. */
export const COMMON: Record<string, Option> = {
  board: { value: true, help: "esp01 or esp8266 (default esp8266)", default: "esp8266" },
  nodes: { value: true, int: { min: 1, max: 50 }, help: "nodes in the cluster (default 9: eight members each)", default: "9" },
  slow: { value: true, int: { min: 1, max: 20 }, help: "membership periods (prd, ann, ina, dead, fgt) this many times the firmware's, for a machine too slow for the nodes (default 1)", default: "1" },
  dist: { value: true, help: "boot the bundles of another build's dist/ folder (default this repository's)" },
  keep: { help: "keep the nodes' folders (their Storage and console.log) and print where" },
  help: { help: "this text" },
};

/**
 * Parses the probe's options (COMMON and its own); prints `usage` with every
 * option for --help, and exits 2 on a bad option or when ESPRUINO_BIN is not
 * set.
 */
export function probeArgs(usage: string, own: Record<string, Option>, argv = process.argv.slice(2)): Record<string, string | boolean> {
  const spec = { ...COMMON, ...own };
  let options: Record<string, string | boolean>;
  try {
    options = parseArgs(argv, spec).options;
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`${e.message} (--help lists the options)`);
    process.exit(2);
  }
  if (options.help) {
    const width = Math.max(...Object.keys(spec).map((k) => k.length)) + 10;
    console.log(usage.trim() + "\n\noptions:");
    for (const [k, o] of Object.entries(spec)) console.log(`  ${`--${k}${o.value ? " <v>" : ""}`.padEnd(width)}${o.help}`);
    console.log(`\n${ESPRUINO_ENV} names the interpreter: Espruino 2v29 built for Linux with the board's JsVars, e.g.\n  ${ESPRUINO_ENV}="qemu-i386 /path/to/espruino-{jsvars+57}" ({jsvars} becomes 1700 for esp01, 1600 for esp8266; +57 adds what the Linux shims hold, README "The real interpreter")`);
    process.exit(0);
  }
  for (const [k, o] of Object.entries(spec)) if (o.default !== undefined && options[k] === undefined) options[k] = o.default;
  if (!["esp01", "esp8266"].includes(String(options.board))) {
    console.error(`--board must be esp01 or esp8266 (the Linux build stands in for ESP8266 boards), not "${options.board}"`);
    process.exit(2);
  }
  if (!espruinoCommand()) {
    console.error(`${ESPRUINO_ENV} is not set: name an Espruino 2v29 binary built for Linux (README, "The real interpreter")`);
    process.exit(2);
  }
  return options;
}

/** The cluster the options describe (ClusterOptions in `extra` win). */
export function cluster(o: Record<string, string | boolean>, extra: Partial<ClusterOptions> = {}): Promise<RealCluster> {
  return RealCluster.create({ board: String(o.board), nodes: Number(o.nodes), slow: Number(o.slow), dist: o.dist as string | undefined, keep: !!o.keep, ...extra });
}

/** Prints what the run is on: the interpreter, the LAN, the idle loop, the machine's load. */
export function describe(c: RealCluster): void {
  const total = c.nodes[0]?.jsVars;
  console.log(`interpreter: ${espruinoCommand(c.board)!.join(" ")} (${total} JsVars${total !== c.board.limits.jsVars ? `; ${c.board.name} has ${c.board.limits.jsVars}` : ""})`);
  console.log(`LAN: ${c.lan.namespaces ? `${c.nodes.length} network namespaces on a bridge, host ${c.lan.hostIp}` : `loopback, one node (${c.lan.why})`}`);
  console.log(`idle loop: ${idlePreload(espruinoCommand(c.board)!).note}`);
  console.log(`membership periods: ${c.slow === 1 ? "the firmware's (prd 1 s, ina 10 s, dead 60 s)" : `${c.slow} times the firmware's: ${JSON.stringify(slowed(c.slow))}`}`);
  console.log(`machine: load average ${loadavg().map((x) => x.toFixed(2)).join(" ")} on ${availableParallelism()} cores`);
}

/** CPU time each node's process has used, read from /proc (clock ticks: 100 a second). */
function ticks(n: RealNode): number {
  if (!n.pid) return 0;
  try {
    const f = readFileSync(`/proc/${n.pid}/stat`, "utf8").split(") ")[1].split(" ");
    return Number(f[11]) + Number(f[12]);
  } catch {
    return 0;
  }
}

/** Measures the share of a CPU core each node gets from now on. */
export function cpuMeter(nodes: RealNode[]): () => string {
  const t0 = Date.now();
  const a = nodes.map(ticks);
  return () => {
    const s = (Date.now() - t0) / 1000;
    // a node that stopped or restarted meanwhile has no comparable count
    const p = nodes.flatMap((n, i) => (n.pid && ticks(n) >= a[i] ? [(ticks(n) - a[i]) / s] : []));
    if (!p.length) return `no node ran throughout the ${s.toFixed(0)} s`;
    return `${Math.min(...p).toFixed(0)} to ${Math.max(...p).toFixed(0)}% of a core per node over ${s.toFixed(0)} s (${p.length} of ${nodes.length} nodes ran throughout; load average ${loadavg()[0].toFixed(2)})`;
  };
}

/** "a to b" (or "a"). */
export function range(values: number[]): string {
  if (!values.length) return "none";
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return lo === hi ? `${lo}` : `${lo} to ${hi}`;
}

/** Waits `ms` (an observation window, not synchronisation). */
/** The console line that fills memory until `level` JsVars are free (an array of small integers, one JsVar each, in global.FILLX); what is free then. */
export function fill(level: number): string {
  return `(function(l){var a=global.FILLX=[],i;while(process.memory().free>l+60)for(i=0;i<40;i++)a.push(0);while(process.memory().free>l)a.push(0);return process.memory().free})(${level})`;
}

export const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts the nodes one after another, `gapMs` apart (0: all in the same moment). */
export async function startStaggered(c: RealCluster, gapMs: number): Promise<void> {
  for (const n of c.nodes) {
    n.start();
    if (gapMs) await pause(gapMs);
  }
}

/** Prints the lines of every node's output that mean trouble; how many. */
export function reportTrouble(c: RealCluster): number {
  const trouble = c.trouble();
  console.log(trouble.length ? `\ntrouble (${trouble.length} lines):\n  ${trouble.join("\n  ")}` : "\nno node ran out of memory or printed an interpreter error");
  return trouble.length;
}

/**
 * The frame of a probe on a converged cluster: makes the cluster, prints
 * what it runs on, starts the nodes --stagger ms apart, waits until every
 * node lists every other ACTIVE, runs `body`, prints what failed and every
 * line of the nodes' output that means trouble, and exits: 1 on either, or
 * when `body` returns false.
 */
export async function onConverged(o: Record<string, string | boolean>, extra: Partial<ClusterOptions>, body: (c: RealCluster) => Promise<boolean | void>): Promise<never> {
  const c = await cluster(o, extra);
  let ok = true;
  try {
    describe(c);
    await startStaggered(c, Number(o.stagger));
    await c.booted();
    const took = await c.waitConverged(180000 * c.slow);
    console.log(`every node lists every other ACTIVE ${(took / 1000).toFixed(1)} s after the last start`);
    ok = (await body(c)) !== false;
  } catch (e) {
    console.log(`\nFAILED: ${(e as Error).message}`);
    ok = false;
  }
  const trouble = reportTrouble(c);
  await c.close();
  process.exit(trouble || !ok ? 1 : 0);
}

/** The --stagger option of probes on a converged cluster. */
export const STAGGER: Record<string, Option> = {
  stagger: { value: true, int: { min: 0, max: 60000 }, help: "ms between one node's start and the next (default 3000)", default: "3000" },
};
