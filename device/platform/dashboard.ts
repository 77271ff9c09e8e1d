// The dashboard capability (boards whose "capabilities" include
// "dashboard"): the browser dashboard at GET /, gzipped HTML streamed from
// flash as it is, and its upload, streamed into Storage with its length and
// CRC32 checked (a failed one is erased). The build leaves this module out of
// boards without it.
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
    S.erase(StorageFile.Dashboard);
    req.on("data", (d: string) => {
      try {
        if (!answered() && got + d.length <= size) S.write(StorageFile.Dashboard, d, got, size);
      } catch (e) {
        send(error(413, "no room"));
      }
      got += d.length;
    });
    req.on("end", () => {
      if (got === size && E.CRC32(S.read(StorageFile.Dashboard) as string) === crc) return send(json(200, { success: true, bytes: size }));
      S.erase(StorageFile.Dashboard);
      send(error(400, got === size ? "bad checksum" : got < size ? "truncated at " + got : "body too long"));
    });
  }
  return true;
}
