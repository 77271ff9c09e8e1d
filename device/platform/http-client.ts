// One HTTP GET with a watchdog: Espruino's client has no timeout or abort.
// Calls back exactly once with an error ("" for none) and the body.
export function httpGet(ip: string, port: number, path: string, cb: (err: string, body: string) => void): void {
  let body = "";
  let done = false;
  const finish = (err: string) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    cb(err, body);
  };
  const timer = setTimeout(finish, 5000, "timeout");
  try {
    const req = require("http").request({ host: ip, port: port, path: path, method: "GET" }, (res) => {
      res.on("data", (d) => {
        body += d;
        if (body.length > 4096) finish("too large");
      });
      res.on("close", () => finish(res.statusCode === "200" ? "" : "status"));
    });
    req.on("error", () => finish("failed"));
    req.end();
  } catch (e) {
    finish("failed");
  }
}
