// host-tools events: a node's recent events, once or followed by polling
// on the transport's clock.
import { problem } from "../lib/api.ts";
import { api, type Command, JSON_OPT, oneNode } from "./command.ts";

export const eventsCommands: Record<string, Command> = {
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
};
