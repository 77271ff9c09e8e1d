// npm run docs: the README's tables of build output, made from the build, so
// they cannot go stale. Each table sits between markers in README.md:
//
//   <!-- build:<name> -->
//   ...made by REGIONS[<name>] from buildProject()...
//   <!-- /build:<name> -->
//
// `npm run docs` builds (without writing dist/) and rewrites every marked
// region; `--check` rewrites nothing, names each region that differs and exits
// 1. test/build/readme.test.ts fails the same way, so a change that moves a
// size tells whoever makes it to run `npm run docs`. Both also fail when the
// README's prose or a board's notes write out a figure the build makes
// (restatedInDocs): outside the regions nothing would keep it true.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Board, loadBoards } from "./boards.ts";
import { type ProjectBuild, buildProject } from "./build.ts";
import { DASHBOARD_DIST_FILE } from "./dashboard.ts";
import { ideLayout } from "./ide.ts";
import { BOOT_FILE, BOOTS_FILE, CONFIG_FILE, DASHBOARD_FILE, DASHBOARD_UPLOAD_FILE, SLOT_FILES, STATE_FILES, storageLayout } from "./image.ts";
import { StorageFile } from "../../device/core/layout.ts";
import { REPO_ROOT } from "./paths.ts";
import { BuildError } from "./bundle.ts";
import { JsonFileError } from "./json-schema.ts";

export const README = join(REPO_ROOT, "README.md");

/** 12287 -> "12,287", as the README writes numbers. */
export function num(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

function table(head: string[], align: ("l" | "r")[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(head), `|${align.map((a) => (a === "r" ? "---:" : "---")).join("|")}|`, ...rows.map(line)].join("\n");
}

function boardOf(boards: Board[], name: string): Board {
  return boards.find((b) => b.name === name)!;
}

/** Bundles and the dashboard against their budgets (npm run build's "bundle sizes" and "dashboard" lines). */
export function sizesTable(build: ProjectBuild): string {
  const rows = build.bundles.map((r) => [`\`dist/${r.board}.js\``, `\`${r.board}\` bundle`, num(r.bytes), num(r.budget), num(r.budget - r.bytes)]);
  const d = build.dashboard;
  rows.push([`\`dist/${DASHBOARD_DIST_FILE}\``, `dashboard, gzipped (${num(d.rawBytes)} B of HTML)`, num(d.bytes), num(d.budget), num(d.budget - d.bytes)]);
  return table(["file", "what", "bytes", "budget", "to spare"], ["l", "l", "r", "r", "r"], rows);
}

/** Storage with everything at its largest (npm run build's "storage" lines; image.ts storageLayout), its files grouped. */
export function storageTable(build: ProjectBuild): string {
  const boards = loadBoards();
  const groups: Record<string, string[]> = { boot: [BOOT_FILE], slots: SLOT_FILES, config: [CONFIG_FILE], state: [...STATE_FILES, BOOTS_FILE], mac: [StorageFile.MacKeys], dash: [DASHBOARD_FILE, DASHBOARD_UPLOAD_FILE], jobs: [StorageFile.Jobs0, StorageFile.Jobs1, StorageFile.JobsNext, StorageFile.Kv0, StorageFile.Kv1, StorageFile.SpoolPrefix + "*"] };
  const rows = build.boots.map((r) => {
    const board = boardOf(boards, r.board);
    const l = storageLayout(board, r.bytes);
    const of = (g: string) => l.rows.filter((row) => groups[g].includes(row.file));
    const sum = (g: string) => of(g).reduce((n, row) => n + row.bytes, 0);
    const known = Object.values(groups).flat();
    const other = l.rows.find((row) => !known.includes(row.file));
    if (other) throw new Error(`docs.ts storageTable: Storage holds ${other.file} (${other.what}), which the table has no column for`);
    const slots = of("slots");
    return [
      `\`${r.board}\``,
      `${num(sum("boot"))} B`,
      `${slots.length} × ${num(slots[0].bytes)} B`,
      `${num(sum("config"))} B`,
      `${num(sum("state"))} B`,
      of("mac").length ? `${num(sum("mac"))} B` : "in RAM",
      of("dash").length ? `${num(sum("dash"))} B` : "none",
      of("jobs").length ? `${num(sum("jobs"))} B` : "none",
      `${num(l.free)} B of ${num(board.limits.storageBytes)}`,
    ];
  });
  return table(["board", `boot file (\`${BOOT_FILE}\`)`, "slots", `largest \`${CONFIG_FILE}\``, "state copies, boot number", "MAC arrays (`spore.k`)", "dashboard (page and upload)", "jobs (sets, durable keys, spool)", "free"], ["l", "r", "r", "r", "r", "r", "r", "r", "r"], rows);
}

/** The Web IDE files and Storage with one installed, the rest at its largest (npm run build's "Web IDE files" lines; ide.ts ideLayout). */
export function ideTable(build: ProjectBuild): string {
  const boards = loadBoards();
  const rows = build.ides.map((ide) => {
    const board = boardOf(boards, ide.board);
    const boot = build.boots.find((b) => b.board === ide.board)!;
    const l = ideLayout(board, ide, boot.bytes);
    const flash = ide.mode === "flash";
    return [
      `\`${ide.board}\``,
      `\`dist/${ide.board}.ide.js\``,
      `${num(ide.bytes)} B`,
      // "flash": the installer, then the plain boot file; "storage": all installer, the boot file inside it pretokenised
      `${num(flash ? ide.bytes - boot.plain.length : ide.bytes)} B`,
      flash ? `plain, ${num(boot.plain.length)} B (pretokenised ${num(boot.bytes)})` : `pretokenised, ${num(boot.bytes)} B (plain ${num(boot.plain.length)})`,
      `${num(l.free)} B of ${num(board.limits.storageBytes)}`,
    ];
  });
  return table(["board", "file", "bytes", "installer", "boot file in it", "Storage free with it installed"], ["l", "l", "r", "r", "l", "r"], rows);
}

/** Every generated region of README.md: its name (the marker's) and what makes it. */
export const REGIONS: Record<string, (build: ProjectBuild) => string> = {
  sizes: sizesTable,
  storage: storageTable,
  ide: ideTable,
};

export function renderRegions(build: ProjectBuild): Record<string, string> {
  return Object.fromEntries(Object.entries(REGIONS).map(([name, make]) => [name, make(build)]));
}

const REGION = /(<!-- build:([a-z-]+) -->\n)([\s\S]*?)(<!-- \/build:\2 -->)/g;

export class DocsError extends Error {}

/** The marked regions of a README: name to the text between its markers (without the newline before the closing one). */
export function readRegions(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(REGION)) {
    if (m[2] in out) throw new DocsError(`two regions are named build:${m[2]}`);
    out[m[2]] = m[3].replace(/\n$/, "");
  }
  return out;
}

export interface DocsResult {
  /** The README with every region as the build gives it. */
  text: string;
  /** Regions whose text differs from the build's. */
  stale: string[];
  /** Regions the build makes that the README has no markers for. */
  missing: string[];
  /** Marked regions the build does not make. */
  unknown: string[];
}

export function updateReadme(text: string, regions: Record<string, string>): DocsResult {
  const found = readRegions(text);
  const stale = Object.keys(found).filter((name) => name in regions && found[name] !== regions[name]);
  const missing = Object.keys(regions).filter((name) => !(name in found));
  const unknown = Object.keys(found).filter((name) => !(name in regions));
  const updated = text.replace(REGION, (all, open: string, name: string, _body: string, close: string) => (name in regions ? `${open}${regions[name]}\n${close}` : all));
  return { text: updated, stale, missing, unknown };
}

/**
 * The figures of a build that change with the code (bytes of the bundles,
 * boot files, dashboard and IDE files, Storage used and free), 1,000 and up
 * (smaller ones are too common to tell apart), without the boards' own
 * limits and budgets: number to what it is.
 */
export function buildFigures(build: ProjectBuild): Map<number, string> {
  const boards = loadBoards();
  const figures = new Map<number, string>();
  const add = (n: number, what: string) => {
    if (n >= 1000 && !figures.has(n)) figures.set(n, what);
  };
  for (const r of build.bundles) {
    add(r.bytes, `dist/${r.board}.js bytes`);
    add(r.budget - r.bytes, `dist/${r.board}.js bytes to spare`);
  }
  for (const r of build.boots) {
    add(r.bytes, `dist/${r.board}.boot.js bytes`);
    add(r.plain.length, `${r.board} boot file bytes, plain`);
    const l = storageLayout(boardOf(boards, r.board), r.bytes);
    for (const row of l.rows) add(row.bytes, `${r.board} Storage: ${row.file}`);
    add(l.used, `${r.board} Storage used`);
    add(l.free, `${r.board} Storage free`);
  }
  const d = build.dashboard;
  add(d.bytes, `dist/${DASHBOARD_DIST_FILE} bytes`);
  add(d.rawBytes, "the dashboard's HTML bytes");
  add(d.budget - d.bytes, "the dashboard's bytes to spare");
  for (const ide of build.ides) {
    const boot = build.boots.find((b) => b.board === ide.board)!;
    add(ide.bytes, `dist/${ide.board}.ide.js bytes`);
    add(ide.bytes - boot.plain.length, `${ide.board} IDE file's installer bytes`);
    const l = ideLayout(boardOf(boards, ide.board), ide, boot.bytes);
    for (const row of l.rows) add(row.bytes, `${ide.board} Storage with the IDE file: ${row.file}`);
    add(l.used, `${ide.board} Storage used with the IDE file`);
    add(l.free, `${ide.board} Storage free with the IDE file`);
  }
  // the boards' own numbers are set by hand, not made by the build
  const own = (o: unknown): number[] => (typeof o === "number" ? [o] : o && typeof o === "object" ? Object.values(o).flatMap(own) : []);
  for (const b of boards) for (const n of own([b.limits, b.node, b.budgets])) figures.delete(n);
  return figures;
}

export interface Restated {
  /** "README.md:12" or "boards/esp01.json notes". */
  where: string;
  figure: string;
  what: string;
}

/** Build figures written out in `text` (numbers as 12,287 or 12287). */
export function restatedFigures(text: string, figures: Map<number, string>, where: (line: number) => string): Restated[] {
  const out: Restated[] = [];
  text.split("\n").forEach((line, i) => {
    for (const m of line.matchAll(/(?<![\d.,])\d{1,3}(?:,\d{3})+(?![\d,])|(?<![\d.,])\d{4,}(?![\d,])/g)) {
      const what = figures.get(Number(m[0].replace(/,/g, "")));
      if (what) out.push({ where: where(i + 1), figure: m[0], what });
    }
  });
  return out;
}

/** Build figures in README.md outside its generated regions, and in the boards' notes: each would go stale. */
export function restatedInDocs(readme: string, build: ProjectBuild, readmeName = "README.md"): Restated[] {
  const figures = buildFigures(build);
  // the regions blanked line for line, so line numbers hold
  const prose = readme.replace(REGION, (_all, open: string, _name: string, body: string, close: string) => open + body.replace(/[^\n]/g, "") + close);
  const found = restatedFigures(prose, figures, (n) => `${readmeName}:${n}`);
  for (const b of loadBoards()) found.push(...restatedFigures((b.notes ?? []).join("\n"), figures, (n) => `boards/${b.name}.json notes[${n - 1}]`));
  return found;
}

const HELP = `usage: npm run docs [-- --check] [--readme <file>]

Builds every board as npm run build does (without writing dist/) and rewrites the
regions of README.md between <!-- build:<name> --> and <!-- /build:<name> -->
from it: ${Object.keys(REGIONS).map((n) => `build:${n}`).join(", ")}.

  --check          rewrite nothing; exit 1 naming each region that differs from the build
  --readme <file>  another file than README.md

Either way it exits 1 when README.md outside the regions, or a board's notes, write
out a figure the build makes (bytes of a bundle, a boot file, the dashboard or an IDE
file, Storage used or free): such a figure goes stale; refer to the tables instead.`;

export interface DocsIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** npm run docs; `built`: a build already made (the tests'), else it builds. */
export async function runDocs(argv: string[], io: DocsIo = { out: console.log, err: console.error }, built?: ProjectBuild): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    io.out(HELP);
    return 0;
  }
  const check = argv.includes("--check");
  const at = argv.indexOf("--readme");
  const file = at >= 0 ? argv[at + 1] : README;
  const unknownArg = argv.find((a, i) => a !== "--check" && a !== "--readme" && !(at >= 0 && i === at + 1));
  if (unknownArg !== undefined || !file) {
    io.err(`${unknownArg !== undefined ? `unknown argument ${unknownArg}` : "--readme needs a file"}\n\n${HELP}`);
    return 2;
  }
  let build: ProjectBuild;
  try {
    build = built ?? (await buildProject(undefined, { write: false }));
  } catch (e) {
    if (e instanceof BuildError || e instanceof JsonFileError) {
      io.err(e.message);
      return 1;
    }
    throw e;
  }
  let result: DocsResult;
  try {
    result = updateReadme(readFileSync(file, "utf8"), renderRegions(build));
  } catch (e) {
    if (!(e instanceof DocsError)) throw e;
    io.err(`${file}: ${e.message}`);
    return 1;
  }
  let code = 0;
  for (const name of result.unknown) {
    io.err(`${file}: region build:${name} is not one npm run docs makes (${Object.keys(REGIONS).join(", ")})`);
    code = 1;
  }
  for (const name of result.missing) {
    io.err(`${file}: no region build:${name} (<!-- build:${name} --> ... <!-- /build:${name} -->)`);
    code = 1;
  }
  const restated = restatedInDocs(result.text, build, file);
  for (const r of restated) io.err(`${r.where}: ${r.figure} (${r.what}) is a build figure outside the generated regions: it will go stale; refer to the tables instead`);
  if (restated.length) code = 1;
  if (check) {
    for (const name of result.stale) io.err(`${file}: region build:${name} differs from what the build gives: run npm run docs`);
    if (result.stale.length) code = 1;
    else if (!code) io.out(`${file}: ${Object.keys(REGIONS).length} generated regions match the build`);
  } else if (result.stale.length) {
    writeFileSync(file, result.text);
    io.out(`${file}: rewrote ${result.stale.map((n) => `build:${n}`).join(", ")}`);
  } else io.out(`${file}: the generated regions already match the build`);
  for (const f of build.failures) io.err(`note: the build fails: ${f}`);
  return code;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await runDocs(process.argv.slice(2));
}
