// What every host-tools command is (its usage text, its options, what it
// runs) and the helpers most of them share: the node API with the cluster
// secret, and the node or cluster a command is pointed at.
import { type Address, NodeApi } from "../lib/api.ts";
import type { OptionSpec, Parsed } from "../lib/args.ts";
import { loadEnv, secretName } from "../lib/env.ts";
import type { Io } from "../lib/io.ts";
import { parseAddress, UsageError } from "../lib/transport.ts";

export interface Command {
  usage: string;
  options: Record<string, OptionSpec>;
  run(p: Parsed, io: Io): Promise<number>;
}

export const JSON_OPT = { json: {} };

export function api(io: Io): NodeApi {
  const env = loadEnv(io);
  return new NodeApi(io.transport, env[secretName(io)] || undefined);
}

export function apiNode(p: Parsed, io: Io): Address {
  const text = (p.options["api-node"] as string | undefined) ?? loadEnv(io).API_NODE;
  if (!text) throw new UsageError("which cluster? give --api-node <host[:port]> or set API_NODE (environment or .env)");
  return parseAddress(text);
}

/** Every member the API node lists that is not DEAD, reached at the API node's port ("all" in the commands that take it). */
export async function liveNodes(p: Parsed, io: Io): Promise<{ name: string; address: Address; board?: string }[]> {
  const node = apiNode(p, io);
  return (await api(io).members(node)).filter((m) => m.status !== "DEAD").map((m) => ({ name: m.hostname, address: { host: m.ip, port: node.port }, board: m.board }));
}

export function oneNode(p: Parsed, what: string): Address {
  if (p.positional.length < 1) throw new UsageError(`${what}: which node? give <host[:port]>`);
  return parseAddress(p.positional[0]);
}
