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
  /** HTTP API port. */
  http: number;
  /** UDP port for discovery and gossip. */
  udp: number;
  /** Milliseconds between announcements. */
  ann: number;
}

export function defaultConfig(): NodeConfig {
  return { ssid: "", pass: "", cl: "spore", http: 80, udp: 4210, ann: 5000 };
}

function isPort(v: unknown): boolean {
  return typeof v === "number" && v > 0 && v < 65536 && Math.floor(v) === v;
}

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
    const ok = typeof target[key] === "string" ? typeof value === "string" : key === "ann" ? typeof value === "number" && value >= 100 : isPort(value);
    if (ok) target[key] = value;
    else errors.push(CONFIG_FILE + ": bad " + key);
  }
  return config;
}
