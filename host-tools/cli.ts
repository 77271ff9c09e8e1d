// host-tools: the command line for a Spore cluster. `host-tools --help`.
import { createWriteStream, existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { flash } from "./flash.ts";
import { loadBoards } from "./build/boards.ts";
import { buildDashboard } from "./build/dashboard.ts";
import { crc32Of } from "./build/image.ts";
import { ClusterView, connectBroker, readRecording, record, replay, topicsOf, VIEW_HEADERS } from "./lib/telemetry.ts";
import { loadEnv, secretName } from "./lib/env.ts";
import { join, resolve } from "node:path";
import { type Address, ApiError, crc32Hex, label, NodeApi, problem } from "./lib/api.ts";
import { type OptionSpec, parseArgs, type Parsed } from "./lib/args.ts";
import { type Firmware, type OtaContext, type OtaResult, updateCluster, updateNode } from "./lib/ota.ts";
import { Progress, table } from "./lib/output.ts";
import type { Io } from "./lib/io.ts";
import { NetworkError, nodeTransport, parseAddress, UsageError } from "./lib/transport.ts";

/** What a command runs with (host-tools/lib/io.ts), for callers of runCli. */
export type { Io };

const HELP = `usage: host-tools <command> [options]

Commands:
  ota update <host[:port]>    update one node (builds the bundle for its board)
  ota all                     update every node of the cluster, in waves
  cluster members             the cluster as a node sees it
  node status <host[:port]>   one node's status
  node restart <host[:port]>  restart a node
  tasks <host[:port]> [...]   list or control a node's tasks
  events <host[:port]>        recent events (--follow to keep watching)
  flash                       write Spore to a board over serial or tcp (see flash --help)
  telemetry record|replay|top from the cluster's MQTT broker
  dashboard install <host|all>  put the dashboard (GET /) on a node or every node that has room

Every command has --help. Mutating commands need the cluster secret, from the
environment variable espruino.json names (SPORE_SECRET) or that name in ./.env.
The cluster is found from --api-node <host[:port]> or API_NODE in the
environment or ./.env.
`;

interface Command {
  usage: string;
  options: Record<string, OptionSpec>;
  run(p: Parsed, io: Io): Promise<number>;
}

const JSON_OPT = { json: {} };

function api(io: Io): NodeApi {
  const env = loadEnv(io);
  return new NodeApi(io.transport, env[secretName(io)] || undefined);
}

function apiNode(p: Parsed, io: Io): Address {
  const text = (p.options["api-node"] as string | undefined) ?? loadEnv(io).API_NODE;
  if (!text) throw new UsageError("which cluster? give --api-node <host[:port]> or set API_NODE (environment or .env)");
  return parseAddress(text);
}

/** The broker from --broker or SPORE_BROKER (environment or .env): mqtt://host[:port]. */
function brokerUrl(p: Parsed, io: Io): string {
  const url = (p.options.broker as string | undefined) ?? loadEnv(io).SPORE_BROKER;
  if (!url) throw new UsageError("which broker? give --broker mqtt://host[:port] or set SPORE_BROKER");
  if (!/^(mqtts?|tcp|wss?):\/\/[^/\s]+/.test(url)) throw new UsageError(`not a broker URL: "${url}" (mqtt://host[:port])`);
  return url;
}

function oneNode(p: Parsed, what: string): Address {
  if (p.positional.length < 1) throw new UsageError(`${what}: which node? give <host[:port]>`);
  return parseAddress(p.positional[0]);
}

function fmtAge(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

// ---- firmware

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
  const { buildAll } = await import("./build/build.ts");
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

const commands: Record<string, Command> = {
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
  "cluster members": {
    usage: `usage: host-tools cluster members [--api-node host[:port]] [--json]

The members the API node lists: hostname, ip, board, version, status, latency
(probe round trip) and free heap.`,
    options: { "api-node": { value: true }, ...JSON_OPT },
    async run(p, io) {
      const members = await api(io).members(apiNode(p, io));
      if (p.options.json) io.out(JSON.stringify(members, null, 2) + "\n");
      else io.out(table(["hostname", "ip", "board", "version", "status", "latency", "free heap"], members.map((m) => [m.hostname, m.ip, m.board ?? "?", m.version ?? "?", m.status, `${m.latency} ms`, m.resources.freeHeap ?? "?"])) + "\n");
      return 0;
    },
  },
  "node status": {
    usage: "usage: host-tools node status <host[:port]> [--json]\n\nOne node's GET /api/node/status.",
    options: JSON_OPT,
    async run(p, io) {
      const s = await api(io).status(oneNode(p, "node status"));
      if (p.options.json) io.out(JSON.stringify(s, null, 2) + "\n");
      else {
        const rows: [string, string][] = [
          ["hostname", s.hostname],
          ["ip", s.ip],
          ["board", s.board],
          ["version", s.version || "(recovery mode)"],
          ["boot", s.boot ? `slot ${s.boot.slot || "-"}, ${s.boot.state}${s.reason ? ` (${s.reason})` : ""}` : "no boot file"],
        ];
        if (s.uptime !== undefined) rows.push(["uptime", `${s.uptime} s`], ["free", `${s.freeJsVars} JsVars, ${s.freeHeap} B heap`], ["wifi", s.wifi ?? ""], ["members", s.members ? `${s.members.ACTIVE} active, ${s.members.INACTIVE} inactive, ${s.members.DEAD} dead` : ""]);
        io.out(table(["field", "value"], rows).split("\n").slice(1).join("\n") + "\n");
      }
      return 0;
    },
  },
  "node restart": {
    usage: "usage: host-tools node restart <host[:port]>\n\nPOST /api/node/restart (needs the cluster secret).",
    options: {},
    async run(p, io) {
      const node = oneNode(p, "node restart");
      await api(io).restart(node);
      io.out(`${label(node)}: restarting\n`);
      return 0;
    },
  },
  tasks: {
    usage: `usage: host-tools tasks <host[:port]> [list] [--json]
       host-tools tasks <host[:port]> enable|disable|start|stop <task>
       host-tools tasks <host[:port]> interval <task> <ms>

Lists a node's tasks (runs, errors, timings) or controls one (needs the secret).`,
    options: JSON_OPT,
    async run(p, io) {
      const node = oneNode(p, "tasks");
      const [, action = "list", task, ms] = p.positional;
      const a = api(io);
      if (action === "list") {
        const t = await a.tasks(node);
        if (p.options.json) io.out(JSON.stringify(t, null, 2) + "\n");
        else io.out(table(["task", "interval", "enabled", "running", "runs", "errors", "last ms", "avg ms"], t.tasks.map((x) => [x.name, x.interval, x.enabled, x.running, x.runs, x.errors, x.lastMs, x.avgMs] as (string | number)[])) + "\n");
        return 0;
      }
      if (!["enable", "disable", "start", "stop", "interval"].includes(action)) throw new UsageError(`tasks: unknown action "${action}" (list, enable, disable, start, stop, interval)`);
      if (!task) throw new UsageError(`tasks ${action}: which task?`);
      if (action === "interval" && !/^\d+$/.test(ms ?? "")) throw new UsageError("tasks interval: give the interval in ms");
      const form: Record<string, string> = action === "interval" ? { task, interval: ms! } : { task, action };
      const r = await a.control(node, form);
      io.out(p.options.json ? JSON.stringify(r, null, 2) + "\n" : `${task}: ${action === "interval" ? `interval ${r.interval} ms` : `${action} done (enabled ${r.enabled})`}\n`);
      return 0;
    },
  },
  events: {
    usage: `usage: host-tools events <host[:port]> [--follow] [--every ms] [--json]

A node's recent events; --follow keeps polling (every 2000 ms, or --every) and
prints new ones as they come, until Ctrl-C.`,
    options: { follow: {}, every: { value: true, int: { min: 200, max: 600000 } }, ...JSON_OPT },
    async run(p, io) {
      const node = oneNode(p, "events");
      const a = api(io);
      const seen = new Set<string>();
      const show = (events: Record<string, unknown>[]) => {
        for (const e of events) {
          const key = JSON.stringify(e);
          if (seen.has(key)) continue;
          seen.add(key);
          io.out(p.options.json ? key + "\n" : `${String(e.time).padStart(8)} ${e.origin}  ${e.name}  ${JSON.stringify(e.data)}\n`);
        }
      };
      show(await a.events(node));
      if (!p.options.follow) return 0;
      const every = Number(p.options.every ?? 2000);
      for (;;) {
        await io.transport.sleep(every);
        if (io.stopFollowing?.()) return 0;
        try {
          show(await a.events(node));
        } catch (e) {
          io.err(`${problem(e)} (still following)\n`);
        }
      }
    },
  },
  "telemetry record": {
    usage: `usage: host-tools telemetry record --broker <mqtt://host[:port]> [--out file.jsonl] [--prefix spore] [--count n] [--seconds s]

Writes every telemetry, status and event message under <prefix>/+/ with its
time (ms since the start) as JSON lines, to --out or standard output, until
Ctrl-C, --count messages or --seconds.`,
    options: { broker: { value: true }, out: { value: true }, prefix: { value: true }, count: { value: true, int: { min: 1, max: 100000000 } }, seconds: { value: true, int: { min: 1, max: 31536000 } } },
    async run(p, io) {
      const url = brokerUrl(p, io);
      const out = p.options.out ? createWriteStream(resolve(io.cwd, p.options.out as string)) : { write: (s: string) => (io.out(s), true) };
      const until = p.options.seconds ? Date.now() + Number(p.options.seconds) * 1000 : Infinity;
      let interrupted = false;
      const onInt = () => (interrupted = true);
      process.once("SIGINT", onInt);
      let last = 0;
      const prefix = (p.options.prefix as string) ?? "spore";
      try {
        const n = await record(url, prefix, out as NodeJS.WritableStream, {
          count: p.options.count ? Number(p.options.count) : undefined,
          stop: () => interrupted || Date.now() >= until || !!io.stopFollowing?.(),
          onSubscribed: () => io.err(`recording ${topicsOf(prefix).join(", ")} from ${url}\n`),
          onMessage: () => {
            if (Date.now() - last > 2000 && p.options.out) {
              last = Date.now();
              io.err(".");
            }
          },
        });
        if (p.options.out) await new Promise((r) => (out as ReturnType<typeof createWriteStream>).end(r));
        io.err(`${p.options.out ? "\n" : ""}recorded ${n} messages${p.options.out ? ` to ${p.options.out}` : ""}\n`);
      } finally {
        process.off("SIGINT", onInt);
      }
      return 0;
    },
  },
  "telemetry replay": {
    usage: `usage: host-tools telemetry replay <file.jsonl> --broker <mqtt://host[:port]> [--speed n]

Publishes a recording again, retained flags and QoS as recorded, with the
original spacing divided by --speed (default 1; 10 is ten times faster).`,
    options: { broker: { value: true }, speed: { value: true } },
    async run(p, io) {
      if (!p.positional[0]) throw new UsageError("telemetry replay: which recording? give <file.jsonl>");
      const url = brokerUrl(p, io);
      const speed = Number(p.options.speed ?? 1);
      if (!(speed > 0) || speed > 100000) throw new UsageError(`--speed must be a number above 0, not "${p.options.speed}"`);
      const file = resolve(io.cwd, p.positional[0]);
      if (!existsSync(file)) throw new UsageError(`no such recording: ${file}`);
      const messages = await readRecording(file);
      const span = messages.length ? (messages[messages.length - 1].t - messages[0].t) / speed / 1000 : 0;
      io.err(`replaying ${messages.length} messages over ${span.toFixed(1)} s\n`);
      const n = await replay(url, messages, speed);
      io.err(`replayed ${n} messages\n`);
      return 0;
    },
  },
  "telemetry top": {
    usage: `usage: host-tools telemetry top --broker <mqtt://host[:port]> [--prefix spore] [--every ms] [--seconds s]

A live view of the cluster from MQTT: each node's status, load, free memory,
members, uptime and version, redrawn every --every ms (1000) until Ctrl-C
or --seconds.`,
    options: { broker: { value: true }, prefix: { value: true }, every: { value: true, int: { min: 100, max: 60000 } }, seconds: { value: true, int: { min: 1, max: 31536000 } } },
    async run(p, io) {
      const url = brokerUrl(p, io);
      const prefix = (p.options.prefix as string) ?? "spore";
      const view = new ClusterView(prefix);
      const client = await connectBroker(url);
      client.on("message", (topic, payload) => view.take(topic, payload.toString("utf8"), Date.now()));
      await client.subscribeAsync(topicsOf(prefix), { qos: 0 });
      const until = p.options.seconds ? Date.now() + Number(p.options.seconds) * 1000 : Infinity;
      let interrupted = false;
      const onInt = () => (interrupted = true);
      process.once("SIGINT", onInt);
      try {
        while (!interrupted && Date.now() < until && !io.stopFollowing?.()) {
          await new Promise((r) => setTimeout(r, Number(p.options.every ?? 1000)));
          const text = `${url}  ${view.nodes.size} nodes  ${new Date().toISOString().slice(11, 19)}\n` + table(VIEW_HEADERS, view.rows(Date.now())) + "\n";
          io.out(io.tty ? `\x1b[2J\x1b[H${text}` : text + "\n");
        }
      } finally {
        process.off("SIGINT", onInt);
        await client.endAsync();
      }
      return 0;
    },
  },
  "dashboard install": {
    usage: `usage: host-tools dashboard install <host[:port]|all> [--api-node host[:port]] [--json]

Builds the dashboard (device/dashboard/index.html, gzipped) and installs it on
one node, or with "all" on every node the API node lists whose board has room
for it (esp01 has none). A node then serves it at GET /.`,
    options: { "api-node": { value: true }, ...JSON_OPT },
    async run(p, io) {
      if (!p.positional[0]) throw new UsageError("dashboard install: which node? give <host[:port]> or all");
      const a = api(io);
      const page = buildDashboard(false);
      const crc = crc32Hex(crc32Of(page.data));
      let targets: { name: string; address: Address }[];
      if (p.positional[0] === "all") {
        const node = apiNode(p, io);
        const members = await a.members(node);
        const withRoom = new Set(loadBoards().filter((b) => b.node.dash).map((b) => b.name));
        targets = members.filter((m) => m.status !== "DEAD" && m.board && withRoom.has(m.board)).map((m) => ({ name: m.hostname, address: { host: m.ip, port: node.port } }));
      } else {
        const address = parseAddress(p.positional[0]);
        targets = [{ name: label(address), address }];
      }
      const rows: { node: string; result: string }[] = [];
      for (const t of targets) {
        try {
          await a.installDashboard(t.address, page.data, crc);
          rows.push({ node: t.name, result: `installed (${page.bytes} B)` });
        } catch (e) {
          rows.push({ node: t.name, result: `failed: ${problem(e)}` });
        }
      }
      io.out(p.options.json ? JSON.stringify(rows, null, 2) + "\n" : table(["node", "result"], rows.map((r) => [r.node, r.result])) + "\n");
      return rows.some((r) => r.result.startsWith("failed")) || !rows.length ? 1 : 0;
    },
  },
  flash: {
    usage: `usage: npm run flash -- --port <device|tcp://host:port> [--board esp01|esp8266|esp32] [--baud n] [--dry-run file] [--project file]
       npm run flash -- --ide <file> [--board esp01|esp8266|esp32] [--project file]

Builds the bundle and boot file for the board and writes them into its Storage with spore.json:
WiFi network, ports and cluster from espruino.json (--project: another project file), the
cluster secret and WiFi password from the environment variables it names, and on boards with
MQTT (esp8266, esp32) the broker in its "mqtt" (host, port, prefix, period, homeAssistant; user
and password from the variables named by userEnv and passwordEnv); then restarts it and checks
Spore runs.
  --dry-run <file>  write what would be sent to a file instead (it holds the secrets: keep it private)
  --ide <file>      write the board's Web IDE file (like dist/<board>.ide.js) with that spore.json
                    in it, to send from the Espruino Web IDE with the settings it prints (it holds
                    the secrets: keep it private)`,
    options: { port: { value: true }, board: { value: true }, baud: { value: true, int: { min: 300, max: 3000000 } }, "dry-run": { value: true }, ide: { value: true }, project: { value: true }, ...JSON_OPT },
    run: (p, io) => flash(p, io),
  },
};

export async function runCli(argv: string[], io: Io): Promise<number> {
  const key2 = argv.slice(0, 2).join(" ");
  const name = commands[key2] ? key2 : commands[argv[0]] ? argv[0] : undefined;
  if (!name) {
    if (!argv.length || argv[0] === "--help" || argv[0] === "-h" || argv[0] === "help") {
      io.out(HELP);
      return argv.length ? 0 : 2;
    }
    const group = ["ota", "cluster", "node", "telemetry", "dashboard"].includes(argv[0]) ? Object.keys(commands).filter((c) => c.startsWith(argv[0] + " ")) : [];
    if (group.length && (argv.length === 1 || argv[1] === "--help" || argv[1] === "-h")) {
      io.out(`host-tools ${argv[0]}: ${group.map((g) => g.split(" ")[1]).join(" | ")}\n\n${group.map((g) => commands[g].usage.split("\n")[0]).join("\n")}\n`);
      return argv.length === 1 ? 2 : 0;
    }
    io.err(`host-tools: unknown command "${argv.slice(0, group.length ? 2 : 1).join(" ")}" (host-tools --help lists them)\n`);
    return 2;
  }
  const cmd = commands[name];
  const rest = argv.slice(name.split(" ").length);
  try {
    const p = parseArgs(rest, { help: {}, ...cmd.options });
    if (p.options.help) {
      io.out(cmd.usage + "\n");
      return 0;
    }
    return await cmd.run(p, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`host-tools ${name}: ${e.message}\n${cmd.usage.split("\n")[0]}\n`);
      return 2;
    }
    if (e instanceof ApiError || e instanceof NetworkError) {
      io.err(`host-tools ${name}: ${e.message}\n`);
      return 1;
    }
    io.err(`host-tools ${name}: ${problem(e)}\n`);
    return 1;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const code = await runCli(process.argv.slice(2), {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
    tty: !!process.stderr.isTTY,
    env: process.env,
    cwd: process.cwd(),
    transport: nodeTransport,
  });
  process.exitCode = code;
}
