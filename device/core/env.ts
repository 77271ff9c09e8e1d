// The ports through which the pure core reaches the world, set once at boot
// by setup(). device/platform/ implements them on Espruino; the emulator runs
// the real bundle, so tests drive the core through these same ports.
//
// The core keeps its state in module-level bindings: the bundle turns them
// into globals, which costs fewer bytes and JsVars than objects and classes
// (every `this.x` and every method is paid for on an ESP-01), and keeps all
// state reachable from the global scope, where the emulator counts JsVars.
import type { Config } from "./config.ts";

export interface HttpRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface HttpResponse {
  code: number;
  body: string;
  /** Further pieces of the body, sent one per "drain" (undefined: done, "": skip). */
  more?: (i: number) => string | undefined;
}

export interface Ports {
  /** A UDP socket to send from (Espruino's dgram socket); fire and forget: a lost datagram is not an error. */
  udp: {
    send(data: string, port: number, address: string): void;
    /** What Espruino has not sent yet (its socketserver.c keeps it in JsVars, as "dSnd"): undefined or "" when nothing waits. */
    dSnd?: string;
  };
  /** CRC32 of a string (E.CRC32 on the chip). */
  hash(s: string): number;
  /** Milliseconds since boot; only differences are meaningful. */
  now(): number;
  log(line: string): void;
  /** setInterval(fn, ms, arg), changeInterval, clearInterval. */
  every(fn: (arg: any) => void, ms: number, arg: any): number;
  change(id: number, ms: number): void;
  clear(id: number): void;
  /** setTimeout(fn, ms, arg). */
  later(fn: (arg: any) => void, ms: number, arg: any): void;
  /** One HTTP GET; cb gets an error message ("" for none) and the body, once. */
  get(ip: string, port: number, path: string, cb: (err: string, body: string) => void): void;
  heap(): number;
  jsvars(): number;
  /** MAC as getSerial() gives it, and facts about the chip (its board and the firmware version are the build's SPORE_BOARD and SPORE_VERSION). */
  mac: string;
  sdk: string;
  mhz: number;
  flash: number;
  /** The boot file's state ({slot, state}), when there is a boot file. */
  boot?: object;
  /** This boot's number: higher at every boot (0 when the node has no boot state). */
  boots: number;
  /** Uniform in [0, 1): Math.random once the platform has seeded it. */
  uniform(): number;
}

/** JSON.stringify, used often enough to be worth its own short name. */
export const str = JSON.stringify;

export let O: Ports;
export let C: Config;
/** Own id (last six hex digits of the MAC) and hostname "esp_" + id. */
export let me: string;
export let host: string;
let boot: number;

export function setup(ports: Ports, config: Config, id: string): void {
  O = ports;
  C = config;
  me = id;
  host = "esp_" + id;
  boot = ports.now();
}

/** Whole milliseconds since boot. */
export function now(): number {
  return Math.floor(O.now() - boot);
}
