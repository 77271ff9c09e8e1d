// host-tools: the command line for a Spore cluster. `host-tools --help`.
// Each command group is a file in host-tools/commands/; this one finds the
// command, parses its options, answers --help and reports its errors.
import { ApiError, problem } from "./lib/api.ts";
import { parseArgs } from "./lib/args.ts";
import type { Io } from "./lib/io.ts";
import { NetworkError, nodeTransport, UsageError } from "./lib/transport.ts";
import { clusterCommands } from "./commands/cluster.ts";
import type { Command } from "./commands/command.ts";
import { dashboardCommands } from "./commands/dashboard.ts";
import { eventsCommands } from "./commands/events.ts";
import { flashCommands } from "./commands/flash.ts";
import { jobsCommands } from "./commands/jobs.ts";
import { kvCommands } from "./commands/kv.ts";
import { nodeCommands } from "./commands/node.ts";
import { secretCommands } from "./commands/secret.ts";
import { servicesCommands } from "./commands/services.ts";
import { otaCommands } from "./commands/ota.ts";
import { tasksCommands } from "./commands/tasks.ts";
import { configCommands } from "./commands/config.ts";
import { telemetryCommands } from "./commands/telemetry.ts";

/** What a command runs with (host-tools/lib/io.ts), for callers of runCli. */
export type { Io };

const HELP = `usage: host-tools <command> [options]

Commands:
  ota update <host[:port]>    update one node (builds the bundle for its board)
  ota all                     update every node of the cluster, in waves
  cluster members             the cluster as a node sees it, with each member's health
  cluster placement           where each movable task runs, and why
  cluster leader              the leader, its term, and who may lead
  cluster energy              each node's power, energy, CO2 and grade (estimates)
  node status <host[:port]>   one node's status
  node restart <host[:port]>  restart a node
  tasks <host[:port]> [...]   list or control a node's tasks
  config show|get|set <host|all> [key] [value]  a running node's settings (set: validated, applied or restarted)
  config init                 write a commented starter espruino.json
  events <host[:port]>        recent events (--follow to keep watching)
  services                    the cluster's services and their providers
  call <service> [json args]  call a service through a node
  jobs validate <file>        check a job file before it is deployed (--board: a board's limits)
  jobs deploy <file> <host|all>  put a job set on a node, or every node that runs jobs
  jobs list|status <host[:port]>  a node's jobs; their runs, errors and last run
  jobs remove <host|all>      remove a node's jobs (--job name: one of them)
  kv list|get|put|del <host[:port]> ...  a node's KV store
  flash                       write Spore to a board over serial or tcp (see flash --help)
  telemetry record|replay|top from the cluster's MQTT broker
  dashboard install <host|all>  put the dashboard (GET /) on a node or every node that has room

Every command has --help. Mutating commands need the cluster secret, from the
environment variable espruino.json names (SPORE_SECRET) or that name in ./.env.
The cluster is found from --api-node <host[:port]> or API_NODE in the
environment or ./.env.
`;

// in the order the groups' --help lists them
const commands: Record<string, Command> = { ...otaCommands, ...clusterCommands, ...nodeCommands, ...secretCommands, ...tasksCommands, ...configCommands, ...eventsCommands, ...servicesCommands, ...jobsCommands, ...kvCommands, ...telemetryCommands, ...dashboardCommands, ...flashCommands };
/** The groups of subcommands ("ota update", "ota all": ota), each with a list of them for `host-tools <group>`. */
const GROUPS = new Set(Object.keys(commands).filter((c) => c.includes(" ")).map((c) => c.split(" ")[0]));

export async function runCli(argv: string[], io: Io): Promise<number> {
  const key2 = argv.slice(0, 2).join(" ");
  const name = commands[key2] ? key2 : commands[argv[0]] ? argv[0] : undefined;
  if (!name) {
    if (!argv.length || argv[0] === "--help" || argv[0] === "-h" || argv[0] === "help") {
      io.out(HELP);
      return argv.length ? 0 : 2;
    }
    const group = GROUPS.has(argv[0]) ? Object.keys(commands).filter((c) => c.startsWith(argv[0] + " ")) : [];
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
