// Where host tools find the cluster secret and the API node: the process
// environment first, then ./.env (KEY=VALUE lines, SPORE's convention).
import { withoutComments } from "../build/json-schema.ts";
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";

export interface EnvSource {
  env: Record<string, string | undefined>;
  cwd: string;
}

/** ./.env under the real environment (the environment wins). */
export function loadEnv(io: EnvSource): Record<string, string | undefined> {
  const file = resolve(io.cwd, ".env");
  const env: Record<string, string | undefined> = {};
  if (existsSync(file)) {
    for (const line of readFileSync(file, "utf8").split(/\r?\n/)) {
      const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
      if (m && !line.trim().startsWith("#")) env[m[1]] = m[2].replace(/^(["'])(.*)\1$/, "$2");
    }
  }
  return { ...env, ...io.env };
}

/** The variable that holds the cluster secret: espruino.json's cluster.secretEnv, else SPORE_SECRET. */
export function secretName(io: EnvSource): string {
  try {
    const p = JSON.parse(withoutComments(readFileSync(resolve(io.cwd, "espruino.json"), "utf8"))) as { cluster?: { secretEnv?: string } };
    return p.cluster?.secretEnv ?? "SPORE_SECRET";
  } catch {
    return "SPORE_SECRET";
  }
}
