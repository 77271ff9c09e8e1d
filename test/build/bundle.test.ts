import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as assert from "uvu/assert";
import * as acorn from "acorn";
import * as walk from "acorn-walk";
import { untokenise } from "../../host-tools/build/pretokenise.ts";
import { loadBoard, loadBoards } from "../../host-tools/build/boards.ts";
import { BOOT_ENTRY, BuildError, bundleBoard, DEVICE_ENTRY, hoistVars, tokenFriendly, topLevelNames } from "../../host-tools/build/bundle.ts";
import { ESPRUINO_BUILTIN_MODULES } from "../../host-tools/build/espruino-subset.ts";
import { suite } from "../suite.ts";

const { test: bundle } = suite("bundle");
const esp01 = loadBoard("esp01");
/** The temp folders of entryWith(), removed at the end. */
const temps: string[] = [];
bundle.after(() => {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A device entry in a temp dir that imports the real device code, plus `extra`. */
function entryWith(extra: string): string {
  const dir = mkdtempSync(join(tmpdir(), "spore-build-"));
  temps.push(dir);
  const file = join(dir, "main.ts");
  writeFileSync(file, `import { hostnameFromMac } from ${JSON.stringify(join(DEVICE_ENTRY, "..", "core", "identity.ts"))};\nprint(hostnameFromMac("5ccf7f000001"));\n${extra}\n`);
  return file;
}

async function buildError(extra: string): Promise<string> {
  try {
    await bundleBoard(esp01, { entry: entryWith(extra), write: false });
  } catch (e) {
    assert.instance(e, BuildError);
    return (e as Error).message;
  }
  assert.unreachable(`expected the build to fail for: ${extra}`);
  return "";
}

bundle("every board's bundle is within its budget and requires only Espruino built-ins", async () => {
  const boards = loadBoards();
  assert.equal(
    boards.map((b) => b.name),
    ["esp01", "esp32", "esp8266"],
  );
  for (const board of boards) {
    const r = await bundleBoard(board, { write: false });
    assert.ok(r.bytes <= board.budgets.bundleBytes, `${board.name}: ${r.bytes} > ${board.budgets.bundleBytes}`);
    assert.not.match(r.code, /sourceMappingURL/, "no source map comment in the device bundle");
    const required: string[] = [];
    walk.simple(acorn.parse(untokenise(r.code), { ecmaVersion: "latest" }), {
      CallExpression(node: any) {
        if (node.callee.type === "Identifier" && node.callee.name === "require") required.push(node.arguments[0].value);
      },
    });
    assert.ok(required.length > 0, "the bundle uses built-in modules");
    for (const m of required) assert.ok(ESPRUINO_BUILTIN_MODULES.includes(m), `${board.name} requires ${m}`);
    assert.ok(untokenise(r.code).includes(JSON.stringify(board.name)), `${board.name}: the board is fixed at build time`);
  }
});

bundle("destructuring in device code fails the build, naming the source line and Espruino", async () => {
  const message = await buildError("const { a } = { a: 1 };\nprint(a);");
  assert.match(message, /main\.ts:3:\d+/);
  assert.match(message, /destructuring/i);
  assert.match(message, /Espruino/);
});

bundle("default parameters and spread fail the build", async () => {
  assert.match(await buildError("function f(a = 1) { return a; }\nprint(f());"), /Espruino 2v29 does not support/);
  assert.match(await buildError("const xs = [1];\nprint(Math.max(...xs));"), /Espruino 2v29 does not support/);
});

bundle("what esbuild passes but Espruino lacks is caught in the output and mapped to the source", async () => {
  const message = await buildError("declare const Map: any;\nconst m = new Map();\nprint(m);");
  assert.match(message, /main\.ts:4:\d+: Map does not exist in Espruino/);
  const derived = await buildError("class A { a: number; constructor() { this.a = 1; } }\nclass B extends A { b: number[] = []; }\nprint(new B());");
  assert.match(derived, /explicit constructor/);
  const loop = await buildError("for (let i = 0; i < 3; i++) setTimeout(() => print(i), 10);");
  assert.match(loop, /main\.ts:3:\d+: .*captures the loop variable/);
});

bundle("a bundle over its board's budget is reported by the build", async () => {
  const tiny = { ...esp01, budgets: { ...esp01.budgets, bundleBytes: 100 } };
  const r = await bundleBoard(tiny, { write: false });
  assert.ok(r.bytes > r.budget, "the result says it is over budget");
  const { formatSizes } = await import("../../host-tools/build/build.ts");
  assert.match(formatSizes([r]), /OVER BUDGET/);
});

bundle("the boot file declares nothing at the top level (the firmware's minified globals would overwrite it): the build checks", async () => {
  assert.equal(topLevelNames("global._SB=function(){function x(){}};eval(_SB());"), []);
  assert.equal(topLevelNames("function x(e){return e}var y=1;global._SB=function(){return x(y)};"), ["x", "y"]);
  for (const board of loadBoards()) {
    const boot = await bundleBoard(board, { entry: BOOT_ENTRY, write: false });
    assert.equal(topLevelNames(boot.plain), [], board.name);
  }
});

bundle("a private property the mangle cache does not name fails the build, saying how to name it", async () => {
  const dir = mkdtempSync(join(tmpdir(), "spore-mangle-"));
  try {
    const entry = join(dir, "entry.ts");
    writeFileSync(entry, "const o = { brandNewField_: 1 };\nprint(o.brandNewField_);\n");
    const failed = await bundleBoard(loadBoard("esp8266"), { entry, write: false }).then(() => undefined, (e: Error) => e);
    assert.ok(failed instanceof BuildError, String(failed));
    assert.match(failed.message, /brandNewField_ not in host-tools\/build\/mangle-cache\.json: run npm run build -- --mangle/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

bundle("a var declared after its first use is moved to the start of its function: Espruino does not hoist it (on the chip the use assigned a global)", async () => {
  assert.is(hoistVars("function u(){return t=1,n=t+1,n;var t,n}"), "function u(){var t,n;return t=1,n=t+1,n;}");
  assert.is(hoistVars("function u(a){var b;return a}"), "function u(a){var b;return a}", "already first: unchanged");
  assert.throws(() => hoistVars("function u(){x=1;var x=2}"), /does not hoist/);
  for (const board of loadBoards()) {
    const { plain } = await bundleBoard(board, { write: false });
    assert.is(hoistVars(plain), plain, `${board.name}: every var is first in its function`);
  }
});

bundle("a for loop's first clause that starts with a function expression is put in parentheses (Espruino 2v29 stops on it with a SyntaxError)", () => {
  assert.is(tokenFriendly("for(function(t){n=t}(3);n<5;n++);"), "for((function(t){n=t}(3));n<5;n++);");
  assert.is(tokenFriendly("for(n=0;n<5;n++);"), "for(n=0;n<5;n++);", "other loops unchanged");
  assert.is(tokenFriendly("for(;!0;)x()"), "for(; true ;)x()");
});

bundle.run();
