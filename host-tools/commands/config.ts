// host-tools config: a running node's settings (spore.json) shown, read and
// changed over HTTP (GET and POST /api/node/config: boards with the control
// capability), one node or every node the API node lists; and a commented
// starter espruino.json written.
import { existsSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { JsonFileError, validateJson } from "../build/json-schema.ts";
import { REPO_ROOT } from "../build/paths.ts";
import type { Address } from "../lib/api.ts";
import { label } from "../lib/api.ts";
import type { Io } from "../lib/io.ts";
import { table } from "../lib/output.ts";
import { parseAddress, UsageError } from "../lib/transport.ts";
import type { Parsed } from "../lib/args.ts";
import { api, type Command, JSON_OPT, liveNodes } from "./command.ts";

const SPORE_SCHEMA = join(REPO_ROOT, "host-tools", "schema", "spore.schema.json");
const TARGET = "<host[:port]|all>";
const ALL = "all: every node the API node lists (--api-node or API_NODE), DEAD ones skipped.";

/** The nodes a command is pointed at: one, or every member the API node lists that is not DEAD (at the API node's port). */
async function targets(p: Parsed, io: Io, what: string): Promise<Address[]> {
  const first = p.positional[0];
  if (!first) throw new UsageError(`${what}: which node? give ${TARGET}`);
  if (first !== "all") return [parseAddress(first)];
  return (await liveNodes(p, io)).map((t) => t.address);
}

/** A value from the command line as the JSON text the node takes, checked against spore.json's schema first. */
export function settingValue(key: string, text: string): string {
  if (key === "key") throw new UsageError("the cluster secret changes with host-tools secret rotate, which keeps the cluster talking while it does");
  let value: unknown = text;
  if (/^-?\d+(\.\d+)?$/.test(text)) value = Number(text);
  try {
    validateJson(SPORE_SCHEMA, { [key]: value }, "value");
  } catch (e) {
    if (!(e instanceof JsonFileError)) throw e;
    // a number where text is wanted (an SSID of digits): as text
    if (typeof value === "number") {
      try {
        validateJson(SPORE_SCHEMA, { [key]: text }, "value");
        return JSON.stringify(text);
      } catch {
        // the number's error says more
      }
    }
    throw new UsageError(`${key} ${text}: ${e.message.replace(/^value: /, "")} (spore.json's schema: host-tools/schema/spore.schema.json)`);
  }
  return JSON.stringify(value);
}

/** One line per node: what each answered, or why not; exit 1 when any failed. */
async function each<T>(io: Io, nodes: Address[], json: boolean, run: (a: Address) => Promise<T>, line: (a: Address, r: T) => string): Promise<number> {
  let failed = 0;
  const out: Record<string, unknown> = {};
  for (const a of nodes) {
    try {
      const r = await run(a);
      out[label(a)] = r;
      if (!json) io.out(line(a, r) + "\n");
    } catch (e) {
      failed++;
      out[label(a)] = { error: (e as Error).message };
      if (!json) io.err(`${label(a)}: ${(e as Error).message}\n`);
    }
  }
  if (json) io.out(JSON.stringify(nodes.length === 1 && !failed ? out[label(nodes[0])] : out, null, 2) + "\n");
  return failed ? 1 : 0;
}

const show = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));

export const configCommands: Record<string, Command> = {
  "config show": {
    usage: `usage: host-tools config show ${TARGET} [--json]

Every setting a node runs with (its spore.json over the defaults; the cluster
secret and passwords left out), and what was wrong in the file. ${ALL}`,
    options: { ...JSON_OPT, "api-node": { value: true } },
    async run(p, io) {
      const nodes = await targets(p, io, "config show");
      const a = api(io);
      return each(io, nodes, !!p.options.json, (n) => a.config(n), (n, r) => `${label(n)}\n` + table(["key", "value"], Object.keys(r.config).sort().map((k) => [k, show(r.config[k])])) + (r.errors.length ? `\n  in its spore.json: ${r.errors.join("; ")}` : ""));
    },
  },
  "config get": {
    usage: `usage: host-tools config get ${TARGET} <key> [--json]

One setting of a node (host-tools config show lists them). ${ALL}`,
    options: { ...JSON_OPT, "api-node": { value: true } },
    async run(p, io) {
      const key = p.positional[1];
      if (!key) throw new UsageError("config get: which key?");
      const nodes = await targets(p, io, "config get");
      const a = api(io);
      return each(
        io,
        nodes,
        !!p.options.json,
        async (n) => {
          const r = await a.config(n);
          if (!(key in r.config)) throw new UsageError(`no setting "${key}" (it has ${Object.keys(r.config).sort().join(", ")})`);
          return r.config[key];
        },
        (n, v) => (nodes.length > 1 ? `${label(n)}  ` : "") + show(v),
      );
    },
  },
  "config set": {
    usage: `usage: host-tools config set ${TARGET} <key> <value> [--json]

Changes one setting of a running node (needs the cluster secret): checked
against spore.json's schema here and by the node as at boot, refused with the
reason when invalid, written to its Storage, applied at once, or by a restart
for the settings read at boot (ssid, pass, cl, http, udp, apw, prd). ${ALL}`,
    options: { ...JSON_OPT, "api-node": { value: true } },
    async run(p, io) {
      const [, key, text] = p.positional;
      if (!key || text === undefined) throw new UsageError("config set: give a key and a value");
      const value = settingValue(key, text);
      const nodes = await targets(p, io, "config set");
      const a = api(io);
      return each(io, nodes, !!p.options.json, (n) => a.setConfig(n, key, value), (n, r) => `${label(n)}: ${key} = ${show(r.value)}${r.restart ? " (restarting to apply it)" : " (applied)"}`);
    },
  },
  "config init": {
    usage: `usage: host-tools config init [--out file] [--force]

Writes a commented starter espruino.json (default ./espruino.json; an
existing file is kept unless --force): the cluster, WiFi, ports, boards and
the optional sections, each explained, secrets named by environment variable.`,
    options: { out: { value: true }, force: {} },
    async run(p, io) {
      const file = resolve(io.cwd, (p.options.out as string | undefined) ?? "espruino.json");
      if (existsSync(file) && !p.options.force) throw new UsageError(`${file} exists: give --force to overwrite it, or --out another file`);
      writeFileSync(file, STARTER);
      io.out(`wrote ${file}: set SPORE_SECRET and SPORE_WIFI_PASSWORD (environment or .env), then npm run flash -- --port <port>\n`);
      return 0;
    },
  },
};

/** The starter project file: JSON with whole-line // comments (every tool that reads espruino.json skips them). */
export const STARTER = `{
  // checked against this schema (editors complete and explain every field)
  "$schema": "./host-tools/schema/espruino.schema.json",
  // the cluster's name (nodes ignore datagrams of other clusters) and the environment variables that hold its
  // secret (authenticates datagrams and every changing request; never written here)
  "cluster": { "name": "spore", "secretEnv": "SPORE_SECRET", "oldSecretEnv": "SPORE_OLD_SECRET" },
  // the WiFi network the nodes join; without it they serve their own access point
  "wifi": { "ssid": "my-network", "passwordEnv": "SPORE_WIFI_PASSWORD" },
  // the HTTP API's port and the UDP port of discovery and gossip
  "ports": { "http": 80, "udp": 4210 },
  // the boards built (boards/<name>.json): esp32 full, esp8266 standard, esp01 minimal
  "boards": ["esp01", "esp8266", "esp32"],
  // optional sections (uncomment and fill in; README, Configuration):
  // an MQTT broker for telemetry, events and commands (boards with MQTT)
  // "mqtt": { "host": "192.168.1.10", "port": 1883, "prefix": "spore", "period": 30, "homeAssistant": false },
  // the health capability: OVERLOADED at this load over a window, and the grid's g CO2 per kWh
  // "health": { "overloadPercent": 80, "overloadSeconds": 10, "gridIntensity": 400 },
  // adaptive gossip: a fixed mode or auto, the shortest and longest probe periods, calm seconds before conservative
  // "gossip": { "mode": "auto", "shortestPeriodMs": 600, "longestPeriodMs": 4000, "calmSeconds": 60 },
  // a battery on an ADC pin (mV at a full-scale reading, divider included): under lowPercent gossip goes emergency
  // "battery": { "pin": "A0", "fullScaleMv": 4200, "emptyMv": 3300, "fullMv": 4200, "lowPercent": 20 },
  // capabilities turned off (or on, where the budget allows), for every board ("*") or one
  // "capabilities": { "*": { "mqtt": false } },
  // npm start: the emulated cluster's nodes, and the offset added to their ports on this machine
  "emulator": { "nodes": ["esp01", "esp8266", "esp32", "esp01", "esp8266"], "portOffset": 8000 }
}
`;
