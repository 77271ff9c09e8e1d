// host-tools cluster members: the member list as the API node sees it, with each member's health.
import { table } from "../lib/output.ts";
import type { Member } from "../lib/api.ts";
import { api, apiNode, type Command, JSON_OPT } from "./command.ts";

/** A member's health as the table shows it. */
export function healthText(h: Member["health"]): string {
  if (h === undefined) return "-";
  if (h === null) return "?";
  return `${h.overloaded ? (h.lowMemory ? "OVERLOADED (memory)" : "OVERLOADED") : "ok"} ${Math.round(h.load * 100)}%`;
}

export const clusterCommands: Record<string, Command> = {
  "cluster members": {
    usage: `usage: host-tools cluster members [--api-node host[:port]] [--json]

The members the API node lists: hostname, ip, board, class (minimal, standard
or full: what the board may do in the cluster), version, status, latency (probe
round trip), free heap and health: "ok" or "OVERLOADED" (with "memory" when
free JsVars are why) and the load, in 5% steps, as gossip brought it; "?" not
known (yet, or never: a board without the health capability, such as an
esp01, reports none), "-" from an API node without the capability.`,
    options: { "api-node": { value: true }, ...JSON_OPT },
    async run(p, io) {
      const members = await api(io).members(apiNode(p, io));
      if (p.options.json) io.out(JSON.stringify(members, null, 2) + "\n");
      else io.out(table(["hostname", "ip", "board", "class", "version", "status", "latency", "free heap", "health"], members.map((m) => [m.hostname, m.ip, m.board ?? "?", m.class ?? "?", m.version ?? "?", m.status, `${m.latency} ms`, m.resources.freeHeap ?? "?", healthText(m.health)])) + "\n");
      return 0;
    },
  },
};
