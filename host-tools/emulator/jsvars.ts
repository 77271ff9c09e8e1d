// Estimates Espruino's memory use in JsVars (blocks) for values of a device's
// realm, following how the interpreter stores them: every value and every
// property name is a block; short names, small ints and booleans sit inside
// the name block; strings spill into extension blocks.
//
// What it cannot see: variables captured only by closures (V8 hides them).
// The device code keeps its state reachable from top-level bindings, and the
// figures are checked against the real interpreter where one is available.

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
      this.blocks += 3 + Math.ceil((o as ArrayBufferView).byteLength / this.model.flatBlockBytes);
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
