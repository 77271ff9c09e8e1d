// What an HTTP request needs on the real interpreter: one node of a
// converged cluster has its memory filled (an array typed at its console)
// until --levels free JsVars are left, then is asked GET /api/node/status and
// GET /api/cluster/members. Prints, per level, what each request got: 200
// (whole and valid JSON), 503, or no answer, and whether the node ran out of
// memory or leaked. Re-measures README "Boards" and the boards' minFree notes.
import { TROUBLE } from "../harness/cluster.ts";
import type { RealNode } from "../harness/node.ts";
import { fill, onConverged, probeArgs, STAGGER } from "./common.ts";

const o = probeArgs(
  `
npx tsx test/real/probes/requests.ts [options]

Fills one node's memory to each level of free JsVars (--levels from:to:step,
counted after a garbage collection at its console), asks GET
/api/node/status and GET /api/cluster/members, then lets go of the filling.
A level can only be approached: the node's own work moves it by a few
JsVars, so each line prints the level reached.`,
  {
    levels: { value: true, help: "free JsVars to leave, from:to:step (default 140:500:20)", default: "140:500:20" },
    ...STAGGER,
    node: { value: true, int: { min: 0, max: 49 }, help: "which node to fill (default 0)", default: "0" },
  },
);

const [from, to, step] = String(o.levels).split(":").map(Number);
if (!(from > 0 && to >= from && step > 0)) {
  console.error(`--levels: from:to:step, e.g. 140:500:20, not "${o.levels}"`);
  process.exit(2);
}


/** One GET: "200" when answered whole with valid JSON, else the status or what went wrong. */
async function ask(n: RealNode, path: string): Promise<string> {
  const r = await n.get(path, 15000);
  if (r.error) return `no answer (${r.error})`;
  if (r.status !== 200) return String(r.status);
  try {
    const free = (JSON.parse(r.body) as { freeJsVars?: number }).freeJsVars;
    return free === undefined ? "200" : `200 (freeJsVars ${free} in it)`;
  } catch {
    return `200 cut short (${r.body.length} bytes)`;
  }
}

await onConverged(o, {}, async (c) => {
  const n = c.nodes[Number(o.node)] ?? c.nodes[0];
  const idle = (await n.memory()).free;
  console.log(`${n.hostname}: ${idle} JsVars free at idle with ${c.nodes.length - 1} members; minFree (boards/${c.board.name}.json) ${c.board.node.minFree}`);
  console.log("\nfree after filling | /api/node/status | /api/cluster/members | free after letting go | node's console");
  for (let level = from; level <= to; level += step) {
    const mark = n.out.length;
    let reached: number;
    try {
      reached = await n.repl<number>(fill(level), 60000);
    } catch (e) {
      console.log(`${level}: the node did not answer at its console while filling: ${(e as Error).message.split("\n")[0]}`);
      return false;
    }
    const status = await ask(n, "/api/node/status");
    const members = await ask(n, "/api/cluster/members");
    let after = "no answer";
    try {
      after = String(await n.repl<number>("(delete global.FILLX,process.memory().free)", 30000));
    } catch {
      // printed as "no answer"
    }
    const said = n.out
      .slice(mark)
      .split(/\r?\n/)
      .filter((l) => TROUBLE.test(l) || /Execution Interrupted/.test(l))
      .map((l) => l.replace(/\x1b\[J|^>/g, "").trim());
    console.log(`${String(reached).padStart(4)} | ${status} | ${members} | ${after} | ${said.length ? said.join("; ") : "-"}`);
    if (!n.running) {
      console.log(`${n.hostname} stopped:\n${n.tail(mark)}`);
      return false;
    }
  }
});
