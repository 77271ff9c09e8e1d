// Bundles device/ into one Espruino script per board and enforces the
// Espruino language subset and the board's byte budget.
import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { crc32 } from "node:zlib";
import * as esbuild from "esbuild";
import { minify } from "terser";
import * as acorn from "acorn";
import * as walk from "acorn-walk";
import type { Board } from "./boards.ts";
import { capabilityDefines } from "./capabilities.ts";
import { mangleCache, MANGLED, mangleUpdates, saveMangleCache, unmangled } from "./mangle.ts";
import { tokenise } from "./pretokenise.ts";
import { checkEspruinoSubset, ESPRUINO_BUILTIN_MODULES } from "./espruino-subset.ts";
import { DIST_DIR, REPO_ROOT } from "./paths.ts";
import { SourceMapLookup, type SourceMapV3 } from "./sourcemap.ts";

/** Replaced in the bundle by its own hash; as long as the hash so the source map still fits. */
const VERSION_PLACEHOLDER = "#version";

export const DEVICE_ENTRY = join(REPO_ROOT, "device", "main.ts");
/** The boot file (Storage ".bootcde"): picks the firmware slot, takes updates, recovery mode. */
export const BOOT_ENTRY = join(REPO_ROOT, "device", "boot.ts");

/**
 * What Espruino 2v29 lacks. esbuild lowers some of these (optional chaining,
 * **, logical assignment, object spread, class fields) and rejects the rest
 * with a build error, which is the guard we want.
 */
export const ESPRUINO_UNSUPPORTED: Record<string, boolean> = {
  destructuring: false,
  "default-argument": false,
  "rest-argument": false,
  "array-spread": false,
  "object-rest-spread": false,
  generator: false,
  "async-await": false,
  "async-generator": false,
  "for-await": false,
  "exponent-operator": false,
  "optional-chain": false,
  "logical-assignment": false,
  "class-field": false,
  "class-static-field": false,
  "class-private-field": false,
  "class-private-method": false,
  "class-private-accessor": false,
  "class-private-static-field": false,
  "class-private-static-method": false,
  "class-private-static-accessor": false,
  "class-private-brand-check": false,
  "class-static-blocks": false,
  "template-literal": true,
  bigint: false,
  "dynamic-import": false,
  "import-meta": false,
  "top-level-await": false,
  "regexp-lookbehind-assertions": false,
  "regexp-named-capture-groups": false,
  "regexp-unicode-property-escapes": false,
  "regexp-sticky-and-unicode-flags": false,
  "regexp-dot-all-flag": false,
  "regexp-match-indices": false,
  "regexp-set-notation": false,
};

export class BuildError extends Error {}

export interface BundleResult {
  board: string;
  code: string;
  /** The same script before pretokenising: plain ASCII JavaScript (what the Web IDE file carries of the boot file). */
  plain: string;
  bytes: number;
  budget: number;
  /** A hash of the bundle, reported by the node as its version. */
  version: string;
}

export interface BundleOptions {
  entry?: string;
  /** Write dist/<board><suffix>.js (default true). */
  write?: boolean;
  /** Output name suffix: "" for the firmware, ".boot" for the boot file. */
  suffix?: string;
}

function describeEsbuildError(e: esbuild.Message): string {
  const where = e.location ? `${e.location.file}:${e.location.line}:${e.location.column + 1}: ` : "";
  const hint = /not supported yet|configured target environment/.test(e.text) ? " (Espruino 2v29 does not support this construct)" : "";
  return where + e.text + hint;
}

function limitDefines(board: Board): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(board.node)) out[`SPORE_LIMITS.${k}`] = JSON.stringify(v);
  return out;
}

/**
 * Espruino does not hoist `var`: a variable declared after its first use in
 * a function is, until the declaration runs, the global of that name (terser
 * puts `var t,n` at the end of a function it inlined another into, and on the
 * chip that assigned the firmware's globals t and n). Moves every `var`
 * statement without initialisers to the start of its function; then refuses
 * a `var` still declared after a use.
 */
export function hoistVars(code: string): string {
  const edits: { start: number; end: number; text: string }[] = [];
  const problems: string[] = [];
  walk.full(acorn.parse(code, { ecmaVersion: 2020 }), (fn: any) => {
    if (!/Function/.test(fn.type) || fn.body.type !== "BlockStatement") return;
    const moved: string[] = [];
    fn.body.body.forEach((st: any, i: number) => {
      if (st.type !== "VariableDeclaration" || st.kind !== "var" || i === 0) return;
      if (st.declarations.every((d: any) => !d.init && d.id.type === "Identifier")) {
        moved.push(...st.declarations.map((d: any) => d.id.name));
        edits.push({ start: st.start, end: st.end, text: "" });
      } else problems.push(code.slice(st.start, st.start + 60));
    });
    if (moved.length) edits.push({ start: fn.body.start + 1, end: fn.body.start + 1, text: "var " + moved.join(",") + ";" });
  });
  if (problems.length) throw new BuildError(`a var with a value after other statements in a function (Espruino does not hoist it): ${problems.join("; ")}`);
  edits.sort((a, b) => b.start - a.start);
  let out = code;
  for (const e of edits) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}

/**
 * Minifiers count characters; the chip's pretokenised script counts tokens,
 * where `true`, `false` and `undefined` are one byte each and their minified
 * forms `!0` (2), `!1` (3) and `void 0` (2) are not. The same values, so the
 * script means the same. Also puts in parentheses what Espruino cannot parse
 * without them.
 */
export function tokenFriendly(code: string): string {
  const edits: { start: number; end: number; text: string }[] = [];
  walk.simple(acorn.parse(code, { ecmaVersion: 2020 }), {
    // Espruino 2v29 reads "for(function(a){...}(x);...)" as a function
    // declaration without a name and stops with a SyntaxError ("Got '('
    // expected ID"); terser writes one when it inlines a function into a
    // loop's first clause. In parentheses it parses.
    ForStatement(node: any) {
      const init = node.init;
      if (init && code.startsWith("function", init.start)) {
        edits.push({ start: init.end, end: init.end, text: ")" });
        edits.push({ start: init.start, end: init.start, text: "(" });
      }
    },
    UnaryExpression(node: any) {
      const arg = node.argument;
      if (arg.type !== "Literal" || typeof arg.value !== "number") return;
      if (node.operator === "!" && (arg.value === 0 || arg.value === 1)) edits.push({ start: node.start, end: node.end, text: arg.value ? "false" : "true" });
      if (node.operator === "void" && arg.value === 0) edits.push({ start: node.start, end: node.end, text: "undefined" });
    },
  });
  // from the end, stable: a "(" and ")" inserted at one place keep their order
  edits.sort((a, b) => b.start - a.start);
  let out = code;
  // spaced: "return!0" becomes "return true", never "returntrue"
  for (const e of edits) out = out.slice(0, e.start) + (e.text.length > 1 ? " " + e.text + " " : e.text) + out.slice(e.end);
  return out;
}

/** Names a script declares at its top level (functions, var/let/const): the boot file may declare none, only assign global._SB. */
export function topLevelNames(code: string): string[] {
  const names: string[] = [];
  for (const node of (acorn.parse(code, { ecmaVersion: 2020 }) as any).body) {
    if (node.type === "FunctionDeclaration" || node.type === "ClassDeclaration") names.push(node.id.name);
    if (node.type === "VariableDeclaration") for (const d of node.declarations) names.push(d.id.name ?? "(pattern)");
  }
  return names;
}

/**
 * Terser after esbuild: it inlines the small functions that one concern per
 * module leaves behind (called once, they cost bytes in the bundle and
 * JsVars on the chip for as long as they exist) and compresses further. Its
 * output is checked against the Espruino subset again.
 */
async function compact(code: string, board: string): Promise<string> {
  const out = await minify(code, {
    ecma: 2015,
    toplevel: true,
    // hoist_vars: Espruino does not hoist a var to the top of its function (a var terser put after its first use assigned a global)
    compress: { passes: 3, inline: 3, reduce_funcs: true, keep_fargs: false, unsafe: false, hoist_funs: false, hoist_vars: true },
    mangle: { toplevel: true },
    format: { ascii_only: true },
  });
  const text = tokenFriendly(hoistVars(out.code!.trimEnd() + "\n"));
  const problems = checkEspruinoSubset(text);
  if (problems.length) throw new BuildError(`${board}: the compacted bundle uses JavaScript that Espruino 2v29 does not run:\n  ${problems.map((p) => `bundle ${p.line}:${p.column + 1}: ${p.message}`).join("\n  ")}`);
  return text;
}

export async function bundleBoard(board: Board, options: BundleOptions = {}): Promise<BundleResult> {
  const entry = options.entry ?? DEVICE_ENTRY;
  let result: esbuild.BuildResult & { outputFiles: esbuild.OutputFile[] };
  try {
    result = await esbuild.build({
      entryPoints: [entry],
      bundle: true,
      minify: true,
      format: "cjs", // keeps built-in require() calls as they are; sources are ES modules
      platform: "neutral",
      target: "es2015",
      charset: "ascii", // Espruino strings are 8-bit
      legalComments: "none",
      supported: ESPRUINO_UNSUPPORTED,
      external: ESPRUINO_BUILTIN_MODULES,
      // each SPORE_LIMITS.<field> becomes its number: no limits object on the chip
      define: {
        SPORE_BOARD: JSON.stringify(board.name),
        SPORE_CLASS: JSON.stringify(board.class.name),
        SPORE_CHIP: JSON.stringify(board.limits.chip),
        SPORE_SLOTS: String(board.limits.slots),
        SPORE_CPU_MHZ: String(board.limits.cpuFreqMHz),
        SPORE_FLASH_BYTES: String(board.limits.flashChipBytes),
        // the power profile, whole numbers (mV, mA, us)
        SPORE_POWER_MV: String(Math.round(board.power.volts * 1000)),
        SPORE_IDLE_MA: String(board.power.idleMa),
        SPORE_ACTIVE_MA: String(board.power.activeMa),
        SPORE_TX_MA: String(board.power.txMa),
        SPORE_AIRTIME_US: String(Math.round(board.power.airtimeMs * 1000)),
        SPORE_VERSION: JSON.stringify(VERSION_PLACEHOLDER),
        SPORE_DASHBOARD_BYTES: String(board.budgets.dashboardBytes ?? 0),
        SPORE_TELNET: String(board.limits.upload.includes("telnet")),
        ...limitDefines(board),
        ...capabilityDefines(board.capabilities),
      },
      tsconfigRaw: { compilerOptions: { useDefineForClassFields: false, verbatimModuleSyntax: true } },
      mangleProps: MANGLED,
      mangleCache: mangleCache(),
      sourcemap: "external",
      outdir: DIST_DIR,
      write: false,
      logLevel: "silent",
    });
  } catch (e) {
    const failure = e as esbuild.BuildFailure;
    if (!failure.errors) throw e;
    throw new BuildError(`${board.name}: build failed:\n  ${failure.errors.map(describeEsbuildError).join("\n  ")}`);
  }
  const unnamed = saveMangleCache(result.mangleCache);
  if (unnamed.length && !mangleUpdates()) throw new BuildError(`${board.name}: ${unnamed.join(", ")} not in host-tools/build/mangle-cache.json: run npm run build -- --mangle to name them, and commit the cache`);
  const js = result.outputFiles.find((f) => f.path.endsWith(".js"))!;
  const map = result.outputFiles.find((f) => f.path.endsWith(".js.map"))!;
  const bundled = js.text.trimEnd() + "\n";
  const undefinedConstant = /\bSPORE_[A-Z_]+/.exec(bundled);
  if (undefinedConstant) throw new BuildError(`${board.name}: ${undefinedConstant[0]} is left in the bundle (a build constant the build does not define)`);
  const kept = unmangled(bundled);
  if (kept) throw new BuildError(`${board.name}: property ${kept} is left in the bundle unshortened (a name ending in "_" must be written as .name_, not quoted)`);
  const problems = checkEspruinoSubset(bundled);
  if (problems.length) {
    const lookup = new SourceMapLookup(JSON.parse(map.text) as SourceMapV3);
    const lines = problems.map((p) => {
      const orig = lookup.original(p.line, p.column);
      const where = orig ? `${relative(REPO_ROOT, join(DIST_DIR, orig.source))}:${orig.line}:${orig.column + 1}` : `bundle ${p.line}:${p.column + 1}`;
      return `${where}: ${p.message}`;
    });
    throw new BuildError(`${board.name}: the bundle uses JavaScript that Espruino 2v29 does not run:\n  ${lines.join("\n  ")}`);
  }
  const plain = await compact(bundled, board.name);
  if (entry === BOOT_ENTRY) {
    const globals = topLevelNames(plain);
    if (globals.length) throw new BuildError(`${board.name}: the boot file defines ${globals.join(", ")} at the top level: the firmware's minified globals would overwrite it (keep everything inside _SB; device/boot.ts)`);
  }
  // what goes on the chip is pretokenised; the version is the CRC32 of that,
  // taken with a placeholder of the same length where the version goes
  const draft = tokenise(plain);
  const version = (crc32(Buffer.from(draft, "latin1")) >>> 0).toString(16).padStart(8, "0");
  const code = draft.split(VERSION_PLACEHOLDER).join(version);
  const plainCode = plain.split(VERSION_PLACEHOLDER).join(version);

  const bytes = Buffer.byteLength(code, "latin1");
  if (options.write !== false) {
    mkdirSync(DIST_DIR, { recursive: true });
    writeFileSync(join(DIST_DIR, `${board.name}${options.suffix ?? ""}.js`), code, "latin1");
    // what host-tools ota --bundle needs to know of a bundle file: its board and the version it reports
    if (!options.suffix) writeFileSync(join(DIST_DIR, `${board.name}.json`), JSON.stringify({ board: board.name, version, bytes }) + "\n");
  }
  return { board: board.name, code, plain: plainCode, bytes, budget: board.budgets.bundleBytes, version };
}
