// Adapts Espruino's HTTP server to the core's request/response records.
// Refuses politely: 503 when too many connections are open or JsVars run low
// (every socket and every buffered byte costs on the chip), 413 for a body
// over the board's limit, without buffering it.
import { header } from "../core/api.ts";
import type { HttpRequest, HttpResponse } from "../core/ports.ts";

export type HttpHandler = (req: HttpRequest) => HttpResponse;

export interface ServerLimits {
  /** largest request body, bytes */
  body: number;
  /** connections served at once */
  conns: number;
  /** JsVars that must stay free to take a request */
  minFree: number;
}

function refuse(code: number, message: string): HttpResponse {
  return { code: code, body: JSON.stringify({ error: message }), type: "application/json" };
}

/** Writes a response; pieces from r.more follow one per "drain". Calls done once sent. */
function reply(res: EspruinoHttpServerResponse, r: HttpResponse, done: () => void): void {
  const more = r.more;
  if (!more) {
    res.writeHead(r.code, { "Content-Type": r.type, "Content-Length": r.body.length });
    res.end(r.body);
    done();
    return;
  }
  let i = 0;
  res.writeHead(r.code, { "Content-Type": r.type });
  res.on("drain", () => {
    let piece = more(i++);
    while (piece === "") piece = more(i++);
    if (piece === undefined) {
      res.end();
      done();
    } else res.write(piece);
  });
  res.write(r.body);
}

export function serveHttp(port: number, limits: ServerLimits, handler: HttpHandler): EspruinoHttpServer {
  let open = 0;
  const server = require("http").createServer((req, res) => {
    let counted = true;
    open++;
    const done = () => {
      if (counted) open--;
      counted = false;
    };
    req.on("close", done);
    const send = (r: HttpResponse) => {
      reply(res, r, done);
      if (r.after) setTimeout(r.after, 500);
    };
    if (open > limits.conns) return send(refuse(503, "busy: too many connections"));
    if (process.memory(false).free < limits.minFree) return send(refuse(503, "busy: low memory"));
    const declared = parseInt(header(req.headers, "content-length") || "0", 10);
    if (declared > limits.body) return send(refuse(413, "body over " + limits.body + " bytes"));
    let body = "";
    let refused = false;
    req.on("data", (d) => {
      if (refused) return;
      if (body.length + d.length > limits.body) {
        refused = true;
        body = "";
        send(refuse(413, "body over " + limits.body + " bytes"));
        return;
      }
      body += d;
    });
    req.on("end", () => {
      if (refused) return;
      let r: HttpResponse;
      try {
        const u: { pathname: string; query: Record<string, string> | null } = url.parse(req.url, true);
        r = handler({ method: req.method, path: u.pathname, query: u.query || {}, headers: req.headers, body: body });
      } catch (e) {
        r = refuse(400, "bad request");
      }
      send(r);
    });
  });
  server.listen(port);
  return server;
}
