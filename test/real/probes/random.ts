// Math.random() on the real interpreter: unseeded, two fresh runs print the
// same first number (2v29 never seeds it); Spore seeds it at boot
// (device/platform/boot-number.ts), so two nodes, and two boots of one node,
// start from different seeds and draw different numbers. Re-checks README
// "Membership" and espruino-platform.md section 6.
import { loadBoard } from "../../../host-tools/build/boards.ts";
import { espruinoCommand, evalFresh } from "../harness/interpreter.ts";
import type { RealNode } from "../harness/node.ts";
import { cluster, describe, probeArgs } from "./common.ts";

const o = probeArgs(
  `
npx tsx test/real/probes/random.ts [options]

Prints Math.random()'s first value in two fresh runs of the interpreter (no
Storage), then boots two nodes (one where there are no network namespaces),
and a node a second time, with E.srand wrapped in .boot0 to record the seed
the firmware gives it; prints each boot's seed, the first number that seed
gives on a fresh interpreter, and a number typed at the node's console.`,
  { nodes: { value: true, int: { min: 1, max: 9 }, help: "nodes booted (default 2)", default: "2" } },
);

const cmd = espruinoCommand(loadBoard("esp8266"))!;
const first = async () => (await evalFresh(cmd, "print('FIRST '+Math.random())")).match(/FIRST (\S+)/)?.[1];
const a = await first();
const b = await first();
console.log(`unseeded, two fresh runs: ${a} and ${b}: ${a === b ? "the same" : "different"}`);

// the firmware's minified globals are one or two letters: the instrument's are longer
const SRAND = "global.SRAND0=E.srand;E.srand=function(n){global.SEEDS=(global.SEEDS||[]).concat([n]);SRAND0(n)};";
const c = await cluster(o, { boot0: SRAND });
let status = a === b ? 0 : 1;
try {
  describe(c);
  const boots: { node: RealNode; n: string; seeds: number[]; typed: number }[] = [];
  const read = async (node: RealNode) => {
    await node.waitFor(new RegExp(`${node.hostname} [0-9a-f]{8}\r?\n`), 60000, node.out.lastIndexOf("\n---- start "));
    const [n, seeds, typed] = await node.repl<[string, number[], number]>('[require("Storage").read("spore.n"),global.SEEDS,Math.random()]');
    boots.push({ node, n, seeds, typed });
  };
  c.startAll();
  for (const n of c.nodes) await read(n);
  await c.nodes[0].kill();
  c.nodes[0].start();
  await read(c.nodes[0]);
  for (const x of boots) {
    const after = (await evalFresh(cmd, `E.srand(${x.seeds[0]});print('AFTER '+Math.random())`)).match(/AFTER (\S+)/)?.[1];
    console.log(`${x.node.hostname} boot ${x.n}: seeded ${x.seeds.length} time(s), first with ${x.seeds[0]} (first number from that seed: ${after}); Math.random() typed at its console: ${x.typed}`);
  }
  const seeds = boots.map((x) => x.seeds[0]);
  const distinct = new Set(seeds).size === seeds.length && boots.every((x) => x.seeds.length > 0);
  console.log(`seeds of the ${boots.length} boots: ${distinct ? "all different" : "NOT all different"}`);
  if (!distinct) status = 1;
} catch (e) {
  console.log(`\nFAILED: ${(e as Error).message}`);
  status = 1;
}
await c.close();
process.exit(status);
