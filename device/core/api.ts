// The HTTP API's endpoint registry. Endpoints register themselves, so the
// api list in the node status is always what the node really serves.
import type { HttpRequest, HttpResponse } from "./ports.ts";

export type Handler = (req: HttpRequest) => HttpResponse;

interface Endpoint {
  uri: string;
  method: string;
  handler: Handler;
  /** requires the cluster secret */
  auth: boolean;
}

export function json(code: number, value: unknown): HttpResponse {
  return { code: code, body: JSON.stringify(value), type: "application/json" };
}

export function error(code: number, message: string): HttpResponse {
  return json(code, { error: message });
}

/** A header's value whatever the case of its name (Espruino keeps the case sent); name in lower case. */
export function header(headers: Record<string, string>, name: string): string {
  for (const k in headers) if (k.toLowerCase() === name) return headers[k];
  return "";
}

/**
 * Parses an application/x-www-form-urlencoded body ("+" is a space).
 * Returns null when it is malformed.
 */
export function parseForm(body: string): Record<string, string> | null {
  const out: Record<string, string> = {};
  const parts = body ? body.split("&") : [];
  try {
    for (let i = 0; i < parts.length; i++) {
      const eq = parts[i].indexOf("=");
      const k = decodeURIComponent((eq < 0 ? parts[i] : parts[i].substr(0, eq)).replace(/\+/g, " "));
      if (!k) return null;
      out[k] = eq < 0 ? "" : decodeURIComponent(parts[i].substr(eq + 1).replace(/\+/g, " "));
    }
  } catch (e) {
    return null;
  }
  return out;
}

export class Api {
  private endpoints: Endpoint[];
  /** The cluster secret; "" refuses every authenticated request. */
  private readonly key: string;

  constructor(key: string) {
    this.endpoints = [];
    this.key = key;
  }

  /** Registers an endpoint; auth: it requires the cluster secret. */
  add(method: string, uri: string, handler: Handler, auth?: boolean): void {
    this.endpoints.push({ uri: uri, method: method, handler: handler, auth: !!auth });
  }

  /** "Authorization: Bearer <secret>" or "X-Spore-Key: <secret>". */
  authorized(req: HttpRequest): boolean {
    const a = header(req.headers, "authorization");
    const given = a.substr(0, 7) === "Bearer " ? a.substr(7) : header(req.headers, "x-spore-key");
    return !!this.key && given === this.key;
  }

  /** SPORE's api list: [{uri, method}]. */
  list(): { uri: string; method: string }[] {
    return this.endpoints.map((e) => ({ uri: e.uri, method: e.method }));
  }

  handle(req: HttpRequest): HttpResponse {
    let pathKnown = false;
    for (const e of this.endpoints) {
      if (e.uri !== req.path) continue;
      pathKnown = true;
      if (e.method === req.method) {
        if (e.auth && !this.authorized(req)) return error(401, "cluster secret required");
        try {
          return e.handler(req);
        } catch (err) {
          return error(500, "internal error: " + (err as Error).message);
        }
      }
    }
    return pathKnown ? error(405, "method not allowed") : error(404, "not found");
  }
}
