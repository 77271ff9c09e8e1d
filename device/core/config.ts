// The node's configuration, read from the Storage file CONFIG_FILE at boot.
// Keys are short because every property costs JsVars on the chip.

export const CONFIG_FILE = "spore.json";

export interface Config {
  /** WiFi network to join as a station, and its password ("" for an open network). */
  ssid: string;
  pass: string;
  /** Cluster name: nodes ignore datagrams from other clusters. */
  cl: string;
  /** Cluster secret: checks datagrams and authenticates mutating HTTP requests. */
  key: string;
  /** HTTP API port and UDP port for discovery and gossip. */
  http: number;
  udp: number;
  /** Least milliseconds between announcements (more with more members). */
  ann: number;
  /** Milliseconds to wait for the station before starting the access point. */
  apw: number;
  /** Milliseconds per probe round (one member probed per round). */
  prd: number;
  /** Seconds without news before a member is INACTIVE, then DEAD. */
  ina: number;
  dead: number;
  /** Seconds a DEAD member is kept before it is forgotten. */
  fgt: number;
}

/**
 * Merges a stored configuration over the defaults, pushing what was wrong
 * onto errors (messages about CONFIG_FILE); a bad field keeps its default, so a broken file never stops
 * the node booting.
 */
export function readConfig(raw: unknown, errors: string[]): Config {
  // a local table: read once at boot, then garbage (a module-level one would cost about 60 JsVars for good)
  // strings: default; numbers: default, least, greatest (whole numbers only)
  const KEYS: Record<string, any> = {
    ssid: "",
    pass: "",
    cl: "spore",
    key: "",
    http: [80, 1, 65535],
    udp: [4210, 1, 65535],
    ann: [5000, 100, 3600000],
    apw: [20000, 1000, 3600000],
    prd: [1000, 200, 60000],
    ina: [10, 2, 3600],
    dead: [60, 3, 86400],
    fgt: [300, 0, 604800],
  };
  const c: Record<string, any> = {};
  const src = (raw && typeof raw === "object" ? raw : {}) as Record<string, any>;
  if (src !== raw) errors.push("unreadable");
  for (const k in KEYS) {
    const d = KEYS[k];
    const v = src[k];
    const num = typeof d === "object";
    c[k] = num ? d[0] : d;
    // strings travel in datagrams and headers: no '|', at most 63 characters
    if (v !== undefined && (num ? typeof v === "number" && v >= d[1] && v <= d[2] && Math.floor(v) === v : typeof v === "string" && v.length < 64 && v.indexOf("|") < 0)) c[k] = v;
    else if (v !== undefined) errors.push("bad " + k + " (" + (num ? d[1] + ".." + d[2] : "text, no |") + ")");
  }
  if (c.dead <= c.ina) {
    errors.push("dead <= ina: 10, 60");
    c.ina = 10;
    c.dead = 60;
  }
  if (!c.key) errors.push("no key: POSTs refused");
  return c as Config;
}

export function defaultConfig(): Config {
  return readConfig({}, []);
}
