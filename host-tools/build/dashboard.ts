// The dashboard: one HTML page (device/dashboard/index.html: CSS and JS
// inline, no framework, no CDN), stored gzipped in a node's Storage and
// streamed from flash as it is (Content-Encoding: gzip) by boards that have
// room for it (capabilities.dashboard).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { DIST_DIR, REPO_ROOT } from "./paths.ts";

export const DASHBOARD_SOURCE = join(REPO_ROOT, "device", "dashboard", "index.html");
/** The gzipped page in dist/ (the emulator's nodes get it from there). */
export const DASHBOARD_DIST_FILE = "dashboard.html.gz";
const DASHBOARD_DIST = join(DIST_DIR, DASHBOARD_DIST_FILE);

export interface Dashboard {
  /** The gzipped page as an 8-bit string (what goes into Storage). */
  data: string;
  bytes: number;
  rawBytes: number;
}

/** The page as it is shipped: HTML comments are for whoever reads the source, not worth a node's flash. */
export function dashboardHtml(): string {
  return readFileSync(DASHBOARD_SOURCE, "utf8").replace(/<!--[\s\S]*?-->\n?/g, "");
}

export function buildDashboard(write = true): Dashboard {
  const raw = Buffer.from(dashboardHtml());
  // mtime 0: the same page gives the same bytes (and CRC32)
  const gz = gzipSync(raw, { level: 9 });
  gz.writeUInt32LE(0, 4);
  if (write) {
    mkdirSync(DIST_DIR, { recursive: true });
    writeFileSync(DASHBOARD_DIST, gz);
  }
  return { data: gz.toString("latin1"), bytes: gz.length, rawBytes: raw.length };
}
