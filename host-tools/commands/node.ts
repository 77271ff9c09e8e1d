// host-tools node status|restart: one node's status, or restarting it (over
// HTTP, or with a signed datagram when HTTP has no socket left for the owner).
import { resolve } from "node:path";
import { loadProject } from "../build/project.ts";
import { type Address, label } from "../lib/api.ts";
import { loadEnv, secretName } from "../lib/env.ts";
import type { Io } from "../lib/io.ts";
import { datagram, readDatagram } from "../lib/mac.ts";
import { table } from "../lib/output.ts";
import { NetworkError, UsageError } from "../lib/transport.ts";
import type { Message } from "../../device/core/wire.ts";
import { api, type Command, JSON_OPT, oneNode } from "./command.ts";

/** How long to listen for a node's own datagrams (an announce goes out at least every max(5 s, members s)). */
const HEAR_MS = 70000;

/**
 * Restarts a node with the owner's restart datagram (wire.ts, type X): for
 * the node at its present incarnation, which HTTP gives when it can, else
 * the node's own datagrams (its announces are broadcast).
 */
async function restartByDatagram(node: Address, io: Io, project: string | undefined): Promise<string> {
  const udp = io.transport.udp;
  const secret = loadEnv(io)[secretName(io)];
  if (!udp) throw new UsageError("this transport has no UDP");
  if (!secret) throw new UsageError("no cluster secret: set SPORE_SECRET (or the variable espruino.json names) or put it in .env");
  const p = loadProject(project ? resolve(io.cwd, project) : undefined);
  let id = "";
  let inc = -1;
  try {
    const s = await api(io).status(node, 3000);
    id = s.hostname.slice(4);
    inc = s.incarnation ?? -1;
  } catch {
    // no HTTP: the node's own datagrams tell its id and incarnation
  }
  if (inc < 0) {
    io.err(`${label(node)}: HTTP does not answer; listening for its datagrams on UDP ${p.ports.udp} (up to ${HEAR_MS / 1000} s)\n`);
    let heard: Message | undefined;
    await udp.hear(p.ports.udp, HEAR_MS, (data, from) => {
      const m = from === node.host ? readDatagram(secret, p.cluster.name, data, from) : "";
      if (typeof m === "object") heard = m;
      return !!heard;
    });
    if (!heard) throw new NetworkError(`${label(node)}: no answer over HTTP and no datagram of it heard in ${HEAR_MS / 1000} s (is it on, and on this network?)`);
    id = heard.id_;
    inc = heard.incarnation_;
  }
  const from = await udp.local(node.host);
  // the tool is no member: an id no node has, numbers nothing keeps
  await udp.send(node.host, p.ports.udp, datagram(secret, p.cluster.name, "X|000000|0|1|0|0", from, "", `${id}.${inc.toString(36)}`));
  return `${label(node)}: restart datagram sent (esp_${id} at incarnation ${inc})`;
}

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
    usage:
      "usage: host-tools node restart <host[:port]> [--udp] [--project espruino.json]\n\nPOST /api/node/restart (needs the cluster secret). With --udp, or when HTTP does not answer\n(a node whose sockets are all held), a restart datagram signed with the cluster secret\ngoes to the node's UDP port instead: it names the node's present incarnation (from its\nstatus, else from its own datagrams, heard for up to 70 s), so a copy replayed later\nrestarts nothing.",
    options: { udp: {}, project: { value: true } },
    async run(p, io) {
      const node = oneNode(p, "node restart");
      if (!p.options.udp) {
        try {
          await api(io).restart(node);
          io.out(`${label(node)}: restarting\n`);
          return 0;
        } catch (e) {
          if (!(e instanceof NetworkError)) throw e;
          io.err(`${label(node)}: ${e.message}: trying the restart datagram\n`);
        }
      }
      io.out((await restartByDatagram(node, io, p.options.project as string | undefined)) + "\n");
      return 0;
    },
  },
};
