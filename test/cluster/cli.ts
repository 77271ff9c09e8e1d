// Running the host tools (the real CLI code, host-tools/cli.ts) against an
// emulated cluster in virtual time, and the firmware a new build would be.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type Io, runCli } from "../../host-tools/cli.ts";
import { DIST_DIR } from "../../host-tools/build/paths.ts";
import { type Cluster, readBundle } from "../../host-tools/emulator/cluster.ts";
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
}

export async function cli(c: Cluster, argv: string[], o: CliOptions = {}): Promise<Run> {
  let out = "";
  let err = "";
  let polls = 0;
  const io: Io = {
    out: (s) => (out += s),
    err: (s) => (err += s),
    tty: false,
    env: o.secret === null ? {} : { SPORE_SECRET: o.secret ?? c.secret },
    cwd: process.cwd(),
    transport: new EmulatorTransport(c, o.transport),
    build: async () => o.build ?? [],
    stopFollowing: () => ++polls > (o.follow ?? 0),
  };
  const code = await drive(c, runCli(argv, io), o.limitMs ?? 1800000);
  return { code, out, err };
}

/** The version dist/<board>.js reports (its manifest). */
export function builtVersion(board: string): string {
  return (JSON.parse(readFileSync(join(DIST_DIR, `${board}.json`), "utf8")) as { version: string }).version;
}

/** Each board's bundle reporting `version` instead: what a new build would be; `bad`: that board's throws while loading. */
export function nextFirmware(version: string, bad?: string): Firmware[] {
  return ["esp01", "esp8266", "esp32"].map((board) => {
    const code = readBundle(board).split(builtVersion(board)).join(version);
    return { board, code: board === bad ? "throw new Error('bad build');\n" + code : code, version };
  });
}
