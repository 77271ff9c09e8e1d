// Every test file makes its suite with test/suite.ts (the seed in its name,
// the per-test time limit armed), and the limit ends a test that never
// returns, even one that never yields to the event loop.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import * as assert from "uvu/assert";
import { REPO_ROOT } from "../../host-tools/build/paths.ts";
import { suite } from "../suite.ts";
import { tsFiles } from "./tree.ts";

const { test } = suite("test suites");
const TEST_DIR = join(REPO_ROOT, "test");

test("every test file makes its suite with test/suite.ts; nothing else in test/ imports uvu's suite", () => {
  const files = tsFiles(TEST_DIR);
  const tests = files.filter((f) => f.endsWith(".test.ts"));
  assert.ok(tests.length >= 30, `${tests.length} test files found`);
  for (const f of files) {
    const name = relative(REPO_ROOT, f);
    const code = readFileSync(f, "utf8");
    if (name !== join("test", "suite.ts")) assert.not.match(code, /(from|import\(|require\()\s*["']uvu["']/, `${name} imports uvu itself: use test/suite.ts`);
    if (f.endsWith(".test.ts")) {
      assert.match(code, /import \{[^}]*\bsuite\b[^}]*\} from "(\.\.\/)+suite\.ts";/, `${name} imports suite from test/suite.ts`);
      assert.match(code, /= suite\(/, `${name} makes its suite with it`);
    }
  }
});

test("a test that runs over its limit is stopped with a line naming it and its seed, even in a busy loop", async () => {
  const t0 = Date.now();
  // the fixture's own seed, whatever this run's
  const env = { ...process.env };
  delete env.SPORE_SEED;
  delete env.SPORE_FUZZ;
  const child = spawn(process.execPath, ["--import", "tsx", "node_modules/uvu/bin.js", "test/fixtures", "overrun\\.ts$"], { cwd: REPO_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (err += d));
  // without a watchdog the fixture never ends: this test must not hang with it
  const stop = setTimeout(() => child.kill("SIGTERM"), 60000);
  const [code, signal] = await once(child, "exit");
  clearTimeout(stop);
  const seconds = (Date.now() - t0) / 1000;
  assert.equal([code, signal], [null, "SIGKILL"], `killed: ${out}\n${err}`);
  assert.match(err, /^watchdog fixture › never ends ran over 1 s \(seed 5; replay: SPORE_SEED=5 npm test\)$/m);
  assert.not.match(err, /takes 1\.5 s/, "the first test was within the 3 s it gave itself");
  assert.match(out, /watchdog fixture \(seed 5\)/);
  assert.ok(seconds >= 2.5, `killed after ${seconds.toFixed(1)} s: the first test's 1.5 s and the second's 1 s had passed`);
  assert.ok(seconds < 60, `killed after ${seconds.toFixed(1)} s`);
});

test.run();
