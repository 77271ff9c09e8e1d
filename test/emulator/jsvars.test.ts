// The emulator's JsVar accounting against E.getSizeOf on 2v29 Linux builds
// with 12-byte blocks (as ESP8266) and 14-byte blocks (as ESP32).
import * as assert from "uvu/assert";
import { run } from "./harness.ts";
import { suite } from "../suite.ts";

const { test: jsvars } = suite("emulated JsVars");

const VALUES = `[{a:1}, {abcdef:1}, "", "0123456789", "01234567890123456789012345", [1,2,3],
  function(a,b){return a+b}, {a:"hello"}, {abcdefgh:"hello world here"}, 1.5, new Uint8Array(100)]`;

jsvars("E.getSizeOf matches the interpreter with 12-byte blocks (ESP8266)", () => {
  const b = run(`print(${VALUES}.map(function(v){ return E.getSizeOf(v); }).join(" "));`, "esp8266");
  assert.equal(b.out(), ["2 3 1 2 4 4 5 3 5 1 12"]);
});

jsvars("E.getSizeOf matches the interpreter with 14-byte blocks (ESP32)", () => {
  const b = run(`print(${VALUES}.map(function(v){ return E.getSizeOf(v); }).join(" "));`, "esp32");
  assert.equal(b.out(), ["2 3 1 2 3 4 5 3 5 1 11"]);
});

jsvars("process.memory() counts what the program keeps, in the board's JsVars", () => {
  const b = run(`var before = process.memory().usage; var kept = []; for (var i = 0; i < 50; i++) kept.push({id: i, name: "node" + i});
    var m = process.memory(); print(m.total, m.blocksize, m.usage - before >= 150, m.free === m.total - m.usage);`, "esp01");
  assert.equal(b.out(), ["1700 12 true true"]);
});

jsvars("top-level let/const state counts (Espruino keeps it on the root scope)", () => {
  const small = run(`const x = 1; print(process.memory().usage);`, "esp01");
  const big = run(`const x = []; for (var i = 0; i < 100; i++) x.push("abcdefghijklmnop"); print(process.memory().usage);`, "esp01");
  assert.ok(Number(big.out()[0]) - Number(small.out()[0]) > 300, `${big.out()} vs ${small.out()}`);
});

jsvars.run();
