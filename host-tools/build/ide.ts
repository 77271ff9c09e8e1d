// The file the Espruino Web IDE sends (dist/<board>.ide.js): plain ASCII
// JavaScript that installs Spore. The IDE treats what it sends as text (it
// decodes the file as UTF-8, and its parser must read it), so the
// pretokenised bundle cannot go as it is: here it travels in base64 (smaller
// than \xNN escapes for the bundle and far smaller for the gzipped
// dashboard), written into Storage with atob in chunks of CHUNK bytes (while
// one is written, its base64 and its bytes cost about 150 JsVars).
//
// Two ways, by board:
// - "flash" (boards with two slots): Save on Send "Direct to Flash" stores
//   the file as .bootcde, which runs at every boot. It is the boot file
//   (device/boot.ts, plain: the boot file cannot be rewritten while it runs)
//   after an installer that runs only when the marker file spore.i does not
//   hold this file's mark: it writes the firmware into slot a, the dashboard,
//   the configuration if the file carries one (else spore.json is kept), the
//   boot state (slot a confirmed with its CRC32, a generation above any copy
//   there) and the mark. The boot file that follows then runs slot a. Later
//   boots skip the installer (Espruino makes no strings for code it skips:
//   lexing it is all they pay), also after updates over the air.
// - "storage" (esp01: 16 KiB cannot hold the firmware twice, nor a plain boot
//   file beside a slot): Save on Send "To Storage File" named spore.a stores
//   the file in the slot and loads it; it writes the pretokenised boot file
//   into .bootcde (nothing runs from it meanwhile), the configuration if it
//   carries one and a boot state without a firmware, then loads the boot
//   file, which waits in recovery mode for `host-tools ota update`; that
//   upload replaces the installer in spore.a.
// Either refuses to run on the wrong board, and from the wrong file (writing
// the file that runs would garble it).
import * as acorn from "acorn";
import type { Board } from "./boards.ts";
import { checkEspruinoSubset } from "./espruino-subset.ts";
import { BOOT_FILE, CONFIG_FILE, crc32Of, DASHBOARD_FILE, type ImageFile, type LayoutRow, SLOT_FILES, stateMaxBytes, STATE_FILES, storageLayout } from "./image.ts";
import { footprint } from "../lib/storage-format.ts";

/** Holds the mark of the IDE file whose payload is installed ("flash" way). */
export const MARK_FILE = "spore.i";
/** Bytes written into Storage per statement (1,024 characters of base64). */
export const CHUNK = 768;

export type IdeMode = "flash" | "storage";

export function ideMode(board: Board): IdeMode {
  return board.limits.slots > 1 ? "flash" : "storage";
}

/** What to set in the Web IDE (Settings, Communications) for a board's file. */
export function ideSettings(board: Board): string {
  return ideMode(board) === "flash"
    ? `Save on Send: "Direct to Flash (execute code at boot)"`
    : `Save on Send: "To Storage File", Send to File in Storage: ${SLOT_FILES[0]}, Load after saving: "Load the Storage File just written to"`;
}

/** Statements writing an 8-bit string into a Storage file, then checking it reads back (S is the Storage module). */
function writeStatements(f: ImageFile): string[] {
  const name = JSON.stringify(f.name);
  const lines: string[] = [];
  for (let at = 0; at < f.data.length; at += CHUNK) {
    const chunk = JSON.stringify(Buffer.from(f.data.slice(at, at + CHUNK), "latin1").toString("base64"));
    lines.push(at === 0 ? `S.write(${name},atob(${chunk}),0,${f.data.length});` : `S.write(${name},atob(${chunk}),${at});`);
  }
  lines.push(`if(E.CRC32(S.read(${name}))!==${crc32Of(f.data)})return print(${JSON.stringify(`${SAY}${f.name} does not read back as written: not installed`)});`);
  return lines;
}

export interface IdeParts {
  board: Board;
  /** The pretokenised firmware bundle (dist/<board>.js) and the version it reports. */
  firmware: string;
  version: string;
  /** The boot file: pretokenised (storage way) and plain (flash way). */
  boot: string;
  bootPlain: string;
  /** The gzipped dashboard, for boards that serve it. */
  dashboard?: string;
  /** spore.json to write; none: an existing one is kept. */
  config?: Record<string, unknown>;
}

export interface IdeFile {
  board: string;
  mode: IdeMode;
  code: string;
  bytes: number;
  /** Identifies what this file installs; "flash" way: what spore.i holds once it is installed. */
  mark: string;
}

const SAY = "Spore installer: ";

export function ideFile(p: IdeParts): IdeFile {
  const board = p.board;
  const mode = ideMode(board);
  // what it writes (the configuration as UTF-8, as the node reads it back)
  const files: ImageFile[] = mode === "flash" ? [{ name: SLOT_FILES[0], data: p.firmware }] : [{ name: BOOT_FILE, data: p.boot }];
  if (mode === "flash" && p.dashboard !== undefined) files.push({ name: DASHBOARD_FILE, data: p.dashboard });
  if (p.config) files.push({ name: CONFIG_FILE, data: Buffer.from(JSON.stringify(p.config)).toString("latin1") });
  const mark = "spore-ide:" + crc32Of(files.map((f) => f.name + "\n" + f.data).join("\n")).toString(16).padStart(8, "0");
  // the file that runs the installer, and the one it must not be
  const [runs, other] = mode === "flash" ? [BOOT_FILE, SLOT_FILES[0]] : [SLOT_FILES[0], BOOT_FILE];
  const settings = ideSettings(board);
  // room for what it writes, at its largest, not counting the files it replaces
  const need = files.reduce((n, f) => n + footprint(f.data.length), footprint(stateMaxBytes(board))) + (mode === "flash" ? footprint(mark.length) : 0);
  const body = [
    `if(process.env.BOARD!==${JSON.stringify(board.espruino.envBoard)})return print(${JSON.stringify(`${SAY}this file is for ${board.espruino.envBoard} (${board.name}), not `)}+process.env.BOARD);`,
    // the mark is in this file: in the file that runs, not in the other
    `x=S.read(r);y=S.read(o);if(!x||x.indexOf(k)<0||y&&y.indexOf(k)>=0)return print(${JSON.stringify(`${SAY}not run from ${runs}: send it with ${settings}${mode === "storage" ? ` (if ${BOOT_FILE} holds this file too, erase it first)` : ""}`)});`,
    `x=S.getStats();if(x.freeBytes+x.trashBytes<${need})return print(${JSON.stringify(`${SAY}Storage has too little room (${need} bytes needed): erase files you do not need`)});`,
    `print(${JSON.stringify(`${SAY}writing ${mode === "flash" ? `Spore ${p.version}` : "the boot file"}`)});`,
    ...files.flatMap(writeStatements),
    // a generation above both copies: the boot file takes the newer one
    `x=S.readJSON(${JSON.stringify(STATE_FILES[0])},1);y=S.readJSON(${JSON.stringify(STATE_FILES[1])},1);n=Math.max(x?x.g|0:0,y?y.g|0:0)+1;`,
    `S.writeJSON("spore.s"+(n&1),${mode === "flash" ? `{g:n,a:"a",t:0,m:0,ca:${crc32Of(p.firmware)}}` : `{g:n,a:"",t:0,m:0}`});`,
    ...(mode === "flash"
      ? [`S.write(${JSON.stringify(MARK_FILE)},k);`, `print(${JSON.stringify(`${SAY}done`)});`]
      : [`print(${JSON.stringify(`${SAY}done; the node waits in recovery mode for its firmware: host-tools ota update <its address>`)});`, `load();`]),
  ];
  const call = `(function(S,r,o,k,n,x,y){\n${body.join("\n")}\n})(require("Storage"),${JSON.stringify(runs)},${JSON.stringify(other)},${JSON.stringify(mark)});\n`;
  const head =
    `// Spore for ${board.name}${mode === "flash" ? ` (${p.version})` : " (the boot file; the firmware comes over the air)"}, for the Espruino Web IDE: ${settings}.\n` +
    (p.config ? "// It holds the cluster secret: keep it private.\n" : "");
  const code =
    mode === "flash"
      ? // runs at every boot: the installer only while this file's payload is not installed, then the boot file
        head + `if(require("Storage").read(${JSON.stringify(MARK_FILE)})!==${JSON.stringify(mark)})${call}` + p.bootPlain
      : head + call;
  checkIdeFile(board.name, code);
  return { board: board.name, mode, code, bytes: code.length, mark };
}

/** The IDE's own checks, and ours: ASCII only, a script its parser (acorn, ES2020) reads, the Espruino subset. */
export function checkIdeFile(board: string, code: string): void {
  const bad = /[^\x09\x0a\x0d\x20-\x7e]/.exec(code);
  if (bad) throw new Error(`${board}: the IDE file has a character outside printable ASCII (code ${bad[0].charCodeAt(0)}) at ${bad.index}`);
  try {
    acorn.parse(code, { ecmaVersion: 2020, sourceType: "script" });
  } catch (e) {
    throw new Error(`${board}: the IDE file does not parse as a script: ${(e as Error).message}`);
  }
  const problems = checkEspruinoSubset(code);
  if (problems.length) throw new Error(`${board}: the IDE file uses JavaScript that Espruino 2v29 does not run:\n  ${problems.map((x) => `${x.line}:${x.column + 1}: ${x.message}`).join("\n  ")}`);
}

/**
 * Storage with the IDE file installed and everything else at its largest.
 * "flash": the file is .bootcde for good, with the mark beside it; "storage":
 * while the installer waits in spore.a for the firmware (after that the
 * Storage is what the flash tool leaves, image.ts storageLayout).
 */
export function ideLayout(board: Board, ide: IdeFile, bootBytes: number): { rows: LayoutRow[]; used: number; free: number } {
  if (ide.mode === "flash") {
    const l = storageLayout(board, ide.bytes);
    const rows = [...l.rows, { file: MARK_FILE, bytes: footprint(ide.mark.length), what: "installed IDE file's mark" }];
    const used = l.used + rows[rows.length - 1].bytes;
    return { rows, used, free: board.limits.storageBytes - used };
  }
  const l = storageLayout(board, bootBytes);
  const rows = l.rows.map((r) => (r.file === SLOT_FILES[0] ? { file: r.file, bytes: footprint(ide.bytes), what: "the installer, until the firmware replaces it" } : r));
  const used = rows.reduce((n, r) => n + r.bytes, 0);
  return { rows, used, free: board.limits.storageBytes - used };
}
