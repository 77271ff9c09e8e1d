// The jobs capability's values: a step's arguments with ${path} filled in
// from the run's variables, and an `if` step's condition. Nothing is
// compiled or kept: a job's definition stays as it was deployed, and each
// run reads it (on the chip a compiled form would cost JsVars for as long as
// the job exists). README, Jobs: the template and condition rules.
import { hostname, ports, selfId } from "./env.ts";
import { memberCount } from "./members.ts";
import { uptime } from "./tasks.ts";

/**
 * The value at a dotted path ("event.data.t", "rows.0"); `node.*` is this
 * node's (hostname, id, uptime in s, free JsVars, members). Throws when
 * there is none: a job that reads what is not there stops with that error.
 */
function lookup(path: string, vars: any): any {
  const p = path.split(".");
  let v = vars;
  if (p[0] === "node") {
    p.shift();
    v = { hostname: hostname, id: selfId, uptime: uptime(), free: ports.jsvars_(), members: memberCount };
  }
  for (const k of p) {
    // an own property only: "constructor" and the like are no values of a run
    v = v !== null && typeof v === "object" && Object.prototype.hasOwnProperty.call(v, k) ? v[k] : undefined;
    if (v === undefined) throw new Error("no value for ${" + path + "}");
  }
  return v;
}

/**
 * A step's argument with each ${path} filled in: a string that is exactly
 * one ${path} is that value itself (a number stays a number, an object an
 * object); in any other string each is replaced by its text (JSON for
 * objects); objects and arrays are filled throughout.
 */
export function fill(v: any, vars: any): any {
  if (typeof v === "string") {
    const open = v.indexOf("${");
    // (Espruino's indexOf finds "${" in a string that ends in "$": that one has none)
    if (open < 0 || open === v.length - 1) return v;
    const close = v.indexOf("}", open);
    if (open === 0 && close === v.length - 1) return lookup(v.substr(2, close - 2), vars);
    return v.replace(/\$\{([^}]*)\}/g, (m: string, path: string) => {
      const x = lookup(path, vars);
      return typeof x === "object" && x !== null ? JSON.stringify(x) : String(x);
    });
  }
  if (typeof v !== "object" || v === null) return v;
  const out: any = Array.isArray(v) ? [] : {};
  for (const k of Object.keys(v)) out[k] = fill(v[k], vars);
  return out;
}

/** A number, or a string that is one; else undefined. */
function numeric(x: any): number | undefined {
  return typeof x === "number" || (typeof x === "string" && x.trim() !== "" && isFinite(+x)) ? +x : undefined;
}

/**
 * Evaluates an `if` step's condition: == != < <= > >= && || ! and
 * parentheses over ${path}, numbers, 'text' or "text", true, false, null.
 * Comparisons are numeric when both sides are numbers or numeric text, else
 * strict (objects compared as JSON); < and the like compare text otherwise.
 * Throws "cond: ..." on a malformed condition (the job's check parses each
 * condition with vars undefined: syntax only).
 */
export function test(cond: string, vars: any): boolean {
  let i = 0;
  let tok = "";
  // the next token into tok ("" at the end)
  const next = (): void => {
    while (cond[i] === " ") i++;
    const c = cond[i] || "";
    tok = "";
    if (!c) return;
    const two = cond.substr(i, 2);
    let j = i + 1;
    if (two === "==" || two === "!=" || two === "<=" || two === ">=" || two === "&&" || two === "||") j = i + 2;
    else if (c === "$" && cond[i + 1] === "{") j = cond.indexOf("}", i) + 1;
    else if (c === "'" || c === '"') j = cond.indexOf(c, i + 1) + 1;
    else if (/[0-9.a-z-]/.test(c)) while (j < cond.length && /[0-9.a-zA-Z_eE+-]/.test(cond[j]) && !(cond[j] === "-" && !/[eE]/.test(cond[j - 1]))) j++;
    if (j <= i) throw new Error("cond: unclosed at " + i);
    tok = cond.substring(i, j);
    i = j;
  };
  const fail = (): never => {
    throw new Error("cond: unexpected " + (tok ? "'" + tok + "'" : "end") + " at " + i);
  };
  // operand: a value (parenthesised expressions are or())
  const atom = (): any => {
    const t = tok;
    next();
    if (t === "(") {
      const v = or();
      if (tok !== ")") fail();
      next();
      return v;
    }
    if (t === "!") return !atom();
    if (t.substr(0, 2) === "${") return vars === undefined ? 0 : lookup(t.substr(2, t.length - 3), vars);
    if (t[0] === "'" || t[0] === '"') return t.substr(1, t.length - 2);
    if (t === "true" || t === "false" || t === "null") return JSON.parse(t);
    if (numeric(t) === undefined) {
      tok = t;
      fail();
    }
    return +t;
  };
  const compare = (): any => {
    const a = atom();
    const op = tok;
    if (["==", "!=", "<", "<=", ">", ">="].indexOf(op) < 0) return a;
    next();
    let b = atom();
    let x: any = numeric(a);
    let y: any = numeric(b);
    if (x === undefined || y === undefined) {
      x = typeof a === "object" && a !== null ? JSON.stringify(a) : a;
      y = typeof b === "object" && b !== null ? JSON.stringify(b) : b;
      if (op[0] === "<" || op[0] === ">") {
        x = String(x);
        y = String(y);
      }
    }
    b = op === "==" ? x === y : op === "!=" ? x !== y : op === "<" ? x < y : op === "<=" ? x <= y : op === ">" ? x > y : x >= y;
    return b;
  };
  const and = (): any => {
    let v = compare();
    while (tok === "&&") {
      next();
      const r = compare();
      v = v && r;
    }
    return v;
  };
  const or = (): any => {
    let v = and();
    while (tok === "||") {
      next();
      const r = and();
      v = v || r;
    }
    return v;
  };
  next();
  const v = or();
  if (tok) fail();
  return !!v;
}
