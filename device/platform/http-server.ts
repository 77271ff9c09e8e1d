// Adapts Espruino's HTTP server to the core's request/response records.
// Bodies over the board's limit are refused with 413 without being buffered.
import type { HttpRequest, HttpResponse } from "../core/ports.ts";

export type HttpHandler = (req: HttpRequest) => HttpResponse;

const TOO_LARGE: HttpResponse = { code: 413, body: '{"error":"body too large"}', type: "application/json" };

function reply(res: EspruinoHttpServerResponse, r: HttpResponse): void {
  res.writeHead(r.code, { "Content-Type": r.type, "Content-Length": r.body.length });
  res.end(r.body);
}

export function serveHttp(port: number, maxBody: number, handler: HttpHandler): EspruinoHttpServer {
  const server = require("http").createServer((req, res) => {
    const u: { pathname: string; query: Record<string, string> | null } = url.parse(req.url, true);
    const declared = parseInt(req.headers["Content-Length"] || req.headers["content-length"] || "0", 10);
    if (declared > maxBody) {
      reply(res, TOO_LARGE);
      return;
    }
    let body = "";
    let refused = false;
    req.on("data", (d) => {
      if (refused) return;
      if (body.length + d.length > maxBody) {
        refused = true;
        body = "";
        reply(res, TOO_LARGE);
        return;
      }
      body += d;
    });
    req.on("end", () => {
      if (refused) return;
      reply(res, handler({ method: req.method, path: u.pathname, query: u.query || {}, headers: req.headers, body: body }));
    });
  });
  server.listen(port);
  return server;
}
