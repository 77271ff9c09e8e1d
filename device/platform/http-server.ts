// Adapts Espruino's HTTP server to the core's request and response records.
// Refuses politely: 503 when too many connections are open or JsVars run low
// (every socket and every buffered byte costs on the chip), 413 for a body
// over the board's limit, without buffering it, 408 for a body not all there
// within Http.BodyMs of the headers (a few connections held open with a
// Content-Length and no body took every connection the node serves).
// With the stream capability a GET (no body: one sent is dropped) is answered
// at once, as its headers come, with a listener shared by every request and
// a built-in one: measured on the real interpreter (2v29, 12-byte JsVars), the
// closures, timer and listeners a request waiting for its "end" held cost 50
// JsVars more while it was open, on top of Espruino's own 56 to 80 for the
// connection.
// Espruino always closes the connection after a response, which ends the
// body. (A connection whose headers never end is Espruino's, not ours: it
// never reaches this code; see README, Security.)
import { error, header } from "../core/api.ts";
import { ports } from "../core/env.ts";
import type { HttpRequest, HttpResponse } from "../core/env.ts";
import { dashboardRequest } from "./dashboard.ts";

/** Milliseconds a request's body may take after its headers (const enum: no JsVars). */
const enum Http {
  BodyMs = 10000,
}

/** The 413 for a body over the limit, declared or as it comes. */
const TOO_LARGE = "body over " + SPORE_LIMITS.body + " bytes";

/** Connections open. */
let open = 0;

/** A connection gone: one listener for every request without a body (a closure would cost JsVars per request). */
function closed(): void {
  open--;
}

/** Writes the answer to a GET (the stream capability); pieces from r.more_ follow one per "drain". */
function reply(res: any, r: HttpResponse): void {
  const more = r.more_;
  let i = 0;
  res.writeHead(r.code_, { "Content-Type": "application/json" });
  if (!more) return res.end(r.body_);
  res.on("drain", () => {
    let piece = more(i++);
    while (piece === "") piece = more(i++);
    if (piece === undefined) res.end();
    else res.write(piece);
  });
  res.write(r.body_);
}

export function serveHttp(port: number, handler: (req: HttpRequest) => HttpResponse): void {
  require("http")
    .createServer((req, res) => {
      // the boot file (device/boot.ts) takes update and restart requests, and streams an update's body into Storage itself
      if (global._SB && _SB(req, res)) return;
      const path = req.url.split("?")[0];
      open++;
      // on boards with the stream capability (esp01 has no room for this code): a GET is answered at once, its body,
      // if it has one, dropped (nothing here reads it); the same refusals as a request answered at its "end" below
      if (SPORE_CAPS.stream && req.method === "GET") {
        req.on("close", closed);
        // data nobody listens for, Espruino keeps (up to 512 bytes, then more in its receive buffer): a built-in
        // function takes it, no function of ours to hold
        req.on("data", Boolean);
        // the dashboard capability: GET /
        if (SPORE_CAPS.dashboard && dashboardRequest(req, res, path, (r) => reply(res, r), () => 0)) return;
        let r: HttpResponse;
        if (open > SPORE_LIMITS.conns) r = error(503, "busy: connections");
        else if (ports.jsvars_() < SPORE_LIMITS.minFree) r = error(503, "busy: memory");
        else
          try {
            r = handler({ method_: req.method, path_: SPORE_CAPS.jobs ? req.url : path, headers_: req.headers, body_: "" });
          } catch (e) {
            r = error(400, "bad request");
          }
        return reply(res, r);
      }
      let body = "";
      let state = 0; // 0 receiving, 1 answered, 2 closed
      let i = 0;
      // writes the answer once; pieces from r.more_ follow one per "drain" (reply()'s work, written out here: called,
      // it costs esp01 45 bytes it does not have)
      const send = (r: HttpResponse): void => {
        const more = r.more_;
        // an answer that comes later (a service call): sent, once, whenever it does (not once the connection is gone)
        if (SPORE_CAPS.services && r.wait_) return r.wait_(send);
        if (state) return;
        state = 1;
        res.writeHead(r.code_, { "Content-Type": "application/json" });
        if (more)
          res.on("drain", () => {
            let piece = more(i++);
            while (piece === "") piece = more(i++);
            if (piece === undefined) res.end();
            else res.write(piece);
          });
        if (more) res.write(r.body_);
        else res.end(r.body_);
      };
      // (0 once it is gone: Espruino 2v29 gives a timer's id to the next timer made, and clearing it again would
      // clear that one, a timer a handler made, as the jobs task once was; clearTimeout(0) does nothing)
      let slow = 0;
      req.on("close", () => {
        clearTimeout(slow);
        if (state < 2) open--;
        state = 2;
      });
      // the dashboard capability: GET / where GETs take the path above, and the upload
      if (SPORE_CAPS.dashboard && dashboardRequest(req, res, path, send, () => state)) return;
      // a body that does not come in time is answered 408, which closes the connection (the dashboard upload has its own stall timer)
      slow = setTimeout(() => {
        slow = 0;
        send(error(408, "body not received in time"));
      }, Http.BodyMs);
      if (open > SPORE_LIMITS.conns) send(error(503, "busy: connections"));
      // over the limit, declared or as it comes (written twice, not a closure: each costs JsVars per request)
      if (parseInt(header(req.headers, "content-length"), 10) > SPORE_LIMITS.body) send(error(413, TOO_LARGE));
      req.on("data", (d) => {
        body += d;
        if (body.length > SPORE_LIMITS.body) send(error(413, TOO_LARGE));
        if (state) body = "";
      });
      req.on("end", () => {
        // the body is all there: its timer goes now, not with the connection (a timer holds about 10 JsVars
        // while a long answer streams)
        clearTimeout(slow);
        slow = 0;
        // memory counted again where the answer is made, at once: since the connection came, another request or
        // datagrams piling up unsent can have taken it (on the real interpreter, a node starved of CPU ran out here)
        if (state) return;
        if (ports.jsvars_() < SPORE_LIMITS.minFree) return send(error(503, "busy: memory"));
        try {
          // the body only in the request given (a handler that is done with it drops it: a job set's text is
          // garbage once parsed)
          const r: HttpRequest = { method_: req.method, path_: SPORE_CAPS.jobs ? req.url : path, headers_: req.headers, body_: body };
          if (SPORE_CAPS.jobs) body = "";
          send(handler(r));
        } catch (e) {
          send(error(400, "bad request"));
        }
      });
    })
    .listen(port);
}
