// Board files: the physical limits of each board and the budgets of its bundle.
import { readdirSync } from "node:fs";
import { basename, join } from "node:path";
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
}

export interface Board {
  name: string;
  description: string;
  espruino: { image: string; envBoard: string; version: string; cliBoard: string };
  limits: BoardLimits;
  /** Limits the firmware applies (compiled in as SPORE_LIMITS). */
  node: { memberTable: number; detailTable: number; eventLog: number; body: number; conns: number; minFree: number; mqtt: number; dash: number; stream: number; hellos: number; backlog: number; unsentMax: number; hwRandom: number };
  budgets: { bundleBytes: number; idleJsVars: number; idleJsVarsMqtt?: number; dashboardBytes?: number };
  notes?: string[];
}

export const BOARDS_DIR = join(REPO_ROOT, "boards");
const SCHEMA = join(BOARDS_DIR, "board.schema.json");

export function loadBoardFile(file: string): Board {
  const board = loadJsonFile<Board>(SCHEMA, file);
  const expected = basename(file, ".json");
  if (board.name !== expected) throw new JsonFileError(`${file}: /name: must be "${expected}" (the file name), found "${board.name}"`);
  return board;
}

export function loadBoards(dir = BOARDS_DIR): Board[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json") && !f.endsWith(".schema.json"))
    .sort()
    .map((f) => loadBoardFile(join(dir, f)));
}

export function loadBoard(name: string, dir = BOARDS_DIR): Board {
  const names = loadBoards(dir).map((b) => b.name);
  if (!names.includes(name)) throw new JsonFileError(`unknown board "${name}": known boards are ${names.join(", ")}`);
  return loadBoardFile(join(dir, `${name}.json`));
}
