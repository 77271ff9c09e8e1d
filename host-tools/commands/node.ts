// host-tools node status|restart: one node's status, or restarting it.
import { label } from "../lib/api.ts";
import { table } from "../lib/output.ts";
import { api, type Command, JSON_OPT, oneNode } from "./command.ts";

export const nodeCommands: Record<string, Command> = {
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
};
