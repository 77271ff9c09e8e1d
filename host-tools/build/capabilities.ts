// Capabilities: parts of the firmware a board carries or leaves out. Each is
// a module of its own under device/ that main.ts starts (or the core calls)
// under `if (SPORE_CAPS.<name>)`, so a board without it carries none of its
// code. boards/<board>.json "capabilities" says which a board carries, and
// espruino.json "capabilities" may turn them off, or on where the budgets
// allow (the build refuses a combination over budget and names what to drop).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { withoutComments } from "./json-schema.ts";
import { REPO_ROOT } from "./paths.ts";

export interface Capabilities {
  mqtt: boolean;
  dashboard: boolean;
  stream: boolean;
  details: boolean;
  relay: boolean;
  control: boolean;
  services: boolean;
  jobs: boolean;
  codecs: boolean;
  spool: boolean;
  health: boolean;
  placement: boolean;
  leader: boolean;
  lifeguard: boolean;
  adaptive: boolean;
}

export type CapabilityName = keyof Capabilities;

/** What each capability is and where its code lives (CONTRIBUTING.md: adding one). */
export const CAPABILITIES: Record<CapabilityName, { summary: string; modules: string[] }> = {
  mqtt: { summary: "MQTT client: status, telemetry, events, commands, Home Assistant discovery", modules: ["device/platform/mqtt.ts", "device/core/mqtt.ts", "device/core/telemetry.ts"] },
  dashboard: { summary: "browser dashboard at GET / and its upload (POST /api/node/dashboard)", modules: ["device/platform/dashboard.ts"] },
  stream: { summary: "node status and member list streamed a piece at a time, and GETs answered as their headers come (fewer JsVars at their peak and per open request)", modules: ["device/core/stream.ts", "device/platform/http-server.ts (GETs)"] },
  details: { summary: "fetches each member's details (chip, api list, board, class, version) from it and lists them with the member", modules: ["device/core/details.ts (fetchDetails)", "device/platform/http-client.ts"] },
  control: { summary: "tasks controlled and inspected by hand: POST /api/tasks/control and spore.tasks.printTaskStatus()", modules: ["device/core/node.ts (the endpoint)", "device/core/tasks.ts (control, printTaskStatus)"] },
  services: { summary: "services and RPC between nodes: spore.provide and spore.call, retries, circuit breakers, failover; GET /api/services, POST /api/services/call", modules: ["device/core/services.ts", "device/core/dispatch.ts (calls and answers)"] },
  jobs: { summary: "jobs defined as data: triggers and steps deployed over HTTP, a bounded event queue (node.queue; none: events go to the jobs at once), a KV store in RAM with durable keys in Storage (node.kvDurable); /api/jobs, /api/kv", modules: ["device/core/jobs.ts", "device/core/steps.ts (runs, templates, conditions)", "device/core/job-check.ts", "device/core/kv.ts", "device/core/events.ts (the queue)", "device/platform/io.ts"] },
  codecs: { summary: "the parse step's codecs beyond JSON: CRC16, CRC32 and Adler-32 checks, length-prefixed and TLV frames, a protobuf reader", modules: ["device/core/codecs.ts"] },
  spool: { summary: "MQTT messages published while the broker is away kept in Storage and sent in order once it is back", modules: ["device/core/spool.ts", "device/platform/mqtt.ts (the spool's use)"] },
  health: { summary: "load (time in tasks, runs, datagrams and requests over a sliding window) and OVERLOADED with hysteresis, node/overloaded and node/recovered; a health summary rides on each alive update, so every node knows its members'", modules: ["device/core/health.ts", "device/core/gossip.ts (the summary in alive updates)"] },
  placement: { summary: "movable tasks (registerTask(..., {movable: true})): each run by one node, placed by rendezvous hashing over eligible members (ACTIVE, healthy, past a dwell) with no coordinator; GET /api/cluster/placement, task/moved", modules: ["device/core/placement.ts", "device/core/tasks.ts (movable tasks)"] },
  leader: { summary: "leader election, Raft-style (terms, votes, heartbeats) among the members that may lead; singleton tasks (registerTask(..., {singleton: true})) run on the leader; GET /api/cluster/leader, cluster/leader", modules: ["device/core/leader.ts", "device/core/dispatch.ts (V, W, L)"] },
  lifeguard: { summary: "sharper failure detection: a probe not answered in half a round sent again directly, five indirect probes, and a suspicion confirmed by other members' failed probes INACTIVE sooner (ina x 3 / (2 + confirmations))", modules: ["device/core/probe.ts", "device/core/members.ts (the timeout)", "device/core/gossip.ts (confirmations)"] },
  adaptive: { summary: "adaptive gossip: the probe period and how often news is piggybacked follow the node's situation in four modes (aggressive after churn or loss, normal, conservative when calm, emergency on low battery, read from an ADC pin); in status and telemetry, gossip/mode events", modules: ["device/core/adapt.ts", "device/core/piggyback.ts (lambda)", "device/core/probe.ts (the period)"] },
  relay: { summary: "probes a member for a node that asks (ping requests) and forwards the cluster events it receives", modules: ["device/core/dispatch.ts (ping requests)", "device/core/cluster-events.ts (forwarding)"] },
};

export const CAPABILITY_NAMES = Object.keys(CAPABILITIES) as CapabilityName[];

/** espruino.json "capabilities": by board name, or "*" for every board; a board's own entry wins. */
export type CapabilityOverrides = Record<string, Partial<Capabilities>>;

/** The overrides in the repository's espruino.json (none when it has none); checked by its schema when the project is loaded. */
export function projectOverrides(file = join(REPO_ROOT, "espruino.json")): CapabilityOverrides {
  if (!existsSync(file)) return {};
  const raw = JSON.parse(withoutComments(readFileSync(file, "utf8"))) as { capabilities?: CapabilityOverrides };
  return raw.capabilities ?? {};
}

/**
 * A board's capabilities with the overrides applied. The parts of a
 * capability follow it: codecs and spool go with jobs, spool with mqtt,
 * placement and leader with health
 * (turned on by name while what it needs is off, boards.ts refuses it).
 */
export function applyOverrides(board: string, own: Capabilities, overrides: CapabilityOverrides): Capabilities {
  const named = { ...overrides["*"], ...overrides[board] };
  const caps = { ...own, ...named };
  if (!caps.jobs && !named.codecs) caps.codecs = false;
  if ((!caps.jobs || !caps.mqtt) && !named.spool) caps.spool = false;
  if (!caps.health && !named.placement) caps.placement = false;
  if (!caps.health && !named.leader) caps.leader = false;
  return caps;
}

/** The build constants for the device code: SPORE_CAPS.<name> is 1 or 0. */
export function capabilityDefines(caps: Capabilities): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of CAPABILITY_NAMES) out[`SPORE_CAPS.${name}`] = caps[name] ? "1" : "0";
  return out;
}
