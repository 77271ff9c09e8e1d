// Adapts Espruino's HTTP server to the core's request and response records.
// Refuses politely: 503 when too many connections are open or JsVars run low
// (every socket and every buffered byte costs on the chip), 413 for a body
// over the board's limit, without buffering it. Espruino always closes the
// connection after a response, which ends the body.
import { error, header, json } from "../core/api.ts";
import { C, O } from "../core/env.ts";
import type { HttpRequest, HttpResponse } from "../core/env.ts";

/** The 413 for a body over the limit, declared or as it comes. */
const TOO_LARGE = "body over " + SPORE_LIMITS.body + " bytes";

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
      // the dashboard (boards with room for it): gzipped HTML streamed from flash as it is
      if (SPORE_LIMITS.dash && req.method === "GET" && req.url.split("?")[0] === "/") {
        const page = require("Storage").read("spore.html");
        if (!page) return send(error(404, "no dashboard installed (host-tools dashboard install)"));
        state = 1;
        res.writeHead(200, { "Content-Type": "text/html", "Content-Encoding": "gzip" });
        return E.pipe(page, res, { chunkSize: 256 });
      }
      // installing the dashboard: the page streamed into Storage, its length and CRC32 checked (a failed one is erased)
      if (SPORE_LIMITS.dash && req.method === "POST" && req.url.split("?")[0] === "/api/node/dashboard") {
        const S = require("Storage");
        const a = header(req.headers, "authorization");
        const size = parseInt(header(req.headers, "content-length"), 10);
        const crc = parseInt(header(req.headers, "x-spore-crc32"), 16);
        let got = 0;
        if (!C.key || a !== "Bearer " + C.key) return send(error(401, "cluster secret required"));
        if (!(size > 0) || !(crc >= 0)) return send(error(400, "need Content-Length, X-Spore-CRC32"));
        if (size > SPORE_DASHBOARD_BYTES) return send(error(413, "over " + SPORE_DASHBOARD_BYTES + " bytes"));
        S.erase("spore.html");
        req.on("data", (d) => {
          try {
            if (!state && got + d.length <= size) S.write("spore.html", d, got, size);
          } catch (e) {
            send(error(413, "no room"));
          }
          got += d.length;
        });
        return req.on("end", () => {
          if (got === size && E.CRC32(S.read("spore.html") as string) === crc) return send(json(200, { success: true, bytes: size }));
          S.erase("spore.html");
          send(error(400, got === size ? "bad checksum" : got < size ? "truncated at " + got : "body too long"));
        });
      }
      if (open > SPORE_LIMITS.conns) send(error(503, "busy: connections"));
      // over the limit, declared or as it comes (written twice, not a closure: each costs JsVars per request)
      if (parseInt(header(req.headers, "content-length"), 10) > SPORE_LIMITS.body) send(error(413, TOO_LARGE));
      req.on("data", (d) => {
        body += d;
        if (body.length > SPORE_LIMITS.body) send(error(413, TOO_LARGE));
        if (state) body = "";
      });
      req.on("end", () => {
        // memory counted again where the answer is made, at once: since the connection came, another request or
        // datagrams piling up unsent can have taken it (on the real interpreter, a node starved of CPU ran out here)
        if (state) return;
        if (O.jsvars() < SPORE_LIMITS.minFree) return send(error(503, "busy: memory"));
        try {
          send(handler({ method: req.method, path: req.url.split("?")[0], headers: req.headers, body: body }));
        } catch (e) {
          send(error(400, "bad request"));
        }
      });
    })
    .listen(port);
}
