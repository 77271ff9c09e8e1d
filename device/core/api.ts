// The HTTP API's endpoint registry. Endpoints register themselves, so the api
// list in the node status is always what the node really serves. Every
// method but GET mutates and needs the cluster secret.
import { C, O, str, type HttpRequest, type HttpResponse } from "./env.ts";

export type Handler = (req: HttpRequest) => HttpResponse;

/** Handlers by "METHOD /path", in registration order. */
const routes: Record<string, Handler> = {};

export function json(code: number, value: any): HttpResponse {
  return { code: code, body: str(value) };
}

export function error(code: number, message: string): HttpResponse {
  return json(code, { error: message });
}

/** A header's value whatever the case of its name (Espruino keeps the case sent); name in lower case. */
export function header(headers: Record<string, string>, name: string): string {
  for (const k in headers) if (k.toLowerCase() === name) return headers[k];
  return "";
}

/** Parses an application/x-www-form-urlencoded body ("+" is a space); null when malformed. */
export function parseForm(body: string): Record<string, string> | null {
  const out: Record<string, string> = {};
  const parts = body ? body.split("&") : [];
  try {
    for (const p of parts) {
      const kv = p.replace(/\+/g, " ").split("=");
      const k = decodeURIComponent(kv[0]);
      if (!k || kv.length > 2) return null;
      out[k] = decodeURIComponent(kv[1] || "");
    }
  } catch (e) {
    return null;
  }
  return out;
}

/** Registers METHOD /api/<path>. */
export function add(method: string, path: string, fn: Handler): void {
  routes[method + " /api/" + path] = fn;
}

/**
 * SPORE's api list, [{uri, method}], as JSON: built as a string, it never
 * exists as objects. With a boot file (O.boot), its two endpoints too: it
 * answers them before the API sees the request (device/boot.ts).
 */
export function endpoints(): string {
  let r = "";
  for (const k in routes) {
    const p = k.split(" ");
    r += (r ? "," : "") + '{"uri":"' + p[1] + '","method":"' + p[0] + '"}';
  }
  return "[" + r + (O.boot ? ',{"uri":"/api/node/update","method":"POST"},{"uri":"/api/node/restart","method":"POST"}' : "") + (SPORE_LIMITS.dash ? ',{"uri":"/api/node/dashboard","method":"POST"}' : "") + "]";
}

/** Answers one request: 404, 405, 401 ("Authorization: Bearer <secret>" or "X-Spore-Key: <secret>"), or the handler's answer (500 if it throws). */
export function handle(req: HttpRequest): HttpResponse {
  const fn = routes[req.method + " " + req.path];
  if (!fn) {
    return routes["GET " + req.path] || routes["POST " + req.path] ? error(405, "method not allowed") : error(404, "not found");
  }
  const a = header(req.headers, "authorization");
  if (req.method !== "GET" && (!C.key || (a.substr(0, 7) === "Bearer " ? a.substr(7) : header(req.headers, "x-spore-key")) !== C.key)) return error(401, "cluster secret required");
  try {
    return fn(req);
  } catch (e) {
    return error(500, "failed: " + (e as Error).message);
  }
}
