// Size and memory per board: bundle bytes against the budget, and JsVars in
// use at idle (the emulator's accounting) by member count.
import { loadBoard } from "../../../host-tools/build/boards.ts";
import { bundleBoard } from "../../../host-tools/build/bundle.ts";
import { Cluster } from "../../../host-tools/emulator/cluster.ts";
import type { Plan } from "../plan.ts";

const BOARDS = ["esp01", "esp8266", "esp32"];

export interface SizeResult {
  board: string;
  bytes: number;
  budget: number;
  /** JsVars in use at idle (the emulator's accounting), by member count, and the board's idle budget. */
  idle: { members: number; usage: number }[];
  idleBudget: number;
}

export async function sizes(plan: Plan, seed: number, log: (s: string) => void): Promise<SizeResult[]> {
  const out: SizeResult[] = [];
  for (const name of BOARDS) {
    const board = loadBoard(name);
    const built = await bundleBoard(board, { write: false });
    const idle: SizeResult["idle"] = [];
    for (const m of plan.idleMembers) {
      const members = m === "max" ? board.node.memberTable : m;
      // the node measured is of this board; the others esp32 (their table holds everyone)
      const c = new Cluster({ seed, boards: [name, ...Array.from({ length: members }, () => "esp32")] });
      // time to meet everyone, then 30 s of idle
      c.runFor(60000 + members * 500);
      const d = c.devices[0];
      idle.push({ members, usage: d.memory().usage });
      log(`  ${name}: ${d.memory().usage} JsVars in use at idle with ${members} members`);
      await c.stop();
    }
    out.push({ board: name, bytes: built.bytes, budget: built.budget, idle, idleBudget: board.budgets.idleJsVars });
  }
  return out;
}
