// Running the host tools (the real CLI code, host-tools/cli.ts) against an
// emulated cluster in virtual time, and the firmware a new build would be.
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROJECT_FILE } from "../../host-tools/build/project.ts";
import { type Io, runCli } from "../../host-tools/cli.ts";
import { bundleWithVersion, type Cluster } from "../../host-tools/emulator/cluster.ts";
import { drive, EmulatorTransport, type EmulatorTransportOptions } from "../../host-tools/emulator/transport.ts";
import type { Firmware } from "../../host-tools/lib/ota.ts";

export interface Run {
  code: number;
  out: string;
  err: string;
}

export interface CliOptions {
  /** What `ota` builds when no --bundle is given. */
  build?: Firmware[];
  /** The secret in the environment (default the cluster's; null: none). */
  secret?: string | null;
  /** Virtual ms the command may take (default 30 minutes). */
  limitMs?: number;
  /** `events --follow`: polls before it stops. */
  follow?: number;
  transport?: EmulatorTransportOptions;
  /** More environment variables. */
  env?: Record<string, string>;
}

let workDir: string | undefined;
/**
 * Where the tools run: a folder of their own with the project's espruino.json
 * and no .env, so a developer's ./.env (npm start writes one) cannot lend
 * them a secret a test means them not to have.
 */
function cwd(): string {
  if (!workDir) {
    const dir = mkdtempSync(join(tmpdir(), "spore-cli-"));
    copyFileSync(PROJECT_FILE, join(dir, "espruino.json"));
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
    workDir = dir;
  }
  return workDir;
}

export async function cli(c: Cluster, argv: string[], o: CliOptions = {}): Promise<Run> {
  let out = "";
  let err = "";
  let polls = 0;
  const io: Io = {
    out: (s) => (out += s),
    err: (s) => (err += s),
    tty: false,
    env: { ...(o.secret === null ? {} : { SPORE_SECRET: o.secret ?? c.secret }), ...o.env },
    cwd: cwd(),
    transport: new EmulatorTransport(c, o.transport),
    build: async () => o.build ?? [],
    stopFollowing: () => ++polls > (o.follow ?? 0),
  };
  const code = await drive(c, runCli(argv, io), o.limitMs ?? 1800000);
  return { code, out, err };
}

/** Each board's bundle with its reported version replaced: what a new build would be (`bad`: that board's throws as it loads). */
export function newFirmware(version: string, bad?: string): Firmware[] {
  return ["esp01", "esp8266", "esp32"].map((board) => {
    const next = bundleWithVersion(board, version);
    return { board, code: board === bad ? "throw new Error('bad build');\n" + next : next, version };
  });
}
