// What a node keeps in Storage, declared once: the file names, the keys of
// its configuration (spore.json) and of the boot state. Keys stored in flash
// stay short (each costs bytes there and JsVars when read); everything that
// only lives in RAM has readable names the build shortens (properties ending
// in "_", see host-tools/build/mangle.ts). host-tools/schema/spore.schema.json
// describes spore.json for users and tools (test/unit/layout.test.ts keeps the
// two in step); the host tools import the file names from here.

/** Storage files (const enum: the build writes the strings where they are used, see wire.ts). */
export const enum StorageFile {
  /** the configuration: Config below */
  Config = "spore.json",
  /** the firmware slots are SlotPrefix + "a" and + "b" (one slot, "a", on boards with slots 1) */
  SlotPrefix = "spore.",
  /** the boot state, two copies written alternately (BootState below) */
  State0 = "spore.s0",
  State1 = "spore.s1",
  /** the boot number, as decimal text (platform/boot-number.ts); kept by flash */
  Boots = "spore.n",
  /** the dashboard, gzipped HTML (boards with the dashboard) */
  Dashboard = "spore.html",
  /** a dashboard upload until its length and CRC32 are checked: then copied over Dashboard and erased */
  DashboardUpload = "spore.up",
  /** the jobs capability: the job set, two copies written alternately ({g, version, jobs}) */
  Jobs0 = "spore.j0",
  Jobs1 = "spore.j1",
  /** a job set taken while the node had no memory to check it: checked at the next boot (jobs.ts) */
  JobsNext = "spore.jn",
  /** the KV store's durable keys, two copies written alternately */
  Kv0 = "spore.v0",
  Kv1 = "spore.v1",
  /** the boot file compacted Storage and restarted (boards with jobs: device/boot.ts); erased at the next boot */
  Compacted = "spore.c",
  /** the MQTT spool's segment files: SpoolPrefix + n in base 36 */
  SpoolPrefix = "spore.q",
  /** the datagram MAC's secret arrays, derived from the cluster secret (boards with node.macFlash: read from flash, not held in RAM); rewritten when the secret changes */
  MacKeys = "spore.k",
  /** the boot file (device/boot.ts), Espruino's own name */
  BootCode = ".bootcde",
}

/** Defaults of the keys the boot file reads itself (it does not carry readConfig). */
export const enum BootDefault {
  Http = 80,
  ApWait = 20000,
  Hold = 30000,
  Trial = 300000,
}

/** The "mq" settings (boards with MQTT; read by device/platform/mqtt.ts when needed, never kept). */
export interface MqttSettings {
  host: string;
  port?: number;
  prefix?: string;
  /** telemetry period, seconds */
  period?: number;
  user?: string;
  pass?: string;
  /** Home Assistant discovery */
  ha?: boolean;
}

/** spore.json. */
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
  /** The services capability: a provider's circuit opens after cbn failures in a row, for cbc ms (then one trial call). */
  cbn?: number;
  cbc?: number;
  /** The jobs capability: a full event queue drops the oldest (0) or keeps the latest per source (1); seconds between durable KV writes. */
  qp?: number;
  kvf?: number;
  /** the health capability: the load percent that makes a node OVERLOADED when held for ovs seconds (health.ts) */
  ovl?: number;
  ovs?: number;
  /** the health capability: grid carbon intensity, g CO2 / kWh */
  ci?: number;
  /** the adaptive capability (adapt.ts): a fixed mode (0 adapts), the aggressive and emergency periods (ms), calm seconds before conservative */
  gm?: number;
  pmn?: number;
  pmx?: number;
  cq?: number;
  /** the adaptive capability: the battery's ADC pin ("" none), mV at a reading of 1 (the divider included), mV empty and full, the low percent */
  bpn?: string;
  bfs?: number;
  bmn?: number;
  bmx?: number;
  blw?: number;
  /** the placement capability: the dwell, seconds (placement.ts) */
  pdw?: number;
  /** Read by the boot file only: ms a version on trial must run healthy before it is confirmed, and ms before an unconfirmed one is rolled back. */
  hold?: number;
  trial?: number;
  /** The MQTT broker (boards with MQTT). */
  mq?: MqttSettings;
}

/** The boot state ("spore.s0"/"spore.s1", device/boot.ts). */
export interface BootState {
  /** generation: the copy with the higher one wins */
  g: number;
  /** slot to run, "" for recovery mode */
  a: string;
  /** trial: 0 confirmed, 1 installed, 2 booted once unconfirmed */
  t: number;
  /** members when it was updated */
  m: number;
  /** the CRC32 each slot had when it was accepted (-1: a version that failed) */
  ca?: number;
  cb?: number;
}

/**
 * Merges a stored configuration over the defaults, pushing what was wrong
 * onto errors (messages about StorageFile.Config); a bad field keeps its
 * default, so a broken file never stops the node booting. (hold, trial and
 * mq are read where they are used.)
 */
export function readConfig(raw: unknown, errors: string[]): Config {
  // a local table: read once at boot, then garbage (a module-level one would cost about 60 JsVars for good)
  // strings: default; numbers: default, least, greatest (whole numbers only)
  const keys: Record<string, any> = {
    ssid: "",
    pass: "",
    cl: "spore",
    key: "",
    http: [BootDefault.Http, 1, 65535],
    udp: [4210, 1, 65535],
    ann: [5000, 100, 3600000],
    apw: [BootDefault.ApWait, 1000, 3600000],
    prd: [1000, 200, 60000],
    ina: [10, 2, 3600],
    dead: [60, 3, 86400],
    fgt: [300, 0, 604800],
  };
  if (SPORE_CAPS.services) {
    keys.cbn = [3, 1, 100];
    keys.cbc = [10000, 100, 3600000];
  }
  if (SPORE_CAPS.health) {
    // OVERLOADED: load percent held for a window of ovs seconds (health.ts)
    keys.ovl = [80, 10, 100];
    keys.ovs = [10, 4, 600];
    // the grid's carbon intensity, g CO2 per kWh, for the energy estimate
    keys.ci = [400, 0, 2000];
  }
  if (SPORE_CAPS.adaptive) {
    // adaptive gossip (adapt.ts): a fixed mode, the shortest and longest periods, calm seconds before conservative
    keys.gm = [0, 0, 4];
    keys.pmn = [600, 200, 60000];
    keys.pmx = [4000, 200, 60000];
    keys.cq = [60, 5, 86400];
    // the battery: its ADC pin, mV at a reading of 1, mV empty and full, the percent that is low (emergency)
    keys.bpn = "";
    keys.bfs = [4200, 100, 60000];
    keys.bmn = [3300, 0, 59999];
    keys.bmx = [4200, 1, 60000];
    keys.blw = [20, 0, 100];
  }
  // movable tasks: seconds a node must have been eligible before a task is placed on it (placement.ts)
  if (SPORE_CAPS.placement) keys.pdw = [30, 0, 3600];
  if (SPORE_CAPS.jobs) {
    keys.qp = [0, 0, 1];
    keys.kvf = [30, 1, 86400];
  }
  const config: Record<string, any> = {};
  const stored = (raw && typeof raw === "object" ? raw : {}) as Record<string, any>;
  if (stored !== raw) errors.push("unreadable");
  for (const k in keys) {
    const d = keys[k];
    const v = stored[k];
    const numeric = typeof d === "object";
    config[k] = numeric ? d[0] : d;
    // strings travel in datagrams and headers: no '|', at most 63 characters
    if (v !== undefined && (numeric ? typeof v === "number" && v >= d[1] && v <= d[2] && Math.floor(v) === v : typeof v === "string" && v.length < 64 && v.indexOf("|") < 0)) config[k] = v;
    else if (v !== undefined) errors.push("bad " + k + " (" + (numeric ? d[1] + ".." + d[2] : "text, no |") + ")");
  }
  if (config.dead <= config.ina) {
    errors.push("dead <= ina: 10, 60");
    config.ina = 10;
    config.dead = 60;
  }
  if (SPORE_CAPS.adaptive && !(config.pmn <= config.prd && config.prd <= config.pmx && config.bmn < config.bmx)) {
    errors.push("pmn <= prd <= pmx, bmn < bmx: " + [config.pmn, config.prd, config.pmx] + "; defaults kept");
    config.pmn = Math.min(600, config.prd);
    config.pmx = Math.max(4000, config.prd);
    config.bmn = 3300;
    config.bmx = 4200;
  }
  if (!config.key) errors.push("no key: POST refused");
  return config as Config;
}

export function defaultConfig(): Config {
  return readConfig({}, []);
}
