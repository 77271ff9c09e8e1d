// npm run build: one bundle per board, sizes against budgets, the boot files
// and the Web IDE files; exit 1 when any fails to build or is over its budget.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Board, loadBoards } from "./boards.ts";
import { CAPABILITY_NAMES } from "./capabilities.ts";
import { allowNewNames } from "./mangle.ts";
import { BOOT_ENTRY, bundleBoard, BuildError, type BundleResult } from "./bundle.ts";
import { storageLayout } from "./image.ts";
import { buildDashboard } from "./dashboard.ts";
import { ideFile, type IdeFile, ideLayout, ideSettings } from "./ide.ts";
import { DIST_DIR } from "./paths.ts";
import { JsonFileError } from "./json-schema.ts";

export function formatSizes(results: BundleResult[]): string {
  const rows = results.map((r) => {
    const pct = ((100 * r.bytes) / r.budget).toFixed(0);
    const verdict = r.bytes > r.budget ? "OVER BUDGET" : "ok";
    return `  ${r.board.padEnd(8)} ${String(r.bytes).padStart(7)} B of ${String(r.budget).padStart(6)} B (${pct.padStart(3)}%)  ${verdict}`;
  });
  return ["bundle sizes (dist/<board>.js):", ...rows].join("\n");
}

/** Storage per board with everything at its largest (image.ts), from the boot files' sizes. */
export function formatLayouts(boots: BundleResult[]): string {
  const boards = loadBoards();
  const lines = ["storage (boot file, slots at their budget, largest config and state):"];
  for (const r of boots) {
    const board = boards.find((b) => b.name === r.board)!;
    const l = storageLayout(board, r.bytes);
    const files = l.rows.map((row) => `${row.file} ${row.bytes}`).join(", ");
    lines.push(`  ${r.board.padEnd(8)} ${String(l.used).padStart(7)} B of ${String(board.limits.storageBytes).padStart(6)} B, ${l.free} B free  ${l.free < 0 ? "OVER" : "ok"}  (${files})`);
  }
  return lines.join("\n");
}

/** Each board's Web IDE file, its size, how to send it, and Storage with it installed (ide.ts ideLayout). */
export function formatIdes(ides: IdeFile[], boots: BundleResult[]): string {
  const boards = loadBoards();
  const lines = ["Web IDE files (dist/<board>.ide.js), and Storage with one installed, the rest at its largest:"];
  for (const ide of ides) {
    const board = boards.find((b) => b.name === ide.board)!;
    const l = ideLayout(board, ide, boots.find((b) => b.board === ide.board)!.bytes);
    const files = l.rows.map((row) => `${row.file} ${row.bytes}`).join(", ");
    lines.push(`  ${ide.board.padEnd(8)} ${String(ide.bytes).padStart(7)} B ASCII, ${ideSettings(board)}`);
    lines.push(`  ${"".padEnd(8)} ${String(l.used).padStart(7)} B of ${String(board.limits.storageBytes).padStart(6)} B, ${l.free} B free  ${l.free < 0 ? "OVER" : "ok"}  (${files})`);
  }
  return lines.join("\n");
}

/** The Web IDE file for each board (dist/<board>.ide.js): no configuration, so no secret. */
export function buildIdes(results: BundleResult[], boots: BundleResult[], dashboard: string, write = true): IdeFile[] {
  const boards = loadBoards();
  return results.map((fw) => {
    const board = boards.find((b) => b.name === fw.board)!;
    const boot = boots.find((b) => b.board === fw.board)!;
    const ide = ideFile({ board, firmware: fw.code, version: fw.version, boot: boot.code, bootPlain: boot.plain, dashboard: board.capabilities.dashboard ? dashboard : undefined });
    if (write) writeFileSync(join(DIST_DIR, `${fw.board}.ide.js`), ide.code, "latin1");
    return ide;
  });
}

export async function buildAll(boardNames?: string[], write = true): Promise<BundleResult[]> {
  const boards = loadBoards().filter((b) => !boardNames || boardNames.includes(b.name));
  return Promise.all(boards.map((b) => bundleBoard(b, { write })));
}

/** The boot file for each board (dist/<board>.boot.js). */
export async function buildBoots(boardNames?: string[], write = true): Promise<BundleResult[]> {
  const boards = loadBoards().filter((b) => !boardNames || boardNames.includes(b.name));
  return Promise.all(boards.map((b) => bundleBoard(b, { entry: BOOT_ENTRY, suffix: ".boot", write })));
}

/**
 * Why a bundle is over its budget and what to drop: each capability it
 * carries, with the bytes the bundle has without it (espruino.json
 * "capabilities" turns one off).
 */
export async function overBudget(board: Board, r: BundleResult): Promise<string> {
  const carried = CAPABILITY_NAMES.filter((c) => board.capabilities[c]);
  const options: string[] = [];
  for (const c of carried) {
    const without = await bundleBoard({ ...board, capabilities: { ...board.capabilities, [c]: false } }, { write: false });
    options.push(`${c} (${without.bytes} B without it${without.bytes <= r.budget ? ", fits" : ""})`);
  }
  const advice = options.length ? `; drop one of its capabilities in espruino.json "capabilities": {"${board.name}": {...: false}}: ${options.join(", ")}` : "; it carries no capability to drop";
  return `${board.name}: ${r.bytes} B, over its budget of ${r.budget} B (boards/${board.name}.json budgets.bundleBytes)${advice}`;
}

/** Everything dist/ holds: the bundles, the boot files and the dashboard, with sizes against budgets. */
export interface ProjectBuild {
  /** The sizes and the storage layouts, as npm run build prints them. */
  report: string;
  /** What is over a budget or does not fit, one line each; empty when the build is good. */
  failures: string[];
  /** What the report is made from, board by board in loadBoards() order (host-tools/build/docs.ts makes the README's tables of it). */
  bundles: BundleResult[];
  boots: BundleResult[];
  ides: IdeFile[];
  dashboard: { bytes: number; rawBytes: number; budget: number };
}

/**
 * Builds what the emulator, the flash tool and the Web IDE read from dist/
 * (every board, or the ones named): dist/<board>.js, dist/<board>.boot.js,
 * dist/dashboard.html.gz and dist/<board>.ide.js; with write false, the same
 * without writing anything.
 */
export async function buildProject(boardNames?: string[], options: { write?: boolean } = {}): Promise<ProjectBuild> {
  const boards = loadBoards();
  const write = options.write !== false;
  const [bundles, boots] = await Promise.all([buildAll(boardNames, write), buildBoots(boardNames, write)]);
  const dash = buildDashboard(write);
  const ides = buildIdes(bundles, boots, dash.data, write);
  const dashBudget = Math.min(...boards.filter((b) => b.capabilities.dashboard).map((b) => b.budgets.dashboardBytes ?? 0));
  const report = [
    formatSizes(bundles),
    `dashboard (dist/dashboard.html.gz): ${dash.bytes} B gzipped (${dash.rawBytes} B of HTML) of ${dashBudget} B  ${dash.bytes > dashBudget ? "OVER BUDGET" : "ok"}`,
    formatLayouts(boots),
    formatIdes(ides, boots),
  ].join("\n");
  const failures: string[] = [];
  const over = bundles.filter((r) => r.bytes > r.budget);
  for (const r of over) failures.push(await overBudget(boards.find((b) => b.name === r.board)!, r));
  if (dash.bytes > dashBudget) failures.push("the dashboard is over its budget (boards/<board>.json budgets.dashboardBytes)");
  const full = boots.filter((r) => storageLayout(boards.find((b) => b.name === r.board)!, r.bytes).free < 0);
  if (full.length) failures.push(`${full.map((r) => r.board).join(", ")}: Storage cannot hold the boot file, the firmware slots, configuration and state`);
  const ideFull = ides.filter((ide) => ideLayout(boards.find((b) => b.name === ide.board)!, ide, boots.find((b) => b.board === ide.board)!.bytes).free < 0);
  if (ideFull.length) failures.push(`${ideFull.map((r) => r.board).join(", ")}: Storage cannot hold the installed Web IDE file with the firmware slots, configuration and state`);
  return { report, failures, bundles, boots, ides, dashboard: { bytes: dash.bytes, rawBytes: dash.rawBytes, budget: dashBudget } };
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log("usage: npm run build [-- board...]\n\nBundles device/ into dist/<board>.js and the boot files into dist/<board>.boot.js for every board in boards/\n(or the ones named), gzips the dashboard into dist/dashboard.html.gz, writes dist/<board>.ide.js (what the Espruino\nWeb IDE sends: README, Flashing a board), checks the Espruino language subset, and fails when a bundle or the\ndashboard is over its budget or Storage cannot hold it all.\n\n  --mangle   name new private properties (ending in _) in host-tools/build/mangle-cache.json (commit it)");
    return 0;
  }
  const names = argv.filter((a) => !a.startsWith("-"));
  allowNewNames(argv.includes("--mangle"));
  try {
    const built = await buildProject(names.length ? names : undefined);
    console.log(built.report);
    for (const f of built.failures) console.error(`build failed: ${f}`);
    return built.failures.length ? 1 : 0;
  } catch (e) {
    if (e instanceof BuildError || e instanceof JsonFileError) {
      console.error(e.message);
      return 1;
    }
    throw e;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main(process.argv.slice(2));
}
