// host-tools kv: a node's KV store (the jobs capability): listed, one key
// read, written or deleted (README, Jobs; HTTP under /api/kv).
import type { Parsed } from "../lib/args.ts";
import { table } from "../lib/output.ts";
import { UsageError } from "../lib/transport.ts";
import { api, type Command, JSON_OPT, oneNode } from "./command.ts";

/** What a key may be (device/core/kv.ts): 1 to 32 characters, no control characters. */
const KEY = /^[^\u0000-\u001f\u007f]{1,32}$/;
/** Value text shown in a table cell at most. */
const CELL = 40;

function keyOf(p: Parsed, what: string): string {
  const key = p.positional[1];
  if (key === undefined) throw new UsageError(`${what}: which key?`);
  if (!KEY.test(key)) throw new UsageError(`bad key ${JSON.stringify(key)}: 1 to 32 characters, no control characters`);
  return key;
}

function arity(p: Parsed, n: number, what: string): void {
  if (p.positional.length > n) throw new UsageError(`${what} takes ${n} arguments (got ${p.positional.length}: quote a value with spaces)`);
}

const short = (v: unknown) => {
  const s = JSON.stringify(v);
  return s.length > CELL ? s.slice(0, CELL - 1) + "…" : s;
};
const ttlText = (ttl: number | null) => (ttl === null ? "-" : `${ttl} s`);

export const kvCommands: Record<string, Command> = {
  "kv list": {
    usage: `usage: host-tools kv list <host[:port]> [--json]

Every key of a node's KV store (GET /api/kv) with its value, the seconds it
has left (- for none) and whether it is durable (kept in Storage); then the
store's figures: keys and bytes used of its capacity, keys evicted (least
recently used, to make room), expired, and writes to Storage.`,
    options: JSON_OPT,
    async run(p, io) {
      arity(p, 1, "kv list");
      const l = await api(io).kvList(oneNode(p, "kv list"));
      if (p.options.json) {
        io.out(JSON.stringify(l, null, 2) + "\n");
        return 0;
      }
      if (!l.keys.length) io.out("no keys\n");
      else io.out(table(["key", "value", "ttl", "durable"], l.keys.map((k) => [k.key, short(k.value), ttlText(k.ttl), k.durable ? "yes" : "no"])) + "\n");
      const s = l.stats;
      io.out(`${s.keys} of ${s.capacity.keys} keys, ${s.bytes} of ${s.capacity.bytes} bytes; ${s.evicted} evicted, ${s.expired} expired, ${s.flushes} written to Storage\n`);
      return 0;
    },
  },
  "kv get": {
    usage: `usage: host-tools kv get <host[:port]> <key> [--json]

Prints a key's value as JSON (GET /api/kv/<key>); --json: the key, value, ttl
and durable. Exit status 1 when the node has no such key.`,
    options: JSON_OPT,
    async run(p, io) {
      const node = oneNode(p, "kv get");
      const key = keyOf(p, "kv get");
      arity(p, 2, "kv get");
      const e = await api(io).kvGet(node, key);
      io.out((p.options.json ? JSON.stringify(e, null, 2) : JSON.stringify(e.value)) + "\n");
      return 0;
    },
  },
  "kv put": {
    usage: `usage: host-tools kv put <host[:port]> <key> <json> [--durable] [--ttl s] [--json]

Stores a value (JSON: 3, true, '"text"', '{"a":1}') under a key (PUT
/api/kv/<key>, with the cluster secret). --durable: kept in Storage and back
after a restart (written at most once per kvf seconds); --ttl: the key expires
after this many seconds. The node refuses a value over its capacity. A
negative number goes after --: kv put <host> <key> -- -3.`,
    options: { durable: {}, ttl: { value: true, int: { min: 1, max: 31536000 } }, ...JSON_OPT },
    async run(p, io) {
      const node = oneNode(p, "kv put");
      const key = keyOf(p, "kv put");
      const text = p.positional[2];
      if (text === undefined) throw new UsageError("kv put: which value? give it as JSON");
      arity(p, 3, "kv put");
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        throw new UsageError(`the value is not JSON: ${text} (text is quoted: '"${text}"')`);
      }
      const ttl = p.options.ttl === undefined ? undefined : Number(p.options.ttl);
      const r = await api(io).kvPut(node, key, JSON.stringify(value), { durable: !!p.options.durable, ttl });
      const how = [p.options.durable && "durable", ttl !== undefined && `ttl ${ttl} s`].filter(Boolean).join(", ");
      io.out(p.options.json ? JSON.stringify(r, null, 2) + "\n" : `${key} = ${JSON.stringify(r.value ?? value)}${how ? ` (${how})` : ""}\n`);
      return 0;
    },
  },
  "kv del": {
    usage: `usage: host-tools kv del <host[:port]> <key>

Deletes a key (DELETE /api/kv/<key>, with the cluster secret), from Storage
too when it was durable. Exit status 1 when the node has no such key.`,
    options: {},
    async run(p, io) {
      const node = oneNode(p, "kv del");
      const key = keyOf(p, "kv del");
      arity(p, 2, "kv del");
      await api(io).kvDel(node, key);
      io.out(`deleted ${key}\n`);
      return 0;
    },
  },
};
