// One emulated board: power, WiFi, the LAN and the Telnet console, and an
// interpreter (realm.ts) with Espruino's globals and built-in modules
// (espruino-globals.ts), booting from its own Storage as the chip does.
import vm from "node:vm";
import { hostnameFromMac } from "../../device/core/identity.ts";
import type { Board } from "../build/boards.ts";
import { UdpPorts } from "./espruino-dgram.ts";
import type { DeviceCounters, DeviceOptions } from "./device-options.ts";
import { ConsoleLock, TelnetService } from "./console.ts";
import { espruinoGlobals } from "./espruino-globals.ts";
import { EspruinoRandom } from "./espruino-random.ts";
import { bootFiles } from "./espruino-storage.ts";
import { EspruinoTimers } from "./espruino-timers.ts";
import { Cpu } from "./cpu.ts";
import { EspruinoGpio, PinState } from "./espruino-pins.ts";
import { Wifi } from "./espruino-wifi.ts";
import { realmCounter } from "./jsvars.ts";
import type { Lan, LanHost, StreamListener } from "./lan.ts";
import { Realm } from "./realm.ts";
import type { Rng } from "./rng.ts";
import { type DeviceRuntime, Emitter, SocketBudget } from "./runtime.ts";
import type { Scheduler } from "./scheduler.ts";
import { FlashStorage } from "./storage.ts";

/** Milliseconds from reset until the boot code runs (ESP8266 takes one to two seconds). */
export const BOOT_MS = 1200;
/** Where ESP8266 4 MB and ESP32 images serve their Telnet console. */
export const TELNET_PORT = 23;

export type { DeviceCounters };

export class Device implements LanHost {
  readonly board: Board;
  readonly storage: FlashStorage;
  readonly mac: string;
  readonly counters: DeviceCounters = { uncaught: 0, boots: 0, compactedWhileRunning: 0, oversizeDropped: 0, truncated: 0, lostWhileOffline: 0, boundBroadcastLost: 0 };
  /** The last lines printed, newest last. */
  readonly console: string[] = [];
  /** How long a pass of Espruino's idle loop takes, in ms (0: no time at all). A socket sends one datagram per pass, so a node starved of CPU (a slow pass) piles up what it sends faster in its socket's unsent data (JsVars). */
  idlePassMs = 0;
  private readonly opts: DeviceOptions<Device>;
  private readonly lan: Lan;
  private readonly scheduler: Scheduler;
  private readonly rng: Rng;
  private lanIp: string | undefined;
  private attached = false;
  private generation = 0;
  private powered = false;
  private bootedAt = 0;
  private cpu = new Cpu(); // what code that waits on the clock spends (cpu.ts)
  /** The interpreter, while one runs. */
  private realm: Realm | undefined;
  private teardown = new Set<(powerLoss: boolean) => void>();
  private streamListeners = new Map<number, StreamListener>();
  private udp = new UdpPorts(
    () => this.scheduler.now(),
    () => this.idlePassMs,
  );
  /** Module objects open now (rt.track). */
  private emitters = new Set<Emitter>();
  private timers: EspruinoTimers | undefined;
  /** The board's pins: a test drives inputs and reads outputs (levels survive a reboot). */
  readonly pins: PinState;
  private wifi: Wifi | undefined;
  /** The console's lock (the interpreter's, on every board), and the Telnet console (its client survives reset(), not a reboot). */
  private consoleLock = new ConsoleLock();
  private telnet = new TelnetService((code) => this.evalLine(code), this.consoleLock);
  /** Undoes the Wifi module's connection: on power loss, not on reset(). */
  private wifiTeardown: ((powerLoss: boolean) => void) | undefined;
  /** Out of the access point's range (setInRange): the station cannot join. */
  private outOfRange = false;
  sockets: SocketBudget;
  /** Espruino's generator: C globals, seeded with its constants at power-on, kept through load() and reset(). */
  private random = new EspruinoRandom();
  /** What the chip's hardware random register reads (seeded per device, so a run replays). */
  private hwRandom: Rng;

  constructor(opts: DeviceOptions<Device>) {
    this.opts = opts;
    this.board = opts.board;
    this.lan = opts.lan;
    this.scheduler = opts.scheduler;
    this.rng = opts.rng;
    this.mac = opts.mac;
    this.storage = opts.storage ?? new FlashStorage(opts.board.limits.storageBytes);
    this.pins = new PinState(() => this.scheduler.now());
    // Storage.compact moves the files after the first trash: code loaded from them is garbled on the chip (realm.ts)
    this.storage.onCompact = (moved) => this.garbled(this.realm?.compacted(moved) ?? "");
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
    return this.powered && this.realm !== undefined;
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
    this.consoleLock.powerOn();
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

  /** Everything in RAM goes; `keepNetwork` (reset()): the WiFi connection and the Telnet console stay, as on the chip; `powerLoss` (a crash, a hard reset): open TCP connections go silent instead of closing. */
  private tearDown(keepNetwork = false, powerLoss = false): void {
    const fns = this.teardown;
    this.teardown = new Set();
    for (const fn of fns) fn(powerLoss);
    this.timers?.reset();
    this.streamListeners.clear();
    this.udp.clear();
    this.emitters = new Set();
    this.sockets = new SocketBudget(this.board.limits.sockets);
    this.realm = undefined;
    this.timers = undefined;
    // reset() and load(): the console's password goes with the interpreter's variables, its lock stays
    if (keepNetwork) return this.consoleLock.interpreterReset();
    this.wifiTeardown?.(powerLoss);
    this.wifiTeardown = undefined;
    this.telnet.close();
    if (this.attached) this.leaveLan();
    this.wifi = undefined;
  }

  /** reset(): a fresh interpreter with nothing loaded (no boot code runs); WiFi and the console stay. */
  private resetInterpreter(): void {
    this.generation++;
    const wifi = this.wifi;
    this.tearDown(true);
    this.createContext(wifi);
    this.serveConsole();
  }

  /** Espruino images with Telnet serve the console on port 23 (in C: no JavaScript involved). */
  private serveConsole(): void {
    if (!this.board.limits.upload.includes("telnet")) return;
    this.streamListeners.set(TELNET_PORT, this.telnet.listener());
    this.opts.onListen?.(this, TELNET_PORT);
  }

  /** A REPL line: runs at the top level, then the promise jobs it queued. */
  private evalLine(code: string): unknown {
    if (!this.realm) throw new Error("device is not running");
    const v = this.realm.evalLine(code);
    this.realm?.drainJobs();
    return v;
  }

  // ---- LanHost

  deliverDatagram(data: string, fromIp: string, fromPort: number, toPort: number): void {
    this.udp.deliver(data, fromIp, fromPort, toPort);
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
    const files = bootFiles(this.storage, file);
    this.serveConsole();
    const realm = this.realm!;
    realm.files = new Set(files);
    for (const f of files) {
      if (gen !== this.generation) return; // the code rebooted or loaded something else
      const code = this.storage.read(f);
      if (code === undefined) {
        this.print(`ERROR: file ${JSON.stringify(f)} not found`);
        continue;
      }
      realm.code.push(code);
      this.run(code, f);
    }
    if (gen !== this.generation) return;
    const E = this.realm!.ctx.E as Record<string, unknown>;
    const init = E["#oninit"];
    for (const fn of typeof init === "function" ? [init] : Array.isArray(init) ? init : []) this.invoke(fn);
  }

  private run(code: string, filename: string): void {
    const realm = this.realm!;
    realm.depth++;
    try {
      realm.run(code, filename);
    } catch (e) {
      this.uncaught(e);
    }
    realm.depth--;
    if (!realm.depth) this.cpu.settle(this.scheduler.now());
  }

  private uncaught(e: unknown): void {
    this.counters.uncaught++;
    const err = e as { message?: string; stack?: string };
    this.print(`Uncaught ${err && typeof err === "object" && err.message !== undefined ? "Error: " + err.message : String(e)}`);
  }

  print(line: string): void {
    this.telnet.printLine(line);
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
      mac: this.mac.match(/../g)!.join(":"),
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
      track: (e) => {
        dev.emitters.add(e);
        return e;
      },
      untrack: (e) => dev.emitters.delete(e),
      listen: (port, listener) => {
        dev.streamListeners.set(port, listener);
        dev.opts.onListen?.(dev, port);
      },
      unlisten: (port) => dev.streamListeners.delete(port),
      log: (line) => dev.print(line),
      // a device killed while data is on its way has no realm: the object goes nowhere (invoke ignores it)
      newObject: <T extends object>(props: T): T => (dev.realm ? dev.realm.newObject(props) : props),
    };
  }

  private garbled(files: string): void {
    if (!files) return;
    this.counters.compactedWhileRunning++;
    this.print(`emulator: Storage compacted under code loaded from ${files}: on the chip its functions are garbled`);
  }

  /** Calls device code; exceptions are contained and printed as on the chip. */
  invoke(fn: unknown, ...args: unknown[]): void {
    if (!this.realm || typeof fn !== "function") return;
    const gen = this.generation;
    if (!this.realm.depth && this.cpu.wait(this.scheduler, () => gen === this.generation && this.invoke(fn, ...args))) return; // busy (cpu.ts): later, in order
    if (this.realm.nulled) return this.uncaught(new Error("Function code is null"));
    const realm = this.realm;
    const own = realm.isOwn(fn);
    if (own) this.garbled(realm.enter());
    realm.depth += +own;
    try {
      (fn as (...a: unknown[]) => unknown)(...args);
    } catch (e) {
      this.uncaught(e);
    } finally {
      realm.depth -= +own;
    }
    // run the promise jobs this call queued, as Espruino does before the next event
    this.realm?.drainJobs();
    if (!this.realm?.depth) this.cpu.settle(this.scheduler.now());
  }

  private createContext(keepWifi?: Wifi): void {
    const board = this.board;
    const realm = new Realm(`${board.name} ${this.mac}`);
    this.realm = realm;
    const rt = this.runtime();
    const gen = this.generation;
    const timers = new EspruinoTimers(rt, () => this.scheduler.now());
    this.timers = timers;
    const wifiRt: DeviceRuntime = { ...rt, onTeardown: (fn) => ((this.wifiTeardown = fn), () => (this.wifiTeardown = undefined)) };
    const wifi = rt.track(
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
    const globals = espruinoGlobals(realm.ctx, {
      rt,
      mac: this.mac,
      timers,
      gpio: rt.track(new EspruinoGpio(rt, this.pins, () => this.scheduler.now())),
      wifi,
      storage: this.storage,
      context: () => this.realm?.ctx as vm.Context,
      touched: (name) => this.touched(name),
      udp: this.udp,
      counters: this.counters,
      now: () => this.scheduler.now(),
      noise: () => this.rng.next(),
      random: () => this.random,
      hwRandom: this.hwRandom,
      reboot: () => this.reboot(),
      uptime: () => this.uptime(),
      clock: () => this.cpu.clock(this.uptime(), !!this.realm?.depth),
      memory: () => this.memory(),
      freeHeap: () => this.freeHeap(),
      sizeOf: (v) => realmCounter(this.realm?.ctx as vm.Context, this.board.limits).add(v),
      load: (file) => {
        if (gen !== this.generation) return;
        this.generation++;
        const wifi = this.wifi;
        this.tearDown(true);
        this.boot(file ?? ".bootcde", wifi);
      },
      evaluate: (code) => this.realm!.evaluate(code, this.storage),
      reset: () => {
        if (gen === this.generation) this.resetInterpreter();
      },
      consoleLock: this.consoleLock,
      consoleDevice: () => this.telnet.device,
    });
    realm.install(globals);
  }

  /** A Storage file is erased or rewritten: if code was loaded from it, that code is gone. */
  private touched(name: string): void {
    if (this.realm?.touched(name)) this.print(`emulator: ${name} was erased while code loaded from it runs: its functions now throw "Function code is null"`);
  }

  // ---- memory

  /** JsVars in use: the interpreter's base plus everything the device's code can reach. */
  jsVarsUsed(): number {
    return this.realm ? this.realm.jsVarsUsed(this.board.limits, this.timers, this.emitters) + this.consoleLock.jsVars(this.board.limits.bytesPerJsVar) : 0;
  }

  /** process.memory(): in JsVars, as the chip reports it. */
  memory(): Record<string, number> {
    const total = this.board.limits.jsVars;
    const usage = Math.min(total, this.jsVarsUsed());
    const m = { free: total - usage, usage, total, history: 0, gc: 0, gctime: 0, blocksize: this.board.limits.bytesPerJsVar };
    return this.realm ? this.realm.newObject(m) : m;
  }

  /** Native heap: the board's idle figure less what open sockets take (about 1 KB each for lwIP buffers; an estimate). */
  freeHeap(): number {
    return this.board.limits.freeHeapBytes - 1000 * Math.max(0, this.sockets.inUse - 3);
  }

  // ---- for tests and tools

  /** Evaluates an expression inside the device (a REPL line). */
  eval(code: string): unknown {
    if (!this.realm) throw new Error("device is not running");
    return vm.runInContext(code, this.realm.ctx);
  }
}
