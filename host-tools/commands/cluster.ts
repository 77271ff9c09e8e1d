// host-tools cluster members: the member list as the API node sees it.
import { table } from "../lib/output.ts";
import { api, apiNode, type Command, JSON_OPT } from "./command.ts";

export const clusterCommands: Record<string, Command> = {
  "cluster members": {
    usage: `usage: host-tools cluster members [--api-node host[:port]] [--json]

The members the API node lists: hostname, ip, board, class (minimal, standard
or full: what the board may do in the cluster), version, status, latency (probe
round trip) and free heap.`,
    options: { "api-node": { value: true }, ...JSON_OPT },
    async run(p, io) {
      const members = await api(io).members(apiNode(p, io));
      if (p.options.json) io.out(JSON.stringify(members, null, 2) + "\n");
      else io.out(table(["hostname", "ip", "board", "class", "version", "status", "latency", "free heap"], members.map((m) => [m.hostname, m.ip, m.board ?? "?", m.class ?? "?", m.version ?? "?", m.status, `${m.latency} ms`, m.resources.freeHeap ?? "?"])) + "\n");
      return 0;
    },
  },
};
