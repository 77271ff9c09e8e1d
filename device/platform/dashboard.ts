// The dashboard capability (boards whose "capabilities" include
// "dashboard"): the browser dashboard at GET /, gzipped HTML streamed from
// flash as it is, and its upload, streamed into a file of its own
// (StorageFile.DashboardUpload) with its length and CRC32 checked, then
// copied over the page a piece at a time: a bad, cut short or stalled upload
// (20 s without data) is erased and the page installed stays. The build
// leaves this module out of boards without it.
import { error, json } from "../core/api.ts";
import { authorized, header } from "../core/auth.ts";
import { EndpointPath } from "../core/endpoints.ts";
import { config } from "../core/env.ts";
import type { HttpResponse } from "../core/env.ts";
import { StorageFile } from "../core/layout.ts";

/** Takes GET / and the upload (true), or leaves the request to the API (false); `send` answers once. */
export function dashboardRequest(req: any, res: any, path: string, send: (r: HttpResponse) => void, answered: () => number): boolean {
  const S = require("Storage");
  if (req.method === "GET" && path === "/") {
    const page = S.read(StorageFile.Dashboard);
    if (!page) send(error(404, "no dashboard installed (host-tools dashboard install)"));
    else {
      res.writeHead(200, { "Content-Type": "text/html", "Content-Encoding": "gzip" });
      E.pipe(page, res, { chunkSize: 256 });
    }
    return true;
  }
  if (req.method !== "POST" || path !== EndpointPath.DashboardUpload) return false;
  const size = parseInt(header(req.headers, "content-length"), 10);
  const crc = parseInt(header(req.headers, "x-spore-crc32"), 16);
  let got = 0;
  if (!authorized(req.headers, config.key)) send(error(401, "cluster secret required"));
  else if (!(size > 0) || !(crc >= 0)) send(error(400, "need Content-Length, X-Spore-CRC32"));
  else if (size > SPORE_DASHBOARD_BYTES) send(error(413, "over " + SPORE_DASHBOARD_BYTES + " bytes"));
  else {
    let stall = 0;
    let done = 0;
    const up = StorageFile.DashboardUpload;
    // once (end, close or the stall timer): a good upload replaces the page; the upload file is erased either way
    const finish = (ok: boolean, message: string) => {
      clearTimeout(stall);
      if (done) return;
      done = 1;
      if (ok) {
        S.erase(StorageFile.Dashboard);
        for (let o = 0; o < size; o += 256) S.write(StorageFile.Dashboard, S.read(up, o, Math.min(256, size - o)) as string, o, size);
      }
      S.erase(up);
      send(ok ? json(200, { success: true, bytes: size }) : error(400, message));
    };
    const wait = () => {
      clearTimeout(stall);
      stall = setTimeout(() => finish(false, "stalled"), 20000);
    };
    S.erase(up);
    wait();
    req.on("data", (d: string) => {
      try {
        if (!answered() && got + d.length <= size) S.write(up, d, got, size);
      } catch (e) {
        S.erase(up);
        send(error(413, "no room"));
      }
      got += d.length;
      wait();
    });
    const end = () => finish(got === size && E.CRC32(S.read(up) as string) === crc, got === size ? "bad checksum" : got < size ? "truncated at " + got : "body too long");
    req.on("end", end);
    req.on("close", end);
  }
  return true;
}
