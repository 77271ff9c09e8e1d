// The HTTP API. A node's endpoints are a list, "METHOD path|METHOD path|..."
// (Endpoint names, endpoints.ts), and a function that answers one by its
// name: the list is both what the node serves and its api list, so the two
// never disagree. It is a string in code (a function returns it), never kept
// in RAM: as a table of handlers with their keys, six endpoints cost 48
// JsVars for good (measured on the real interpreter). Every method but GET
// mutates and needs the cluster secret (auth.ts).
import { authorized, header } from "./auth.ts";
import { config, ports, str, type HttpRequest, type HttpResponse } from "./env.ts";

export { header };

/** Answers the endpoint named `name` ("METHOD path"); undefined when it has no answer for that name. */
export type Answer = (name: string, req: HttpRequest) => HttpResponse | undefined;

export function json(code: number, value: any): HttpResponse {
  return { code_: code, body_: str(value) };
}

export function error(code: number, message: string): HttpResponse {
  return json(code, { error: message });
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

/** The api list's entries: the core's list, then the endpoints served outside the core (ports.served_: the boot file's, the dashboard upload). */
function all(list: string): string[] {
  return (list + ports.served_()).split("|");
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

/** Another node's api list ("METHOD path|...", as details.ts keeps it) as JSON. */
export function expand(list: string): string {
  return "[" + (list ? list.split("|").map(entry).join(",") : "") + "]";
}

/** The i-th entry of the api list as JSON, undefined past the last: a response streams the list this way (boards with the stream capability). */
export function endpoint(list: string, i: number): string | undefined {
  const k = all(list)[i];
  return k && entry(k);
}

/** Answers one request to the list's endpoints: 404, 405, 401 (auth.ts), the answer (500 if it throws, or if the list names an endpoint `answer` has no branch for). */
export function handle(list: string, req: HttpRequest, answer: Answer): HttpResponse {
  // a path outside /api/ keeps its leading "/": no entry matches it
  let p = req.path_.replace("/api/", "");
  // the jobs capability: a query after the path (read by the endpoint), and the KV store's keys in it
  if (SPORE_CAPS.jobs) {
    p = p.split("?")[0];
    if (p.substr(0, 3) === "kv/") {
      try {
        req.key_ = decodeURIComponent(p.substr(3));
      } catch (e) {
        return error(400, "key: bad URI encoding");
      }
      p = "kv/*";
    }
  }
  const name = req.method_ + " " + p;
  let l: any = list.split("|");
  if (l.indexOf(name) < 0) return l.indexOf("GET " + p) < 0 && l.indexOf("POST " + p) < 0 ? error(404, "not found") : error(405, "method not allowed");
  // the list as an array holds about 3 JsVars an entry (60 on an esp8266 with jobs): gone before the answer is made
  if (SPORE_CAPS.jobs) l = 0;
  if (req.method_ !== "GET" && !authorized(req.headers_, config.key)) return error(401, "cluster secret required");
  try {
    return answer(name, req) || error(500, "no answer for " + name);
  } catch (e) {
    return error(500, "failed: " + (e as Error).message);
  }
}
