// host-tools dashboard install: the dashboard built and installed on one
// node, or on every node whose board has room for it.
import { loadBoards } from "../build/boards.ts";
import { buildDashboard } from "../build/dashboard.ts";
import { crc32Of } from "../build/image.ts";
import { type Address, crc32Hex, label, problem } from "../lib/api.ts";
import { table } from "../lib/output.ts";
import { parseAddress, UsageError } from "../lib/transport.ts";
import { api, type Command, JSON_OPT, liveNodes } from "./command.ts";

export const dashboardCommands: Record<string, Command> = {
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
        const withRoom = new Set(loadBoards().filter((b) => b.capabilities.dashboard).map((b) => b.name));
        targets = (await liveNodes(p, io)).filter((t) => t.board && withRoom.has(t.board));
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
};
