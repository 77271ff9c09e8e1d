// host-tools ota update|all: the bundle for each board (built now, or
// --bundle: a file or a dist/ folder with manifests), uploaded to one node or
// to the cluster in waves, and a table of what each node runs afterwards.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import type { OptionSpec, Parsed } from "../lib/args.ts";
import type { Io } from "../lib/io.ts";
import { type Firmware, type OtaContext, type OtaResult, updateCluster, updateNode } from "../lib/ota.ts";
import { Progress, table } from "../lib/output.ts";
import { UsageError } from "../lib/transport.ts";
import { api, apiNode, type Command, JSON_OPT, oneNode } from "./command.ts";

/** A bundle file (with its manifest <name>.json if there is one), or a folder of <board>.js bundles and manifests (a dist/). */
function readBundles(path: string): Firmware[] {
  if (!existsSync(path)) throw new UsageError(`--bundle: no such file: ${path}`);
  const one = (file: string): Firmware => {
    const code = readFileSync(file, "latin1");
    const manifestFile = file.replace(/\.js$/, "") + ".json";
    // without its manifest a bundle's board is unknown: sending it to another board's node would break that node
    if (!existsSync(manifestFile)) throw new UsageError(`--bundle: ${file} has no manifest ${manifestFile} (npm run build writes one beside each bundle): its board and version are unknown`);
    const m = JSON.parse(readFileSync(manifestFile, "utf8")) as { board: string; version: string };
    return { board: m.board, code, version: m.version };
  };
  if (!statSync(path).isDirectory()) return [one(path)];
  const list = readdirSync(path)
    .filter((f) => /^[a-z0-9]+\.js$/.test(f) && existsSync(join(path, f.replace(/\.js$/, ".json"))))
    .map((f) => one(join(path, f)));
  if (!list.length) throw new UsageError(`--bundle: ${path} holds no <board>.js with its <board>.json manifest`);
  return list;
}

async function firmwareFor(p: Parsed, io: Io, log: (s: string) => void): Promise<(board: string) => Firmware> {
  let list: Firmware[];
  if (p.options.bundle) list = readBundles(resolve(io.cwd, p.options.bundle as string));
  else {
    log("building the bundles (npm run build)...");
    list = io.build ? await io.build() : await buildFirmware();
  }
  return (board: string) => {
    const fw = list.find((f) => f.board === board);
    if (!fw) throw new Error(p.options.bundle ? `the bundle is for ${list.map((f) => f.board).join(", ")}, the node is ${board}` : `no bundle for board ${board}`);
    return fw;
  };
}

async function buildFirmware(): Promise<Firmware[]> {
  const { buildAll } = await import("../build/build.ts");
  const built = await buildAll();
  const over = built.filter((b) => b.bytes > b.budget);
  if (over.length) throw new Error(`build: ${over.map((b) => b.board).join(", ")} over budget`);
  return built.map((b) => ({ board: b.board, code: b.code, version: b.version }));
}

function report(results: OtaResult[], p: Parsed, io: Io): number {
  if (p.options.json) io.out(JSON.stringify(results, null, 2) + "\n");
  else {
    io.out(
      table(
        ["hostname", "address", "board", "from", "to", "result", "time", "detail"],
        results.map((r) => [r.hostname, r.address, r.board, r.from, r.to, r.outcome, `${r.seconds} s`, r.detail]),
      ) + "\n",
    );
    const runs = new Map<string, string[]>();
    for (const r of results) {
      const v = r.outcome === "updated" || r.outcome === "up to date" ? r.to : r.from || "?";
      runs.set(v, [...(runs.get(v) ?? []), r.hostname]);
    }
    io.out(`versions now: ${[...runs].map(([v, h]) => `${v} on ${h.length} (${h.join(", ")})`).join("; ")}\n`);
  }
  return results.some((r) => r.outcome === "failed") ? 1 : 0;
}

function otaContext(p: Parsed, io: Io, fw: (board: string) => Firmware, progress: Progress): OtaContext {
  return {
    api: api(io),
    firmware: fw,
    log: (l) => progress.log(l),
    progress: (who, sent, total) => progress.update(who, sent, total),
    timeoutMs: p.options.timeout ? Number(p.options.timeout) * 1000 : undefined,
    force: !!p.options.force,
  };
}

const OTA_OPTS: Record<string, OptionSpec> = { bundle: { value: true }, force: {}, timeout: { value: true, int: { min: 10, max: 86400 } }, ...JSON_OPT };

export const otaCommands: Record<string, Command> = {
  "ota update": {
    usage: `usage: host-tools ota update <host[:port]> [--bundle file] [--force] [--timeout s] [--json]

Uploads the bundle for the node's board (built now, or --bundle: a file, or a
folder of <board>.js with their <board>.json manifests, as dist/ holds) to
POST /api/node/update with a progress bar, then waits until the node runs it
and has confirmed it after its trial (the boot file rolls a bad version back).
An esp01 restarts into recovery mode to take the upload. A node that already
runs the version is skipped (--force uploads anyway). --timeout: give up on
the node after this many seconds (default 360).`,
    options: OTA_OPTS,
    async run(p, io) {
      const node = oneNode(p, "ota update");
      const progress = new Progress(io.err, io.tty);
      const ctx = otaContext(p, io, await firmwareFor(p, io, (l) => progress.log(l)), progress);
      return report([await updateNode(ctx, node)], p, io);
    },
  },
  "ota all": {
    usage: `usage: host-tools ota all [--api-node host[:port]] [--concurrency n] [--canary n] [--bundle file] [--force] [--timeout s] [--json]

Updates every node the API node lists (DEAD ones are skipped): --canary nodes
(default 1) one at a time first, then --concurrency (default 4) at a time, the
API node last. Stops after the first wave with a failure and says which nodes
run which version. Exit status 1 if any node failed. Nodes are reached at the
API node's port.`,
    options: { ...OTA_OPTS, "api-node": { value: true }, concurrency: { value: true, int: { min: 1, max: 64 } }, canary: { value: true, int: { min: 0, max: 64 } } },
    async run(p, io) {
      const node = apiNode(p, io);
      const progress = new Progress(io.err, io.tty);
      const fw = await firmwareFor(p, io, (l) => progress.log(l));
      const ctx = { ...otaContext(p, io, fw, progress), apiNode: node };
      const results = await updateCluster(ctx, { concurrency: Number(p.options.concurrency ?? 4), canary: Number(p.options.canary ?? 1) });
      return report(results, p, io);
    },
  },
};
