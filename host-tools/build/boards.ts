// Board files: the physical limits of each board and the budgets of its bundle.
import { readdirSync } from "node:fs";
import { basename, join } from "node:path";
import { applyOverrides, projectOverrides, type Capabilities, type CapabilityOverrides } from "./capabilities.ts";
import { JsonFileError, loadJsonFile } from "./json-schema.ts";
import { REPO_ROOT } from "./paths.ts";

export interface BoardLimits {
  jsVars: number;
  bytesPerJsVar: 12 | 14 | 16;
  storageBytes: number;
  udpMaxBytes: number;
  udpOversize: "drop" | "truncate";
  udpRecvBufferOption?: boolean;
  sockets: number;
  upload: ("serial" | "telnet")[];
  freeHeapBytes: number;
  cpuFreqMHz: number;
  flashChipBytes: number;
  sdkVersion: string;
  /** the chip: which Espruino object reports its state */
  chip: "ESP8266" | "ESP32";
  /** firmware slots in Storage */
  slots: 1 | 2;
}

/** Device classes, from the least a node may do to the most. */
export const DEVICE_CLASSES = ["minimal", "standard", "full"] as const;
export type DeviceClass = (typeof DEVICE_CLASSES)[number];

export interface Board {
  name: string;
  description: string;
  espruino: { image: string; envBoard: string; version: string; cliBoard: string };
  /** Its device class and what the class may do (gossiped as SPORE_CLASS). */
  class: { name: DeviceClass; may: string[] };
  /** The capabilities built in: the board file's, with espruino.json's overrides applied by loadBoards(). */
  capabilities: Capabilities;
  limits: BoardLimits;
  /** The chip's power profile from its datasheet (the energy estimate: SPORE_POWER_*). */
  power: { volts: number; idleMa: number; activeMa: number; txMa: number; airtimeMs: number; source: string };
  /** Limits the firmware applies (compiled in as SPORE_LIMITS). */
  node: { memberTable: number; detailTable: number; eventLog: number; body: number; conns: number; minFree: number; hellos: number; backlog: number; unsentMax: number; hwRandom: number; macFlash: number; calls: number; served: number; jobs: number; jobSteps: number; jobRuns: number; queue: number; kvKeys: number; kvBytes: number; kvDurable: number; spoolCount: number; spoolBytes: number };
  budgets: { bundleBytes: number; idleJsVars: number; idleJsVarsMqtt?: number; dashboardBytes?: number };
  notes?: string[];
}

export const BOARDS_DIR = join(REPO_ROOT, "boards");
const SCHEMA = join(BOARDS_DIR, "board.schema.json");

/** A board file as it is, checked against the schema; overrides (espruino.json "capabilities") applied to its capabilities. */
export function loadBoardFile(file: string, overrides: CapabilityOverrides = {}): Board {
  const board = loadJsonFile<Board>(SCHEMA, file);
  const expected = basename(file, ".json");
  if (board.name !== expected) throw new JsonFileError(`${file}: /name: must be "${expected}" (the file name), found "${board.name}"`);
  board.capabilities = applyOverrides(board.name, board.capabilities, overrides);
  if (board.capabilities.services && (board.node.calls < 1 || board.node.served < 1))
    throw new JsonFileError(`${file}: the services capability needs /node/calls and /node/served of 1 or more (found ${board.node.calls} and ${board.node.served}): set them, or turn services off for ${board.name}`);
  const n = board.node;
  if (board.capabilities.jobs && !(n.jobs && n.jobSteps && n.jobRuns && n.kvKeys && n.kvBytes))
    throw new JsonFileError(`${file}: the jobs capability needs /node/jobs, jobSteps, jobRuns, kvKeys and kvBytes of 1 or more: set them, or turn jobs off for ${board.name}`);
  if (board.capabilities.codecs && !board.capabilities.jobs) throw new JsonFileError(`${file}: the codecs capability needs jobs (codecs are the parse step's): turn jobs on, or codecs off, for ${board.name}`);
  if (board.capabilities.spool && !(board.capabilities.mqtt && board.capabilities.jobs && n.spoolCount && n.spoolBytes && n.kvDurable))
    throw new JsonFileError(`${file}: the spool capability needs mqtt, jobs, /node/spoolCount and spoolBytes of 1 or more and kvDurable 1 (Storage written while code runs: flash.ts): set them, or turn spool off for ${board.name}`);
  if (board.capabilities.leader && !board.capabilities.health) throw new JsonFileError(`${file}: the leader capability needs health (who may lead rides on the health summary): turn health on, or leader off, for ${board.name}`);
  if (board.capabilities.placement && !board.capabilities.health) throw new JsonFileError(`${file}: the placement capability needs health (eligibility rides on the health summary): turn health on, or placement off, for ${board.name}`);
  return board;
}

/** Every board in dir, with the repository's espruino.json capability overrides (or the ones given). */
export function loadBoards(dir = BOARDS_DIR, overrides: CapabilityOverrides = projectOverrides()): Board[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json") && !f.endsWith(".schema.json"))
    .sort()
    .map((f) => loadBoardFile(join(dir, f), overrides));
}

export function loadBoard(name: string, dir = BOARDS_DIR, overrides: CapabilityOverrides = projectOverrides()): Board {
  const names = loadBoards(dir, overrides).map((b) => b.name);
  if (!names.includes(name)) throw new JsonFileError(`unknown board "${name}": known boards are ${names.join(", ")}`);
  return loadBoardFile(join(dir, `${name}.json`), overrides);
}
