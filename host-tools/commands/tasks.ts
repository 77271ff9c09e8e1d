// host-tools tasks: a node's tasks listed, or one of them controlled.
import { table } from "../lib/output.ts";
import { UsageError } from "../lib/transport.ts";
import { api, type Command, JSON_OPT, oneNode } from "./command.ts";

export const tasksCommands: Record<string, Command> = {
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
};
