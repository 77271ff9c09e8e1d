// The parts of ES2015+ that Espruino 2v29 implements, on top of lib es5 and
// es2015.promise (see shared/espruino-platform.md, section 3). What is not
// declared here (Map, Set, Symbol, WeakMap, Proxy, Reflect, Array.from,
// Object.freeze, Number.isInteger, Math.trunc, ...) does not type-check.

interface ObjectConstructor {
  assign<T extends {}, U>(target: T, source: U): T & U;
  values<T>(o: { [key: string]: T }): T[];
  values(o: {}): any[];
  entries<T>(o: { [key: string]: T }): [string, T][];
  entries(o: {}): [string, any][];
}

interface Array<T> {
  find(predicate: (value: T, index: number, obj: T[]) => unknown): T | undefined;
  findIndex(predicate: (value: T, index: number, obj: T[]) => unknown): number;
  includes(searchElement: T, fromIndex?: number): boolean;
  fill(value: T, start?: number, end?: number): this;
}

interface String {
  padStart(maxLength: number, fillString?: string): string;
  padEnd(maxLength: number, fillString?: string): string;
  startsWith(searchString: string, position?: number): boolean;
  endsWith(searchString: string, endPosition?: number): boolean;
  includes(searchString: string, position?: number): boolean;
  repeat(count: number): string;
}
