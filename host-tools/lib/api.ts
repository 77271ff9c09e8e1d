// The node's HTTP API as the host tools use it (README, "The node's HTTP API").
import { NetworkError, type HttpReply, type Transport } from "./transport.ts";

export interface Address {
  host: string;
  port: number;
}

export interface BootState {
  slot: string;
  state: "ok" | "trial" | "recovery";
}

export interface NodeStatus {
  hostname: string;
  ip: string;
  board: string;
  /** the board's device class (nodes from before classes have none) */
  class?: string;
  version: string;
  uptime?: number;
  /** the node's incarnation (none in recovery mode) */
  incarnation?: number;
  freeHeap?: number;
  freeJsVars?: number;
  wifi?: string;
  members?: { ACTIVE: number; INACTIVE: number; DEAD: number };
  boot?: BootState;
  reason?: string;
  api?: { uri: string; method: string }[];
  /** the health capability's energy estimate */
  energy?: Energy;
}

/** A node's energy estimate (GET /api/node/status, telemetry: the health capability). */
export interface Energy {
  powerMw: number;
  energyMwh: number;
  co2g: number;
  grade: string;
}

export interface Member {
  hostname: string;
  ip: string;
  lastSeen: number;
  latency: number;
  status: "ACTIVE" | "INACTIVE" | "DEAD";
  resources: { freeHeap?: number; [k: string]: unknown };
  board?: string;
  /** minimal, standard or full (boards/<board>.json "class") */
  class?: string;
  version?: string;
  /** the leader capability: true on the leader's entry */
  leader?: true;
  /** the health capability: its summary as gossip brought it; null until known, absent from nodes without it */
  health?: { load: number; overloaded: boolean; lowMemory: boolean } | null;
}

/** GET /api/cluster/leader (host-tools/schema/api/leader.schema.json). */
export interface LeaderStatus {
  leader: string;
  term: number;
  role: "follower" | "candidate" | "leader";
  votedFor: string;
  since: number;
  electors: number;
  active: number;
  majority: number;
}

/** GET /api/cluster/placement (host-tools/schema/api/placement.schema.json). */
export interface Placement {
  tasks: { task: string; node: string; here: boolean; passed: string[] }[];
  /** seconds a node must be eligible before a task is placed on it */
  dwell: number;
}

/** The node answered with an error status. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    /** The node's own words ({"error": ...}), when it gave any. */
    readonly detail?: string,
  ) {
    super(message);
  }
}

export function label(a: Address): string {
  return a.port === 80 ? a.host : `${a.host}:${a.port}`;
}

export function crc32Hex(n: number): string {
  return (n >>> 0).toString(16).padStart(8, "0");
}

export class NodeApi {
  constructor(
    readonly transport: Transport,
    private readonly secret: string | undefined,
  ) {}

  private auth(): Record<string, string> {
    if (!this.secret) throw new ApiError("no cluster secret: set SPORE_SECRET (or the variable espruino.json names) or put it in .env", 401);
    return { Authorization: `Bearer ${this.secret}` };
  }

  private async call(a: Address, method: string, path: string, form?: Record<string, string>, timeoutMs?: number): Promise<unknown> {
    const headers: Record<string, string> = method === "GET" ? {} : this.auth();
    let body: string | undefined;
    if (form) {
      headers["Content-Type"] = "application/x-www-form-urlencoded";
      body = new URLSearchParams(form).toString();
    }
    let r = await this.transport.request({ host: a.host, port: a.port, method, path, headers, body, timeoutMs });
    // a node short of memory or sockets answers 503 "busy" and means "later": a GET changes nothing, so it is asked again
    for (let i = 1; i <= BUSY_RETRIES && method === "GET" && r.status === 503 && /"busy/.test(r.body); i++) {
      await this.transport.sleep(500 * i);
      r = await this.transport.request({ host: a.host, port: a.port, method, path, headers, body, timeoutMs });
    }
    return parse(a, method, path, r);
  }

  status(a: Address, timeoutMs?: number): Promise<NodeStatus> {
    return this.call(a, "GET", "/api/node/status", undefined, timeoutMs) as Promise<NodeStatus>;
  }

  async members(a: Address): Promise<Member[]> {
    return ((await this.call(a, "GET", "/api/cluster/members")) as { members: Member[] }).members;
  }

  /** GET /api/cluster/leader: the leader the node follows, the term, its role (nodes with the leader capability). */
  async leader(a: Address): Promise<LeaderStatus> {
    return (await this.call(a, "GET", "/api/cluster/leader")) as LeaderStatus;
  }

  /** GET /api/cluster/placement: the movable tasks the node has, where each runs and why (nodes with the placement capability). */
  async placement(a: Address): Promise<Placement> {
    return (await this.call(a, "GET", "/api/cluster/placement")) as Placement;
  }

  tasks(a: Address): Promise<{ tasks: Record<string, unknown>[]; summary: Record<string, number> }> {
    return this.call(a, "GET", "/api/tasks/status") as Promise<{ tasks: Record<string, unknown>[]; summary: Record<string, number> }>;
  }

  async control(a: Address, form: Record<string, string>): Promise<Record<string, unknown>> {
    try {
      return (await this.call(a, "POST", "/api/tasks/control", form)) as Record<string, unknown>;
    } catch (e) {
      // a board without the control capability (esp01) serves no such endpoint: say so, not "not found"
      if (e instanceof ApiError && e.status === 404 && !/no task/.test(e.message)) throw new ApiError(`${label(a)} does not serve POST /api/tasks/control: its board leaves the control capability out (esp01); its tasks follow its own code`, 404);
      throw e;
    }
  }

  /** GET /api/node/config: the node's settings as it runs them, secrets left out (boards with the control capability). */
  async config(a: Address): Promise<{ config: Record<string, unknown>; errors: string[] }> {
    return noControl(a, "GET", this.call(a, "GET", "/api/node/config") as Promise<{ config: Record<string, unknown>; errors: string[] }>);
  }

  /** POST /api/node/config: one setting changed (the value as JSON text); whether the node restarts to apply it. */
  async setConfig(a: Address, key: string, value: string): Promise<{ key: string; value: unknown; restart: boolean }> {
    return noControl(a, "POST", this.call(a, "POST", "/api/node/config", { key, value }) as Promise<{ key: string; value: unknown; restart: boolean }>);
  }

  /** GET /api/services: every service the node knows of, with its providers. */
  async services(a: Address): Promise<ServiceListing> {
    try {
      return (await this.call(a, "GET", "/api/services")) as ServiceListing;
    } catch (e) {
      throw noServices(a, e);
    }
  }

  /** POST /api/services/call: a call made by the node, answered when it ends (its deadline, plus the way there and back). */
  async callService(a: Address, form: Record<string, string>, deadlineMs: number): Promise<ServiceAnswer> {
    try {
      return (await this.call(a, "POST", "/api/services/call", form, deadlineMs + 10000)) as ServiceAnswer;
    } catch (e) {
      throw noServices(a, e);
    }
  }

  async events(a: Address): Promise<Record<string, unknown>[]> {
    return ((await this.call(a, "GET", "/api/events")) as { events: Record<string, unknown>[] }).events;
  }

  fire(a: Address, form: Record<string, string>): Promise<Record<string, unknown>> {
    return this.call(a, "POST", "/api/events", form) as Promise<Record<string, unknown>>;
  }

  /** POST /api/node/key: a phase of rotating the cluster secret (device/core/rotate.ts). */
  key(a: Address, form: Record<string, string>): Promise<Record<string, unknown>> {
    return this.call(a, "POST", "/api/node/key", form) as Promise<Record<string, unknown>>;
  }

  restart(a: Address): Promise<Record<string, unknown>> {
    return this.call(a, "POST", "/api/node/restart") as Promise<Record<string, unknown>>;
  }

  /** POST /api/node/dashboard: installs the gzipped dashboard page. */
  async installDashboard(a: Address, page: string, crc: string): Promise<Record<string, unknown>> {
    const r = await this.transport.request({ host: a.host, port: a.port, method: "POST", path: "/api/node/dashboard", headers: { ...this.auth(), "X-Spore-CRC32": crc, "Content-Type": "text/html" }, body: page, timeoutMs: 30000 });
    return parse(a, "POST", "/api/node/dashboard", r) as Record<string, unknown>;
  }

  /** GET /api/jobs: the node's jobs, their counters, its limits and event queue. */
  jobs(a: Address): Promise<JobListing> {
    return noJobs(a, this.call(a, "GET", "/api/jobs")) as Promise<JobListing>;
  }

  /** POST /api/jobs: replaces the node's job set with `body` (a job document as JSON); a 400 leaves the old set running. */
  /**
   * POST /api/jobs. A node short of memory answers 202 {restart: true,
   * generation}: it keeps the set, restarts and checks it at boot; this waits
   * for it to come back (up to a minute) and says what became of the set.
   */
  async deployJobs(a: Address, body: Buffer): Promise<JobsChange> {
    const r = (await noJobs(a, this.sendJson(a, "POST", "/api/jobs", body))) as JobsChange & { restart?: boolean };
    if (!r.restart) return r;
    const t = this.transport;
    const end = t.now() + 60000;
    // (the restart comes half a second after the answer: the first look is after it)
    await t.sleep(3000);
    while (t.now() < end) {
      let l: JobListing | undefined;
      try {
        l = await this.jobs(a);
      } catch {
        l = undefined;
      }
      if (l && l.generation >= r.generation) return { success: true, jobs: l.jobs.length, generation: l.generation, restarted: true };
      const why = l?.refused?.find((x) => x.startsWith("the set deployed for this boot"));
      if (why) throw new ApiError(`${label(a)}: POST /api/jobs: refused at its restart: ${why.replace(/^[^:]*: /, "")}`, 400, why);
      await t.sleep(1000);
    }
    throw new ApiError(`${label(a)}: POST /api/jobs: the node restarted to install the set and did not show it within 60 s`, 504);
  }

  /** DELETE /api/jobs[?name=]: removes every job, or the one named. */
  removeJobs(a: Address, name?: string): Promise<JobsChange> {
    return noJobs(a, this.call(a, "DELETE", name === undefined ? "/api/jobs" : `/api/jobs?name=${encodeURIComponent(name)}`)) as Promise<JobsChange>;
  }

  /** GET /api/kv: every key of the node's KV store, and its figures. */
  kvList(a: Address): Promise<KvListing> {
    return noJobs(a, this.call(a, "GET", "/api/kv")) as Promise<KvListing>;
  }

  kvGet(a: Address, key: string): Promise<KvEntry> {
    return noKey(a, key, this.call(a, "GET", kvPath(key))) as Promise<KvEntry>;
  }

  /** PUT /api/kv/<key>[?durable=1][&ttl=s]: `json` is the value as JSON text. */
  kvPut(a: Address, key: string, json: string, o: { durable?: boolean; ttl?: number } = {}): Promise<KvPutAnswer> {
    const query = [o.durable ? "durable=1" : "", o.ttl !== undefined ? `ttl=${o.ttl}` : ""].filter(Boolean).join("&");
    return noJobs(a, this.sendJson(a, "PUT", kvPath(key) + (query ? `?${query}` : ""), Buffer.from(json, "utf8"))) as Promise<KvPutAnswer>;
  }

  kvDel(a: Address, key: string): Promise<Record<string, unknown>> {
    return noKey(a, key, this.call(a, "DELETE", kvPath(key))) as Promise<Record<string, unknown>>;
  }

  /** A JSON body (UTF-8 bytes, as Espruino's byte strings keep them), with the secret. */
  private async sendJson(a: Address, method: string, path: string, body: Buffer): Promise<unknown> {
    const req = { host: a.host, port: a.port, method, path, headers: { ...this.auth(), "Content-Type": "application/json" }, body, timeoutMs: 30000 };
    let r = await this.transport.request(req);
    // a job set or a KV value answered 503 "busy" changed nothing (the node refuses before it parses), and sending it
    // again is what was asked: asked again, as a GET is
    for (let i = 1; i <= BUSY_RETRIES && r.status === 503 && /"busy/.test(r.body); i++) {
      await this.transport.sleep(500 * i);
      r = await this.transport.request(req);
    }
    return parse(a, method, path, r);
  }

  /** POST /api/node/update; the reply whatever its status (the caller decides what 503 means). */
  upload(a: Address, code: string, crc: string, onProgress?: (sent: number, total: number) => void): Promise<HttpReply> {
    return this.transport.request({
      host: a.host,
      port: a.port,
      method: "POST",
      path: "/api/node/update",
      headers: { ...this.auth(), "X-Spore-CRC32": crc, "Content-Type": "application/javascript" },
      body: code,
      timeoutMs: 60000,
      onProgress,
    });
  }
}

/** GET /api/services (host-tools/schema/api/services.schema.json). */
export interface ServiceListing {
  services: { name: string; providers: { hostname: string; version: number; state: "healthy" | "open" | "half-open" | "inactive" | "gone" }[] }[];
  calls: number;
}

/** POST /api/services/call's answer (host-tools/schema/api/service-call.schema.json). */
export interface ServiceAnswer {
  service: string;
  result: unknown;
  from: string;
  ms: number;
}

/** GET /api/jobs (the jobs capability). */
export interface JobListing {
  generation: number;
  jobs: JobState[];
  limits: { jobs: number; steps: number; runs: number };
  queue: { length: number; capacity: number; policy: string | number; dropped: number };
  /** jobs refused at boot, each "jobs[i]...: reason" */
  refused: string[];
}

/** A job as GET /api/jobs shows it: its definition's head and its counters. */
export interface JobState {
  name: string;
  trigger: Record<string, unknown> & { type: string };
  concurrency: "serial" | "concurrent";
  max_instances: number;
  runs: number;
  errors: number;
  skipped: number;
  running: number;
  /** the node's uptime in ms when it last ran, null before its first run */
  lastRun: number | null;
  lastMs: number | null;
  lastError: string | null;
}

/** POST and DELETE /api/jobs's answer. */
export interface JobsChange {
  success: true;
  jobs: number;
  generation: number;
  /** the node had no memory to check the set now: it kept it, restarted, and installed it at boot (deployJobs waited) */
  restarted?: boolean;
}

/** A key of the KV store: ttl is the seconds it has left (null: none). */
export interface KvEntry {
  key: string;
  value: unknown;
  ttl: number | null;
  durable: boolean;
}

/** GET /api/kv. */
export interface KvListing {
  keys: KvEntry[];
  stats: { keys: number; bytes: number; capacity: { keys: number; bytes: number }; evicted: number; expired: number; flushes: number };
}

export interface KvPutAnswer {
  success: true;
  key: string;
  value: unknown;
}

const kvPath = (key: string) => `/api/kv/${encodeURIComponent(key)}`;

/** A 404 "not found" (the router's: no such endpoint) from a node whose board leaves the jobs capability out, said as such; a node's own 404s ("no job x") pass. */
/** A board without the control capability (esp01) serves no settings endpoint: said so, not "not found". */
async function noControl<T>(a: Address, method: string, p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof ApiError && e.status === 404 && e.detail === "not found") throw new ApiError(`${label(a)} does not serve ${method} /api/node/config: its board leaves the control capability out (esp01); flash its settings (host-tools flash)`, 404);
    throw e;
  }
}

async function noJobs<T>(a: Address, p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof ApiError && e.status === 404 && e.detail === "not found") throw new ApiError(`${label(a)} serves no /api/jobs or /api/kv: its board leaves the jobs capability out (boards/<board>.json capabilities)`, 404, e.detail);
    throw e;
  }
}

/** A 404 for a key: the node has no such key (a node without the jobs capability, which has no KV store at all, answers so too). */
async function noKey<T>(a: Address, key: string, p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) throw new ApiError(`${label(a)}: ${e.detail && e.detail !== "not found" ? e.detail : `no key ${JSON.stringify(key)}`}`, 404, e.detail);
    throw e;
  }
}

/** A 404 from a node without the services capability (esp01) said as such. */
function noServices(a: Address, e: unknown): unknown {
  if (e instanceof ApiError && e.status === 404) return new ApiError(`${label(a)} serves no services API: its board leaves the services capability out (esp01 always, esp8266 unless the project turns it on); point --api-node (or --node) at an esp32 node`, 404);
  return e;
}

/** Times a GET answered 503 "busy" is asked again (after 0.5, 1, 1.5, 2 s). */
export const BUSY_RETRIES = 4;

function parse(a: Address, method: string, path: string, r: HttpReply): unknown {
  let value: unknown;
  try {
    value = JSON.parse(r.body);
  } catch {
    throw new ApiError(`${label(a)}: ${method} ${path}: ${r.status}, not JSON: ${JSON.stringify(r.body.slice(0, 80))}`, r.status);
  }
  const detail = (value as { error?: unknown } | null)?.error;
  if (r.status !== 200 && r.status !== 202) throw new ApiError(`${label(a)}: ${method} ${path}: ${r.status} ${detail ?? r.body}`, r.status, typeof detail === "string" ? detail : undefined);
  return value;
}

/** The message to show for a failed call. */
export function problem(e: unknown): string {
  if (e instanceof ApiError || e instanceof NetworkError) return e.message;
  return e instanceof Error ? e.message : String(e);
}
