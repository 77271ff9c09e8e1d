// Shared helpers for emulated-cluster tests: API calls validated against the
// JSON Schemas in host-tools/schema/api, convergence checks, and an esp32
// bundle with a member table for a cluster of a given size.
import { join } from "node:path";
import * as assert from "uvu/assert";
import { validateJson } from "../../host-tools/build/json-schema.ts";
import { REPO_ROOT } from "../../host-tools/build/paths.ts";
import { loadBoard } from "../../host-tools/build/boards.ts";
import { bundleBoard } from "../../host-tools/build/bundle.ts";
import { type Cluster, readBundle } from "../../host-tools/emulator/cluster.ts";
import type { Device } from "../../host-tools/emulator/device.ts";
import type { Member as ApiMember } from "../../host-tools/lib/api.ts";

export const MIXED = ["esp01", "esp8266", "esp32", "esp01", "esp8266"];

/** A member as GET /api/cluster/members lists it (the host tools' type), with its api list. */
export interface Member extends ApiMember {
  api: { uri: string; method: string }[];
}

export function schema(name: string): string {
  return join(REPO_ROOT, "host-tools", "schema", "api", `${name}.schema.json`);
}

/** GET a JSON endpoint and validate the answer against its schema. */
export function api<T>(c: Cluster, d: Device, path: string, schemaName: string): T {
  const r = c.http(d, "GET", path);
  assert.is(r.status, 200, `GET ${path} on ${d.ip}: ${r.body}`);
  return validateJson<T>(schema(schemaName), JSON.parse(r.body), `GET ${path} on ${d.ip}`);
}

export function members(c: Cluster, d: Device): Member[] {
  return api<{ members: Member[] }>(c, d, "/api/cluster/members", "cluster-members").members;
}

export function hostnameOf(d: Device): string {
  return `esp_${d.mac.slice(-6)}`;
}

/** The status node `d` reports for `other`, or undefined if it does not list it. */
export function statusOf(c: Cluster, d: Device, other: Device): string | undefined {
  return members(c, d).find((m) => m.hostname === hostnameOf(other))?.status;
}

/**
 * Every node (all by default) is up and lists every other as ACTIVE. Read
 * from each node's status counts (a few hundred bytes; whole member lists
 * of 50 nodes would take seconds of virtual time to fetch at the LAN's
 * stream rate and skew the time measured); `nodes` short of the cluster:
 * each of them lists the others of `nodes` as ACTIVE (member lists).
 */
export function converged(c: Cluster, nodes = c.devices): boolean {
  return nodes.every((d) => {
    if (!d.stationIp) return false;
    if (nodes === c.devices) {
      const m = api<{ members: { ACTIVE: number; INACTIVE: number; DEAD: number } }>(c, d, "/api/node/status", "node-status").members;
      return m.ACTIVE === nodes.length - 1 && m.INACTIVE === 0 && m.DEAD === 0;
    }
    const seen = new Map(members(c, d).map((m) => [m.hostname, m.status]));
    return nodes.every((o) => seen.get(hostnameOf(o)) === "ACTIVE");
  });
}

/** Runs virtual time (checked every 250 ms) until every node in `watchers` reports `victim` as `status`; the ms since `from` then, Infinity if `limitMs` pass first. */
export function whenAll(c: Cluster, watchers: Device[], victim: Device, status: string, from: number, limitMs: number): number {
  for (let t = 0; t < limitMs; t += 250) {
    c.runFor(250);
    if (watchers.every((w) => statusOf(c, w, victim) === status)) return c.scheduler.now() - from;
  }
  return Infinity;
}

/** Runs until converged (checked every virtual second); returns the virtual ms it took. */
export function waitConverged(c: Cluster, limitMs: number, seed: number, nodes?: Device[]): number {
  const start = c.scheduler.now();
  for (let t = 0; t < limitMs; t += 1000) {
    c.runFor(1000);
    if (converged(c, nodes)) return c.scheduler.now() - start;
  }
  assert.unreachable(`not converged in ${limitMs} ms (seed ${seed})`);
  return -1;
}

/**
 * A /24 of loopback addresses ("127.x.y") for a real-time cluster's LAN,
 * drawn for each run: fixed ones collided with the same tests run at once
 * from another checkout on the machine, and a node whose port was taken
 * only prints so, leaving the test talking to the other run's node.
 */
export function loopbackNet(): string {
  return `127.${1 + Math.floor(Math.random() * 254)}.${Math.floor(Math.random() * 256)}`;
}

/**
 * Spore's esp32 bundle with a member table for `n` nodes (the chip's 64 would
 * cap clusters over 65), and as many answers to announces waiting (hellos:
 * the chip's 64 would leave a node booting among 200 unanswered by most).
 */
export async function sporeBundle(n: number): Promise<string> {
  const b = loadBoard("esp32");
  if (b.node.memberTable >= n && b.node.hellos >= n) return readBundle("esp32");
  return (await bundleBoard({ ...b, node: { ...b.node, memberTable: Math.max(n, b.node.memberTable), hellos: Math.max(n, b.node.hellos) } }, { write: false })).code;
}
