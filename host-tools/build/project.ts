// espruino.json: the project's cluster, WiFi, ports, boards and MQTT broker.
import { join } from "node:path";
import { loadBoards } from "./boards.ts";
import { JsonFileError, loadJsonFile } from "./json-schema.ts";
import { REPO_ROOT } from "./paths.ts";

export interface Project {
  /** oldSecretEnv: the variable holding the secret nodes were flashed with, when it is not the cluster secret (flash unlocks their console with it). */
  cluster: { name: string; secretEnv: string; oldSecretEnv?: string };
  wifi: { ssid: string; passwordEnv: string };
  ports: { http: number; udp: number };
  boards: string[];
  emulator?: { nodes?: string[]; portOffset?: number };
  /** Capability overrides (host-tools/build/capabilities.ts): loadBoards() applies them. */
  capabilities?: Record<string, Record<string, boolean>>;
  /** The broker flash writes into spore.json for boards with MQTT; the schema fills in what is left out. */
  /** Written into spore.json ("qp", "kvf") for boards with the jobs capability. */
  jobs?: { overflow?: "drop_oldest" | "coalesce_latest"; kvFlushSeconds?: number };
  /** Written into spore.json ("ovl", "ovs") for boards with the health capability. */
  health?: { overloadPercent?: number; overloadSeconds?: number; gridIntensity?: number };
  /** Written into spore.json ("pdw") for boards with the placement capability. */
  placement?: { dwellSeconds?: number };
  /** Written into spore.json ("gm", "pmn", "pmx", "cq") for boards with the adaptive capability. */
  gossip?: { mode?: "auto" | "aggressive" | "normal" | "conservative" | "emergency"; shortestPeriodMs?: number; longestPeriodMs?: number; calmSeconds?: number };
  /** Written into spore.json ("bpn", "bfs", "bmn", "bmx", "blw") for boards with the adaptive capability. */
  battery?: { pin: string; fullScaleMv?: number; emptyMv?: number; fullMv?: number; lowPercent?: number };
  mqtt?: { host: string; port: number; prefix: string; period: number; homeAssistant: boolean; userEnv?: string; passwordEnv?: string };
}

export const PROJECT_FILE = join(REPO_ROOT, "espruino.json");
const SCHEMA = join(REPO_ROOT, "host-tools", "schema", "espruino.schema.json");

export function loadProject(file = PROJECT_FILE): Project {
  const project = loadJsonFile<Project>(SCHEMA, file);
  const known = loadBoards().map((b) => b.name);
  const check = (field: string, names: string[]) => {
    for (const n of names) if (!known.includes(n)) throw new JsonFileError(`${file}: ${field}: unknown board "${n}" (known: ${known.join(", ")})`);
  };
  check("/boards", project.boards);
  check("/emulator/nodes", project.emulator?.nodes ?? []);
  check("/capabilities", Object.keys(project.capabilities ?? {}).filter((k) => k !== "*"));
  return project;
}
