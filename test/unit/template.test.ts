// The jobs capability's values (device/core/steps.ts, StepOp.Fill and Cond): templates filled
// from a run's variables, and `if` conditions, table-driven, then random
// condition trees checked against a reference evaluator of the same rules.
import "./limits.ts";
import * as assert from "uvu/assert";
import { setup, type Ports } from "../../device/core/env.ts";
import { readConfig } from "../../device/core/layout.ts";
import { steps } from "../../device/core/steps.ts";

/** StepOp.Fill and StepOp.Cond of device/core/steps.ts (the const enum's values: it is the build's). */
const fill = (v: unknown, vars: unknown): any => steps(4, v, vars);
const cond = (c: string, vars: unknown): boolean => steps(5, c, vars);
import { Rng } from "../../host-tools/emulator/rng.ts";
import { suite } from "../suite.ts";

const { test, seed } = suite("job templates and conditions", { seed: 2001 });
let clock = 0;
test.before.each(() => {
  clock = 1000;
  setup({ now_: () => clock, jsvars_: () => 4321, log_: () => {} } as unknown as Ports, readConfig({}, []), "a1b2c3");
  // 61.5 s since boot
  clock += 61500;
});

const vars = { mqtt: { topic: "home/relay", payload: "on" }, event: { name: "door", data: { open: true, n: 3 }, origin: "esp_a1b2c3" }, t: 21.5, rows: [4, 5], s: "12", z: 0, nil: null, p: "010", q: " 12 ", h: "0x10" };

test("a template that is one ${path} gives the value itself; in text each is replaced by its text", () => {
  const rows: [unknown, unknown][] = [
    ["${t}", 21.5],
    ["${event.data}", { open: true, n: 3 }],
    ["${event.data.n}", 3],
    ["${rows.1}", 5],
    ["${nil}", null],
    ["t=${t}", "t=21.5"],
    ["${mqtt.topic}/state", "home/relay/state"],
    ["${event.data} at ${node.hostname}", '{"open":true,"n":3} at esp_a1b2c3'],
    ["${node.id} ${node.uptime} ${node.free}", "a1b2c3 61 4321"],
    ["no template", "no template"],
    ["${t}${s}", "21.512"],
    [{ v: "${t}", list: ["${s}", 1, { deep: "${mqtt.payload}" }] }, { v: 21.5, list: ["12", 1, { deep: "on" }] }],
    [7, 7],
    [true, true],
  ];
  for (const [tpl, want] of rows) assert.equal(fill(tpl, vars), want, JSON.stringify(tpl));
});

test("a path with no value is an error naming it; inherited names are no values", () => {
  for (const p of ["${nope}", "x ${event.data.missing}", "${rows.7}", "${t.x}", "${constructor}", "${event.__proto__}", "${mqtt.payload.length}"])
    assert.throws(() => fill(p, vars), (e: Error) => e.message.startsWith("no value for ${"), p);
});

test("conditions: operators, precedence, numbers from text, strict comparison otherwise", () => {
  const rows: [string, boolean][] = [
    ["${t} > 20", true],
    ["${t} >= 21.5 && ${t} <= 21.5", true],
    ["${s} == 12", true],
    ["${s} == '12'", true],
    ["${mqtt.payload} == 'on'", true],
    ['${mqtt.payload} != "on"', false],
    ["${event.data.open}", true],
    ["!${event.data.open}", false],
    ["!${z}", true],
    ["${nil} == null", true],
    ["${z} == false", false],
    ["1 || 0 && 0", true],
    ["(1 || 0) && 0", false],
    ["!(${t} < 3) && ${rows.0} == 4", true],
    ["'abc' < 'abd'", true],
    ["${event.data} == ${event.data}", true],
    ["-1 < 0", true],
    ["1e3 == 1000", true],
    ["  ${t}>21  ", true],
    // numeric text is read in decimal, as on the chip (Espruino 2v29: +"010" is 8, +" 12 " NaN, +"0x10" 16)
    ["${p} == 10", true],
    ["${p} == 8", false],
    ["010 == 10", true],
    ["${q} == 12", true],
    ["${h} == 16", false],
    ["${h} == '0x10'", true],
  ];
  for (const [c, want] of rows) assert.is(cond(c, vars), want, c);
});

test("malformed conditions are errors that say where; a missing value is the path's error", () => {
  for (const c of ["", "${t} >", "(${t} > 1", "${t} > 1)", "a == 1", "'open", "${t", "1 2", "&& 1"]) assert.throws(() => cond(c, vars), (e: Error) => e.message.startsWith("cond: "), c);
  assert.throws(() => cond("${nope} == 1", vars), /no value for \$\{nope\}/);
  // the node's check parses with no variables: syntax only
  assert.is(cond("${anything.at.all} == 1 || ${x}", undefined), false);
});

// Random condition trees: rendered to text, evaluated by test(), and by this reference of the same rules.
type Node = { op: string; a?: Node; b?: Node; lit?: string; value?: unknown };
const LITS: [string, unknown][] = [["1", 1], ["0", 0], ["2.5", 2.5], ["'2.5'", "2.5"], ["'x'", "x"], ["true", true], ["false", false], ["null", null], ["${t}", 21.5], ["${s}", "12"], ["${z}", 0], ["${mqtt.payload}", "on"]];
function tree(rng: Rng, depth: number): Node {
  if (depth <= 0 || rng.next() < 0.3) {
    const [lit, value] = LITS[rng.int(LITS.length)];
    return { op: "lit", lit, value };
  }
  const op = ["&&", "||", "!", "==", "!=", "<", ">=", "()"][rng.int(8)];
  // comparisons take operands (values or parenthesised expressions), as the grammar does
  return op === "!" || op === "()" ? { op, a: tree(rng, depth - 1) } : { op, a: tree(rng, depth - 1), b: tree(rng, depth - 1) };
}
function render(n: Node): string {
  if (n.op === "lit") return n.lit!;
  if (n.op === "!") return "!(" + render(n.a!) + ")";
  if (n.op === "()") return "(" + render(n.a!) + ")";
  return "(" + render(n.a!) + " " + n.op + " " + render(n.b!) + ")";
}
const num = (x: unknown) => (typeof x === "number" ? x : typeof x === "string" && /^\s*-?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?\s*$/i.test(x) && isFinite(Number(x)) ? Number(x.trim()) : undefined);
function evaluate(n: Node): unknown {
  if (n.op === "lit") return n.value;
  if (n.op === "!") return !evaluate(n.a!);
  if (n.op === "()") return evaluate(n.a!);
  const a = evaluate(n.a!);
  const b = evaluate(n.b!);
  if (n.op === "&&") return a && b;
  if (n.op === "||") return a || b;
  let x: unknown = num(a);
  let y: unknown = num(b);
  if (x === undefined || y === undefined) [x, y] = n.op === "<" || n.op === ">=" ? [String(a), String(b)] : [a, b];
  return n.op === "==" ? x === y : n.op === "!=" ? x !== y : n.op === "<" ? (x as number) < (y as number) : (x as number) >= (y as number);
}

test("random condition trees agree with the reference evaluator", () => {
  const rng = new Rng(seed);
  for (let i = 0; i < 3000; i++) {
    const t = tree(rng, 4);
    const text = render(t);
    assert.is(cond(text, vars), !!evaluate(t), `seed ${seed}, case ${i}: ${text}`);
  }
});

test.run();
