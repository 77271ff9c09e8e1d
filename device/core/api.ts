// The HTTP API. A node's endpoints are a list, "METHOD path|METHOD path|..."
// (paths under /api/), and a function that answers the i-th: the list is both
// what the node serves and its api list, so the two never disagree. It is a
// string in code (a function returns it), never kept in RAM: as a table of
// handlers with their keys, six endpoints cost 48 JsVars for good (measured
// on the real interpreter). Every method but GET mutates and needs the
// cluster secret.
import { C, O, str, type HttpRequest, type HttpResponse } from "./env.ts";

/** Answers the list's i-th endpoint. */
export type Answer = (i: number, req: HttpRequest) => HttpResponse;

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

/**
 * The api list's entries: the list's, then what the node serves besides it:
 * with a boot file (O.boot), its two endpoints (it answers them before the
 * API sees the request, see device/boot.ts); on a board with the dashboard,
 * its upload.
 */
function all(list: string): string[] {
  return (list + (O.boot ? "|POST node/update|POST node/restart" : "") + (SPORE_LIMITS.dash ? "|POST node/dashboard" : "")).split("|");
}

/** One entry of the api list, {uri, method}, as JSON, from "METHOD path". */
function entry(k: string): string {
  const p = k.split(" ");
  return '{"uri":"/api/' + p[1] + '","method":"' + p[0] + '"}';
}

/** SPORE's api list, [{uri, method}], as JSON: built as a string, it never exists as objects. */
export function endpoints(list: string): string {
  return "[" + all(list).map(entry).join(",") + "]";
}

/** The i-th entry of the api list as JSON, undefined past the last: a response streams the list this way (boards with SPORE_LIMITS.stream). */
export function endpoint(list: string, i: number): string | undefined {
  const k = all(list)[i];
  return k && entry(k);
}

/** Answers one request to the list's endpoints: 404, 405, 401 ("Authorization: Bearer <secret>" or "X-Spore-Key: <secret>"), or the answer (500 if it throws). */
export function handle(list: string, req: HttpRequest, answer: Answer): HttpResponse {
  // a path outside /api/ keeps its leading "/": no entry matches it
  const p = req.path.replace("/api/", "");
  const l = list.split("|");
  const i = l.indexOf(req.method + " " + p);
  if (i < 0) return l.indexOf("GET " + p) < 0 && l.indexOf("POST " + p) < 0 ? error(404, "not found") : error(405, "method not allowed");
  const a = header(req.headers, "authorization");
  if (req.method !== "GET" && (!C.key || (a.substr(0, 7) === "Bearer " ? a.substr(7) : header(req.headers, "x-spore-key")) !== C.key)) return error(401, "cluster secret required");
  try {
    return answer(i, req);
  } catch (e) {
    return error(500, "failed: " + (e as Error).message);
  }
}
