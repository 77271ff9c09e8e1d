// host-tools jobs: a job file checked here (host-tools/lib/jobs.ts), put on
// one node or every node that runs jobs, listed, watched and removed
// (README, Jobs; HTTP under /api/jobs).
import { resolve } from "node:path";
import { loadBoard } from "../build/boards.ts";
import { type Address, ApiError, type JobState, label, problem } from "../lib/api.ts";
import type { Parsed } from "../lib/args.ts";
import type { Io } from "../lib/io.ts";
import { type BoardJobLimits, boardProblems, type JobFile, JobFileError, loadJobFile } from "../lib/jobs.ts";
import { table } from "../lib/output.ts";
import { parseAddress, UsageError } from "../lib/transport.ts";
import { api, type Command, JSON_OPT, liveNodes, oneNode } from "./command.ts";

const known = new Map<string, BoardJobLimits | undefined>();
/** A board's limits for a job set, or undefined for a board the host does not know (the node still checks). */
function boardLimits(name: string): BoardJobLimits | undefined {
  if (!known.has(name)) known.set(name, readLimits(name));
  return known.get(name);
}

function readLimits(name: string): BoardJobLimits | undefined {
  try {
    const b = loadBoard(name);
    // the limits a board file gives; one from before the jobs capability gives none, and they are not checked
    const n = b.node as Partial<Record<string, number>>;
    return { name, jobs: n.jobs, jobSteps: n.jobSteps, body: n.body, kvDurable: n.kvDurable, capabilities: b.capabilities as BoardJobLimits["capabilities"] };
  } catch {
    return undefined;
  }
}

/** The file's problems to stderr, one a line; exit status 1. */
function fileFailed(e: unknown, io: Io): number {
  if (!(e instanceof JobFileError)) throw e;
  io.err(e.problems.join("\n") + "\n");
  return 1;
}

interface Target {
  name: string;
  address: Address;
  board?: string;
  /** why it is not asked (its board runs no jobs) */
  skip?: string;
}

/** The node named, or with "all" every member the API node lists that is not DEAD (those whose board runs no jobs marked skipped). */
async function targets(p: Parsed, io: Io, text: string, withBoard: boolean): Promise<Target[]> {
  if (text !== "all") {
    const address = parseAddress(text);
    if (!withBoard) return [{ name: label(address), address }];
    // its board decides the limits checked here (a node that does not answer fails the command)
    const s = await api(io).status(address);
    return [{ name: s.hostname, address, board: s.board }];
  }
  return (await liveNodes(p, io)).map((t) => ({ ...t, skip: t.board && boardLimits(t.board)?.capabilities.jobs === false ? `its board (${t.board}) runs no jobs` : undefined }));
}

interface Outcome {
  node: string;
  address: string;
  result: "deployed" | "removed" | "not there" | "refused" | "failed" | "skipped";
  detail: string;
}

/** Each node's outcome, a line as it comes (stderr), then the table and a summary; exit status 1 when one failed or refused. */
async function eachNode(p: Parsed, io: Io, list: Target[], act: (t: Target) => Promise<Pick<Outcome, "result" | "detail">>, done: string): Promise<number> {
  const rows: Outcome[] = [];
  for (const [i, t] of list.entries()) {
    const o = t.skip ? { result: "skipped" as const, detail: t.skip } : await act(t).catch((e: unknown) => ({ result: e instanceof ApiError && e.status === 400 ? ("refused" as const) : ("failed" as const), detail: (e instanceof ApiError && e.detail) || problem(e) }));
    rows.push({ node: t.name, address: label(t.address), ...o });
    if (list.length > 1) io.err(`[${i + 1}/${list.length}] ${t.name}: ${o.result}${o.detail ? `: ${o.detail}` : ""}\n`);
  }
  if (p.options.json) io.out(JSON.stringify(rows, null, 2) + "\n");
  else {
    io.out(table(["node", "address", "result", "detail"], rows.map((r) => [r.node, r.address, r.result, r.detail])) + "\n");
    const count = (r: Outcome["result"]) => rows.filter((x) => x.result === r).length;
    const asked = rows.length - count("skipped");
    const bad = count("refused") + count("failed");
    io.out(`${done} on ${asked - bad} of ${asked} node${asked === 1 ? "" : "s"}${bad ? `; ${count("refused")} refused, ${count("failed")} failed (they keep the jobs they had)` : ""}${count("skipped") ? `; ${count("skipped")} skipped (no jobs capability)` : ""}\n`);
  }
  return rows.some((r) => r.result === "refused" || r.result === "failed") || !rows.length ? 1 : 0;
}

/** A trigger in a few words. */
export function triggerSummary(t: JobState["trigger"]): string {
  switch (t.type) {
    case "interval":
      return `every ${t.every_ms} ms`;
    case "event":
      return `event ${t.name}${t.scope && t.scope !== "any" ? ` (${t.scope})` : ""}`;
    case "mqtt":
      return `mqtt ${t.topic}`;
    case "pin":
      return `pin ${t.pin} ${t.edge}${t.debounce_ms !== undefined ? `, debounce ${t.debounce_ms} ms` : ""}${t.pull && t.pull !== "none" ? `, pull ${t.pull}` : ""}`;
    case "call":
      return `call ${t.service}${t.version !== undefined ? ` v${t.version}` : ""}`;
    default:
      return String(t.type);
  }
}

const POLICIES = ["drop_oldest", "coalesce_latest"];
const uptime = (ms: number | null) => (ms === null ? "never" : `${(ms / 1000).toFixed(1)} s`);
const JOB_NAME = /^[A-Za-z0-9_-]{1,24}$/;

export const jobsCommands: Record<string, Command> = {
  "jobs validate": {
    usage: `usage: host-tools jobs validate <file> [--board esp32|esp8266|esp01] [--json]

Checks a job file as deploy does before it sends anything: the JSON Schema
(host-tools/schema/jobs.schema.json), unique job names, save_as names that are
not reserved (event mqtt pin call node error job), if conditions that parse,
\${...} templates well formed and naming a value the job has. Prints each
mistake as <file>: <path>: <reason> (jobs[0].steps[2].kv.incr.by: must be a
number), or the number of jobs, of steps (nested ones counted) and the bytes
the set takes as sent. --board also checks that board's limits (jobs, steps,
request body: boards/<board>.json "node") and capabilities. Exit status 1 when
the file does not pass. The file is JSON (no YAML parser is installed).`,
    options: { board: { value: true }, ...JSON_OPT },
    async run(p, io) {
      const [file] = p.positional;
      if (!file) throw new UsageError("which job file?");
      if (p.positional.length > 1) throw new UsageError(`one file at a time (got ${p.positional.length})`);
      let limits: BoardJobLimits | undefined;
      if (p.options.board !== undefined) {
        limits = boardLimits(String(p.options.board));
        if (!limits) throw new UsageError(`unknown board "${p.options.board}" (boards/<board>.json)`);
      }
      let f: JobFile;
      try {
        f = loadJobFile(resolve(io.cwd, file), file);
      } catch (e) {
        if (p.options.json && e instanceof JobFileError) {
          io.out(JSON.stringify({ file, ok: false, problems: e.problems }, null, 2) + "\n");
          return 1;
        }
        return fileFailed(e, io);
      }
      const onBoard = limits ? boardProblems(f, limits).map((l) => `${file}: ${l}`) : [];
      const summary = `${f.jobs} job${f.jobs === 1 ? "" : "s"}, ${f.steps} step${f.steps === 1 ? "" : "s"} (nested ones counted), ${f.body.length} bytes as sent`;
      if (p.options.json) io.out(JSON.stringify({ file, ok: !onBoard.length, problems: onBoard, jobs: f.jobs, steps: f.steps, bytes: f.body.length, ...(limits && { board: limits }) }, null, 2) + "\n");
      else if (onBoard.length) io.err(onBoard.join("\n") + "\n");
      else {
        const fits = limits ? `; fits ${limits.name} (${[limits.jobs !== undefined && `${limits.jobs} jobs`, limits.jobSteps !== undefined && `${limits.jobSteps} steps`, limits.body !== undefined && `${limits.body} bytes`].filter(Boolean).join(", ") || "no limits given"} at most)` : "";
        io.out(`${file}: ok: ${summary}${fits}\n`);
      }
      return onBoard.length ? 1 : 0;
    },
  },
  "jobs deploy": {
    usage: `usage: host-tools jobs deploy <file> <host[:port]|all> [--api-node host[:port]] [--json]

Checks the job file (as jobs validate does) and puts it on one node, or with
"all" on every node the API node lists that runs jobs (DEAD ones and boards
without the jobs capability are skipped): POST /api/jobs with the cluster
secret. The set replaces the node's jobs as one: a node that refuses it keeps
the jobs it ran and its reason is shown. Each node's board limits (jobs,
steps, request body) are checked first; a node over them is not sent the set.
A node without the memory to check the set at once (an esp8266 in a cluster)
keeps it, restarts and checks it at boot; the command waits for it (up to a
minute) and shows what became of it.
A line per node as it goes, then a table and a summary. Exit status 1 when a
node refused it or failed.`,
    options: { "api-node": { value: true }, ...JSON_OPT },
    async run(p, io) {
      const [file, where] = p.positional;
      if (!file) throw new UsageError("which job file?");
      if (!where) throw new UsageError("which node? give <host[:port]> or all");
      if (p.positional.length > 2) throw new UsageError(`a file and a node (got ${p.positional.length} arguments)`);
      let f: JobFile;
      try {
        f = loadJobFile(resolve(io.cwd, file), file);
      } catch (e) {
        return fileFailed(e, io);
      }
      const a = api(io);
      return eachNode(
        p,
        io,
        await targets(p, io, where, true),
        async (t) => {
          const limits = t.board ? boardLimits(t.board) : undefined;
          const over = limits ? boardProblems(f, limits) : [];
          if (over.length) return { result: "refused", detail: `not sent: ${over.join("; ")}` };
          const r = await a.deployJobs(t.address, f.body);
          return { result: "deployed", detail: `${r.jobs} job${r.jobs === 1 ? "" : "s"}, generation ${r.generation}${r.restarted ? " (installed at a restart: the node had not the memory to check it at once)" : ""}` };
        },
        "deployed",
      );
    },
  },
  "jobs list": {
    usage: `usage: host-tools jobs list <host[:port]> [--json]

A node's jobs (GET /api/jobs): each job's name, trigger and concurrency, and
the jobs it refused at boot.`,
    options: JSON_OPT,
    async run(p, io) {
      const l = await api(io).jobs(oneNode(p, "jobs list"));
      if (p.options.json) io.out(JSON.stringify(l, null, 2) + "\n");
      else {
        if (!l.jobs.length) io.out("no jobs\n");
        else io.out(table(["job", "trigger", "concurrency"], l.jobs.map((j) => [j.name, triggerSummary(j.trigger), j.concurrency === "concurrent" ? `concurrent (${j.max_instances} at most)` : j.concurrency])) + "\n");
        for (const r of l.refused ?? []) io.out(`refused at boot: ${r}\n`);
      }
      return 0;
    },
  },
  "jobs status": {
    usage: `usage: host-tools jobs status <host[:port]> [--json]

A node's jobs at work (GET /api/jobs): for each its runs, errors, skipped
triggers (over its max_instances, or the node's runs at once), runs in
progress, its last run (the node's uptime then), how long that took and its
last error; then the node's event queue (waiting, capacity, overflow policy,
events dropped) and limits.`,
    options: JSON_OPT,
    async run(p, io) {
      const l = await api(io).jobs(oneNode(p, "jobs status"));
      if (p.options.json) {
        io.out(JSON.stringify(l, null, 2) + "\n");
        return 0;
      }
      if (!l.jobs.length) io.out("no jobs\n");
      else
        io.out(
          table(
            ["job", "runs", "errors", "skipped", "running", "last run", "last ms", "last error"],
            l.jobs.map((j) => [j.name, j.runs, j.errors, j.skipped, j.running, uptime(j.lastRun), j.lastMs ?? "-", j.lastError ?? "-"]),
          ) + "\n",
        );
      const q = l.queue;
      const policy = typeof q.policy === "number" ? (POLICIES[q.policy] ?? String(q.policy)) : q.policy;
      io.out(`queue: ${q.length} of ${q.capacity} waiting, ${policy}, ${q.dropped} dropped\n`);
      io.out(`limits: ${l.limits.jobs} jobs, ${l.limits.steps} steps, ${l.limits.runs} runs at once; generation ${l.generation}\n`);
      for (const r of l.refused ?? []) io.out(`refused at boot: ${r}\n`);
      return 0;
    },
  },
  "jobs remove": {
    usage: `usage: host-tools jobs remove <host[:port]|all> [--job name] [--api-node host[:port]] [--json]

Removes every job from one node, or with "all" from every node the API node
lists that runs jobs (DELETE /api/jobs, with the cluster secret); --job: only
the job of that name (a node without it says so and is left as it is). Exit
status 1 when a node failed.`,
    options: { job: { value: true }, "api-node": { value: true }, ...JSON_OPT },
    async run(p, io) {
      const [where] = p.positional;
      if (!where) throw new UsageError("which node? give <host[:port]> or all");
      if (p.positional.length > 1) throw new UsageError(`one node, or all (got ${p.positional.length} arguments)`);
      const job = p.options.job === undefined ? undefined : String(p.options.job);
      if (job !== undefined && !JOB_NAME.test(job)) throw new UsageError(`bad job name "${job}": 1 to 24 of A-Z a-z 0-9 _ -`);
      const a = api(io);
      return eachNode(
        p,
        io,
        await targets(p, io, where, false),
        async (t) => {
          try {
            const r = await a.removeJobs(t.address, job);
            return { result: "removed", detail: `${r.jobs} job${r.jobs === 1 ? "" : "s"} left, generation ${r.generation}` };
          } catch (e) {
            if (job !== undefined && e instanceof ApiError && e.status === 404 && /^no job/.test(e.detail ?? "")) return { result: "not there", detail: e.detail! };
            throw e;
          }
        },
        "removed",
      );
    },
  },
};
