// One interpreter of a device, from a boot, load() or reset() to the next:
// a V8 context of its own for the device's code, the code that ran at its
// top level, and which Storage files that code came from (on the chip a
// function's code stays in flash: erasing or rewriting its file leaves it
// without code). Its JsVars are counted from what it can reach.
import vm from "node:vm";
import { untokenise } from "../build/pretokenise.ts";
import type { EspruinoTimers } from "./espruino-timers.ts";
import { type JsVarLimits, realmJsVars } from "./jsvars.ts";
import type { Emitter } from "./runtime.ts";
import { type FlashStorage, MAX_NAME_LENGTH } from "./storage.ts";

export class Realm {
  readonly ctx: vm.Context;
  /** Code run at the top level (boot files, eval): its let/const/class names hold JsVars. */
  code: string[] = [];
  /** Storage files code was loaded from (their functions' code stays in flash). */
  files = new Set<string>();
  /** One of `files` was erased or rewritten: on the chip every function loaded from it now throws. */
  nulled = false;
  private initialGlobals = new Set<string>();
  private static readonly drain = new vm.Script("undefined");

  constructor(name: string) {
    this.ctx = vm.createContext({}, { name, microtaskMode: "afterEvaluate" });
  }

  /** Gives the realm its globals; what device code adds after them is its own (counted in JsVars). */
  install(globals: Record<string, unknown>): void {
    const ctx = this.ctx;
    Object.assign(ctx, globals);
    ctx.global = vm.runInContext("globalThis", ctx);
    this.initialGlobals = new Set(Object.getOwnPropertyNames(vm.runInContext("globalThis", ctx)));
  }

  /** A plain object of this realm (it has Espruino's on/emit). */
  newObject<T extends object>(props: T): T {
    return Object.assign(vm.runInContext("({})", this.ctx), props);
  }

  /** Runs a Storage file's code (pretokenised, as the build writes it; Node needs it as text); throws what it throws. */
  run(code: string, filename: string): void {
    new vm.Script(untokenise(code), { filename }).runInContext(this.ctx);
  }

  /** eval(): code read from a Storage file keeps its functions in that file (tracked for `nulled`). */
  evaluate(code: string, storage: FlashStorage): unknown {
    const file = storage.list().find((f) => storage.read(f)?.length === code.length && storage.read(f) === code);
    if (file !== undefined) this.files.add(file);
    this.code.push(code);
    return new vm.Script(untokenise(code), { filename: file ?? "eval" }).runInContext(this.ctx);
  }

  /** A REPL line: runs at the top level, unlike eval() not pretokenised. */
  evalLine(code: string): unknown {
    return new vm.Script(code, { filename: "REPL" }).runInContext(this.ctx);
  }

  /** Runs the promise jobs queued so far, as Espruino does before the next event. */
  drainJobs(): void {
    Realm.drain.runInContext(this.ctx);
  }

  /** A Storage compaction moved files code was loaded from (their names): that code's functions are garbled on the chip. */
  private garbled = "";
  /** Device code running now (calls of functions made in the realm, a Storage file run). */
  depth = 0;

  /** Whether fn is device code (a function made in this realm), not one of the emulator's built-ins. */
  isOwn(fn: unknown): boolean {
    return fn instanceof (vm.runInContext("Function", this.ctx) as FunctionConstructor);
  }

  /** Storage compacted, moving `moved`: the files code runs from that moved, if device code is on the stack now (it reads garbage when the call returns); else "" and the next device code to run finds them (enter()). */
  compacted(moved: string[]): string {
    const files = this.runsFrom().filter((f) => moved.includes(f)).join(", ");
    if (this.depth) return files;
    this.garbled ||= files;
    return "";
  }

  /** Device code is about to run: the files a compaction garbled since (reported once), else "". */
  enter(): string {
    const g = this.garbled;
    this.garbled = "";
    return g;
  }

  /** The Storage files code was loaded from with eval() (a firmware slot), while that code still has its functions. */
  runsFrom(): string[] {
    return this.nulled ? [] : [...this.files];
  }

  /** A Storage file is erased or rewritten: true when that leaves code loaded from it without its code (the first time). */
  touched(name: string): boolean {
    if (!this.files.has(String(name).slice(0, MAX_NAME_LENGTH)) || this.nulled) return false;
    this.nulled = true;
    return true;
  }

  /** JsVars in use: the interpreter's base plus everything the device's code can reach. */
  jsVarsUsed(limits: JsVarLimits, timers: EspruinoTimers | undefined, emitters: Iterable<Emitter>): number {
    return realmJsVars({ ctx: this.ctx, limits, initialGlobals: this.initialGlobals, bootCode: this.code, timers: timers?.pending() ?? [], emitters });
  }
}
