// The node's configuration, read from the Storage file CONFIG_FILE at boot.
// Keys are short because every property costs JsVars on the chip.

export const CONFIG_FILE = "spore.json";

export interface NodeConfig {
  /** WiFi network to join as a station. */
  ssid: string;
  /** WiFi password ("" for an open network). */
  pass: string;
  /** Cluster name: nodes ignore datagrams from other clusters. */
  cl: string;
  /** Cluster secret: checks datagrams and authenticates mutating HTTP requests. */
  key: string;
  /** HTTP API port. */
  http: number;
  /** UDP port for discovery and gossip. */
  udp: number;
  /** Least milliseconds between announcements (more with more members). */
  ann: number;
  /** Milliseconds to wait for the station before starting the access point. */
  apw: number;
  /** Milliseconds per probe round (one member probed per round). */
  prd: number;
  /** Seconds without news before a member is INACTIVE. */
  ina: number;
  /** Seconds without news before a member is DEAD. */
  dead: number;
  /** Seconds a DEAD member is kept before it is forgotten. */
  fgt: number;
}

export function defaultConfig(): NodeConfig {
  return { ssid: "", pass: "", cl: "spore", key: "", http: 80, udp: 4210, ann: 5000, apw: 20000, prd: 1000, ina: 10, dead: 60, fgt: 300 };
}

/** Least and greatest value of each numeric key. */
const RANGE: Record<string, number[]> = { http: [1, 65535], udp: [1, 65535], ann: [100, 3600000], apw: [1000, 3600000], prd: [200, 60000], ina: [2, 3600], dead: [3, 86400], fgt: [0, 604800] };

/**
 * Merges a stored configuration over the defaults. Returns the errors found;
 * a bad field keeps its default so a broken file never stops the node booting.
 */
export function readConfig(raw: unknown, errors: string[]): NodeConfig {
  const config = defaultConfig();
  if (raw === undefined) {
    errors.push(CONFIG_FILE + " missing: using defaults");
    return config;
  }
  if (raw === null || typeof raw !== "object") {
    errors.push(CONFIG_FILE + " is not an object: using defaults");
    return config;
  }
  const src = raw as Record<string, unknown>;
  const target = config as unknown as Record<string, unknown>;
  for (const key of Object.keys(config)) {
    const value = src[key];
    if (value === undefined) continue;
    const r = RANGE[key];
    const ok = r ? typeof value === "number" && value >= r[0] && value <= r[1] && Math.floor(value) === value : typeof value === "string" && value.length < 64;
    if (ok) target[key] = value;
    else errors.push(CONFIG_FILE + ": bad " + key);
  }
  if (config.dead <= config.ina) {
    errors.push(CONFIG_FILE + ": dead must exceed ina");
    config.ina = 10;
    config.dead = 60;
  }
  if (!config.key) errors.push(CONFIG_FILE + ": no cluster key: mutating requests are refused");
  return config;
}
