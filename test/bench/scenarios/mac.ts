// The datagram MAC's cost per board (device/core/mac.ts): the bytes it adds
// to the bundle, the JsVars its keys hold (the emulator's accounting), and,
// where ESPRUINO_BIN names Espruino's Linux build, ms per datagram body on
// the real interpreter with the loops to scale them by
// (test/real/harness/mac-cost.ts, as test/real/probes/mac.ts prints it).
import { loadavg } from "node:os";
import { loadBoard } from "../../../host-tools/build/boards.ts";
import { bundleBoard } from "../../../host-tools/build/bundle.ts";
import { Cluster } from "../../../host-tools/emulator/cluster.ts";
import { StorageFile } from "../../../device/core/layout.ts";
import { Mac } from "../../../device/core/mac.ts";
import { type MacCost, macCost, PERFORMANCE_PAGE_LOOP_PER_S } from "../../real/harness/mac-cost.ts";
import { ESPRUINO_ENV } from "../../real/harness/interpreter.ts";
import type { Plan } from "../plan.ts";

const BOARDS = ["esp01", "esp8266", "esp32"];
/** The boards Espruino's Linux build stands in for (12-byte JsVars; README, The real interpreter). */
const REAL = ["esp01", "esp8266"];
/** A file's header in Storage. */
const STORAGE_HEADER = 32;

export interface MacBoardResult {
  board: string;
  /** The MAC module with its platform glue (as test/real/probes/mac-entry.ts carries it), pretokenised. */
  moduleBytes: number;
  /** The firmware bundle with the arrays kept in flash (main.ts keepInFlash) less the same without: 0 where they stay in RAM. */
  flashKeepingBytes: number;
  /** JsVars its key holds at idle in the emulator: the hash's arrays and Speck's round keys, one Uint32Array (in RAM or a view of flash). */
  arraysJsVars: number;
  arraysIn: "RAM" | "flash";
  /** Bytes of Storage the arrays take (spore.k with its header; 0 when in RAM). */
  storageBytes: number;
  /** On the real interpreter (ESPRUINO_BIN), the boards it stands in for. */
  real?: MacCost;
}

export interface MacResult {
  boards: MacBoardResult[];
  /** Why there are no real-interpreter figures, when there are none. */
  skipped?: string;
  /** The machine's load average while the interpreter ran (figures from a busy machine are slower). */
  load?: number[];
  /** Iterations per second of `while(1){A0.set();A0.reset();}` on the original Espruino board: what chip estimates scale by. */
  pageLoopPerS: number;
}

/** The emulator's JsVars for the MAC's key (the arrays and Speck64/128's 27 round keys) on a node: found among the firmware's globals by type and length. */
function keyJsVars(board: string, seed: number) {
  const c = new Cluster({ seed, boards: [board] });
  // the arrays are derived a part per pass of the idle loop after boot
  c.runFor(20000);
  const d = c.devices[0];
  const sizes = JSON.parse(
    d.eval(`(function () {
  var a = -1;
  for (var n in global) {
    var v = global[n];
    if (v instanceof Uint32Array && v.length == ${Mac.Keys}) a = E.getSizeOf(v);
  }
  return JSON.stringify(a);
})()`) as string,
  ) as number;
  const file = d.storage.read(StorageFile.MacKeys);
  return { arraysJsVars: sizes, storageBytes: file === undefined ? 0 : file.length + STORAGE_HEADER };
}

export async function macCosts(plan: Plan, seed: number, log: (s: string) => void): Promise<MacResult> {
  const out: MacResult = { boards: [], pageLoopPerS: PERFORMANCE_PAGE_LOOP_PER_S };
  for (const name of BOARDS) {
    const board = loadBoard(name);
    const module = await bundleBoard(board, { entry: new URL("../../real/probes/mac-entry.ts", import.meta.url).pathname, write: false });
    const withFlash = board.node.macFlash ? (await bundleBoard(board, { write: false })).bytes - (await bundleBoard({ ...board, node: { ...board.node, macFlash: 0 } }, { write: false })).bytes : 0;
    const keys = keyJsVars(name, seed);
    const r: MacBoardResult = { board: name, moduleBytes: module.bytes, flashKeepingBytes: withFlash, ...keys, arraysIn: board.node.macFlash ? "flash" : "RAM" };
    log(`  MAC on ${name}: ${r.moduleBytes} + ${r.flashKeepingBytes} bytes of bundle; keys ${r.arraysJsVars} JsVars (arrays and round keys, ${r.arraysIn}${r.storageBytes ? `, ${r.storageBytes} B of Storage` : ""})`);
    if (REAL.includes(name)) {
      out.load ??= loadavg();
      r.real = await macCost(board, plan.macRuns);
      if (r.real) log(`    real interpreter: ${r.real.sizes.map((s) => `${s.bytes} B ${s.macMs} ms`).join(", ")}; keys ${r.real.keyMs} ms, ${r.real.arraysJsVars} JsVars with the key in RAM; empty loop ${r.real.emptyLoopMs} ms per 1,000; pin loop ${r.real.pinLoopPerS}/s`);
    }
    out.boards.push(r);
  }
  if (!out.boards.some((b) => b.real)) {
    out.skipped = `${ESPRUINO_ENV} is not set: ms per datagram on the real interpreter not measured (README, The real interpreter)`;
    delete out.load;
    log(`  ${out.skipped}`);
  }
  return out;
}
