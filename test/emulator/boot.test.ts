// Booting from Storage, E.reboot(), load(), power loss.
import * as assert from "uvu/assert";
import { Cluster } from "../../host-tools/emulator/cluster.ts";
import { suite } from "../suite.ts";

const { test: boot } = suite("emulated boot");

boot(".boot0 runs before .bootcde, then E.on('init')", () => {
  const c = new Cluster({ seed: 1, boards: [] });
  const d = c.addNode("esp8266", `print("bootcde"); E.on("init", function(){ print("init"); });`, { bare: true });
  d.storage.write(".boot0", `print("boot0");`);
  c.runFor(3000);
  assert.equal(d.console, ["boot0", "bootcde", "init"]);
});

boot(".bootrst is preferred to .bootcde", () => {
  const c = new Cluster({ seed: 1, boards: [] });
  const d = c.addNode("esp8266", `print("bootcde");`, { bare: true });
  d.storage.write(".bootrst", `print("bootrst");`);
  c.runFor(3000);
  assert.equal(d.console, ["bootrst"]);
});

boot("load(file) resets the interpreter and runs that file; timers of the old code are gone", () => {
  const c = new Cluster({ seed: 1, boards: [] });
  const d = c.addNode("esp8266", `setInterval(function(){ print("old"); }, 100); setTimeout(function(){ load("other.js"); }, 250);`, { bare: true });
  d.storage.write("other.js", `print("other", typeof globalThis.oldState); var oldState = 1;`);
  c.runFor(3000);
  assert.equal(d.console, ["old", "old", "other undefined"]);
});

boot("a crash loses RAM but not Storage; power on boots again from Storage", () => {
  const c = new Cluster({ seed: 1, boards: [] });
  const d = c.addNode("esp01", `var S = require("Storage"); print("boot", S.read("mark") || "none"); if (!S.read("mark")) S.write("mark", "kept");`, { bare: true });
  c.runFor(3000);
  c.kill(d);
  assert.not.ok(d.running);
  c.runFor(5000);
  assert.equal(d.console, ["boot none"], "a dead node does nothing");
  d.powerOn();
  c.runFor(3000);
  assert.equal(d.console, ["boot none", "boot kept"]);
});

boot("an exception at the top level of the boot code is printed and the node stays up", () => {
  const c = new Cluster({ seed: 1, boards: [] });
  const d = c.addNode("esp8266", `setTimeout(function(){ print("still here"); }, 100); undefinedFunction();`, { bare: true });
  c.runFor(3000);
  assert.equal(d.console, ["Uncaught Error: undefinedFunction is not defined", "still here"]);
});

boot.run();
