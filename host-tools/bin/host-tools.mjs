#!/usr/bin/env node
// The host-tools command (package.json "bin"): runs host-tools/cli.ts through tsx.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const here = dirname(fileURLToPath(import.meta.url));
const tsx = createRequire(import.meta.url).resolve("tsx/cli");
const r = spawnSync(process.execPath, [tsx, join(here, "..", "cli.ts"), ...process.argv.slice(2)], { stdio: "inherit" });
process.exitCode = r.status ?? 1;
