import * as assert from "uvu/assert";
import { checkEspruinoSubset, regexpProblem } from "../../host-tools/build/espruino-subset.ts";
import { suite } from "../suite.ts";

const { test: subset } = suite("Espruino subset check");

const rejected: [string, string, RegExp][] = [
  ["identifier named of", "var of = 1;", /'of' is a reserved word/],
  ["computed key", "var o = {['k']: 1};", /computed property keys/],
  ["label", "a: for (;;) { break a; }", /labelled statements/],
  ["spread", "f(...xs);", /spread/],
  ["super(...arguments)", "class B extends A { constructor() { super(...arguments); } }", /explicit constructor/],
  ["rest parameter", "function f(...a) {}", /rest parameters/],
  ["destructuring", "var { a } = o;", /destructuring/],
  ["default parameter", "function f(a = 1) {}", /default parameters/],
  ["optional chaining", "a?.b;", /optional chaining/],
  ["exponent", "x = 2 ** 3;", /\*\* operator/],
  ["logical assignment", "a ??= 1;", /\?\?= operator/],
  ["tagged template", "tag`x`;", /tagged templates/],
  ["async", "async function f() {}", /async/],
  ["generator", "function* g() {}", /generators/],
  ["class field", "class A { x = 1 }", /class fields/],
  ["extends an expression", "class A extends mixin(B) {}", /plain identifier/],
  ["extends Error", "class E extends Error {}", /loses the message/],
  ["Map", "var m = new Map();", /Map does not exist/],
  ["Symbol", "var s = Symbol.iterator;", /Symbol does not exist/],
  ["WeakMap (from #private lowering)", "var w = new WeakMap();", /WeakMap/],
  ["Array.from", "Array.from(x);", /Array.from/],
  ["Math.trunc", "Math.trunc(1.5);", /Math.trunc/],
  ["Promise.finally", "p.finally(f);", /finally/],
  ["require of a non-built-in", 'require("lodash");', /not an Espruino built-in/],
  ["regexp ? quantifier", "/ab?c/.test(s);", /\? quantifier/],
  ["regexp word boundary", "/\\bx/.test(s);", /word boundaries/],
  ["closure over a loop let", "for (let i = 0; i < 3; i++) setTimeout(() => print(i), 10);", /captures the loop variable 'i'/],
  ["closure over a for-of const", "for (const t of ts) t.on('x', function () { use(t); });", /captures the loop variable 't'/],
  ["call before declaration", "start(); function start() {}", /called before its declaration/],
];

for (const [name, code, message] of rejected) {
  subset(`rejects ${name}`, () => {
    const problems = checkEspruinoSubset(code);
    assert.ok(problems.length > 0, `expected a problem for: ${code}`);
    assert.match(problems.map((p) => p.message).join("\n"), message);
    assert.ok(problems[0].line >= 1, "problems carry a line");
  });
}

subset("accepts what Espruino runs", () => {
  const code = `
    function start() { return 1; }
    start();
    class A { constructor() { this.x = 1; } get y() { return this.x; } static z() { return 2; } }
    class B extends A { constructor() { super(); } }
    var o = { a: 1, m() { return this.a; }, get g() { return 2; } };
    for (let i = 0; i < 3; i++) { print(i); }
    for (const k of Object.keys(o)) print(k, o[k] ?? 0);
    var t = \`x\${1}\`;
    try { f(); } catch { }
    var s = require("Storage"), w = require("Wifi");
    var r = /a+b*[?{]/;
    var p = new Promise(function (res) { res(1); }).then(function (v) { return v; });
    var v = obj.from + obj.of;
  `;
  assert.equal(checkEspruinoSubset(code), []);
});

subset("regexp check ignores quantifier characters inside a class and escaped ones", () => {
  assert.is(regexpProblem("[?{}]+\\?\\{"), undefined);
  assert.match(regexpProblem("(ab)+")!, /groups/);
  assert.match(regexpProblem("a{2}")!, /\{n\}/);
  assert.match(regexpProblem("(?=x)")!, /lookahead/);
});

subset("unparseable output is reported, not thrown", () => {
  const problems = checkEspruinoSubset("var = ;");
  assert.is(problems.length, 1);
  assert.match(problems[0].message, /not parseable/);
});

subset.run();
