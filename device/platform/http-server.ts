// Adapts Espruino's HTTP server to the core's request and response records.
// Refuses politely: 503 when too many connections are open or JsVars run low
// (every socket and every buffered byte costs on the chip), 413 for a body
// over the board's limit, without buffering it. Espruino always closes the
// connection after a response, which ends the body.
import { error, header } from "../core/api.ts";
import type { HttpRequest, HttpResponse } from "../core/env.ts";

export function serveHttp(port: number, handler: (req: HttpRequest) => HttpResponse): void {
  let open = 0;
  require("http")
    .createServer((req, res) => {
      // the boot file (device/boot.ts) takes update and restart requests, and streams an update's body into Storage itself
      if (global._SB && _SB(req, res)) return;
      let body = "";
      let state = 0; // 0 receiving, 1 answered, 2 closed
      let i = 0;
      open++;
      // writes the answer; pieces from r.more follow one per "drain"
      const send = (r: HttpResponse) => {
        const more = r.more;
        if (state) return;
        state = 1;
        res.writeHead(r.code, { "Content-Type": "application/json" });
        if (more)
          res.on("drain", () => {
            let piece = more(i++);
            while (piece === "") piece = more(i++);
            if (piece === undefined) res.end();
            else res.write(piece);
          });
        if (more) res.write(r.body);
        else res.end(r.body);
      };
      req.on("close", () => {
        if (state < 2) open--;
        state = 2;
      });
      const limit = () => send(error(413, "body over " + SPORE_LIMITS.body + " bytes"));
      if (open > SPORE_LIMITS.conns) send(error(503, "busy: connections"));
      if (process.memory(false).free < SPORE_LIMITS.minFree) send(error(503, "busy: memory"));
      if (parseInt(header(req.headers, "content-length"), 10) > SPORE_LIMITS.body) limit();
      req.on("data", (d) => {
        body += d;
        if (body.length > SPORE_LIMITS.body) limit();
        if (state) body = "";
      });
      req.on("end", () => {
        if (!state)
          try {
            send(handler({ method: req.method, path: req.url.split("?")[0], headers: req.headers, body: body }));
          } catch (e) {
            send(error(400, "bad request"));
          }
      });
    })
    .listen(port);
}
