// What a host-tools command runs with: where it writes, the environment and
// folder it reads settings from, and the transport it reaches nodes through
// (whose clock and sleeps it keeps time by). The CLI hands in the real ones,
// tests fakes or an emulated cluster's.
import type { Firmware } from "./ota.ts";
import type { Transport } from "./transport.ts";

export interface Io {
  out(s: string): void;
  err(s: string): void;
  /** stderr is a terminal (progress bars are redrawn in place). */
  tty: boolean;
  env: Record<string, string | undefined>;
  cwd: string;
  transport: Transport;
  /** Firmware for each board when no --bundle is given (default: build them). */
  build?: () => Promise<Firmware[]>;
  /** Stop `events --follow` (tests); Ctrl-C otherwise. */
  stopFollowing?: () => boolean;
}
