// The one way a test file makes its uvu suite: the run's seed in the suite's
// name, and a time limit on each test that holds even while the test runs
// synchronously (most cluster tests drive the emulator in virtual time, and
// a timer on the test's own thread could never fire). A watchdog on a worker
// thread is armed before each test and disarmed after it; on expiry it
// writes what ran over to stderr and kills the process, so `npm test` fails
// with that line. test/build/suites.test.ts checks every test file uses this.
//
// Seeds: `npm test` runs each file with the seed pinned in it, so every run
// checks the same thing; SPORE_SEED=<seed> replays one (a failing suite names
// its seed), and SPORE_FUZZ=1 (npm run test:fuzz) draws a fresh one per file.
import { Worker } from "node:worker_threads";
import { suite as uvuSuite, type Test } from "uvu";
import { randomSeed, seedFromEnv } from "../host-tools/emulator/rng.ts";

/** Seconds a test may run unless its suite or the test itself says otherwise. */
export const DEFAULT_LIMIT_S = 120;

export interface SuiteOptions {
  /** The seed `npm test` runs the suite with (SPORE_SEED overrides it, SPORE_FUZZ=1 draws one); without it the suite has none. */
  seed?: number;
  /** Seconds each test may run (default DEFAULT_LIMIT_S). */
  limit?: number;
}

// On expiry: the line goes straight to file descriptor 2 (a worker's
// process.stderr goes through the main thread, which may be busy for good),
// then SIGKILL, which no busy loop can ignore.
const WATCHDOG = `
const { parentPort } = require("node:worker_threads");
const { writeSync } = require("node:fs");
let timer;
parentPort.on("message", (m) => {
  clearTimeout(timer);
  if (m) timer = setTimeout(() => { writeSync(2, "\\n" + m.message + "\\n"); process.kill(process.pid, "SIGKILL"); }, m.ms);
});`;

let watchdog: Worker | undefined;
/** The test running now ("<suite> › <test>") and its suite's seed; undefined between tests. */
let current: { label: string; seed?: number } | undefined;

function post(message: { ms: number; message: string } | null): void {
  // no execArgv: the worker runs plain JavaScript, without the TypeScript loader
  watchdog ??= new Worker(WATCHDOG, { eval: true, execArgv: [] });
  watchdog.unref();
  watchdog.postMessage(message);
}

/** Gives the running test `seconds` from now (its suite gives each test its limit as it starts). */
export function timeLimit(seconds: number): void {
  if (!current) throw new Error("timeLimit() is for use inside a test");
  const seed = current.seed === undefined ? "" : ` (seed ${current.seed}; replay: SPORE_SEED=${current.seed} npm test)`;
  post({ ms: seconds * 1000, message: `${current.label} ran over ${seconds} s${seed}` });
}

/**
 * A uvu suite named `name` (with " (seed N)" when it takes a seed), each of
 * its tests limited to `limit` seconds. Returns the suite and its seed.
 */
export function suite(name: string, options: SuiteOptions & { seed: number }): { test: Test; seed: number };
export function suite(name: string, options?: Omit<SuiteOptions, "seed">): { test: Test };
export function suite(name: string, options: SuiteOptions = {}): { test: Test; seed?: number } {
  const pinned = options.seed;
  const seed = pinned === undefined ? undefined : seedFromEnv(() => (process.env.SPORE_FUZZ ? randomSeed() : pinned));
  const test = uvuSuite(seed === undefined ? name : `${name} (seed ${seed})`);
  const limit = options.limit ?? DEFAULT_LIMIT_S;
  test.before.each((state) => {
    current = { label: `${name} › ${state.__test__}`, seed };
    timeLimit(limit);
  });
  test.after.each(() => {
    current = undefined;
    post(null);
  });
  return { test, seed };
}
