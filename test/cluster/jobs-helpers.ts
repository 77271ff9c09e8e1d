// Shared by the jobs tests: deploying a job document to a node over HTTP,
// reading its jobs and KV store (validated against their API schemas).
import * as assert from "uvu/assert";
import type { Cluster } from "../../host-tools/emulator/cluster.ts";
import type { Device } from "../../host-tools/emulator/device.ts";
import { api } from "./helpers.ts";

export interface JobsListing {
  generation: number;
  jobs: { name: string; trigger: { type: string }; runs: number; errors: number; skipped: number; running: number; lastRun: number | null; lastMs: number; lastError: string | null }[];
  queue: { length: number; capacity: number; policy: string; dropped: number };
  refused: string[];
}

/** POSTs a job document (an object, or text as it is); returns the status and the answer. */
export function deploy(c: Cluster, d: Device, doc: unknown): { status: number; body: Record<string, unknown> } {
  const r = c.http(d, "POST", "/api/jobs", { body: typeof doc === "string" ? doc : JSON.stringify(doc), auth: true });
  return { status: r.status, body: JSON.parse(r.body) };
}

/** Deploys and expects it taken. */
export function deployed(c: Cluster, d: Device, jobs: unknown[]): void {
  const r = deploy(c, d, { version: 1, jobs });
  assert.is(r.status, 200, `deploy on ${d.ip}: ${JSON.stringify(r.body)}`);
}

export function listing(c: Cluster, d: Device): JobsListing {
  return api<JobsListing>(c, d, "/api/jobs", "jobs");
}

export function job(c: Cluster, d: Device, name: string): JobsListing["jobs"][number] {
  const j = listing(c, d).jobs.find((x) => x.name === name);
  assert.ok(j, `job ${name} on ${d.ip}`);
  return j!;
}

/** A key's value in the node's KV store (undefined when missing). */
export function kv(c: Cluster, d: Device, key: string): unknown {
  const r = c.http(d, "GET", "/api/kv/" + encodeURIComponent(key));
  if (r.status === 404) return undefined;
  assert.is(r.status, 200, `GET /api/kv/${key} on ${d.ip}: ${r.body}`);
  return api<{ value: unknown }>(c, d, "/api/kv/" + encodeURIComponent(key), "kv-key").value;
}
