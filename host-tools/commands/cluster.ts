// host-tools cluster members: the member list as the API node sees it, with each member's health.
import { table } from "../lib/output.ts";
import type { Energy, Member } from "../lib/api.ts";
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
round trip), free heap and health ("(leader)" after the leader's hostname): "ok" or "OVERLOADED" (with "memory" when
free JsVars are why) and the load, in 5% steps, as gossip brought it; "?" not
known (yet, or never: a board without the health capability, such as an
esp01, reports none), "-" from an API node without the capability.`,
    options: { "api-node": { value: true }, ...JSON_OPT },
    async run(p, io) {
      const members = await api(io).members(apiNode(p, io));
      if (p.options.json) io.out(JSON.stringify(members, null, 2) + "\n");
      else io.out(table(["hostname", "ip", "board", "class", "version", "status", "latency", "free heap", "health"], members.map((m) => [m.hostname + (m.leader ? " (leader)" : ""), m.ip, m.board ?? "?", m.class ?? "?", m.version ?? "?", m.status, `${m.latency} ms`, m.resources.freeHeap ?? "?", healthText(m.health)])) + "\n");
      return 0;
    },
  },
  "cluster energy": {
    usage: `usage: host-tools cluster energy [--api-node host[:port]] [--json]

Each member's energy estimate, asked of the member itself: power now,
energy since its boot, CO2 at its configured grid intensity (espruino.json
health.gridIntensity, 400 g/kWh by default) and a grade by the share of its
power spent working over its idle floor (A+ to F); then the cluster's total.
Estimated on the node from its board's power profile (boards/<board>.json
power, the chip's datasheet) at its measured load and datagrams sent: an
estimate, not a measurement. "-" for a node without the health capability,
"?" for one that did not answer.`,
    options: { "api-node": { value: true }, ...JSON_OPT },
    async run(p, io) {
      const a = api(io);
      const members = await a.members(apiNode(p, io));
      const rows = await Promise.all(
        members.map(async (m) => {
          try {
            const s = await a.status({ host: m.ip, port: apiNode(p, io).port });
            return { hostname: m.hostname, board: s.board, energy: s.energy ?? null };
          } catch (e) {
            return { hostname: m.hostname, board: m.board ?? "?", energy: undefined, error: (e as Error).message };
          }
        }),
      );
      if (p.options.json) {
        io.out(JSON.stringify(rows, null, 2) + "\n");
        return 0;
      }
      const cell = (r: (typeof rows)[number], f: (e: Energy) => string) => (r.energy ? f(r.energy) : r.energy === null ? "-" : "?");
      const known = rows.flatMap((r) => (r.energy ? [r.energy] : []));
      const sum = (f: (e: Energy) => number) => known.reduce((t, e) => t + f(e), 0);
      io.out(table(["node", "board", "power", "energy", "CO2", "grade"], rows.map((r) => [r.hostname, r.board, cell(r, (e) => `${e.powerMw} mW`), cell(r, (e) => `${e.energyMwh} mWh`), cell(r, (e) => `${e.co2g} g`), cell(r, (e) => e.grade)])) + "\n");
      io.out(`total of ${known.length} of ${rows.length}: ${sum((e) => e.powerMw)} mW, ${Math.round(sum((e) => e.energyMwh) * 10) / 10} mWh since their boots, ${Math.round(sum((e) => e.co2g) * 1000) / 1000} g CO2\n`);
      return 0;
    },
  },
  "cluster leader": {
    usage: `usage: host-tools cluster leader [--api-node host[:port]] [--json]

The leader the API node follows ("none" while it knows of none: between
leaders, or on the minority side of a partition), the term, the API node's
role and vote, and the members that may lead as it knows them, how many are
ACTIVE and the majority a leader needs. Needs an API node with the leader
capability.`,
    options: { "api-node": { value: true }, ...JSON_OPT },
    async run(p, io) {
      const r = await api(io).leader(apiNode(p, io));
      if (p.options.json) io.out(JSON.stringify(r, null, 2) + "\n");
      else
        io.out(
          table(
            ["leader", r.leader || "none"],
            [
              ["term", r.term],
              ["since", r.leader ? `${r.since} s` : "-"],
              ["this node", `${r.role}${r.votedFor ? `, voted for ${r.votedFor}` : ""}`],
              ["may lead", `${r.electors} known, ${r.active} ACTIVE, majority ${r.majority}`],
            ],
          ) + "\n",
        );
      return 0;
    },
  },
  "cluster placement": {
    usage: `usage: host-tools cluster placement [--api-node host[:port]] [--json]

Movable tasks (spore.tasks.registerTask(name, ms, fn, {movable: true})) as
the API node places them: each task, the node it runs on, and the nodes
ranked above that one with why each was passed over (not ACTIVE, takes no
movable tasks, OVERLOADED, dwell: not yet eligible for long enough). Every
node places them from the same gossiped view: ask two to compare. Needs an
API node with the placement capability.`,
    options: { "api-node": { value: true }, ...JSON_OPT },
    async run(p, io) {
      const r = await api(io).placement(apiNode(p, io));
      if (p.options.json) io.out(JSON.stringify(r, null, 2) + "\n");
      else if (!r.tasks.length) io.out(`no movable tasks on this node (dwell ${r.dwell} s)\n`);
      else io.out(table(["task", "runs on", "passed over"], r.tasks.map((t) => [t.task, (t.node || "(none eligible)") + (t.here ? " (this node)" : ""), t.passed.join("; ") || "-"])) + `\ndwell ${r.dwell} s\n`);
      return 0;
    },
  },
};
