// The ports through which the pure core reaches the world, set once at boot
// by setup(). device/platform/ implements them on Espruino; the emulator runs
// the real bundle, so tests drive the core through these same ports.
//
// The core keeps its state in module-level bindings: the bundle turns them
// into globals, which costs fewer bytes and JsVars than objects and classes
// (every `this.x` and every method is paid for on an ESP-01), and keeps all
// state reachable from the global scope, where the emulator counts JsVars.
// Properties ending in "_" live in RAM only: the build shortens them.
import type { Config } from "./layout.ts";

export interface HttpRequest {
  method_: string;
  path_: string;
  headers_: Record<string, string>;
  body_: string;
  /** The jobs capability's KV endpoints: the key in the path, decoded. */
  key_?: string;
}

export interface HttpResponse {
  code_: number;
  body_: string;
  /** Further pieces of the body, sent one per "drain" (undefined: done, "": skip). */
  more_?: (i: number) => string | undefined;
  /** An answer that comes later (the services capability): called with the function to give it to, once. */
  wait_?: (done: (r: HttpResponse) => void) => void;
}

export interface Ports {
  /** A UDP socket to send from (Espruino's dgram socket); fire and forget: a lost datagram is not an error. */
  udp_: {
    send(data: string, port: number, address: string): void;
    /** What Espruino has not sent yet (its socketserver.c keeps it in JsVars, as "dSnd"): undefined or "" when nothing waits. */
    dSnd?: string;
  };
  /** CRC32 of a string (E.CRC32 on the chip): the details version. */
  hash_(s: string): number;
  /**
   * A string's bytes from `from` to its end as 16-bit little-endian words ((length - from) >> 1 of them; on the chip a view of the
   * string, E.toArrayBuffer: no copy), and the sum of w[i] * k[offset + i] (E.convolve): the MAC's universal hash (mac.ts).
   */
  words_(s: string, from: number): any;
  dot_(w: any, k: Uint32Array, offset: number): number;
  /** Restarts the node (E.reboot). */
  reboot_(): void;
  /** Writes a new cluster secret into the stored configuration (rotate.ts). */
  save_(key: string): void;
  /** Boards with node.macFlash: writes the MAC's arrays to Storage (when they differ from what is there) and returns them read from flash. */
  keep_?(u: Uint32Array): Uint32Array;
  /** Boards with a Telnet console, booted by the boot file, with a secret: its console's watch (_SB(3), boot.ts), called every probe tick. */
  watch_?(req: number): void;
  /** The control capability: spore.json as stored (null when unreadable), and written (settings.ts). */
  stored_?(): any;
  store_?(c: any): void;
  /** The adaptive capability: analogRead(pin), 0 to 1 (the battery's reading). */
  analog_?(pin: any): number;
  /** Milliseconds since boot; only differences are meaningful. */
  now_(): number;
  log_(line: string): void;
  /** setInterval(fn, ms, arg), changeInterval, clearInterval. */
  every_(fn: (arg: any) => void, ms: number, arg: any): number;
  change_(id: number, ms: number): void;
  clear_(id: number): void;
  /** setTimeout(fn, ms, arg). */
  later_(fn: (arg: any) => void, ms: number, arg: any): number;
  /** One HTTP GET; cb gets an error message ("" for none) and the body, once (boards with the details capability). */
  get_?(ip: string, port: number, path: string, cb: (err: string, body: string) => void): void;
  heap_(): number;
  jsvars_(): number;
  /** MAC as getSerial() gives it, and facts about the chip (its board, class and the firmware version are the build's SPORE_BOARD, SPORE_CLASS and SPORE_VERSION). */
  mac_: string;
  sdk_: string;
  mhz_: number;
  flash_: number;
  /** The boot file's state ({slot, state}), when there is a boot file. */
  boot_?: object;
  /** This boot's number: higher at every boot (0 when the node has no boot state). */
  boots_: number;
  /** Uniform in [0, 1): Math.random once the platform has seeded it. */
  uniform_(): number;
  /** The jobs capability: Espruino's Storage module (the job set, the KV store's durable keys, the MQTT spool). */
  fs_?: any;
  /**
   * The jobs capability's pins (device/platform/io.ts): op 0 reads a pin (a: pull "up", "down" or "none"), 1 writes a
   * level (a), 2 reads an analog level (0 to 1), 3 watches edges (a: the callback, b: setWatch's options, c: pull):
   * returns the watch, 4 clears the watch given as pin.
   */
  pin_?(op: number, pin: any, a?: any, b?: any, c?: any): any;
  /** Boards with MQTT and jobs: publishes (spooled while the broker is away, with the spool capability); with no topic, subscribes again to the jobs' topics. */
  pub_?(topic?: string, payload?: string, qos?: number, retain?: boolean): void;
  /** The jobs capability takes each event, MQTT message and pin edge after its listeners (set by jobs.ts: a port, not a module variable and a setter, which would hold JsVars for good). */
  trig_?(e: any[] | string, name?: string, data?: any, origin?: string): void;
  /** The endpoints this node serves outside the core, each "|METHOD path" (endpoints.ts): the boot file's, the dashboard upload. */
  served_(): string;
}

/** A node's hostname is this and its id (a variable: the string in six places cost more bytes). */
export const HOST_PREFIX: string = "esp_";

/** n in base 36 (the wire format's numbers, the MAC's tag). */
export function b36(n: number): string {
  return n.toString(36);
}

/**
 * JSON.parse of text from outside (the network, a user), refusing a
 * "__proto__" key, written out or with escapes: on Espruino 2v29 an object
 * with one stops the interpreter at its next property lookup (an ASSERT in
 * jsvar.c, measured). Throws as JSON.parse does.
 */
export function parseJson(s: string): any {
  if (/__proto__|\\u00[5-7]/.test(s)) throw new Error("__proto__ refused");
  return JSON.parse(s);
}

/** JSON.stringify, used often enough to be worth its own short name. */
export const str = JSON.stringify;

export let ports: Ports;
export let config: Config;
/** Own id (last six hex digits of the MAC) and hostname "esp_" + id. */
export let selfId: string;
export let hostname: string;
let bootedAt: number;

export function setup(platform: Ports, stored: Config, id: string): void {
  ports = platform;
  config = stored;
  selfId = id;
  hostname = HOST_PREFIX + id;
  bootedAt = platform.now_();
}

/** Whole milliseconds since boot. */
export function now(): number {
  return Math.floor(ports.now_() - bootedAt);
}

/** A random whole number below n. */
export function random(n: number): number {
  return (ports.uniform_() * n) | 0;
}
