// What deploying a job set needs on the real interpreter: for each level of
// free JsVars (memory filled first, then collected), a fresh interpreter
// loads the job engine as the board's bundle carries it (jobs on; from
// Storage, run from flash as a node's code is: jobs-entry.ts), then POSTs a
// set to it as a node's endpoint would get it. Prints, per level, the free
// JsVars where the endpoint looked (its 503 names them), the answer, and
// whether the interpreter ran out of memory. The engine's own guard (POST
// /api/jobs answers 503 "busy: memory" below what a set needs) is set from
// these figures (device/core/jobs.ts); --no-guard builds it without, to see
// where a set runs out.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BOARDS_DIR, loadBoard } from "../../../host-tools/build/boards.ts";
import { bundleBoard } from "../../../host-tools/build/bundle.ts";
import { espruinoCommand, writeStorage } from "../harness/interpreter.ts";

const SETS: Record<string, object> = {
  one: { version: 1, jobs: [{ name: "ev", trigger: { type: "event", name: "x/*" }, steps: [{ "kv.put": { key: "last", value: "${event.data}" } }] }] },
  three: {
    version: 1,
    jobs: [
      { name: "tick", trigger: { type: "interval", every_ms: 2000 }, steps: [{ "kv.incr": { key: "ticks", save_as: "n" } }, { if: { cond: "${n} > 3", then: [{ "pin.write": { pin: "D4", value: 1 } }], else: [{ "pin.write": { pin: "D4", value: 0 } }] } }] },
      { name: "ev", trigger: { type: "event", name: "x/*" }, steps: [{ "kv.put": { key: "last", value: "${event.data}" } }] },
      { name: "button", trigger: { type: "pin", pin: "D5", edge: "both" }, steps: [{ "pin.read": { pin: "D5", save_as: "s" } }, { log: { message: "D5 ${s}" } }] },
    ],
  },
};

const args = process.argv.slice(2);
if (args.includes("--help")) {
  console.log(`npx tsx test/real/probes/deploy-need.ts [--board esp8266] [--set one|three] [--levels 600,500,400] [--no-guard]

For each level of free JsVars, a fresh interpreter (ESPRUINO_BIN, e.g.
"qemu-i386 /path/to/espruino-{jsvars+57}") loads the job engine (the board's
build with jobs on), fills its memory until that many are free, and deploys
a set: "one" (one job, 136 bytes) or "three" (517 bytes, an if of two
branches in one job; the default). Prints the answer and whether it ran out
of memory. --no-guard: the engine built without its memory guard.`);
  process.exit(0);
}
const opt = (name: string, def: string) => (args.indexOf(name) >= 0 ? args[args.indexOf(name) + 1] : def);
const name = opt("--board", "esp8266");
const board = loadBoard(name, BOARDS_DIR, { [name]: { jobs: true } });
const cmd = espruinoCommand(board);
if (!cmd) {
  console.log("ESPRUINO_BIN is not set: nothing to run");
  process.exit(0);
}
const which = opt("--set", "three");
if (!SETS[which]) {
  console.error(`--set: one or three, not ${which}`);
  process.exit(2);
}
const levels = opt("--levels", "600,500,450,400,350,300,250").split(",").map(Number);
if (levels.some((l) => !(l > 0))) {
  console.error("--levels: free JsVars, comma-separated, e.g. 600,500,400");
  process.exit(2);
}
const set = JSON.stringify(SETS[which]);
// the engine, with its guard taken out for --no-guard (a copy of the source with the need set to 0)
let entry = new URL("./jobs-entry.ts", import.meta.url).pathname;
const jobsSource = new URL("../../../device/core/jobs.ts", import.meta.url).pathname;
const original = readFileSync(jobsSource, "utf8");
let built;
try {
  if (args.includes("--no-guard")) {
    const unguarded = original.replace(/const need = [^;]+;/, "const need = 0;");
    if (unguarded === original) throw new Error("device/core/jobs.ts: the guard (const need = ...) not found");
    writeFileSync(jobsSource, unguarded);
  }
  built = await bundleBoard(board, { entry, write: false });
} finally {
  writeFileSync(jobsSource, original);
}
console.log(`${board.name}: set "${which}", ${set.length} bytes; engine ${built.bytes} bytes${args.includes("--no-guard") ? " without its guard" : ""}; interpreter ${cmd.join(" ")}`);
for (const leave of levels) {
  const dir = mkdtempSync(join(tmpdir(), "spore-deploy-need-"));
  try {
    await writeStorage(cmd, dir, [
      { name: "jx", data: built.code },
      { name: "set", data: set },
    ]);
    // (globals named as the minifier never names them; the set copied into RAM, as a request's body is)
    const script = `eval(require("Storage").read("jx"));JOBS_SETUP();var DQs=E.toString(require("Storage").read("set"));var DQf=[];while(process.memory().free>${leave}+3)DQf.push(1);var DQa=process.memory().free;var DQe;try{DQe=JOBS_DEPLOY(DQs)}catch(e){DQe="threw "+e}print("DEPLOY "+DQa+" "+JSON.stringify(DQe||"200")+" "+process.memory().free);`;
    const r = spawnSync(cmd[0], [...cmd.slice(1), "-e", script], { cwd: dir, encoding: "latin1", timeout: 120000 });
    const m = /DEPLOY (\d+) (.*) (\d+)\r?$/m.exec(r.stdout);
    const oom = /OUT OF MEMORY|MEMORY/.test(r.stdout);
    console.log(`  ${String(leave).padStart(4)} free: ${m ? `answer ${m[2]}, ${m[3]} free after` : "no answer"}${oom ? ", OUT OF MEMORY" : ""}`);
    if (process.env.DEBUG_PROBE) console.log(r.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
