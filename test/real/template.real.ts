// The jobs runner's conditions and templates on the real interpreter give
// what they give in Node: the emulator runs the firmware on V8, where +"010"
// is 10 and " 12 " is 12; on Espruino 2v29 they are 8 and NaN, so a
// condition on an MQTT payload compared otherwise on the chip than in every
// other test. Skipped without ESPRUINO_BIN.
import "../unit/limits.ts";
import * as assert from "uvu/assert";
import { loadBoard } from "../../host-tools/build/boards.ts";
import { bundleBoard } from "../../host-tools/build/bundle.ts";
import { setup, type Ports } from "../../device/core/env.ts";
import { readConfig } from "../../device/core/layout.ts";
import { steps } from "../../device/core/steps.ts";
import { suite } from "../suite.ts";
import { ESPRUINO_ENV, espruinoCommand, runOnce } from "./harness/interpreter.ts";

const { test } = suite("job conditions on the real interpreter", { limit: 300 });

const vars = { mqtt: { topic: "home/relay", payload: "010" }, t: 21.5, s: "12", q: " 12 ", h: "0x10", z: 0, e: "1e3", neg: "-0.50", nil: null, o: { a: [1, 2] } };
const ROWS: [string, unknown][] = [
  "${mqtt.payload} == 10", "${mqtt.payload} == 8", "010 == 10", "${q} == 12", "${h} == 16", "${h} == '0x10'", "${e} == 1000", "${neg} < 0", "${neg} == -0.5",
  "${t} > 20 && ${s} == '12'", "!${z} || 0", "${nil} == null", "${o} == ${o}", "'abc' < 'abd'", "1e3 == 1000", "(${t} < 3", "a == 1",
].map((c) => [c, vars]);

/** What Node gives for the same rows (the unit tests' evaluator). */
function inNode(): unknown[] {
  setup({ now_: () => 0, jsvars_: () => 1000, log_: () => {} } as unknown as Ports, readConfig({}, []), "a1b2c3");
  return ROWS.map((r) => {
    try {
      return steps(5, r[0], r[1]);
    } catch (e) {
      return "error: " + (e as Error).message;
    }
  });
}

if (!espruinoCommand()) console.log(`test/real/template: skipped, ${ESPRUINO_ENV} is not set`);
else
  test("conditions over numeric text and templates: the interpreter agrees with Node, row by row", async () => {
    const board = loadBoard("esp8266");
    const cmd = espruinoCommand(board)!;
    const built = await bundleBoard({ ...board, capabilities: { ...board.capabilities, jobs: true } }, { entry: new URL("./probes/template-entry.ts", import.meta.url).pathname, write: false });
    const script = `eval(require("Storage").read("tx"));TPL_SETUP();print("ROWS "+JSON.stringify(TPL_COND(${JSON.stringify(ROWS)})));print("FILL "+JSON.stringify(TPL_FILL({a:"\${t}",b:"x\${s}y",c:["\${o.a.1}"]},${JSON.stringify(vars)})));`;
    const out = await runOnce(cmd, [{ name: "tx", data: built.code }], script, 120000);
    const rows = /ROWS (.*)/.exec(out);
    const fill = /FILL (.*)/.exec(out);
    assert.ok(rows && fill, out.slice(-1500));
    const got = JSON.parse(rows![1]) as unknown[];
    const want = inNode();
    for (let i = 0; i < ROWS.length; i++) assert.equal(got[i], want[i], ROWS[i][0]);
    assert.equal(JSON.parse(fill![1]), { a: 21.5, b: "x12y", c: [2] });
  });

test.run();
