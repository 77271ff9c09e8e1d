// What the job engine costs on the real interpreter (Espruino's Linux build,
// ESPRUINO_BIN): the engine as a bundle carries it (test/real/probes/
// jobs-entry.ts) loaded into a fresh interpreter; JsVars its definitions
// hold, and a deployed set; steps per second of runs (a job of `steps`
// kv.incr and if steps, triggered by an event and run to its end with the
// idle loop's waits left out); KV operations per second; and the pin loop to
// scale the times by (mac-cost.ts). Times are the Linux build's under qemu,
// not a chip's. The script's globals have names the minifier does not give.
// Used by npm run bench.
import type { Board } from "../../../host-tools/build/boards.ts";
import { bundleBoard } from "../../../host-tools/build/bundle.ts";
import { espruinoCommand, runOnce } from "./interpreter.ts";

/** Steps in the timed job (fewer where the board takes fewer: its jobSteps less the other jobs' 3), and its runs. */
const MAX_STEPS = 20;
const RUNS = 20;
const KV_OPS = 200;
const PIN_LOOP = 2000;

export interface JobsCost {
  board: string;
  interpreter: string;
  /** the harness's bundle (the engine, the KV store, the queue), pretokenised */
  bytes: number;
  /** JsVars the definitions hold once loaded; more once a three-job set is deployed and idle */
  codeJsVars: number;
  setJsVars: number;
  stepsPerS: number;
  /** the KV key the timed job counts in after its runs: a run that failed (its text not read back) counts nothing */
  counted: number;
  /** what it should be: the timed job's kv.incr steps times its runs */
  expected: number;
  /** a run of one step from the event's arrival at the queue to its end, ms */
  runMs: number;
  kvPutPerS: number;
  kvGetPerS: number;
  pinLoopPerS: number;
  output?: string;
}

const set = (STEPS: number) => JSON.stringify({
  version: 1,
  jobs: [
    { name: "timed", trigger: { type: "event", name: "t" }, steps: Array.from({ length: STEPS }, (_, i) => (i % 2 ? { if: { cond: "${n} > 0", then: [] } } : { "kv.incr": { key: "n", save_as: "n" } })) },
    { name: "one", trigger: { type: "event", name: "o" }, steps: [{ "kv.put": { key: "o", value: "${event.data}" } }] },
    { name: "tick", trigger: { type: "interval", every_ms: 2000 }, steps: [{ "pin.read": { pin: "D0", save_as: "v" } }, { "kv.put": { key: "v", value: "${v}" } }] },
  ],
});

export async function jobsCost(board: Board): Promise<JobsCost | undefined> {
  const cmd = espruinoCommand(board);
  if (!cmd) return undefined;
  const STEPS = Math.min(MAX_STEPS, board.node.jobSteps - 3);
  const SET = set(STEPS);
  const built = await bundleBoard({ ...board, capabilities: { ...board.capabilities, jobs: true } }, { entry: new URL("../probes/jobs-entry.ts", import.meta.url).pathname, write: false });
  const script = `
var JQ0=process.memory().usage;
eval(require("Storage").read("jx"));
JOBS_SETUP();
var JQ1=process.memory().usage;
var JQe=JOBS_DEPLOY(${JSON.stringify(SET)});
var JQ2=process.memory().usage;
var JQo=["JSVARS "+(JQ1-JQ0)+" "+(JQ2-JQ1)+" "+JQe];
var JQt=getTime();for(var JQi=0;JQi<${RUNS};JQi++)JOBS_FIRE("t",JQi);JQo.push("STEPS "+(${STEPS * RUNS}/(getTime()-JQt)).toFixed(0)+" "+KV_GET("n"));
JQt=getTime();for(var JQi=0;JQi<${RUNS};JQi++)JOBS_FIRE("o",JQi);JQo.push("RUN "+((getTime()-JQt)*1000/${RUNS}).toFixed(2));
JQt=getTime();for(var JQi=0;JQi<${KV_OPS};JQi++)KV_PUT("k"+(JQi%8),JQi);JQo.push("PUT "+(${KV_OPS}/(getTime()-JQt)).toFixed(0));
JQt=getTime();for(var JQi=0;JQi<${KV_OPS};JQi++)KV_GET("k"+(JQi%8));JQo.push("GET "+(${KV_OPS}/(getTime()-JQt)).toFixed(0));
var JQn=0;JQt=getTime();while(JQn++<${PIN_LOOP}){D0.set();D0.reset();}var JQp=getTime()-JQt;
JQn=0;JQt=getTime();while(JQn++<${PIN_LOOP});JQo.push("PIN "+(${PIN_LOOP}/(JQp-(getTime()-JQt))).toFixed(0));
print(JQo.join("\\n"));
`;
  // the engine from Storage, as a node loads its firmware (as a string in the script it would take 1,300 JsVars)
  const out = await runOnce(cmd, [{ name: "jx", data: built.code }], script, 600000);
  const vars = /JSVARS (\d+) (\d+) ?(.*)/.exec(out);
  const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? NaN);
  return {
    board: board.name,
    interpreter: cmd.join(" "),
    bytes: built.bytes,
    codeJsVars: Number(vars?.[1] ?? NaN),
    setJsVars: Number(vars?.[2] ?? NaN),
    stepsPerS: num(/STEPS (\S+)/),
    counted: num(/STEPS \S+ (\S+)/),
    expected: Math.ceil(STEPS / 2) * RUNS,
    runMs: num(/RUN (\S+)/),
    kvPutPerS: num(/PUT (\S+)/),
    kvGetPerS: num(/GET (\S+)/),
    pinLoopPerS: num(/PIN (\S+)/),
    ...(vars && !vars[3] && num(/STEPS \S+ (\S+)/) === Math.ceil(STEPS / 2) * RUNS ? {} : { output: out.slice(-2000) }),
  };
}
