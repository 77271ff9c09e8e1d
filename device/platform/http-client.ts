// One HTTP GET with a watchdog: Espruino's client has no timeout, and no
// abort but the "clsNow" flag its socket server checks.
// Calls back exactly once with an error ("" for none) and the body; reads at
// most Get.MaxBytes, and nothing more once it has called back (a peer that
// answers without end must not fill the node's memory).
/** The most a GET reads (a member's status is under 1,200 bytes); const enum: no JsVars. */
const enum Get {
  MaxBytes = 2048,
}

export function httpGet(ip: string, port: number, path: string, cb: (err: string, body: string) => void): void {
  let body = "";
  let done = false;
  let req: any;
  const finish = (err: string) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    // socketserver.c closes a request's socket on its next idle pass once "clsNow" is set: the only abort
    // Espruino's client has (a peer that never ends its answer held the socket for good)
    if (req) req.clsNow = true;
    cb(err, err ? "" : body);
    body = "";
  };
  const timer = setTimeout(finish, 5000, "timeout");
  try {
    req = require("http").request({ host: ip, port: port, path: path, method: "GET" }, (res) => {
      res.on("data", (d) => {
        if (done) return;
        body += d;
        if (body.length > Get.MaxBytes) finish("too large");
      });
      res.on("close", () => finish(res.statusCode === "200" ? "" : "status"));
    });
    req.on("error", () => finish("failed"));
    req.end();
  } catch (e) {
    finish("failed");
  }
}
