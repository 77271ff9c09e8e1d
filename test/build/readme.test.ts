// README.md's tables of build output (between <!-- build:<name> --> markers,
// host-tools/build/docs.ts) are what the build gives now, and no build figure
// is written out elsewhere in it or in the boards' notes, where it would go
// stale. A change that moves a size fails here until `npm run docs` is run.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as assert from "uvu/assert";
import { buildProject, type ProjectBuild } from "../../host-tools/build/build.ts";
import { num, readRegions, README, REGIONS, renderRegions, restatedInDocs, runDocs } from "../../host-tools/build/docs.ts";
import { suite } from "../suite.ts";

const { test } = suite("README's generated tables");

let built: Promise<ProjectBuild> | undefined;
/** One build for the file, written nowhere (dist/ is left as it is). */
const build = (): Promise<ProjectBuild> => (built ??= buildProject(undefined, { write: false }));

test("each generated region of README.md is what the build gives now", async () => {
  const regions = renderRegions(await build());
  const found = readRegions(readFileSync(README, "utf8"));
  assert.equal(Object.keys(found).sort(), Object.keys(REGIONS).sort(), "README.md's build:<name> regions are the ones npm run docs makes");
  for (const [name, text] of Object.entries(regions)) assert.fixture(found[name], text, `README.md region build:${name} is stale: run npm run docs`);
});

test("README.md outside its generated regions, and the boards' notes, write out no build figure (they would go stale: refer to the tables)", async () => {
  const restated = restatedInDocs(readFileSync(README, "utf8"), await build());
  assert.equal(restated.map((r) => `${r.where}: ${r.figure} (${r.what})`), [], "build figures outside the generated regions: refer to the tables instead");
});

test("the tables hold the build's figures: bundle bytes and budgets, Storage free, the IDE files", async () => {
  const b = await build();
  const regions = renderRegions(b);
  for (const r of b.bundles) assert.ok(regions.sizes.includes(`| \`dist/${r.board}.js\` | \`${r.board}\` bundle | ${num(r.bytes)} | ${num(r.budget)} | ${num(r.budget - r.bytes)} |`), r.board);
  assert.ok(regions.sizes.includes(`| ${num(b.dashboard.bytes)} | ${num(b.dashboard.budget)} |`));
  for (const ide of b.ides) assert.ok(regions.ide.includes(`\`dist/${ide.board}.ide.js\` | ${num(ide.bytes)} B`), ide.board);
  assert.match(regions.storage, /\| `esp01` \| [\d,]+ B \| 1 × [\d,]+ B \|/);
  assert.equal(num(12287), "12,287");
  assert.equal(num(917504), "917,504");
  assert.equal(num(0), "0");
});

test("npm run docs -- --check names a stale region and exits 1; npm run docs rewrites it as the build gives it", async () => {
  const b = await build();
  const dir = mkdtempSync(join(tmpdir(), "spore-docs-"));
  try {
    const file = join(dir, "README.md");
    // a README of its own (this test holds whatever state README.md is in): every region as the build gives it
    const regions = renderRegions(b);
    const good = Object.entries(regions).map(([name, text]) => `## ${name}\n\n<!-- build:${name} -->\n${text}\n<!-- /build:${name} -->\n`).join("\n");
    const stale = good.replace(regions.sizes, regions.sizes.replace(num(b.bundles[0].bytes), num(b.bundles[0].bytes - 100)));
    assert.ok(stale !== good);
    writeFileSync(file, stale);
    const lines: string[] = [];
    const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l) };
    assert.is(await runDocs(["--check", "--readme", file], io, b), 1);
    assert.equal(lines, [`${file}: region build:sizes differs from what the build gives: run npm run docs`]);
    assert.is(readFileSync(file, "utf8"), stale, "--check writes nothing");
    lines.length = 0;
    assert.is(await runDocs(["--readme", file], io, b), 0);
    assert.equal(lines, [`${file}: rewrote build:sizes`]);
    assert.is(readFileSync(file, "utf8"), good);
    // a region the README lacks, a figure restated in its prose (a bundle's bytes that are not also its budget, which the check ignores)
    const restated = b.bundles.find((x) => x.bytes !== x.budget)!;
    writeFileSync(file, good.replace(/<!-- build:ide -->[\s\S]*?<!-- \/build:ide -->/, "") + `\nThe ${restated.board} bundle is ${num(restated.bytes)} bytes.\n`);
    lines.length = 0;
    assert.is(await runDocs(["--check", "--readme", file], io, b), 1);
    assert.ok(lines.some((l) => l.includes("no region build:ide")), lines.join("\n"));
    assert.ok(lines.some((l) => l.includes(`${num(restated.bytes)} (dist/${restated.board}.js bytes) is a build figure outside the generated regions`)), lines.join("\n"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("npm run docs -- --help names every region", async () => {
  const lines: string[] = [];
  assert.is(await runDocs(["--help"], { out: (l) => lines.push(l), err: (l) => lines.push(l) }), 0);
  for (const name of Object.keys(REGIONS)) assert.match(lines.join("\n"), `build:${name}`);
});
test.run();
