// Timer behaviour as measured on the Espruino 2v29 interpreter.
import * as assert from "uvu/assert";
import { run } from "./harness.ts";
import { suite } from "../suite.ts";

const { test: timers } = suite("emulated timers");

timers("ids are numbers starting at 1; a new id is one more than the highest in use, so ids are reused", () => {
  const b = run(`var a = setTimeout(function(){}, 10), c = setTimeout(function(){}, 20);
    print(typeof a, a, c);
    setTimeout(function(){ print("inside its own callback", setTimeout(function(){}, 5)); }, 50);`);
  b.cluster.runFor(100);
  assert.equal(b.out(), ["number 1 2", "inside its own callback 4"], "the running timeout (3) still holds its id");
  assert.is(b.device.eval("setTimeout(function(){}, 5)"), 1, "with no timers left, ids start again at 1");
});

timers("clearTimeout() with no argument clears every timer; clearTimeout(undefined) throws", () => {
  const b = run(`setInterval(function(){ print("tick"); }, 10); setTimeout(function(){ print("late"); }, 30);
    try { clearTimeout(undefined); } catch (e) { print("throws:", e.message); }
    clearTimeout(12345); clearTimeout();`);
  b.cluster.runFor(100);
  assert.equal(b.out(), ["throws: clearTimeout(undefined) not allowed. Use clearTimeout() instead"]);
});

timers("an exception inside an interval is printed as Uncaught and the interval goes on", () => {
  const b = run(`var n = 0; var id = setInterval(function(){ n++; throw new Error("x"); }, 100);
    setTimeout(function(){ clearInterval(id); print("runs", n); }, 350);`);
  b.cluster.runFor(1000);
  assert.equal(b.out(), ["Uncaught Error: x", "Uncaught Error: x", "Uncaught Error: x", "runs 3"]);
  assert.is(b.device.counters.uncaught, 3);
});

timers("changeInterval resets the phase (ticks at 100, 200, then 450, 650)", () => {
  const b = run(`var t0 = getTime(); var id = setInterval(function(){ print(Math.round((getTime() - t0) * 1000)); }, 100);
    setTimeout(function(){ changeInterval(id, 200); }, 250);
    setTimeout(function(){ clearInterval(id); }, 700);`);
  b.cluster.runFor(1000);
  assert.equal(b.out(), ["100", "200", "450", "650"]);
});

timers("changeInterval on a timeout makes it repeat; on an unknown id it throws", () => {
  const b = run(`var id = setTimeout(function(){ print("t"); }, 100); changeInterval(id, 100);
    setTimeout(function(){ clearTimeout(); }, 350);
    try { changeInterval(99, 10); } catch (e) { print(e.message); }`);
  b.cluster.runFor(1000);
  assert.equal(b.out(), ["Unknown Interval", "t", "t", "t"]);
});

timers.run();
