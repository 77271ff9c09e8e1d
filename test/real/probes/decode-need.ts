// What decoding one full datagram needs on the real interpreter: for each
// level of free JsVars (memory filled at the console first, then collected),
// a fresh interpreter (the code in Storage, run from flash as a node's is:
// evaluated from a RAM string, each function expression copies its text into
// JsVars as it is made, and decoding seemed to need 300) decodes and checks a full, valid datagram (as many
// updates as fit, 250-byte body) as a node does on receipt, and says whether it ran
// out of memory. The least level that decodes is what a node must keep free
// for the next datagram, besides the datagram itself.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadBoard } from "../../../host-tools/build/boards.ts";
import { bundleBoard } from "../../../host-tools/build/bundle.ts";
import { datagram } from "../../../host-tools/lib/mac.ts";
import { espruinoCommand } from "../harness/interpreter.ts";
import { fill } from "./common.ts";

const args = process.argv.slice(2);
if (args.includes("--help")) {
  console.log(`npx tsx test/real/probes/decode-need.ts [--board esp8266] [--levels from:to:step]

For each level of free JsVars (default 20:200:10), a fresh interpreter
(ESPRUINO_BIN, e.g. "qemu-i386 /path/to/espruino-2047") fills its memory
until that many are free, then decodes a full datagram as a node does.
Prints each level with "ok" or "OUT OF MEMORY" (DEBUG_PROBE=1: each run's whole output).`);
  process.exit(0);
}
const opt = (name: string, def: string) => (args.indexOf(name) >= 0 ? args[args.indexOf(name) + 1] : def);
const board = loadBoard(opt("--board", "esp8266"));
const cmd = espruinoCommand(board);
if (!cmd) {
  console.log("ESPRUINO_BIN is not set: nothing to run");
  process.exit(0);
}
const [from, to, step] = opt("--levels", "20:200:10").split(":").map(Number);
const SECRET = "probe secret, not a real one";
const ip = "10.0.0.12";
// as many updates as fit, then the argument padded: then the argument padded
const HEAD = "P|a0112f|2bhsq8|1q2w|zzzz1|7ps";
const make = (ups: string[], arg: string) => datagram(SECRET, "spore", HEAD, ip, ups.join(","), arg);
const bodyOf = (x: string) => x.length - x.indexOf("|", 3) - 1;
const ups: string[] = [];
for (let i = 0; i < 12; i++) {
  const u = i % 4 === 3 ? `sa0${i}4aa/2bhsq8/3` : `aa0${i}1bb/2bhsq8/10.0.0.${20 + i}/zzzz1`;
  if (bodyOf(make([...ups, u], "1q2")) > 250) break;
  ups.push(u);
}
// padded to the body's most (250 bytes) or the datagram's (268; the tag's length varies), whichever comes first
let pad = 0;
while (bodyOf(make(ups, "1q2" + "x".repeat(pad + 1))) <= 250 && make(ups, "1q2" + "x".repeat(pad + 1)).length <= 268) pad++;
const d = make(ups, "1q2" + "x".repeat(pad));
const built = await bundleBoard(board, { entry: new URL("./decode-entry.ts", import.meta.url).pathname, write: false });
console.log(`${board.name}: datagram ${d.length} bytes, body ${bodyOf(d)}, ${ups.length} updates; interpreter ${cmd.join(" ")}`);
for (let level = from; level <= to; level += step) {
  const script = `echo(0);
require("Storage").write("probe.js",${JSON.stringify(built.plain)});
eval(require("Storage").read("probe.js"));
MACK(${JSON.stringify(SECRET)});
var PROBE_D=${JSON.stringify(d)};
print("FIRST "+DEC(PROBE_D,"spore","${ip}"));
var PROBE_L=${fill(level)};
print("LEVEL "+PROBE_L+" "+DEC(PROBE_D,"spore","${ip}"));
E.reboot();
`;
  // the interpreter keeps its Storage in ./espruino.flash: a folder of its own, fresh each run
  const dir = mkdtempSync(join(tmpdir(), "spore-decode-"));
  const r = spawnSync(cmd[0], [...cmd.slice(1)], { input: script, encoding: "latin1", timeout: 20000, killSignal: "SIGKILL", cwd: dir });
  rmSync(dir, { recursive: true, force: true });
  const out = r.stdout ?? "";
  const first = /FIRST (.*)/.exec(out)?.[1] ?? "?";
  const line = /LEVEL (\d+) (.*)/.exec(out);
  const oom = out.includes("OUT OF MEMORY");
  if (process.env.DEBUG_PROBE) console.log(out);
  console.log(`level ${level}: free ${line ? line[1] : "?"}, ${oom ? "OUT OF MEMORY" : line ? line[2] : "no answer"} (unfilled: ${first})`);
}
