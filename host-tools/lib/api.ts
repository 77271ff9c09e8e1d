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
}

/** The node answered with an error status. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
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
  if (r.status !== 200) throw new ApiError(`${label(a)}: ${method} ${path}: ${r.status} ${(value as { error?: string }).error ?? r.body}`, r.status);
  return value;
}

/** The message to show for a failed call. */
export function problem(e: unknown): string {
  if (e instanceof ApiError || e instanceof NetworkError) return e.message;
  return e instanceof Error ? e.message : String(e);
}
