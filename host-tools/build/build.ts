// npm run build: one bundle per board, sizes against budgets, the boot files
// and the Web IDE files; exit 1 when any fails to build or is over its budget.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadBoards } from "./boards.ts";
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
    const ide = ideFile({ board, firmware: fw.code, version: fw.version, boot: boot.code, bootPlain: boot.plain, dashboard: board.node.dash ? dashboard : undefined });
    if (write) writeFileSync(join(DIST_DIR, `${fw.board}.ide.js`), ide.code, "latin1");
    return ide;
  });
}

export async function buildAll(boardNames?: string[]): Promise<BundleResult[]> {
  const boards = loadBoards().filter((b) => !boardNames || boardNames.includes(b.name));
  return Promise.all(boards.map((b) => bundleBoard(b)));
}

/** The boot file for each board (dist/<board>.boot.js). */
export async function buildBoots(boardNames?: string[]): Promise<BundleResult[]> {
  const boards = loadBoards().filter((b) => !boardNames || boardNames.includes(b.name));
  return Promise.all(boards.map((b) => bundleBoard(b, { entry: BOOT_ENTRY, suffix: ".boot" })));
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log("usage: npm run build [-- board...]\n\nBundles device/ into dist/<board>.js for every board in boards/ (or the ones named),\nchecks the Espruino language subset, and fails when a bundle is over its board's budget.\nAlso dist/<board>.boot.js (the boot file) and dist/<board>.ide.js (what the Espruino Web IDE sends: README, Flashing a board).");
    return 0;
  }
  const names = argv.filter((a) => !a.startsWith("-"));
  try {
    const results = await buildAll(names.length ? names : undefined);
    const boots = await buildBoots(names.length ? names : undefined);
    const dash = buildDashboard();
    const ides = buildIdes(results, boots, dash.data);
    console.log(formatSizes(results));
    const dashBudget = Math.min(...loadBoards().filter((b) => b.node.dash).map((b) => b.budgets.dashboardBytes ?? 0));
    console.log(`dashboard (dist/dashboard.html.gz): ${dash.bytes} B gzipped (${dash.rawBytes} B of HTML) of ${dashBudget} B  ${dash.bytes > dashBudget ? "OVER BUDGET" : "ok"}`);
    console.log(formatLayouts(boots));
    console.log(formatIdes(ides, boots));
    const over = results.filter((r) => r.bytes > r.budget);
    if (over.length) {
      console.error(`build failed: ${over.map((r) => r.board).join(", ")} over budget (boards/<board>.json budgets.bundleBytes)`);
      return 1;
    }
    if (dash.bytes > dashBudget) {
      console.error("build failed: the dashboard is over its budget (boards/<board>.json budgets.dashboardBytes)");
      return 1;
    }
    const full = boots.filter((r) => storageLayout(loadBoards().find((b) => b.name === r.board)!, r.bytes).free < 0);
    if (full.length) {
      console.error(`build failed: ${full.map((r) => r.board).join(", ")}: Storage cannot hold the boot file, the firmware slots, configuration and state`);
      return 1;
    }
    const ideFull = ides.filter((ide) => ideLayout(loadBoards().find((b) => b.name === ide.board)!, ide, boots.find((b) => b.board === ide.board)!.bytes).free < 0);
    if (ideFull.length) {
      console.error(`build failed: ${ideFull.map((r) => r.board).join(", ")}: Storage cannot hold the installed Web IDE file with the firmware slots, configuration and state`);
      return 1;
    }
    return 0;
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
