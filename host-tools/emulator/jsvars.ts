// Estimates Espruino's memory use in JsVars (blocks) for values of a device's
// realm, following how the interpreter stores them: every value and every
// property name is a block; short names, small ints and booleans sit inside
// the name block; strings spill into extension blocks.
//
// What it cannot see: variables captured only by closures (V8 hides them).
// The device code keeps its state reachable from top-level bindings, and the
// figures are checked against the real interpreter where one is available.
import vm from "node:vm";
import * as acorn from "acorn";

/**
 * ArrayBuffers made by E.toArrayBuffer: on the chip one references its string
 * (jsvNewArrayBufferFromString, in 2v29 never a copy), counted where the
 * string is held: a Storage file's is flash (a JsVar, no data blocks), a
 * datagram's is the datagram.
 */
export const STRING_BUFFERS = new WeakSet<ArrayBufferLike>();

/** JsVars the interpreter itself holds at boot, before any user code (root, modules, Wifi state). */
export const BASE_JSVARS = 58; // measured: process.memory().usage after a trivial script, 2v29 Linux i386 build with 12-byte blocks

export interface JsVarModel {
  /** Characters of a property name held in its own block. */
  nameChars: number;
  /** Characters of a string value held in its first block. */
  stringChars: number;
  /** Characters in each further block of a string. */
  extChars: number;
  /** Blocks for a function besides its parameters: the object, its code's name and code reference. */
  functionBlocks: number;
  /** Bytes per block of a flat string (typed array data): one header block, then this many bytes per block. */
  flatBlockBytes: number;
  /** Integers a name block holds inline: those a JsVarRef can hold (src/jsutils.h JSVARREF_MIN/MAX). */
  inlineMax: number;
}

/**
 * From Espruino's src/jsutils.h (JSVAR_DATA_STRING_NAME_LEN, _LEN, _MAX_LEN)
 * and checked with E.getSizeOf on 2v29 Linux builds with 12- and 14-byte
 * blocks (test/emulator/jsvars.test.ts holds those measurements). A function
 * is one block, one per parameter, and a code reference (name + code).
 */
export function jsVarModel(bytesPerJsVar: number, jsVars = 1700): JsVarModel {
  const inlineMax = 2 ** (refBits(bytesPerJsVar, jsVars) - 1) - 1;
  if (bytesPerJsVar <= 12) return { nameChars: 4, stringChars: 8, extChars: 8, functionBlocks: 3, flatBlockBytes: 12, inlineMax };
  if (bytesPerJsVar <= 14) return { nameChars: 4, stringChars: 9, extChars: 10, functionBlocks: 3, flatBlockBytes: 14, inlineMax };
  return { nameChars: 8, stringChars: 12, extChars: 12, functionBlocks: 3, flatBlockBytes: 16, inlineMax };
}

/** JSVARREF_BITS as src/jsutils.h chooses it: enough for the variable count (16 with 16-byte blocks). */
export function refBits(bytesPerJsVar: number, jsVars: number): number {
  if (bytesPerJsVar >= 16) return 16;
  let bits = 8;
  while (jsVars > 2 ** bits - 1 && bits < 16) bits++;
  return bits;
}

/**
 * A pending timer, besides its function and arguments. Measured on 2v29
 * (12-byte blocks, code in Storage): setTimeout 5 blocks, setInterval 7, and
 * arguments an array of their own: 1 argument +3, 2 arguments +4.
 */
export function timerBlocks(interval: boolean, args: number): number {
  return (interval ? 7 : 5) + (args ? 2 + args : 0);
}

/**
 * An HTTP server's open connection, besides what it has received (counted
 * as it is: ServerRequest.held) and its listeners: the request and response
 * objects, the connection's entry in socketserver.c's array and its
 * properties, the response's "Connection: close". Measured on 2v29 (12-byte
 * blocks): 72 JsVars for a head of 406 bytes still coming (51 in a string),
 * 38 for a POST whose body has not come (a head of 15, the rest 2), 32 for a
 * GET with no headers (a head of 8, the rest 3).
 */
export const HTTP_CONNECTION_BLOCKS = 21;

export function stringBlocks(length: number, first: number, ext: number): number {
  return length <= first ? 1 : 1 + Math.ceil((length - first) / ext);
}

/**
 * Whether a value sits inside its name's block (src/jsvar.c
 * jsvMakeIntoVariableName): integers within the JsVarRef range, and under an
 * array index booleans too. undefined is no value at all; null is a block.
 */
function inlineInName(v: unknown, index: boolean, max: number): boolean {
  return v === undefined || (index && typeof v === "boolean") || (typeof v === "number" && Number.isInteger(v) && v >= -max - 1 && v <= max);
}

export class JsVarCounter {
  private readonly seen = new Set<object>();
  blocks = 0;

  constructor(
    private readonly model: JsVarModel,
    /** Objects not of the device (built-ins, emulator internals): counted as one block, not walked. */
    private readonly opaque: (o: object) => boolean,
  ) {}

  /** Adds the blocks of `v` (once per object) and returns them. */
  add(v: unknown): number {
    const before = this.blocks;
    this.value(v);
    return this.blocks - before;
  }

  /** Adds the blocks of properties the interpreter sets on an object of its own (their names and values, not the object), and returns them. */
  addProperties(props: Record<string, unknown>): number {
    const before = this.blocks;
    for (const [key, value] of Object.entries(props)) this.name(key, value);
    return this.blocks - before;
  }

  private name(key: string, value: unknown, index = false): void {
    const m = this.model;
    this.blocks += index ? 1 : stringBlocks(key.length, m.nameChars, m.extChars);
    if (!inlineInName(value, index, m.inlineMax)) this.value(value);
  }

  private value(v: unknown): void {
    if (typeof v === "string") {
      this.blocks += stringBlocks(v.length, this.model.stringChars, this.model.extChars);
      return;
    }
    if (v === null || (typeof v !== "object" && typeof v !== "function")) {
      this.blocks += 1;
      return;
    }
    const o = v as object;
    if (this.seen.has(o)) return;
    this.seen.add(o);
    if (this.opaque(o)) {
      this.blocks += 1;
      return;
    }
    if (typeof o === "function") {
      this.blocks += this.model.functionBlocks + (o as (...a: unknown[]) => unknown).length;
      const proto = (o as { prototype?: object }).prototype;
      // a class's methods live on its prototype
      if (proto && Object.getOwnPropertyNames(proto).length > 1) this.object(proto);
      return;
    }
    if (ArrayBuffer.isView(o)) {
      // a view of a string (E.toArrayBuffer: a Storage file's, read from flash, or a datagram's) holds no data of its own
      this.blocks += 3 + (STRING_BUFFERS.has((o as ArrayBufferView).buffer) ? 0 : Math.ceil((o as ArrayBufferView).byteLength / this.model.flatBlockBytes));
      return;
    }
    if (Array.isArray(o)) {
      this.blocks += 1;
      // an index is an integer name: one block, with small values inline
      for (const v of o) this.name("", v, true);
      return;
    }
    this.object(o);
    // a class instance's methods are shared on its prototype
    const proto = Object.getPrototypeOf(o);
    if (proto && !this.opaque(proto) && !this.seen.has(proto)) {
      this.seen.add(proto);
      this.object(proto);
    }
  }

  private object(o: object): void {
    this.blocks += 1;
    for (const key of Object.getOwnPropertyNames(o)) {
      if (key === "constructor") continue;
      const desc = Object.getOwnPropertyDescriptor(o, key)!;
      this.name(key, "value" in desc ? desc.value : desc.get);
    }
  }
}

const topLevelNames = new Map<string, string[]>();

/** Top-level let/const/class names: Espruino keeps them on the root scope; V8 keeps them out of the global object. */
export function lexicalNames(code: string): string[] {
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

/** The board's figures the JsVar model rests on. */
export interface JsVarLimits {
  bytesPerJsVar: number;
  jsVars: number;
}

/** A counter for values of the device's realm `ctx`, with the board's block model; the realm's built-ins are a block each, not walked. */
export function realmCounter(ctx: vm.Context, limits: JsVarLimits): JsVarCounter {
  const builtins = new Set<object>(
    ["Object.prototype", "Function.prototype", "Array.prototype", "String.prototype", "Number.prototype", "Boolean.prototype", "Error.prototype", "Promise.prototype", "RegExp.prototype", "Date.prototype", "globalThis"].map(
      (expr) => vm.runInContext(expr, ctx) as object,
    ),
  );
  // objects made by the emulator (host realm) are the interpreter's own: opaque
  return new JsVarCounter(jsVarModel(limits.bytesPerJsVar, limits.jsVars), (o) => builtins.has(o) || o instanceof Object);
}

/** What a running device holds that device code can reach. */
/** What the count needs of an emulated module object (runtime.ts Emitter; declared here so the two files do not import each other). */
export interface HeldObject {
  /** Every listener function (device code the emulator holds on to). */
  listenerFunctions(): unknown[];
  /** JsVars the interpreter keeps for the object while it is open, besides its listeners. */
  held(counter: JsVarCounter): number;
}

export interface RealmState {
  ctx: vm.Context;
  limits: JsVarLimits;
  /** Global names the realm had before any device code ran (not counted). */
  initialGlobals: Set<string>;
  /** Code run at the top level this boot: its let/const/class names are counted. */
  bootCode: string[];
  /** Pending timers. */
  timers: { fn: unknown; args: unknown[]; interval: boolean }[];
  /** Emulated module objects open now (runtime.ts Emitter): the device listeners they hold, and what they keep. */
  emitters: Iterable<HeldObject>;
}

/** JsVars in use: the interpreter's base plus everything the device's code can reach. */
export function realmJsVars(s: RealmState): number {
  const counter = realmCounter(s.ctx, s.limits);
  const global = vm.runInContext("globalThis", s.ctx) as Record<string, unknown>;
  let blocks = BASE_JSVARS;
  for (const name of Object.getOwnPropertyNames(global)) {
    if (s.initialGlobals.has(name)) continue;
    blocks += 1 + counter.add(global[name]);
  }
  for (const code of s.bootCode) {
    for (const name of lexicalNames(code)) {
      let value: unknown;
      try {
        value = vm.runInContext(name, s.ctx);
      } catch {
        continue; // declared but not yet initialised
      }
      blocks += 1 + counter.add(value);
    }
  }
  for (const t of s.timers) blocks += timerBlocks(t.interval, t.args.length) + counter.add(t.fn) + t.args.reduce((n: number, a) => n + counter.add(a), 0);
  for (const e of s.emitters) for (const fn of e.listenerFunctions()) blocks += 1 + counter.add(fn);
  for (const e of s.emitters) blocks += e.held(counter);
  // listeners on the device's own objects (E.on and friends) are ordinary properties, counted above
  return blocks;
}
