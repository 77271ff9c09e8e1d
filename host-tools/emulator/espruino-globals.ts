// Espruino's globals for one device's realm: the language as Espruino has it
// (no Map or Set, on/emit on every object, a Date on the device's clock), the
// modules require() finds, and the objects and functions its firmware finds
// at the top level (E, process, ESP8266 or ESP32, getSerial, peek32, print,
// the timers, load, reset...). What they act on (the interpreter, its
// Storage, its memory, its network) is the device's, reached through the
// host it gives.
import { createHash } from "node:crypto";
import vm from "node:vm";
import zlib from "node:zlib";
import { convolve } from "../lib/mac.ts";
import { type UdpCounters, type UdpHost, UdpSocket } from "./espruino-dgram.ts";
import { createHttpModule } from "./espruino-http.ts";
import { createNetModule } from "./espruino-net.ts";
import type { ConsoleLock } from "./console.ts";
import type { EspruinoRandom } from "./espruino-random.ts";
import { createStorageModule, type StorageModuleHost } from "./espruino-storage.ts";
import type { EspruinoTimers } from "./espruino-timers.ts";
import type { EspruinoGpio } from "./espruino-pins.ts";
import { STRING_BUFFERS } from "./jsvars.ts";
import type { Wifi } from "./espruino-wifi.ts";
import type { Rng } from "./rng.ts";
import type { DeviceRuntime } from "./runtime.ts";
import { bytesToString, type FlashStorage, toBytes } from "./storage.ts";

// Espruino's language quirks, installed in each context before any code runs.
const QUIRKS = `(function (later, referencing) {
  // Espruino's typed arrays view an ArrayBuffer from any byte offset, and a length of 0 (or none) is "to its end",
  // rounded down (jswrap_typedarray_constructor); V8's need an aligned offset and a whole number of elements. An
  // unaligned view is a copy here, counted as a view of what its buffer referenced (written to, it would not change
  // the buffer as on the chip: the firmware only reads such views, the MAC's words of a received datagram)
  ["Uint16Array", "Int16Array", "Uint32Array", "Int32Array", "Float32Array", "Float64Array"].forEach(function (n) {
    var T = globalThis[n], size = T.BYTES_PER_ELEMENT;
    var V = class extends T {
      constructor(a, off, len) {
        if (Object.prototype.toString.call(a) !== "[object ArrayBuffer]") { super(a); return; }
        off = off | 0;
        len = len | 0 || Math.max(0, Math.floor((a.byteLength - off) / size));
        if (off % size === 0) { super(a, off, len); return; }
        super(len);
        new Uint8Array(this.buffer).set(new Uint8Array(a, off, len * size));
        referencing(a, this.buffer);
      }
    };
    Object.defineProperty(V, "name", { value: n });
    globalThis[n] = V;
  });
  ["Map", "Set", "WeakMap", "WeakSet", "WeakRef", "Symbol", "Proxy", "Reflect", "FinalizationRegistry"].forEach(function (n) { delete globalThis[n]; });
  delete Array.from; delete Object.freeze; delete Number.isInteger; delete Math.trunc; delete Promise.prototype.finally;
  // String's indexOf, includes, and replace of a string as 2v29 has them (jswrap_string_indexOf): a search string
  // that runs off the end of the string matches as far as it goes ("abc".indexOf("cd") is 2, "ab ".replace(" x", "")
  // is "ab"); one longer than the string is never found, nor is anything in ""; replace takes its replacement as text
  function find(s, sub, from) {
    if (sub.length > s.length) return -1;
    var i = 0, end = s.length - sub.length + 1;
    if (typeof from === "number") { i = Math.floor(from); if (i < 0) i = 0; if (i > end) i = end; }
    for (; i < s.length; i++) { var k = Math.min(sub.length, s.length - i); if (s.substr(i, k) === sub.substr(0, k)) return i; }
    return -1;
  }
  var replace = String.prototype.replace;
  Object.defineProperty(String.prototype, "indexOf", { value: function (sub, from) { return find(String(this), String(sub), from); }, writable: true, configurable: true });
  Object.defineProperty(String.prototype, "includes", { value: function (sub, from) { return find(String(this), String(sub), from) >= 0; }, writable: true, configurable: true });
  Object.defineProperty(String.prototype, "replace", { value: function (pattern, by) {
    if (pattern instanceof RegExp) return replace.call(this, pattern, by);
    var s = String(this), sub = String(pattern), i = find(s, sub);
    return i < 0 ? s : s.slice(0, i) + String(by) + s.slice(i + sub.length);
  }, writable: true, configurable: true });
  // split() by a string two or more characters longer than the string gives [] on 2v29 (measured:
  // "in/#".split("\${node.hostname}") is [], "ab".split("xyz") is ["ab"])
  var split = String.prototype.split;
  Object.defineProperty(String.prototype, "split", { value: function (sep, limit) {
    if (typeof sep === "string" && sep.length >= String(this).length + 2) return [];
    return split.call(this, sep, limit);
  }, writable: true, configurable: true });
  var stringify = JSON.stringify;
  JSON.stringify = function (v, replacer, indent) { return stringify(v, undefined, indent); };
  function def(name, fn) { Object.defineProperty(Object.prototype, name, { value: fn, writable: true, configurable: true }); }
  def("on", function (ev, fn) {
    var k = "#on" + ev;
    if (this[k] === undefined) this[k] = [];
    this[k].push(fn);
  });
  def("addListener", Object.prototype.on);
  def("emit", function (ev) {
    var c = this["#on" + ev], self = this, args = Array.prototype.slice.call(arguments, 1);
    if (c === undefined) return;
    c.slice().forEach(function (fn) { later(function () { fn.apply(self, args); }); });
  });
  def("removeListener", function (ev, fn) {
    var k = "#on" + ev, c = this[k];
    if (c && c.indexOf) { var i = c.indexOf(fn); if (i >= 0) c.splice(i, 1); }
  });
  def("removeAllListeners", function (ev) {
    if (ev !== undefined) { delete this["#on" + ev]; return; }
    for (var k in this) if (k.indexOf("#on") === 0) delete this[k];
  });
})`;

const DATE_SHIM = `(function (clock) {
  var RealDate = Date;
  function EspruinoDate() {
    if (!(this instanceof EspruinoDate)) return new RealDate(clock()).toString();
    var a = arguments;
    return a.length === 0 ? new RealDate(clock()) : new (Function.prototype.bind.apply(RealDate, [null].concat(Array.prototype.slice.call(a))))();
  }
  EspruinoDate.prototype = RealDate.prototype;
  EspruinoDate.now = clock;
  EspruinoDate.parse = RealDate.parse;
  EspruinoDate.UTC = RealDate.UTC;
  Date = EspruinoDate;
})`;

export function parseUrl(u: string, parseQuery: boolean): Record<string, unknown> {
  const q = u.indexOf("?");
  const pathname = q < 0 ? u : u.slice(0, q);
  const search = q < 0 ? null : u.slice(q);
  let query: unknown = search ? search.slice(1) : null;
  if (parseQuery && search) {
    const out: Record<string, string> = {};
    for (const pair of search.slice(1).split("&")) {
      if (!pair) continue;
      const eq = pair.indexOf("=");
      const k = eq < 0 ? pair : pair.slice(0, eq);
      const v = eq < 0 ? "" : pair.slice(eq + 1);
      out[decodeURIComponent(k)] = decodeURIComponent(v); // Espruino leaves '+' as it is
    }
    query = out;
  }
  return { method: "GET", host: "", path: u, pathname, search, port: null, query };
}

/** What the globals act on: the device they are of. */
export interface EspruinoHost extends StorageModuleHost {
  rt: DeviceRuntime;
  /** 12 hex digits. */
  mac: string;
  timers: EspruinoTimers;
  /** digitalRead, digitalWrite, pinMode, analogRead, setWatch, clearWatch. */
  gpio: EspruinoGpio;
  /** The Wifi module. */
  wifi: Wifi;
  storage: FlashStorage;
  udp: UdpHost;
  counters: UdpCounters;
  /** Virtual ms now. */
  now(): number;
  /** A number in [0, 1): the fraction of a ms in Date.now(). */
  noise(): number;
  /** Espruino's generator as it is at the call (power-on replaces it). */
  random(): EspruinoRandom;
  /** What the chip's hardware random register reads. */
  hwRandom: Rng;
  /** A hard reset. */
  reboot(): void;
  /** Virtual ms since the last boot. */
  uptime(): number;
  /** getTime()'s ms: the uptime and the CPU spent by the code running now (Device.clock). */
  clock(): number;
  /** process.memory(). */
  memory(): Record<string, number>;
  freeHeap(): number;
  /** E.getSizeOf(v). */
  sizeOf(v: unknown): number;
  /** load(file), a tick after it was called: a fresh interpreter runs `file` (.bootcde when none). */
  load(file?: string): void;
  /** eval(code). */
  evaluate(code: string): unknown;
  /** reset(), a tick after it was called: a fresh interpreter with nothing loaded. */
  reset(): void;
  /** E.setPassword, E.lockConsole: the device's console lock (console.ts). */
  consoleLock: ConsoleLock;
  /** E.getConsole(): "Telnet" while a Telnet client is connected, else "Serial1". */
  consoleDevice(): string;
}

/**
 * Installs Espruino's language quirks, its Date and its Math.random in `ctx`
 * (before any code runs), and returns the top-level names Espruino gives
 * device code, for the realm's global object.
 */
export function espruinoGlobals(ctx: vm.Context, host: EspruinoHost): Record<string, unknown> {
  const { rt, timers } = host;
  const board = rt.board;
  vm.runInContext(QUIRKS, ctx)(
    (fn: () => void) => rt.later(0, () => rt.invoke(fn)),
    (from: ArrayBufferLike, copy: ArrayBufferLike) => STRING_BUFFERS.has(from) && STRING_BUFFERS.add(copy),
  );
  const epochMs = Date.UTC(2026, 0, 1);
  // Espruino's Date.now() is fractional
  vm.runInContext(DATE_SHIM, ctx)(() => epochMs + host.now() + host.noise() * 0.001);
  (vm.runInContext("Math", ctx) as Math).random = () => host.random().random();

  const storage = createStorageModule(rt, host.storage, host);
  const dgram = rt.newObject({ createSocket: (options: unknown) => rt.track(new UdpSocket(rt, options, host.udp, host.counters)) });
  const http = createHttpModule(rt);
  const net = createNetModule(rt);
  const modules: Record<string, object | undefined> = { Storage: storage, Wifi: host.wifi, dgram, http, net };
  if (board.name !== "esp01") modules.crypto = rt.newObject({ SHA1: (s: string) => sha("sha1", s) });

  const E = rt.newObject({
    // E.reboot runs E.on("kill") listeners first, at once (jsiKill), then restarts
    reboot: () => {
      const kill = (E as Record<string, unknown>)["#onkill"];
      for (const fn of typeof kill === "function" ? [kill] : Array.isArray(kill) ? kill.slice() : []) rt.invoke(fn);
      rt.later(0, () => host.reboot());
    },
    CRC32: (data: unknown) => zlib.crc32(Buffer.from(toBytes(data))),
    // a new Uint8Array of the arguments' bytes (a string: one byte per character, as Espruino's strings are; a number: one byte); its own buffer, never Node's shared pool
    toUint8Array: (...args: unknown[]) => new Uint8Array(Buffer.concat(args.map((a) => (typeof a === "number" ? Buffer.from([a & 255]) : Buffer.from(toBytes(a)))))),
    convolve: convolve,
    // the string's bytes (on the chip a reference to the string itself, not a copy: jsvars.ts counts no data for it)
    toArrayBuffer: (s: unknown) => {
      const b = new Uint8Array(Buffer.from(String(s), "latin1")).buffer;
      STRING_BUFFERS.add(b);
      return b;
    },
    getSizeOf: (v: unknown) => host.sizeOf(v),
    // a string as it is; an ArrayBuffer its bytes; a typed array or an array one character per element (its value & 255:
    // jswrap_espruino_toStringX iterates elements, so E.toString(new Uint32Array(n)) is n characters, not 4n bytes)
    toString: (...args: unknown[]) =>
      args
        .map((a) =>
          typeof a === "string"
            ? a
            : ArrayBuffer.isView(a) || Array.isArray(a)
              ? bytesToString(Uint8Array.from(a as ArrayLike<number>, (v) => Number(v) & 255))
              : bytesToString(toBytes(a)),
        )
        .join(""),
    getErrorFlags: () => [],
    // E.srand's argument is an int: jsvGetInteger truncates a number toward zero and wraps it to 32 bits, as >>> 0 does
    srand: (v: unknown) => host.random().srand(Number(v) >>> 0),
    hwRand: () => host.random().rand(),
    setPassword: (p?: unknown) => host.consoleLock.setPassword(p),
    lockConsole: () => host.consoleLock.lock(),
    getConsole: () => host.consoleDevice(),
    // E.pipe(source, destination, {chunkSize, end, complete}): a string source (a Storage file) sent a chunk per tick, then destination.end()
    pipe: (source: unknown, dest: { write(s: string): unknown; end?(): unknown }, options?: { chunkSize?: number; end?: boolean; complete?: unknown }) => {
      const s = String(source);
      const n = options?.chunkSize ?? 64;
      let at = 0;
      const step = () => {
        if (at >= s.length) {
          if (options?.end !== false) dest.end?.();
          if (options?.complete) rt.invoke(options.complete);
          return;
        }
        dest.write(s.slice(at, at + n));
        at += n;
        rt.later(0, step);
      };
      rt.later(0, step);
    },
  });
  const state =
    board.name === "esp32"
      ? { ESP32: rt.newObject({ getState: () => rt.newObject({ sdkVersion: board.limits.sdkVersion, freeHeap: host.freeHeap(), minHeap: host.freeHeap() - 2000 }), reboot: () => host.reboot() }) }
      : {
          ESP8266: rt.newObject({
            getState: () =>
              rt.newObject({
                sdkVersion: board.limits.sdkVersion,
                cpuFrequency: board.limits.cpuFreqMHz,
                freeHeap: host.freeHeap(),
                maxCon: board.limits.sockets,
                flashKB: board.limits.flashChipBytes / 1024,
                flashChip: "0xe0 0x4016",
                flashMap: board.name === "esp01" ? "1MB:512/512" : "4MB:1024/1024",
              }),
            reboot: () => host.reboot(),
          }),
        };
  const print = (...args: unknown[]) => rt.log(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" "));
  return {
    require: (name: unknown) => {
      const m = modules[String(name)];
      if (!m) throw new Error(`Module ${String(name)} not found`);
      return m;
    },
    E,
    process: rt.newObject({
      env: rt.newObject({
        VERSION: board.espruino.version,
        BOARD: board.espruino.envBoard,
        STORAGE: board.limits.storageBytes,
        CONSOLE: "Serial1",
        MODULES: Object.keys(modules).join(","),
      }),
      memory: () => host.memory(),
      version: board.espruino.version,
    }),
    ...state,
    // as on the chip (measured): "5ccf7fa1-b2c3", a dash before the last four hex digits
    getSerial: () => host.mac.slice(0, 8) + "-" + host.mac.slice(8),
    getTime: () => host.clock() / 1000,
    // the chip's hardware random register, where the board has one; other addresses read 0 here (on the chip: whatever is there, or a crash)
    peek32: (addr: unknown) => (board.node.hwRandom && Number(addr) === board.node.hwRandom ? host.hwRandom.int(4294967296) : 0),
    setTimeout: timers.setTimeout,
    setInterval: timers.setInterval,
    clearTimeout: timers.clearTimeout,
    clearInterval: timers.clearInterval,
    changeInterval: timers.changeInterval,
    digitalRead: host.gpio.digitalRead,
    digitalWrite: host.gpio.digitalWrite,
    pinMode: host.gpio.pinMode,
    analogRead: host.gpio.analogRead,
    setWatch: host.gpio.setWatch,
    clearWatch: host.gpio.clearWatch,
    print,
    console: rt.newObject({ log: print }),
    // as reset(), WiFi and the console stay (the Telnet client of the CLI that sent load() sees what the code prints)
    load: (file?: string) => {
      rt.later(0, () => host.load(file));
    },
    url: rt.newObject({ parse: (u: string, q: boolean) => rt.newObject(parseUrl(String(u), !!q)) }),
    // Espruino's eval runs pretokenised code; at the top level its definitions are global, like a loaded file's
    eval: (code: unknown) => host.evaluate(String(code)),
    reset: () => rt.later(0, () => host.reset()),
    echo: () => undefined,
    atob: (s: string) => Buffer.from(String(s), "base64").toString("latin1"),
    btoa: (s: string) => Buffer.from(String(s), "latin1").toString("base64"),
  };
}

function sha(algorithm: string, s: string): ArrayBuffer {
  return new Uint8Array(createHash(algorithm).update(toBytes(s)).digest()).buffer;
}
