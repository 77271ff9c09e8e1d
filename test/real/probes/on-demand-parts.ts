// The bundle analysis of test/real/probes/on-demand.ts, part (c): the
// bundle's top-level definitions and the references to them (acorn,
// scope-aware), the parts the question names (boot-only functions, the MQTT
// client, the HTTP API handlers, the details fetch), and the --idle variants
// made from the bundle by moving top-level definitions into Storage parts, for
// the experiment only.
import * as acorn from "acorn";
import type { Board } from "../../../host-tools/build/boards.ts";
import { bundleBoard } from "../../../host-tools/build/bundle.ts";
import type { ImageFile } from "../../../host-tools/build/image.ts";

export interface Def {
  name: string;
  fn: boolean;
  params: number;
  /** The whole statement for a function, the declarator for a var. */
  node: acorn.Node;
  /** A literal value or none (a var measurable alone). */
  literal: boolean;
  /** A function that makes closures (they keep the scope it was defined in). */
  closures: boolean;
}

export interface Ref {
  name: string;
  start: number;
  end: number;
  /** The top-level function it is in, or "" for a top-level statement. */
  from: string;
  /** Called directly (name(...)). */
  call: boolean;
  /** Inside a function expression (runs later, not at boot) when from is "". */
  later: boolean;
  /** A shorthand property ({name}). */
  shorthand: boolean;
}

export type AnyNode = acorn.Node & Record<string, any>;
export const FUNCTIONS = new Set(["FunctionDeclaration", "FunctionExpression", "ArrowFunctionExpression"]);

/** Names a function declares (parameters, var/let/const, nested function names, catch parameters), not looking into nested functions. */
export function declared(fn: AnyNode): Set<string> {
  const out = new Set<string>();
  const ids = (p: AnyNode | null) => p && p.type === "Identifier" && out.add(p.name);
  fn.params.forEach(ids);
  const visit = (n: AnyNode) => {
    if (!n || typeof n.type !== "string") return;
    if (n.type === "VariableDeclarator") ids(n.id);
    if (n.type === "CatchClause") ids(n.param);
    if (n.type === "FunctionDeclaration") return void ids(n.id);
    if (FUNCTIONS.has(n.type)) return;
    for (const [key, v] of Object.entries(n)) if (key !== "type" && v && typeof v === "object") (Array.isArray(v) ? v : [v]).forEach(visit);
  };
  visit(fn.body);
  return out;
}

/** References to top-level names in `node` (scope-aware: names a nested function declares hide the top-level ones). */
export function references(node: AnyNode, top: Set<string>, from: string, out: Ref[]): void {
  const visit = (n: AnyNode, hidden: Set<string>, later: boolean, call: boolean, shorthand: boolean) => {
    if (!n || typeof n.type !== "string") return;
    if (n.type === "Identifier") {
      if (top.has(n.name) && !hidden.has(n.name)) out.push({ name: n.name, start: n.start, end: n.end, from, call, later, shorthand });
      return;
    }
    if (FUNCTIONS.has(n.type)) {
      const inner = new Set([...hidden, ...declared(n)]);
      const isTop = n === node && n.type === "FunctionDeclaration";
      return visit(n.body, inner, later || !isTop, false, false);
    }
    if (n.type === "MemberExpression") {
      visit(n.object, hidden, later, false, false);
      if (n.computed) visit(n.property, hidden, later, false, false);
      return;
    }
    if (n.type === "Property") {
      if (n.computed) visit(n.key, hidden, later, false, false);
      return visit(n.value, hidden, later, false, n.shorthand);
    }
    if (n.type === "VariableDeclarator") return visit(n.init, hidden, later, false, false);
    if (n.type === "CallExpression") {
      visit(n.callee, hidden, later, true, false);
      return n.arguments.forEach((a: AnyNode) => visit(a, hidden, later, false, false));
    }
    for (const [key, v] of Object.entries(n)) if (key !== "type" && v && typeof v === "object") (Array.isArray(v) ? v : [v]).forEach((c: AnyNode) => visit(c, hidden, later, false, false));
  };
  visit(node, new Set(), false, false, false);
}

export function hasFunction(n: AnyNode): boolean {
  if (!n || typeof n.type !== "string") return false;
  if (FUNCTIONS.has(n.type)) return true;
  return Object.entries(n).some(([key, v]) => key !== "type" && v && typeof v === "object" && (Array.isArray(v) ? v : [v]).some(hasFunction));
}

export function isLiteral(n: AnyNode | null): boolean {
  if (!n) return true;
  if (n.type === "Literal") return true;
  if (n.type === "UnaryExpression") return isLiteral(n.argument);
  if (n.type === "ArrayExpression") return n.elements.every(isLiteral);
  if (n.type === "ObjectExpression") return n.properties.every((p: AnyNode) => !p.computed && isLiteral(p.value));
  return false;
}

export class Bundle {
  readonly src: string;
  readonly body: AnyNode[];
  readonly defs = new Map<string, Def>();
  readonly refs: Ref[] = [];

  constructor(src: string) {
    this.src = src;
    this.body = (acorn.parse(src, { ecmaVersion: 2022 }) as AnyNode).body;
    for (const st of this.body) {
      if (st.type === "FunctionDeclaration") this.defs.set(st.id.name, { name: st.id.name, fn: true, params: st.params.length, node: st, literal: false, closures: hasFunction(st.body) });
      else if (st.type === "VariableDeclaration") for (const d of st.declarations) this.defs.set(d.id.name, { name: d.id.name, fn: false, params: 0, node: d, literal: isLiteral(d.init), closures: false });
    }
    const names = new Set(this.defs.keys());
    for (const st of this.body) references(st, names, st.type === "FunctionDeclaration" ? st.id.name : "", this.refs);
  }

  text(n: acorn.Node): string {
    return this.src.slice(n.start, n.end);
  }

  /** The top-level function whose text holds `marker` ("" when none does: the board has no such part). */
  fnWith(marker: string): string {
    const hits = [...this.defs.values()].filter((d) => d.fn && this.text(d.node).includes(marker));
    if (hits.length > 1) throw new Error(`"${marker}" is in ${hits.length} top-level functions of the bundle, not one: the probe's markers need updating`);
    return hits[0]?.name ?? "";
  }

  /** Names referenced (directly) from the definition `name`. */
  uses(name: string): Set<string> {
    return new Set(this.refs.filter((r) => r.from === name && r.name !== name).map((r) => r.name));
  }

  /**
   * Functions only the boot calls: every reference a direct call made while
   * the bundle is evaluated, by a top-level statement or by such a function
   * (not one passed as a callback, not one called from a closure), and
   * making no closures (a closure that outlives the boot would keep the part
   * it was made in).
   */
  bootOnly(): Set<string> {
    const set = new Set([...this.defs.values()].filter((d) => d.fn && !d.closures).map((d) => d.name));
    for (let changed = true; changed; ) {
      changed = false;
      for (const f of [...set]) {
        const ok = this.refs.filter((r) => r.name === f && r.from !== f).every((r) => r.call && !r.later && (r.from === "" || set.has(r.from)));
        if (!ok) (set.delete(f), (changed = true));
      }
    }
    return set;
  }

  /**
   * A part: what `roots` reach that nothing outside the part uses. With
   * `closures`, closures made by top-level statements may use it too (they
   * run after the boot, and reach it through global.<name>); the root's own
   * call at the top level is where a part loaded at boot is loaded.
   */
  part(roots: string[], closures: boolean): Set<string> {
    const set = new Set(roots);
    for (let todo = [...roots]; todo.length; ) for (const u of this.uses(todo.pop()!)) if (!set.has(u)) (set.add(u), todo.push(u));
    for (let changed = true; changed; ) {
      changed = false;
      for (const d of [...set]) {
        if (roots.includes(d)) continue;
        const ok = this.refs.filter((r) => r.name === d && r.from !== d).every((r) => (r.from === "" ? closures && r.later : set.has(r.from)));
        if (!ok) (set.delete(d), (changed = true));
      }
    }
    return set;
  }

  /** The definitions of `names`, in the bundle's order (vars with a literal value only, when `literalOnly`). */
  definitions(names: Set<string>, literalOnly: boolean): string {
    const out: string[] = [];
    for (const st of this.body) {
      if (st.type === "FunctionDeclaration" && names.has(st.id.name)) out.push(this.text(st));
      if (st.type === "VariableDeclaration") {
        const ds = st.declarations.filter((d: AnyNode) => names.has(d.id.name) && (!literalOnly || isLiteral(d.init)));
        if (ds.length) out.push(`${st.kind} ${ds.map((d: acorn.Node) => this.text(d)).join(",")};`);
      }
    }
    return out.join("\n");
  }

  /** A top-level statement (or declarator list) with references to `moved` rewritten by `to`. */
  private rewrite(n: acorn.Node, moved: Set<string>, to: (name: string) => string): string {
    let s = this.text(n);
    const rs = this.refs.filter((r) => r.start >= n.start && r.end <= n.end && moved.has(r.name)).sort((a, b) => b.start - a.start);
    for (const r of rs) s = s.slice(0, r.start - n.start) + (r.shorthand ? `${r.name}:` : "") + to(r.name) + s.slice(r.end - n.start);
    return s;
  }

  /**
   * The bundle without `moved`, and the part holding them. "scope": the part
   * is a function body run once by new Function (its functions are dropped
   * with the object it returns, after the last top-level statement that
   * calls one); "global": the part is evaluated at the top level by `load`,
   * which replaces the top-level statement calling `root`, and ends with that
   * call; the bundle's other top-level statements reach the part's names
   * through global.
   */
  split(moved: Set<string>, how: "scope" | "global", load: string, root = ""): { main: string; part: string } {
    const main: string[] = [];
    const part: string[] = [];
    const usesMoved = (st: acorn.Node) => this.refs.some((r) => r.from === "" && r.start >= st.start && r.end <= st.end && moved.has(r.name));
    const users = this.body.filter((st) => st.type !== "FunctionDeclaration" && usesMoved(st));
    const to = how === "scope" ? (n: string) => `$B.${n}` : (n: string) => `global.${n}`;
    for (const st of this.body) {
      if (how === "scope" && st === users[0]) main.push(`var $B=${load};`);
      if (st.type === "FunctionDeclaration") (moved.has(st.id.name) ? part : main).push(this.text(st));
      else if (st.type === "VariableDeclaration") {
        const keep = st.declarations.filter((d: AnyNode) => !moved.has(d.id.name));
        const go = st.declarations.filter((d: AnyNode) => moved.has(d.id.name));
        if (keep.length) main.push(`${st.kind} ${keep.map((d: acorn.Node) => this.rewrite(d, moved, to)).join(",")};`);
        if (go.length) part.push(`${st.kind} ${go.map((d: acorn.Node) => this.text(d)).join(",")};`);
      } else if (how === "global" && st.type === "ExpressionStatement" && st.expression.type === "CallExpression" && st.expression.callee.name === root) {
        main.push(load);
        part.push(this.text(st));
      } else main.push(this.rewrite(st, moved, to));
      if (how === "scope" && st === users[users.length - 1]) main.push("$B=void 0;");
    }
    if (how === "scope") part.push(`return{${[...new Set(this.refs.filter((r) => r.from === "" && moved.has(r.name)).map((r) => r.name))].map((n) => `${n}:${n}`).join(",")}}`);
    return { main: main.join("\n") + "\n", part: part.join("\n") };
  }
}

/** The code of each part the question names, and where the rest of what it names lives. */
export function parts(b: Bundle): { name: string; names: Set<string>; how: string }[] {
  const boot = b.bootOnly();
  const roots = (...markers: string[]) => markers.map((m) => b.fnWith(m)).filter(Boolean);
  const mqtt = b.part(roots("bad mq"), true); // device/platform/mqtt.ts: the client's setup, run once at boot
  const api = b.part(roots("method not allowed", "form: task, action, interval"), false); // device/core/api.ts routing, device/core/node.ts handlers
  const fetch = b.part(roots('"too large"'), false); // device/platform/http-client.ts: the details fetch's GET
  const all = new Set([...b.defs.values()].map((d) => d.name));
  return [
    { name: "the whole bundle", names: all, how: "" },
    { name: "boot-only functions (readConfig and the start-up)", names: boot, how: "run once from a Storage part, then dropped" },
    { name: "MQTT client (Home Assistant discovery and commands inside it)", names: mqtt, how: "loaded at boot only when spore.json names a broker" },
    { name: "HTTP API handlers (tasks/control, POST events, status, members)", names: api, how: "loaded per request" },
    { name: "details fetch (the HTTP GET)", names: fetch, how: "loaded per fetch" },
  ].filter((p) => p.names.size);
}

export interface Variant {
  name: string;
  /** Plain JavaScript: the bundle, and each Storage part's file. */
  firmware: string;
  parts: ImageFile[];
}

export async function variants(board: Board): Promise<Variant[]> {
  const plain = (await bundleBoard(board, { write: false })).plain;
  const b = new Bundle(plain);
  const boot = b.split(b.bootOnly(), "scope", `new Function(require("Storage").read("spore.i"))()`);
  // the same functions kept in the bundle, inside a function run once: no Storage file
  const inline = b.split(b.bootOnly(), "scope", `(function(){${boot.part}})()`);
  const out: Variant[] = [
    { name: "bundle as built", firmware: plain, parts: [] },
    { name: "boot-only functions in Storage part spore.i, run once", firmware: boot.main, parts: [{ name: "spore.i", data: boot.part }] },
    { name: "boot-only functions in the bundle, in a function run once", firmware: inline.main, parts: [] },
  ];
  const root = b.fnWith("bad mq");
  if (!root) return out; // no MQTT client on this board
  const mqtt = b.split(b.part([root], true), "global", `(require("Storage").readJSON("spore.json",true)||{}).mq&&eval(require("Storage").read("spore.m"));`, root);
  return [...out, { name: "MQTT client in Storage part spore.m, loaded when a broker is named", firmware: mqtt.main, parts: [{ name: "spore.m", data: mqtt.part }] }];
}
