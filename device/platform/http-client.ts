// One HTTP GET with a watchdog: Espruino's client has no timeout or abort.
import type { HttpGet } from "../core/ports.ts";

const TIMEOUT_MS = 5000;
const MAX_BODY = 4096;

export const httpGet: HttpGet = (ip, port, path, cb) => {
  let done = false;
  let timer = 0;
  const finish = (err: string, body: string) => {
    if (done) return;
    done = true;
    if (timer) clearTimeout(timer);
    cb(err, body);
  };
  timer = setTimeout(() => finish("timeout", ""), TIMEOUT_MS);
  try {
    const req = require("http").request({ host: ip, port: port, path: path, method: "GET" }, (res) => {
      let body = "";
      res.on("data", (d) => {
        body += d;
        if (body.length > MAX_BODY) finish("answer too large", "");
      });
      res.on("close", () => finish(res.statusCode === "200" ? "" : "status " + res.statusCode, body));
    });
    req.on("error", (e) => finish("error " + (e && e.message), ""));
    req.end();
  } catch (e) {
    finish("error " + (e as Error).message, "");
  }
};
