// Does loading rarely used code from Storage on demand pay on an esp8266?
// Code read from Storage stays in flash (a function's body is one JsVar
// pointing there), so what a definition costs in RAM is its function object,
// its name, its parameters, its value. This probe measures, on the real
// interpreter:
//   (a) JsVars per kind of top-level definition evaluated from Storage
//       (functions of 0 to 3 parameters, with a local closure, numbers,
//       strings, objects, arrays; as plain text and pretokenised, as the
//       bundle is): ten of each, process.memory() (which collects) before
//       and after;
//   (b) what loading a part on demand costs: eval(S.read(f)) in a function,
//       new Function(S.read(f))(), require(f) of a Storage module (dropped
//       with Modules.removeCached, or kept), functions nested in one
//       top-level function, a part carried inside the main file behind
//       if(0){...} and read by offset: ms per load (the Linux build under
//       qemu: not chip time), JsVars live while the part is loaded (and
//       with garbage), JsVars left once the caller lets go;
//   (c) the bundle's top-level definitions grouped by part (those only the
//       boot calls, the MQTT client, the HTTP API handlers, the details
//       fetch), each group's definitions evaluated alone from Storage; with
//       --idle, the JsVars at idle of nodes running the bundle as built
//       against the bundle with the boot-only functions in a Storage part
//       run once and dropped (or in a function of the bundle run once), and
//       with the MQTT client in a Storage part loaded at boot only when
//       spore.json names a broker. The variants are made from the bundle by
//       moving top-level definitions (acorn), for the experiment only: the
//       bundle analysis is in on-demand-parts.ts.
// (c) was measured on the esbuild-only bundle (commit d89b1a0): the build now
// runs terser after esbuild, which inlines single-use functions (readConfig
// and the start-up among them) into function expressions run once, which is
// what (c) found pays; on today's bundle (c) finds no boot-only part left.
import { type ChildProcess, spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Board, loadBoard } from "../../../host-tools/build/boards.ts";
import { bundleBoard } from "../../../host-tools/build/bundle.ts";
import type { ImageFile } from "../../../host-tools/build/image.ts";
import { DIST_DIR } from "../../../host-tools/build/paths.ts";
import { tokenise } from "../../../host-tools/build/pretokenise.ts";
import { parseArgs } from "../../../host-tools/lib/args.ts";
import { UsageError } from "../../../host-tools/lib/transport.ts";
import { RealCluster, TROUBLE } from "../harness/cluster.ts";
import { ESPRUINO_ENV, espruinoCommand, until, writeStorage } from "../harness/interpreter.ts";
import { COMMON, describe, type Option, pause, range, reportTrouble, startStaggered } from "./common.ts";
import { Bundle, parts, variants } from "./on-demand-parts.ts";

const USAGE = `
npx tsx test/real/probes/on-demand.ts [options]

What code costs in JsVars when it is loaded from Storage, and whether loading
parts on demand pays: (a) JsVars per kind of top-level definition, (b) the
time, peak and remainder of an on-demand load by each way Espruino has, (c) the
bundle's top-level definitions by part, each part's measured alone; --idle
adds nodes at idle with the bundle as built and with parts moved to Storage
(about a minute per variant with 3 nodes).`;

const SPEC: Record<string, Option> = {
  board: { value: true, help: "the bundle of (c): esp8266 (default) or esp01 (no MQTT client)", default: "esp8266" },
  loads: { value: true, int: { min: 1, max: 1000 }, help: "loads timed per way in (b) (default 20)", default: "20" },
  idle: { help: "(c) also measure nodes at idle: the bundle as built, the boot-only functions in a Storage part or in a function run once, the MQTT part" },
  nodes: { ...COMMON.nodes, help: "nodes per --idle run (default 3)", default: "3" },
  slow: { ...COMMON.slow, help: "membership periods this many times the firmware's in --idle runs (default 3)", default: "3" },
  settle: { value: true, int: { min: 0, max: 3600 }, help: "seconds of idle after convergence before reading (default 30)", default: "30" },
  samples: { value: true, int: { min: 1, max: 100 }, help: "readings per node in --idle runs, 10 s apart (default 3)", default: "3" },
  broker: { help: "--idle runs with an MQTT broker on the LAN, telemetry every 5 s" },
  only: { value: true, int: { min: 0, max: 9 }, help: "--idle runs only this variant (0 the bundle as built, 1, 2, ...: as --variants lists them)" },
  variants: { value: true, help: "write the --idle variants' bundles and parts as plain JavaScript into this folder (to read them), and stop" },
  keep: COMMON.keep,
  help: COMMON.help,
};

function options(): Record<string, string | boolean> {
  let o: Record<string, string | boolean>;
  try {
    o = parseArgs(process.argv.slice(2), SPEC).options;
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`${e.message} (--help lists the options)`);
    process.exit(2);
  }
  if (o.help) {
    const width = Math.max(...Object.keys(SPEC).map((k) => k.length)) + 10;
    console.log(USAGE.trim() + "\n\noptions:");
    for (const [k, s] of Object.entries(SPEC)) console.log(`  ${`--${k}${s.value ? " <v>" : ""}`.padEnd(width)}${s.help}`);
    console.log(`\n${ESPRUINO_ENV} names the interpreter: Espruino 2v29 built for Linux with the board's JsVars, e.g.\n  ${ESPRUINO_ENV}="qemu-i386 /path/to/espruino-{jsvars+57}" (README "The real interpreter")`);
    process.exit(0);
  }
  for (const [k, s] of Object.entries(SPEC)) if (s.default !== undefined && o[k] === undefined) o[k] = s.default;
  if (!["esp01", "esp8266"].includes(String(o.board))) {
    console.error(`--board must be esp01 or esp8266, not "${o.board}"`);
    process.exit(2);
  }
  if (!espruinoCommand() && !o.variants) {
    console.log(`skipped: ${ESPRUINO_ENV} is not set (name an Espruino 2v29 binary built for Linux: README, "The real interpreter")`);
    process.exit(0);
  }
  return o;
}

// ---- running scripts on the interpreter

/** The probe's own globals: names the minifier never gives (so a bundle's definitions cannot replace them). */
const DRIVER = `var $$S=require("Storage"),$$a=0,$$b=0,$$t=0,$$i=0,$$pk=0,$$pl=0,$$r=0,$$c=0;function $$m(){return process.memory().usage}`;

/**
 * A Storage with `files` and the drivers (Storage files too, so a driver's
 * text costs no JsVars beyond what a bundle's would), and a way to run each
 * in a fresh interpreter on it: what it printed up to the line "END".
 */
async function storage(cmd: string[], files: ImageFile[], drivers: string[]): Promise<{ run: (i: number) => Promise<string>; close: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), "spore-on-demand-"));
  await writeStorage(cmd, dir, [...files, ...drivers.map((d, i) => ({ name: `drv${i}`, data: d + `print("END");` }))]);
  const run = (i: number): Promise<string> => {
    writeFileSync(join(dir, `drv${i}.js`), `eval(require("Storage").read("drv${i}"))`);
    return runScript(cmd, dir, `drv${i}.js`);
  };
  return { run, close: () => rmSync(dir, { recursive: true, force: true }) };
}

async function runScript(cmd: string[], dir: string, script: string, ms = 300000): Promise<string> {
  // a script argument: no autoload of .bootcde; stdin stays open (at EOF the Linux build reads garbage)
  const p: ChildProcess = spawn(cmd[0], [...cmd.slice(1), script], { cwd: dir, stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  p.stdout!.on("data", (d) => (out += d));
  p.stderr!.on("data", (d) => (out += d));
  const done = () => {
    if (TROUBLE.test(out) || /Uncaught/.test(out)) throw new Error(`${script} in ${dir}:\n${out.slice(-2000)}`);
    return /^END\r?$/m.test(out) ? true : undefined;
  };
  try {
    await until(`${script}: END`, ms, done, () => out.slice(-2000), 100);
    return out;
  } finally {
    p.kill("SIGKILL");
  }
}

/** The numbers on the driver's lines "<tag> <key> <n> <n>...". */
function lines(out: string, tag: string): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (const l of out.split(/\r?\n/)) {
    const f = l.trim().split(" ");
    if (f[0] === tag) m.set(f[1], f.slice(2).map(Number));
  }
  return m;
}

// ---- (a) JsVars per kind of definition

/** Run once before measuring: the first function call, string and object make the built-ins' prototypes appear (8 JsVars, once). */
const WARM = `var $$w=function(t){return t}(1)+"abc".length+[{a:1}].length;`;
const EACH = 10;
const KINDS: [string, (n: string) => string][] = [
  ["function, 0 parameters", (n) => `function ${n}(){return 0}`],
  ["function, 1 parameter", (n) => `function ${n}(t){return t}`],
  ["function, 2 parameters", (n) => `function ${n}(t,e){return t+e}`],
  ["function, 3 parameters", (n) => `function ${n}(t,e,r){return t+e+r}`],
  ["function, 1 parameter, 300-byte body", (n) => `function ${n}(t){let e=t+1;${"e=e*2+t;".repeat(35)}return e}`],
  ["function, 1 parameter, a local closure", (n) => `function ${n}(t){let e=()=>t+1;return e()}`],
  ["function, 1 parameter, 5-character name", (n) => `function ${n}xyz(t){return t}`],
  ["var = arrow function, 1 parameter", (n) => `var ${n}=t=>t;`],
  ["var = closure kept (function + its scope)", (n) => `var ${n}=function(t){return function(){return t}}(1);`],
  ["let number", (n) => `let ${n}=5;`],
  ["var number", (n) => `var ${n}=5;`],
  ["var number -1e9", (n) => `var ${n}=-1e9;`],
  ["var, no value", (n) => `var ${n};`],
  ['var string "" ', (n) => `var ${n}="";`],
  ['var string "spore.json" (10)', (n) => `var ${n}="spore.json";`],
  ['var string "body over 1024 bytes" (20)', (n) => `var ${n}="body over 1024 bytes";`],
  ["var object, 0 keys", (n) => `var ${n}={};`],
  ["var object, 1 key", (n) => `var ${n}={a:1};`],
  ["var object, 2 keys", (n) => `var ${n}={a:1,b:2};`],
  ["var object, 4 keys", (n) => `var ${n}={a:1,b:2,c:3,d:4};`],
  ["var object, 8 keys", (n) => `var ${n}={a:1,b:2,c:3,d:4,e:5,f:6,g:7,h:8};`],
  ["var array, empty", (n) => `var ${n}=[];`],
  ["var array, 3 numbers", (n) => `var ${n}=[1,2,3];`],
];

async function perDefinition(cmd: string[]): Promise<void> {
  const files: ImageFile[] = [{ name: "w", data: tokenise(WARM) }];
  // one interpreter per kind: all of them at once would not fit
  const drivers = KINDS.map(([, make], i) => {
    let driver = DRIVER + `eval($$S.read("w"));`;
    for (const [form, conv] of [["p", (s: string) => s], ["t", tokenise]] as const) {
      // names of two or three characters, as the minifier gives (up to 4 fit a name's JsVar)
      const prefix = (form === "p" ? "" : "_") + String.fromCharCode(i < 26 ? 97 + i : 65 + i - 26);
      const name = `a${form}${i}`;
      files.push({ name, data: conv(Array.from({ length: EACH }, (_, j) => make(prefix + j)).join("\n")) });
      driver += `$$a=$$m();eval($$S.read("${name}"));$$b=$$m();print("A ${name} "+($$b-$$a));`;
    }
    return driver;
  });
  const st = await storage(cmd, files, drivers);
  try {
    const got = new Map<string, number[]>();
    for (let i = 0; i < drivers.length; i++) for (const [k, v] of lines(await st.run(i), "A")) got.set(k, v);
    console.log(`\n(a) JsVars per top-level definition evaluated from Storage at the top level (${EACH} of each, names of 2-3 characters; process.memory() before and after):`);
    console.log(`  ${"definition".padEnd(44)}${"plain".padStart(7)}${"pretokenised".padStart(14)}`);
    KINDS.forEach(([kind], i) => {
      const v = (f: string) => ((got.get(`a${f}${i}`)?.[0] ?? NaN) / EACH).toFixed(1);
      console.log(`  ${kind.padEnd(44)}${v("p").padStart(7)}${v("t").padStart(14)}`);
    });
  } finally {
    st.close();
  }
}

// ---- (b) loading a part on demand

/** n functions of two parameters, about 90 bytes each, as a minified bundle has them; then what the part does when loaded. */
function part(n: number, end: string): string {
  let s = "";
  for (let i = 0; i < n; i++) s += `function q${i}(t,e){var r=t*2+e;if(r>1e6)r=r%1000;return r+e+"${"x".repeat(20)}".length}\n`;
  // the part's peak: all its definitions alive (garbage included, then collected)
  return s + `$$pk=process.memory(false).usage;$$pl=process.memory().usage;` + end;
}

async function onDemand(cmd: string[], loads: number): Promise<void> {
  const files: ImageFile[] = [];
  const sizes: Record<number, number> = {};
  const head = tokenise("if(0){");
  const skip = Buffer.byteLength(head, "latin1");
  for (const n of [10, 40]) {
    const body = part(n, `$$r=q0(1,2);`);
    const inner = tokenise(body);
    sizes[n] = Buffer.byteLength(inner, "latin1");
    files.push({ name: `e${n}`, data: inner });
    files.push({ name: `m${n}`, data: tokenise(part(n, `exports.q=q0;`)) });
    files.push({ name: `n${n}`, data: tokenise(`function $$N${n}(){${body}}`) });
    // the part carried in a main file, behind code that skips it, and read by offset
    files.push({ name: `k${n}`, data: head + inner + tokenise(`}var Z${n / 10}=1;`) });
  }
  // each way: its loader for a part of n functions, and the argument it takes
  const ways: [string, (n: number) => string, (n: number) => string][] = [
    ["eval(S.read(f)) in a function", () => "function $$L(f){eval($$S.read(f))}", (n) => `e${n}`],
    ["new Function(S.read(f))()", () => "function $$L(f){new Function($$S.read(f))()}", (n) => `e${n}`],
    ["require(f), then Modules.removeCached(f)", () => "function $$L(f){$$r=require(f).q(1,2);Modules.removeCached(f)}", (n) => `m${n}`],
    ["nested in one top-level function, no Storage read", () => "function $$L(f){global[f]()}", (n) => `$$N${n}`],
    ["inside the main file after if(0){, eval(S.read(main, offset, length))", (n) => `function $$L(f){eval($$S.read(f,${skip},${sizes[n]}))}`, (n) => `k${n}`],
  ];
  // once: the built-ins' prototypes the part uses appear; the nested parts' functions are defined
  let driver = DRIVER + `eval($$S.read("e10"));$$r=require("m10").q(1,2);Modules.removeCached("m10");eval($$S.read("n10"));eval($$S.read("n40"));\n`;
  // each way: a first load (peak, remainder), then loads timed
  for (const [i, [, loader, arg]] of ways.entries())
    for (const n of [10, 40])
      driver += `${loader(n)};$$a=$$m();$$L("${arg(n)}");$$c=process.memory(false).usage;$$b=$$m();$$t=getTime();for($$i=0;$$i<${loads};$$i++)$$L("${arg(n)}");$$t=getTime()-$$t;print("B ${i}.${n} "+($$pl-$$a)+" "+($$pk-$$a)+" "+($$b-$$a)+" "+($$t*1000/${loads}).toFixed(2)+" "+($$c-$$a));\n`;
  // kept: a module left cached, a part evaluated at the top level; a main file carrying a part; calling a loaded function
  for (const n of [10, 40]) {
    driver += `$$a=$$m();$$r=require("m${n}").q(1,2);$$b=$$m();print("K m${n} "+($$b-$$a));\n`;
    driver += `$$a=$$m();eval($$S.read("k${n}"));$$b=$$m();$$t=getTime();for($$i=0;$$i<${loads};$$i++)eval($$S.read("k${n}"));$$t=getTime()-$$t;print("S k${n} "+($$b-$$a)+" "+($$t*1000/${loads}).toFixed(2));\n`;
  }
  driver += `$$a=$$m();eval($$S.read("e10"));$$b=$$m();print("K e10 "+($$b-$$a));$$t=getTime();for($$i=0;$$i<${loads};$$i++)q0(1,2);$$t=getTime()-$$t;print("C q0 "+($$t*1000/${loads}).toFixed(3));\n`;
  const st = await storage(cmd, files, [driver]);
  try {
    const out = await st.run(0);
    const b = lines(out, "B");
    const k = lines(out, "K");
    const s = lines(out, "S");
    const c = lines(out, "C");
    console.log(`\n(b) Loading a part on demand: ${[10, 40].map((n) => `${n} functions of 2 parameters (${sizes[n]} bytes pretokenised)`).join(", ")}; the part runs its first function.`);
    console.log(`    ms/load: ${loads} loads timed, the Linux build under qemu-i386 (not chip time). JsVars above what was used before the load: "loaded" with the part's`);
    console.log(`    definitions alive, collected ("uncollected": garbage included); "after" once the caller has let go, collected ("uncollected": before a collection)`);
    console.log(`  ${"way".padEnd(70)}${"functions".padStart(10)}${"ms/load".padStart(9)}${"loaded".padStart(8)}${"uncollected".padStart(12)}${"after".padStart(7)}${"uncollected".padStart(12)}`);
    for (const [i, [way]] of ways.entries())
      for (const n of [10, 40]) {
        const v = b.get(`${i}.${n}`) ?? [];
        console.log(`  ${way.padEnd(70)}${String(n).padStart(10)}${(v[3] ?? NaN).toFixed(2).padStart(9)}${String(v[0]).padStart(8)}${String(v[1]).padStart(12)}${String(v[2]).padStart(7)}${String(v[4]).padStart(12)}`);
      }
    for (const n of [10, 40]) console.log(`  require(f) left cached, ${n} functions: ${k.get(`m${n}`)?.[0]} JsVars stay`);
    console.log(`  the 10-function part evaluated at the top level: ${k.get("e10")?.[0]} JsVars stay; calling one of its functions then: ${c.get("q0")?.[0]} ms`);
    for (const n of [10, 40]) console.log(`  a main file carrying the ${n}-function part behind if(0){...}: evaluating it leaves ${s.get(`k${n}`)?.[0]} JsVars (the one var after the part) and takes ${s.get(`k${n}`)?.[1]} ms`);
  } finally {
    st.close();
  }
}

// ---- (c) the bundle's top-level definitions, by part

async function bundleParts(cmd: string[], board: Board, loads: number): Promise<void> {
  const plain = (await bundleBoard(board, { write: false })).plain;
  const b = new Bundle(plain);
  const ps = parts(b);
  const files: ImageFile[] = [{ name: "w", data: tokenise(WARM) }];
  // one interpreter per part: a name defined again replaces the function in place, costing nothing
  const drivers = ps.map((p, i) => {
    files.push({ name: `g${i}`, data: tokenise(b.definitions(p.names, true)) });
    // then loads timed: evaluated again, each name is replaced in place
    return DRIVER + `eval($$S.read("w"));$$a=$$m();eval($$S.read("g${i}"));$$b=$$m();$$t=getTime();for($$i=0;$$i<${loads};$$i++)eval($$S.read("g${i}"));$$t=getTime()-$$t;print("G ${i} "+($$b-$$a)+" "+($$t*1000/${loads}).toFixed(1));`;
  });
  const st = await storage(cmd, files, drivers);
  try {
    console.log(`\n(c) The ${board.name} bundle's top-level definitions by part (${Buffer.byteLength(plain)} bytes plain), each part's definitions evaluated alone from Storage (pretokenised; vars without a literal value left out):`);
    console.log(`  ${"part".padEnd(66)}${"functions".padStart(10)}${"4+params".padStart(9)}${"vars".padStart(5)}${"bytes".padStart(7)}${"JsVars".padStart(7)}${"ms/load".padStart(8)}`);
    for (const [i, p] of ps.entries()) {
      const out = await st.run(i);
      const defs = [...p.names].map((n) => b.defs.get(n)!);
      const fns = defs.filter((d) => d.fn);
      const bytes = Buffer.byteLength(tokenise(b.definitions(p.names, false)), "latin1");
      const vars = defs.filter((d) => !d.fn);
      console.log(`  ${p.name.padEnd(66)}${String(fns.length).padStart(10)}${String(fns.reduce((s, d) => s + 4 + d.params, 0)).padStart(9)}${`${vars.length}${vars.some((d) => !d.literal) ? "*" : ""}`.padStart(5)}${String(bytes).padStart(7)}${String(lines(out, "G").get(String(i))?.[0]).padStart(7)}${(lines(out, "G").get(String(i))?.[1] ?? NaN).toFixed(1).padStart(8)}`);
      if (i) console.log(`      ${p.how}: ${[...p.names].join(" ")}`);
    }
    console.log(`  (* some vars without a literal value, not measured; bytes: the part's definitions pretokenised; ms/load: evaluating them, qemu, not chip time)`);
    const where = (marker: string) => {
      const f = b.fnWith(marker);
      if (!f) return "(not in this bundle)";
      const owner = ps.slice(1).find((p) => p.names.has(f));
      return `${f} (${b.defs.get(f)!.params} parameter${b.defs.get(f)!.params === 1 ? "" : "s"}${owner ? `, in the ${owner.name.split(" (")[0]} part` : ", stays"})`;
    };
    console.log(`  inside function bodies already (code in flash, no JsVars until called): Home Assistant discovery in ${where("homeassistant/sensor/")}, MQTT commands in ${where('"cmd/result"')}, printTaskStatus in ${where("task ms on running runs errors avg")}, tasks/control and POST events in ${where("form: task, action, interval")}, readConfig is ${where('"unreadable"')}`);
  } finally {
    st.close();
  }
}

// ---- (c) --idle: nodes at idle with parts moved to Storage

async function idle(cmd: string[], board: Board, o: Record<string, string | boolean>): Promise<void> {
  const vs = (await variants(board)).filter((_, i) => o.only === undefined || i === Number(o.only));
  console.log(`\n(c) Nodes at idle (${o.nodes} ${board.name} nodes${o.broker ? ", an MQTT broker, telemetry every 5 s" : ", no broker"}), the bundle as built against parts moved out of it:`);
  const results: string[] = [];
  let failed = 0;
  for (const plainVariant of vs) {
    const v = { ...plainVariant, firmware: tokenise(plainVariant.firmware), parts: plainVariant.parts.map((p) => ({ name: p.name, data: tokenise(p.data) })) };
    const dist = mkdtempSync(join(tmpdir(), "spore-on-demand-dist-"));
    for (const f of [`${board.name}.boot.js`, "dashboard.html.gz"]) if (existsSync(join(DIST_DIR, f))) copyFileSync(join(DIST_DIR, f), join(dist, f));
    if (!existsSync(join(dist, `${board.name}.boot.js`))) throw new Error(`${join(DIST_DIR, board.name + ".boot.js")} is missing: run "npm run build" first`);
    writeFileSync(join(dist, `${board.name}.js`), v.firmware, "latin1");
    const c = await RealCluster.create({ board: board.name, nodes: Number(o.nodes), slow: Number(o.slow), dist, keep: !!o.keep, broker: !!o.broker });
    try {
      console.log(`\n-- ${v.name}: ${Buffer.byteLength(v.firmware, "latin1")} bytes${v.parts.map((p) => ` + ${p.name} ${Buffer.byteLength(p.data, "latin1")} bytes`).join("")}`);
      if (v.parts.length) for (let i = 0; i < c.nodes.length; i += 2) await Promise.all(c.nodes.slice(i, i + 2).map(async (n) => (n.jsVars = await writeStorage(cmd, n.dir, [...n.image(), ...v.parts]))));
      describe(c);
      await startStaggered(c, 3000);
      await c.booted();
      const took = await c.waitConverged(180000 * c.slow);
      console.log(`every node lists every other ACTIVE ${(took / 1000).toFixed(1)} s after the last start`);
      await pause(Number(o.settle) * 1000);
      const used: number[] = [];
      for (let s = 0; s < Number(o.samples); s++) {
        if (s) await pause(10000);
        for (const n of c.nodes) used.push((await n.memory()).usage);
      }
      const mq = o.broker ? ` MQTT connected on ${(await Promise.all(c.nodes.map((n) => n.repl<number>("spore.mqtt.up")))).filter((u) => u === 1).length} of ${c.nodes.length};` : "";
      const trouble = reportTrouble(c);
      results.push(`  ${v.name.padEnd(70)} used ${range(used).padEnd(12)}${mq}${trouble ? ` ${trouble} lines of trouble` : ""}`);
      console.log(results[results.length - 1]);
      if (trouble) failed++;
    } catch (e) {
      console.log(`\nFAILED: ${(e as Error).message}`);
      reportTrouble(c);
      results.push(`  ${v.name.padEnd(70)} FAILED: ${(e as Error).message.split("\n")[0]}`);
      failed++;
    } finally {
      await c.close();
      rmSync(dist, { recursive: true, force: true });
    }
  }
  console.log(`\nJsVars used at idle (the console line that reads them and the Linux shims included, the same in every run):\n${results.join("\n")}`);
  if (failed) process.exitCode = 1;
}

const o = options();
const board = loadBoard(String(o.board));
if (o.variants) {
  const dir = String(o.variants);
  mkdirSync(dir, { recursive: true });
  for (const [i, v] of (await variants(board)).entries()) {
    writeFileSync(join(dir, `${i}.${board.name}.js`), v.firmware);
    for (const p of v.parts) writeFileSync(join(dir, `${i}.${p.name}.js`), p.data);
    console.log(`${join(dir, `${i}.*`)}: ${v.name}`);
  }
  process.exit(0);
}
const cmd = espruinoCommand(board)!;
console.log(`interpreter: ${cmd.join(" ")}`);
await perDefinition(cmd);
await onDemand(cmd, Number(o.loads));
await bundleParts(cmd, board, Number(o.loads));
if (o.idle) await idle(cmd, board, o);
