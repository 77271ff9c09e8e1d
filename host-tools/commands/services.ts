// host-tools services and host-tools call: the cluster's services as a node
// sees them, and a call made through a node (README, Services).
import { table } from "../lib/output.ts";
import { parseAddress, UsageError } from "../lib/transport.ts";
import { api, apiNode, type Command, JSON_OPT } from "./command.ts";

/** The deadline a call gets unless --timeout says otherwise (the node's default). */
const DEFAULT_TIMEOUT = 3000;

export const servicesCommands: Record<string, Command> = {
  services: {
    usage: `usage: host-tools services [--api-node host[:port]] [--json]

Every service the API node knows of, a line per provider: the service, its
provider's hostname, the version it offers and its state as the API node sees
it (healthy; open: its circuit opened after failures in a row and it is not
chosen until its cool-down ends; half-open: the next call is its trial;
inactive: an INACTIVE member, not chosen; gone: a DEAD member). The API node
must carry the services capability (esp8266, esp32; not esp01).`,
    options: { "api-node": { value: true }, ...JSON_OPT },
    async run(p, io) {
      const l = await api(io).services(apiNode(p, io));
      if (p.options.json) io.out(JSON.stringify(l, null, 2) + "\n");
      else if (!l.services.length) io.out("no services offered in the cluster\n");
      else io.out(table(["service", "provider", "version", "state"], l.services.flatMap((s) => s.providers.map((x) => [s.name, x.hostname, x.version, x.state]))) + "\n");
      return 0;
    },
  },
  call: {
    usage: `usage: host-tools call <service> [json args] [--node host[:port]] [--timeout ms] [--retries n] [--version n] [--json]

Calls a service through a node (--node, else the API node: --api-node or
API_NODE) and prints its answer and which node gave it. args is JSON (default
null); --timeout is the call's deadline (100 to 60000 ms, default 3000),
--retries how many more attempts it may make (0 to 5, default 2), --version the
least version of the service to accept. Needs the cluster secret. Exit status
1 when the call failed (no provider, no answer in time, the handler's error).`,
    options: { node: { value: true }, "api-node": { value: true }, timeout: { value: true, int: { min: 100, max: 60000 } }, retries: { value: true, int: { min: 0, max: 5 } }, version: { value: true, int: { min: 0, max: 65535 } }, ...JSON_OPT },
    async run(p, io) {
      const [service, args] = p.positional;
      if (!service) throw new UsageError("which service? give its name");
      if (p.positional.length > 2) throw new UsageError(`one JSON argument at most (quote it): got ${p.positional.length - 1}`);
      if (!/^[a-z0-9_-]{1,16}$/.test(service)) throw new UsageError(`bad service name "${service}": 1 to 16 of a-z 0-9 _ -`);
      if (args !== undefined)
        try {
          JSON.parse(args);
        } catch {
          throw new UsageError(`args are not JSON: ${args}`);
        }
      const node = p.options.node ? parseAddress(String(p.options.node)) : apiNode(p, io);
      const form: Record<string, string> = { service };
      if (args !== undefined) form.args = args;
      for (const k of ["timeout", "retries", "version"]) if (p.options[k] !== undefined) form[k] = String(p.options[k]);
      const a = await api(io).callService(node, form, Number(p.options.timeout ?? DEFAULT_TIMEOUT));
      io.out(p.options.json ? JSON.stringify(a) + "\n" : `${JSON.stringify(a.result)}\n(from ${a.from}, ${a.ms} ms)\n`);
      return 0;
    },
  },
};
