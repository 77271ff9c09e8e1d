// One emulated board: an isolated interpreter context with Espruino's globals
// and built-in modules, booting from its own Storage as the chip does.
import { createHash } from "node:crypto";
import vm from "node:vm";
import zlib from "node:zlib";
import * as acorn from "acorn";
import { hostnameFromMac } from "../../device/core/identity.ts";
import type { Board } from "../build/boards.ts";
import { untokenise } from "../build/pretokenise.ts";
import { UdpSocket, type UdpCounters } from "./espruino-dgram.ts";
import { createHttpModule } from "./espruino-http.ts";
import { createNetModule } from "./espruino-net.ts";
import { TelnetConsole } from "./console.ts";
import { EspruinoRandom } from "./espruino-random.ts";
import { EspruinoTimers } from "./espruino-timers.ts";
import { Wifi, type AccessPoint } from "./espruino-wifi.ts";
import { JsVarCounter, jsVarModel, timerBlocks } from "./jsvars.ts";
import type { Lan, LanHost, StreamListener } from "./lan.ts";
import type { Rng } from "./rng.ts";
import { type DeviceRuntime, Emitter, SocketBudget } from "./runtime.ts";
import type { Scheduler } from "./scheduler.ts";
import { bytesToString, FlashStorage, toBytes } from "./storage.ts";

/** Boot files in the order Espruino runs them. */
export const BOOT_FILES = [".boot0", ".boot1", ".boot2", ".boot3"];
/** Milliseconds from reset until the boot code runs (ESP8266 takes one to two seconds). */
export const BOOT_MS = 1200;
/** Where ESP8266 4 MB and ESP32 images serve their Telnet console. */
export const TELNET_PORT = 23;
/** JsVars the interpreter itself holds at boot, before any user code (root, modules, Wifi state). */
export const BASE_JSVARS = 58; // measured: process.memory().usage after a trivial script, 2v29 Linux i386 build with 12-byte blocks

export interface DeviceOptions {
  board: Board;
  lan: Lan;
  scheduler: Scheduler;
  rng: Rng;
  mac: string;
  accessPoint: () => AccessPoint;
  storage?: FlashStorage;
  /** Every line the device prints. */
  onPrint?: (device: Device, line: string) => void;
  /** The device started listening for streams on `port` (the real-time bridge opens a real port). */
  onListen?: (device: Device, port: number) => void;
}

export interface DeviceCounters extends UdpCounters {
  uncaught: number;
  boots: number;
}

// Espruino's language quirks, installed in each context before any code runs.
const QUIRKS = `(function (later) {
  ["Map", "Set", "WeakMap", "WeakSet", "WeakRef", "Symbol", "Proxy", "Reflect", "FinalizationRegistry"].forEach(function (n) { delete globalThis[n]; });
  delete Array.from; delete Object.freeze; delete Number.isInteger; delete Math.trunc; delete Promise.prototype.finally;
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

const topLevelNames = new Map<string, string[]>();

/** Top-level let/const/class names: Espruino keeps them on the root scope; V8 keeps them out of the global object. */
function lexicalNames(code: string): string[] {
  let names = topLevelNames.get(code);
  if (names) return names;
  names = [];
  try {
    const ast = acorn.parse(code, { ecmaVersion: "latest", sourceType: "script" }) as unknown as { body: Array<Record<string, any>> };
    for (const stmt of ast.body) {
      if (stmt.type === "VariableDeclaration" && stmt.kind !== "var") {
        for (const d of stmt.declarations) if (d.id.type === "Identifier") names.push(d.id.name);
      } else if (stmt.type === "ClassDeclaration" && stmt.id) names.push(stmt.id.name);
    }
  } catch {
    // a syntax error is reported when the code runs
  }
  topLevelNames.set(code, names);
  return names;
}

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

export class Device implements LanHost {
  readonly board: Board;
  readonly storage: FlashStorage;
  readonly mac: string;
  readonly counters: DeviceCounters = { uncaught: 0, boots: 0, oversizeDropped: 0, truncated: 0, lostWhileOffline: 0, boundBroadcastLost: 0 };
  /** The last lines printed, newest last. */
  readonly console: string[] = [];
  /**
   * How long a pass of Espruino's idle loop takes, in ms (0: no time at all).
   * A socket sends one datagram per pass, so a node starved of CPU (a slow
   * pass) piles up what it sends faster in its socket's unsent data (JsVars).
   */
  idlePassMs = 0;
  private readonly opts: DeviceOptions;
  private readonly lan: Lan;
  private readonly scheduler: Scheduler;
  private readonly rng: Rng;
  private lanIp: string | undefined;
  private attached = false;
  private generation = 0;
  private powered = false;
  private bootedAt = 0;
  private ctx: vm.Context | undefined;
  private initialGlobals = new Set<string>();
  private bootCode: string[] = [];
  private teardown = new Set<(powerLoss: boolean) => void>();
  private streamListeners = new Map<number, StreamListener>();
  private udpSockets = new Map<number, UdpSocket>();
  private emitters: Emitter[] = [];
  private timers: EspruinoTimers | undefined;
  private wifi: Wifi | undefined;
  private nextEphemeral = 50000;
  private drain: vm.Script = new vm.Script("undefined");
  /** Storage files code was loaded from this boot (their functions' code stays in flash). */
  private codeFiles = new Set<string>();
  /** One of codeFiles was erased or rewritten: on the chip every function loaded from it now throws. */
  private codeNulled = false;
  /** The Telnet console, while a client is connected (it survives reset(), not a reboot). */
  private telnet: TelnetConsole | undefined;
  /** Undoes the Wifi module's connection: on power loss, not on reset(). */
  private wifiTeardown: ((powerLoss: boolean) => void) | undefined;
  /** Out of the access point's range (setInRange): the station cannot join. */
  private outOfRange = false;
  sockets: SocketBudget;
  /** Espruino's generator: C globals, seeded with its constants at power-on, kept through load() and reset(). */
  private random = new EspruinoRandom();
  /** What the chip's hardware random register reads (seeded per device, so a run replays). */
  private hwRandom: Rng;

  constructor(opts: DeviceOptions) {
    this.opts = opts;
    this.board = opts.board;
    this.lan = opts.lan;
    this.scheduler = opts.scheduler;
    this.rng = opts.rng;
    this.mac = opts.mac;
    this.storage = opts.storage ?? new FlashStorage(opts.board.limits.storageBytes);
    this.sockets = new SocketBudget(opts.board.limits.sockets);
    this.hwRandom = opts.rng.fork();
  }

  /** The name the firmware gives itself. */
  get hostname(): string {
    return hostnameFromMac(this.mac);
  }

  /** The address this device has (or will have) on the LAN. */
  get ip(): string {
    this.lanIp ??= this.lan.allocateIp();
    return this.lanIp;
  }

  get running(): boolean {
    return this.powered && this.ctx !== undefined;
  }

  get stationIp(): string | undefined {
    return this.wifi?.stationIp();
  }

  /** Virtual ms since the last boot. */
  uptime(): number {
    return this.scheduler.now() - this.bootedAt;
  }

  /**
   * The node leaves the access point's range (its station drops at once, as
   * when the access point goes away: "disconnected", off the LAN, and no
   * join succeeds) or comes back into it (its next try to join succeeds).
   */
  setInRange(inRange: boolean): void {
    this.outOfRange = !inRange;
    if (!inRange) this.wifi?.drop(true);
  }

  /** Power on: boots from Storage after BOOT_MS. */
  powerOn(): void {
    if (this.powered) return;
    this.powered = true;
    this.random = new EspruinoRandom();
    const gen = ++this.generation;
    this.scheduler.after(BOOT_MS, () => {
      if (gen === this.generation) this.boot(undefined);
    });
  }

  /** Power loss: everything in RAM is gone at once; Storage survives. */
  crash(): void {
    this.powered = false;
    this.generation++;
    this.tearDown(false, true);
  }

  /** E.reboot(): a hard reset. */
  reboot(): void {
    this.crash();
    this.powerOn();
  }

  /**
   * Everything in RAM goes; `keepNetwork` (reset()): the WiFi connection and
   * the Telnet console stay, as on the chip; `powerLoss` (a crash, a hard
   * reset): open TCP connections go silent instead of closing.
   */
  private tearDown(keepNetwork = false, powerLoss = false): void {
    const fns = this.teardown;
    this.teardown = new Set();
    for (const fn of fns) fn(powerLoss);
    this.timers?.reset();
    this.streamListeners.clear();
    this.udpSockets.clear();
    this.emitters = [];
    this.sockets = new SocketBudget(this.board.limits.sockets);
    this.ctx = undefined;
    this.timers = undefined;
    if (keepNetwork) return;
    this.wifiTeardown?.(powerLoss);
    this.wifiTeardown = undefined;
    this.telnet?.close();
    this.telnet = undefined;
    if (this.attached) this.leaveLan();
    this.wifi = undefined;
  }

  /** reset(): a fresh interpreter with nothing loaded (no boot code runs); WiFi and the console stay. */
  private resetInterpreter(): void {
    this.generation++;
    const wifi = this.wifi;
    this.tearDown(true);
    this.bootCode = [];
    this.codeFiles = new Set();
    this.codeNulled = false;
    this.createContext(wifi);
    this.serveConsole();
  }

  /** Espruino images with Telnet serve the console on port 23 (in C: no JavaScript involved). */
  private serveConsole(): void {
    if (!this.board.limits.upload.includes("telnet")) return;
    this.streamListeners.set(TELNET_PORT, (end) => {
      this.telnet?.close();
      const host = {
        evalLine: (code: string) => this.evalLine(code),
        detachConsole: (c: TelnetConsole) => {
          if (this.telnet === c) this.telnet = undefined;
        },
      };
      this.telnet = new TelnetConsole(host, end);
    });
    this.opts.onListen?.(this, TELNET_PORT);
  }

  /** A REPL line: runs at the top level, then the promise jobs it queued. */
  private evalLine(code: string): unknown {
    if (!this.ctx) throw new Error("device is not running");
    const v = new vm.Script(code, { filename: "REPL" }).runInContext(this.ctx);
    if (this.ctx) this.drain.runInContext(this.ctx);
    return v;
  }

  // ---- LanHost

  deliverDatagram(data: string, fromIp: string, fromPort: number, toPort: number): void {
    this.udpSockets.get(toPort)?.deliver(data, fromIp, fromPort);
  }

  streamListener(port: number): StreamListener | undefined {
    return this.streamListeners.get(port);
  }

  private joinLan(): string {
    this.lan.attach(this.ip, this);
    this.attached = true;
    return this.ip;
  }

  private leaveLan(): void {
    this.lan.detach(this.ip);
    this.attached = false;
  }

  // ---- booting

  /** Runs .boot0-3, then `file` (load) or .bootrst / .bootcde, then E.on('init'); load() keeps the WiFi module it had. */
  private boot(file: string | undefined, keepWifi?: Wifi): void {
    this.counters.boots++;
    this.bootedAt = this.scheduler.now();
    this.createContext(keepWifi);
    const gen = this.generation;
    const files = [...BOOT_FILES.filter((f) => this.storage.read(f) !== undefined)];
    if (file !== undefined) files.push(file);
    else if (this.storage.read(".bootrst") !== undefined) files.push(".bootrst");
    else if (this.storage.read(".bootcde") !== undefined) files.push(".bootcde");
    this.serveConsole();
    this.bootCode = [];
    this.codeFiles = new Set(files);
    this.codeNulled = false;
    for (const f of files) {
      if (gen !== this.generation) return; // the code rebooted or loaded something else
      const code = this.storage.read(f);
      if (code === undefined) {
        this.print(`ERROR: file ${JSON.stringify(f)} not found`);
        continue;
      }
      this.bootCode.push(code);
      this.run(code, f);
    }
    if (gen !== this.generation) return;
    const E = this.ctx!.E as Record<string, unknown>;
    const init = E["#oninit"];
    for (const fn of typeof init === "function" ? [init] : Array.isArray(init) ? init : []) this.invoke(fn);
  }

  private run(code: string, filename: string): void {
    try {
      // Espruino reads pretokenised scripts (as the build writes them); Node needs them as text
      new vm.Script(untokenise(code), { filename }).runInContext(this.ctx!);
    } catch (e) {
      this.uncaught(e);
    }
  }

  private uncaught(e: unknown): void {
    this.counters.uncaught++;
    const err = e as { message?: string; stack?: string };
    this.print(`Uncaught ${err && typeof err === "object" && err.message !== undefined ? "Error: " + err.message : String(e)}`);
  }

  print(line: string): void {
    this.telnet?.printLine(line);
    this.console.push(line);
    if (this.console.length > 200) this.console.shift();
    this.opts.onPrint?.(this, line);
  }

  // ---- the runtime the modules see

  private runtime(): DeviceRuntime {
    const dev = this;
    const gen = this.generation;
    return {
      board: this.board,
      lan: this.lan,
      mac: this.macWithColons(),
      ip: () => dev.wifi?.stationIp(),
      invoke: (fn, ...args) => dev.invoke(fn, ...args),
      later: (ms, fn) => {
        dev.scheduler.after(ms, () => {
          if (gen === dev.generation) fn();
        });
      },
      onTeardown: (fn) => {
        const set = dev.teardown;
        set.add(fn);
        return () => set.delete(fn);
      },
      get sockets() {
        return dev.sockets;
      },
      listen: (port, listener) => {
        dev.streamListeners.set(port, listener);
        dev.opts.onListen?.(dev, port);
      },
      unlisten: (port) => dev.streamListeners.delete(port),
      log: (line) => dev.print(line),
      // a device killed while data is on its way has no realm: the object goes nowhere (invoke ignores it)
      newObject: <T extends object>(props: T): T => (dev.ctx ? Object.assign(vm.runInContext("({})", dev.ctx), props) : props),
    };
  }

  /** Calls device code; exceptions are contained and printed as on the chip. */
  invoke(fn: unknown, ...args: unknown[]): void {
    if (!this.ctx || typeof fn !== "function") return;
    if (this.codeNulled) return this.uncaught(new Error("Function code is null"));
    try {
      (fn as (...a: unknown[]) => unknown)(...args);
    } catch (e) {
      this.uncaught(e);
    }
    // run the promise jobs this call queued, as Espruino does before the next event
    if (this.ctx) this.drain.runInContext(this.ctx);
  }

  private macWithColons(): string {
    return this.mac.match(/../g)!.join(":");
  }

  private createContext(keepWifi?: Wifi): void {
    const board = this.board;
    const ctx = vm.createContext({}, { name: `${board.name} ${this.mac}`, microtaskMode: "afterEvaluate" });
    this.ctx = ctx;
    const rt = this.runtime();
    const gen = this.generation;
    const timers = new EspruinoTimers(rt, () => this.scheduler.now());
    this.timers = timers;
    const track = <T extends Emitter>(e: T): T => {
      this.emitters.push(e);
      return e;
    };
    const wifiRt: DeviceRuntime = { ...rt, onTeardown: (fn) => ((this.wifiTeardown = fn), () => (this.wifiTeardown = undefined)) };
    const wifi = track(
      keepWifi?.adopt(wifiRt) ??
        new Wifi(wifiRt, {
          accessPoint: () => (this.outOfRange ? { ...this.opts.accessPoint(), up: false } : this.opts.accessPoint()),
          joinLan: () => this.joinLan(),
          leaveLan: () => this.leaveLan(),
          lanInfo: () => ({ netmask: this.lan.options.netmask, gw: this.lan.gateway() }),
          saveWifiConfig: (c) => this.storage.writeJSON(".wificfg", c),
        }),
    );
    this.wifi = wifi;
    vm.runInContext(QUIRKS, ctx)((fn: () => void) => rt.later(0, () => this.invoke(fn)));
    const epochMs = Date.UTC(2026, 0, 1);
    // Espruino's Date.now() is fractional
    vm.runInContext(DATE_SHIM, ctx)(() => epochMs + this.scheduler.now() + this.rng.next() * 0.001);
    (vm.runInContext("Math", ctx) as Math).random = () => this.random.random();

    const storage = this.storageModule(rt);
    const self = this;
    const udpHost = {
      bindUdp: (port: number, s: UdpSocket) => this.udpSockets.set(port, s),
      unbindUdp: (port: number) => this.udpSockets.delete(port),
      ephemeralPort: () => this.nextEphemeral++,
      now: () => this.scheduler.now(),
      get idlePassMs() {
        return self.idlePassMs;
      },
    };
    const dgram = rt.newObject({ createSocket: (options: unknown) => track(new UdpSocket(rt, options, udpHost, this.counters)) });
    const http = createHttpModule(rt);
    const net = createNetModule(rt, track);
    const modules: Record<string, object | undefined> = { Storage: storage, Wifi: wifi, dgram, http, net };
    if (board.name !== "esp01") modules.crypto = rt.newObject({ SHA1: (s: string) => this.sha("sha1", s) });

    const E = rt.newObject({
      reboot: () => rt.later(0, () => this.reboot()),
      CRC32: (data: unknown) => zlib.crc32(Buffer.from(toBytes(data))),
      getSizeOf: (v: unknown) => this.counter().add(v),
      toString: (...args: unknown[]) => args.map((a) => (typeof a === "string" ? a : bytesToString(toBytes(a)))).join(""),
      getErrorFlags: () => [],
      // E.srand's argument is an int: jsvGetInteger truncates a number toward zero and wraps it to 32 bits, as >>> 0 does
      srand: (v: unknown) => this.random.srand(Number(v) >>> 0),
      hwRand: () => this.random.rand(),
      // E.pipe(source, destination, {chunkSize, end, complete}): a string source (a Storage file) sent a chunk per tick, then destination.end()
      pipe: (source: unknown, dest: { write(s: string): unknown; end?(): unknown }, options?: { chunkSize?: number; end?: boolean; complete?: unknown }) => {
        const s = String(source);
        const n = options?.chunkSize ?? 64;
        let at = 0;
        const step = () => {
          if (at >= s.length) {
            if (options?.end !== false) dest.end?.();
            if (options?.complete) this.invoke(options.complete);
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
        ? { ESP32: rt.newObject({ getState: () => rt.newObject({ sdkVersion: board.limits.sdkVersion, freeHeap: this.freeHeap(), minHeap: this.freeHeap() - 2000 }), reboot: () => this.reboot() }) }
        : {
            ESP8266: rt.newObject({
              getState: () =>
                rt.newObject({
                  sdkVersion: board.limits.sdkVersion,
                  cpuFrequency: board.limits.cpuFreqMHz,
                  freeHeap: this.freeHeap(),
                  maxCon: board.limits.sockets,
                  flashKB: board.limits.flashChipBytes / 1024,
                  flashChip: "0xe0 0x4016",
                  flashMap: board.name === "esp01" ? "1MB:512/512" : "4MB:1024/1024",
                }),
              reboot: () => this.reboot(),
            }),
          };
    const print = (...args: unknown[]) => this.print(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" "));
    const globals: Record<string, unknown> = {
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
        memory: () => this.memory(),
        version: board.espruino.version,
      }),
      ...state,
      // as on the chip (measured): "5ccf7fa1-b2c3", a dash before the last four hex digits
      getSerial: () => this.mac.slice(0, 8) + "-" + this.mac.slice(8),
      getTime: () => this.uptime() / 1000,
      // the chip's hardware random register, where the board has one; other addresses read 0 here (on the chip: whatever is there, or a crash)
      peek32: (addr: unknown) => (board.node.hwRandom && Number(addr) === board.node.hwRandom ? this.hwRandom.int(4294967296) : 0),
      setTimeout: timers.setTimeout,
      setInterval: timers.setInterval,
      clearTimeout: timers.clearTimeout,
      clearInterval: timers.clearInterval,
      changeInterval: timers.changeInterval,
      print,
      console: rt.newObject({ log: print }),
      // as reset(), WiFi and the console stay (the Telnet client of the CLI that sent load() sees what the code prints)
      load: (file?: string) => {
        rt.later(0, () => {
          if (gen !== this.generation) return;
          this.generation++;
          const wifi = this.wifi;
          this.tearDown(true);
          this.boot(file ?? ".bootcde", wifi);
        });
      },
      url: rt.newObject({ parse: (u: string, q: boolean) => rt.newObject(parseUrl(String(u), !!q)) }),
      // Espruino's eval runs pretokenised code; at the top level its definitions are global, like a loaded file's
      eval: (code: unknown) => this.evaluate(String(code)),
      reset: () => rt.later(0, () => gen === this.generation && this.resetInterpreter()),
      echo: () => undefined,
      atob: (s: string) => Buffer.from(String(s), "base64").toString("latin1"),
      btoa: (s: string) => Buffer.from(String(s), "latin1").toString("base64"),
    };
    Object.assign(ctx, globals);
    ctx.global = vm.runInContext("globalThis", ctx);
    this.initialGlobals = new Set(Object.getOwnPropertyNames(vm.runInContext("globalThis", ctx)));
  }

  /** eval(): code read from a Storage file keeps its functions in that file (tracked for codeNulled). */
  private evaluate(code: string): unknown {
    const file = this.storage.list().find((f) => this.storage.read(f)?.length === code.length && this.storage.read(f) === code);
    if (file !== undefined) this.codeFiles.add(file);
    this.bootCode.push(code);
    return new vm.Script(untokenise(code), { filename: file ?? "eval" }).runInContext(this.ctx!);
  }

  /** A Storage file is erased or rewritten: if code was loaded from it, that code is gone. */
  private touched(name: string): void {
    if (this.codeFiles.has(String(name).slice(0, 28)) && !this.codeNulled) {
      this.codeNulled = true;
      this.print(`emulator: ${name} was erased while code loaded from it runs: its functions now throw "Function code is null"`);
    }
  }

  private sha(algorithm: string, s: string): ArrayBuffer {
    return new Uint8Array(createHash(algorithm).update(toBytes(s)).digest()).buffer;
  }

  private storageModule(rt: DeviceRuntime): object {
    const st = this.storage;
    return rt.newObject({
      read: (name: string, offset?: number, length?: number) => st.read(name, offset, length),
      readJSON: (name: string, noExceptions?: boolean) => {
        const text = st.read(name);
        if (text === undefined) return undefined;
        try {
          return vm.runInContext("JSON", this.ctx!).parse(text);
        } catch (e) {
          if (noExceptions) return undefined;
          throw e;
        }
      },
      readArrayBuffer: (name: string) => {
        const b = st.readBytes(name);
        return b ? new Uint8Array(b).buffer : undefined;
      },
      write: (name: string, data: unknown, offset?: number, size?: number) => {
        if (!offset) this.touched(name);
        return st.write(name, data, offset, size);
      },
      writeJSON: (name: string, data: unknown) => {
        this.touched(name);
        return st.write(name, JSON.stringify(data));
      },
      erase: (name: string) => {
        this.touched(name);
        st.erase(name);
      },
      eraseAll: () => st.eraseAll(),
      list: (pattern?: RegExp) => vm.runInContext("(function(a){return a.slice()})", this.ctx!)(st.list(pattern)),
      getFree: () => st.getFree(),
      getStats: () => rt.newObject(st.getStats()),
      compact: () => st.compact(),
    });
  }

  // ---- memory

  private counter(): JsVarCounter {
    const ctx = this.ctx!;
    const builtins = new Set<object>(
      ["Object.prototype", "Function.prototype", "Array.prototype", "String.prototype", "Number.prototype", "Boolean.prototype", "Error.prototype", "Promise.prototype", "RegExp.prototype", "Date.prototype", "globalThis"].map(
        (expr) => vm.runInContext(expr, ctx) as object,
      ),
    );
    // objects made by the emulator (host realm) are the interpreter's own: opaque
    return new JsVarCounter(jsVarModel(this.board.limits.bytesPerJsVar, this.board.limits.jsVars), (o) => builtins.has(o) || o instanceof Object);
  }

  /** JsVars in use: the interpreter's base plus everything the device's code can reach. */
  jsVarsUsed(): number {
    if (!this.ctx) return 0;
    const counter = this.counter();
    const global = vm.runInContext("globalThis", this.ctx) as Record<string, unknown>;
    let blocks = BASE_JSVARS;
    for (const name of Object.getOwnPropertyNames(global)) {
      if (this.initialGlobals.has(name)) continue;
      blocks += 1 + counter.add(global[name]);
    }
    for (const code of this.bootCode) {
      for (const name of lexicalNames(code)) {
        let value: unknown;
        try {
          value = vm.runInContext(name, this.ctx);
        } catch {
          continue; // declared but not yet initialised
        }
        blocks += 1 + counter.add(value);
      }
    }
    for (const t of this.timers?.pending() ?? []) blocks += timerBlocks(t.interval, t.args.length) + counter.add(t.fn) + t.args.reduce((n: number, a) => n + counter.add(a), 0);
    for (const e of this.emitters) for (const fn of e.listenerFunctions()) blocks += 1 + counter.add(fn);
    // datagrams a socket has not sent yet: a string in JsVars (socketserver.c's "dSnd")
    for (const e of this.emitters) if (e instanceof UdpSocket) blocks += counter.add(e.dSnd);
    // listeners on the device's own objects (E.on and friends) are ordinary properties, counted above
    return blocks;
  }

  /** process.memory(): in JsVars, as the chip reports it. */
  memory(): Record<string, number> {
    const total = this.board.limits.jsVars;
    const usage = Math.min(total, this.jsVarsUsed());
    const m = { free: total - usage, usage, total, history: 0, gc: 0, gctime: 0, blocksize: this.board.limits.bytesPerJsVar };
    return this.ctx ? Object.assign(vm.runInContext("({})", this.ctx), m) : m;
  }

  /** Native heap: the board's idle figure less what open sockets take (about 1 KB each for lwIP buffers; an estimate). */
  freeHeap(): number {
    return this.board.limits.freeHeapBytes - 1000 * Math.max(0, this.sockets.inUse - 3);
  }

  // ---- for tests and tools

  /** Evaluates an expression inside the device (a REPL line). */
  eval(code: string): unknown {
    if (!this.ctx) throw new Error("device is not running");
    return vm.runInContext(code, this.ctx);
  }
}
