// The template real test's entry (test/real/template.real.ts): the jobs
// runner's values (StepOp.Fill and StepOp.Cond of device/core/steps.ts) as a
// bundle carries them, for the interpreter to evaluate rows of the unit
// tests' kind. The script's globals have names the minifier does not give.
import { setup, type Ports } from "../../../device/core/env.ts";
import { readConfig } from "../../../device/core/layout.ts";
import { steps } from "../../../device/core/steps.ts";

Object.assign(global, {
  TPL_SETUP: () => setup({ now_: () => getTime() * 1000, jsvars_: () => process.memory().free, log_: () => {} } as unknown as Ports, readConfig({ key: "k" }, []), "a1b2c3"),
  /** [cond, vars] rows: each one's result, or "error: " and its message. */
  TPL_COND: (rows: [string, unknown][]) =>
    rows.map((r) => {
      try {
        return steps(5, r[0], r[1]);
      } catch (e) {
        return "error: " + (e as Error).message;
      }
    }),
  TPL_FILL: (v: unknown, vars: unknown) => steps(4, v, vars),
});
