// The source tree as files, for the tests that read it (suites.test.ts,
// layout.test.ts).
import { readdirSync } from "node:fs";
import { join } from "node:path";

/** Every .ts file under `dir`, at any depth. */
export function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
}
