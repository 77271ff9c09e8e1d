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
 * What the node serves besides the routes, as api list entries, each after a
 * comma: with a boot file (O.boot), its two endpoints (it answers them before
 * the API sees the request, see device/boot.ts); on a board with the
 * dashboard, its upload.
 */
function extra(): string {
  return (O.boot ? "," + entry("POST /api/node/update") + "," + entry("POST /api/node/restart") : "") + (SPORE_LIMITS.dash ? "," + entry("POST /api/node/dashboard") : "");
}

/** One entry of the api list, {uri, method}, as JSON, from a routes key ("METHOD /api/path"). */
function entry(k: string): string {
  const p = k.split(" ");
  return '{"uri":"' + p[1] + '","method":"' + p[0] + '"}';
}

/** SPORE's api list, [{uri, method}], as JSON: built as a string, it never exists as objects. */
export function endpoints(): string {
  let r = "";
  for (const k in routes) r += (r ? "," : "") + entry(k);
  return "[" + r + extra() + "]";
}

/** The i-th entry of the api list as JSON, undefined past the last: a response streams the list this way (boards with SPORE_LIMITS.stream). */
export function endpoint(i: number): string | undefined {
  for (const k in routes) if (!i--) return entry(k);
  const x = extra().split(",{")[i + 1];
  return x && "{" + x;
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
