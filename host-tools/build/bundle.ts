// Bundles device/ into one Espruino script per board and enforces the
// Espruino language subset and the board's byte budget.
import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { crc32 } from "node:zlib";
import * as esbuild from "esbuild";
import type { Board } from "./boards.ts";
import { PRIVATE_PROPS } from "./mangle.ts";
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
      define: { SPORE_BOARD: JSON.stringify(board.name), SPORE_VERSION: JSON.stringify(VERSION_PLACEHOLDER), SPORE_DASHBOARD_BYTES: String(board.budgets.dashboardBytes ?? 0), ...limitDefines(board) },
      tsconfigRaw: { compilerOptions: { useDefineForClassFields: false, verbatimModuleSyntax: true } },
      mangleProps: new RegExp("^(" + PRIVATE_PROPS.join("|") + ")$"),
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
  const js = result.outputFiles.find((f) => f.path.endsWith(".js"))!;
  const map = result.outputFiles.find((f) => f.path.endsWith(".js.map"))!;
  const plain = js.text.trimEnd() + "\n";
  const undefinedConstant = /\bSPORE_[A-Z_]+/.exec(plain);
  if (undefinedConstant) throw new BuildError(`${board.name}: ${undefinedConstant[0]} is left in the bundle (a build constant the build does not define)`);
  const problems = checkEspruinoSubset(plain);
  if (problems.length) {
    const lookup = new SourceMapLookup(JSON.parse(map.text) as SourceMapV3);
    const lines = problems.map((p) => {
      const orig = lookup.original(p.line, p.column);
      const where = orig ? `${relative(REPO_ROOT, join(DIST_DIR, orig.source))}:${orig.line}:${orig.column + 1}` : `bundle ${p.line}:${p.column + 1}`;
      return `${where}: ${p.message}`;
    });
    throw new BuildError(`${board.name}: the bundle uses JavaScript that Espruino 2v29 does not run:\n  ${lines.join("\n  ")}`);
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
