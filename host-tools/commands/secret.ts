// host-tools secret rotate: a new cluster secret on a running cluster, node by
// node, without losing membership (device/core/rotate.ts says what each phase
// does on a node). Every node is told "add" before any is told "use", and
// "use" before any "drop": at every moment each node accepts what every other
// sends. A failure stops the rotation where it is and says how to go on.
import { type Address, ApiError, label, NodeApi } from "../lib/api.ts";
import { loadEnv, secretName } from "../lib/env.ts";
import type { Io } from "../lib/io.ts";
import { table } from "../lib/output.ts";
import { parseAddress, UsageError } from "../lib/transport.ts";
import { apiNode, type Command, JSON_OPT } from "./command.ts";

/** Where the new secret comes from unless --new-secret-env names another variable. */
const NEW_SECRET_ENV = "SPORE_NEW_SECRET";

type Row = { hostname: string; address: string; add: string; use: string; drop: string };

export const secretCommands: Record<string, Command> = {
  "secret rotate": {
    usage: `usage: host-tools secret rotate [--api-node host] [--new-secret-env NAME] [--json]

Gives every node of the cluster a new cluster secret, without losing membership:
  add   each node derives the new secret's keys and accepts datagrams under both
  use   each node sends under the new one and stores it in its spore.json
  drop  each node accepts only the new one
The old secret is SPORE_SECRET (or the variable espruino.json names), the new one
${NEW_SECRET_ENV} (or --new-secret-env): 1 to 63 characters, no "|"; give it at
least 16 random ones. Nodes are the API node's members. A failure stops the
rotation at that phase; run it again with the same secrets to finish it. Then put
the new secret where SPORE_SECRET comes from.`,
    options: { ...JSON_OPT, "api-node": { value: true }, "new-secret-env": { value: true } },
    async run(p, io) {
      const env = loadEnv(io);
      const oldName = secretName(io);
      const newName = (p.options["new-secret-env"] as string | undefined) ?? NEW_SECRET_ENV;
      const oldSecret = env[oldName];
      const newSecret = env[newName];
      if (!oldSecret) throw new UsageError(`no cluster secret: set ${oldName} (environment or .env)`);
      if (!newSecret || newSecret.length > 63 || newSecret.includes("|")) throw new UsageError(`the new secret: set ${newName} to 1 to 63 characters, no "|"`);
      if (newSecret === oldSecret) throw new UsageError(`${newName} is the secret the cluster has already`);
      const older = new NodeApi(io.transport, oldSecret);
      const newer = new NodeApi(io.transport, newSecret);
      const first = apiNode(p, io);
      const members = await older.members(first);
      const rows: Row[] = members.map((m) => ({ hostname: m.hostname, address: label(parseAddress(m.ip, first.port)), add: "", use: "", drop: "" }));
      const at = (r: Row): Address => parseAddress(r.address, first.port);
      const down = members.filter((m) => m.status !== "ACTIVE").map((m) => m.hostname);
      if (down.length) throw new UsageError(`not every member is ACTIVE (${down.join(", ")}): a node that misses the rotation is cut off; bring them back or let them be forgotten first`);
      const report = (code: number, note: string) => {
        if (p.options.json) io.out(JSON.stringify({ rows, note }, null, 2) + "\n");
        else io.out(table(["hostname", "address", "add", "use", "drop"], rows.map((r) => [r.hostname, r.address, r.add, r.use, r.drop])) + "\n" + note + "\n");
        return code;
      };
      // one phase on every node, in order; a node that is busy deriving its keys is asked again
      const phase = async (name: "add" | "use" | "drop", client: (r: Row) => NodeApi, form: Record<string, string>) => {
        for (const [i, r] of rows.entries()) {
          if (r[name] === "done") continue;
          io.err(`${name} ${i + 1}/${rows.length}: ${r.hostname}\n`);
          for (let tries = 1; ; tries++) {
            try {
              await client(r).key(at(r), form);
              r[name] = "done";
              break;
            } catch (e) {
              if (e instanceof ApiError && e.status === 503 && tries < 30) {
                await io.transport.sleep(1000);
                continue;
              }
              r[name] = e instanceof Error ? e.message : String(e);
              return false;
            }
          }
        }
        return true;
      };
      // run again after a stop: a node that stored the new secret refuses the old one (401), and says it has nothing added (409): it is done
      const used = async (r: Row) => {
        try {
          await newer.key(at(r), { phase: "use" });
        } catch (e) {
          if (e instanceof ApiError && e.status === 409) return true;
        }
        return false;
      };
      for (const r of rows) if (await used(r)) r.add = r.use = "done";
      if (!(await phase("add", () => older, { phase: "add", key: newSecret }))) return report(1, `stopped at add: every node still sends under the old secret and accepts both where add was done; fix the node and run again with the same secrets (a node restarted since forgets add)`);
      if (!(await phase("use", () => older, { phase: "use" }))) return report(1, `stopped at use: the nodes marked done send under the new secret, the others under the old, and all accept both; fix the node and run again with the same secrets`);
      if (!(await phase("drop", () => newer, { phase: "drop" }))) return report(1, `stopped at drop: every node uses the new secret; the nodes not marked done still accept the old one until told drop or restarted; run again`);
      return report(0, `every node uses the new secret: put it in ${oldName} (environment or .env) now`);
    },
  },
};
