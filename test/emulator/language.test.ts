// The JavaScript differences the emulator reproduces (espruino-platform.md, section 3).
import * as assert from "uvu/assert";
import { run } from "./harness.ts";
import { suite } from "../suite.ts";

const { test: language } = suite("emulated language");

language("Map, Set, Symbol, WeakMap, Proxy, Reflect and the missing helpers are undefined", () => {
  const b = run(`print([typeof Map, typeof Set, typeof Symbol, typeof WeakMap, typeof Proxy, typeof Reflect,
    typeof Array.from, typeof Object.freeze, typeof Number.isInteger, typeof Math.trunc, typeof Promise.prototype.finally].join());`);
  assert.equal(b.out(), [Array(11).fill("undefined").join()]);
});

language("E.toString gives a character per element of a typed array (value & 255) and the bytes of an ArrayBuffer, as 2v29 does", () => {
  // measured on 2v29 for Linux: E.toString(new Uint32Array(250)) is 250 characters; of its buffer, 1,000
  const b = run(`var u = new Uint32Array([0x12345678, 300]); print(E.toString(u).length, E.toString(u).charCodeAt(1), E.toString(u.buffer).length, E.toString(u.buffer).charCodeAt(0), E.toString([65, 322], "x"));`);
  assert.equal(b.out(), ["2 44 8 120 ABx"]);
});

language("a typed array views an ArrayBuffer from any byte offset, a length of 0 or none meaning to its end, as 2v29 does", () => {
  // the same line on 2v29 for Linux printed "2 25442 25956 2 25185 25699 1 1701077858" (V8 throws for an odd offset)
  const b = run(`var b = E.toArrayBuffer("abcde"), u = new Uint16Array(b, 1), w = new Uint16Array(b, 0, 0), x = new Uint32Array(b, 1);
    print(u.length, u[0], u[1], w.length, w[0], w[1], x.length, x[0]);`);
  assert.equal(b.out(), ["2 25442 25956 2 25185 25699 1 1701077858"]);
});

language("String indexOf, includes and replace of a string take a search string that runs off the end for a match, as 2v29 does", () => {
  // measured on 2v29 for Linux (jswrap_string_indexOf compares with equalAtEndOfString): this line printed exactly this
  const b = run(`print(JSON.stringify([" ab ".indexOf(" x "), "abc".indexOf("cd"), "abc".indexOf("cx"), "ab ".indexOf(" z"), "abc".indexOf("bcd"), "abcd".indexOf("d", 2), "a b".indexOf(" b "), "xyz".includes("zq"), "xyz".lastIndexOf("zq"), "abc".indexOf("cd", 1), "abc".indexOf("bc", 5), "".indexOf(""), "abc".indexOf(""), "aXbc".indexOf("bcd", 0), "abc".split("cd").length, "abcab".replace("abx", "Z")]));`);
  assert.equal(b.out(), ['[3,2,2,2,1,3,1,true,-1,2,-1,-1,0,2,1,"abcZ"]']);
});

language("split by a string two or more characters longer than the string gives an empty list, as 2v29 does", () => {
  // measured on 2v29 for Linux by issue 20's review
  const b = run(`print(JSON.stringify(["in/#".split("\${node.hostname}"), "ab".split("xyz"), "ab".split("wxyz"), "a,b".split(",")]));`);
  assert.equal(b.out(), ['[[],["ab"],[],["a","b"]]']);
});

language("JSON.stringify ignores a replacer", () => {
  const b = run(`print(JSON.stringify({a:1}, function(k, v){ return 2; }), JSON.stringify({a:1,b:2}, ["a"]));`);
  assert.equal(b.out(), ['{"a":1} {"a":1,"b":2}']);
});

language("every object has on/emit; listeners are visible #on keys and emit is asynchronous", () => {
  const b = run(`var o = {}; o.on("x", function(v){ print("got", v); });
    print(JSON.stringify(o), Object.keys(o).join());
    o.emit("x", 5); print("after emit");`);
  b.cluster.runFor(10);
  assert.equal(b.out(), ['{"#onx":[null]} #onx', "after emit", "got 5"]);
});

language("Date.now() is fractional and getTime() is seconds", () => {
  const b = run(`print(Date.now() % 1 !== 0, typeof getTime(), getTime() < 10);`);
  assert.equal(b.out(), ["true number true"]);
});

language("E.CRC32 is unsigned and matches the interpreter", () => {
  const b = run(`print(E.CRC32("hello"), E.CRC32(""), E.CRC32("The quick brown fox jumps over the lazy dog"), E.CRC32("a"));`);
  assert.equal(b.out(), ["907060870 0 1095738169 3904355907"]);
});

language("url.parse splits path and query as the interpreter does", () => {
  const b = run(`print(JSON.stringify(url.parse("/a/b?x=1&y=2", true)));`);
  assert.equal(JSON.parse(b.out()[0]), { method: "GET", host: "", path: "/a/b?x=1&y=2", pathname: "/a/b", search: "?x=1&y=2", port: null, query: { x: "1", y: "2" } });
});

language("process.env and the chip state name the board", () => {
  const esp01 = run(`var s = ESP8266.getState(); print(process.env.BOARD, process.env.VERSION, s.flashKB, s.cpuFrequency, typeof s.freeHeap, typeof ESP32);`, "esp01");
  assert.equal(esp01.out(), ["ESP8266_BOARD 2v29 1024 80 number undefined"]);
  const esp32 = run(`print(process.env.BOARD, typeof ESP32.getState().freeHeap, typeof ESP8266);`, "esp32");
  assert.equal(esp32.out(), ["ESP32 number undefined"]);
});

language("only the board's built-in modules exist: no crypto on esp01", () => {
  const b = run(`try { require("crypto"); } catch (e) { print(e.message); } print(typeof require("Storage").read);`, "esp01");
  assert.equal(b.out(), ["Module crypto not found", "function"]);
  assert.equal(run(`print(typeof require("crypto").SHA1);`, "esp8266").out(), ["function"]);
});

language.run();
