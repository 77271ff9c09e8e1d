// Espruino's random number generator, as the 2v29 interpreter gives it:
// vectors recorded from Math.random() * 2^31 on Espruino 2v29 built for Linux
// (i386, 1600 and 1700 JsVars; src/jsutils.c rand/srand, the same code on
// ESP8266 and ESP32), each printed from a fresh start of the interpreter.
import * as assert from "uvu/assert";
import { Cluster } from "../../host-tools/emulator/cluster.ts";
import type { Device } from "../../host-tools/emulator/device.ts";
import { run } from "./harness.ts";
import { suite } from "../suite.ts";

const { test: t } = suite("emulated random numbers");

/** The first five values of k = Math.random() * 2^31 after `seed` (a statement, "" for none), from a fresh boot. */
function firstFive(seed: string, board = "esp8266", rngSeed = 1): number[] {
  const b = run(`${seed}; var k = []; for (var i = 0; i < 5; i++) k.push(Math.random() * 2147483648); print(JSON.stringify(k));`, board, rngSeed);
  return JSON.parse(b.out().find((l) => l.startsWith("["))!) as number[];
}

const RECORDED: [string, number[]][] = [
  ["", [2002641757, 1519824769, 548953282, 1471297748, 1410061242]],
  ["E.srand(1)", [18001, 324018000, 144292944, 867746201, 892111240]],
  ["E.srand(1234)", [22213234, 1117188338, 1110293046, 858076941, 253687093]],
  ["E.srand(0)", [0, 0, 0, 0, 0]],
  ["E.srand(-1)", [904313263, 1743726336, 1873765120, 2070018742, 1243559952]],
  ["E.srand(0xFFFFFFFF)", [904313263, 1743726336, 1873765120, 2070018742, 1243559952]],
  ["E.srand(2.5)", [36002, 648036000, 288585888, 555844403, 604574481]],
];

for (const [seed, expected] of RECORDED) {
  t(`Math.random() ${seed ? "after " + seed : "unseeded"} gives the interpreter's sequence`, () => {
    assert.equal(firstFive(seed), expected);
  });
}

t("unseeded, every board and every node starts the same sequence at every power-on", () => {
  const first = [2002641757, 1519824769, 548953282, 1471297748, 1410061242];
  assert.equal(firstFive("", "esp01", 5), first);
  assert.equal(firstFive("", "esp32", 6), first);
  const b = run("print(Math.random() * 2147483648)", "esp8266", 7);
  b.device.reboot();
  b.cluster.runUntil(() => b.device.running, 5000);
  b.cluster.runFor(100);
  assert.equal(b.out().filter((l) => /^\d+$/.test(l)), ["2002641757", "2002641757"], "the same first number after a reboot");
});

t("E.hwRand() is the same generator (as on ESP8266 and ESP32); load() keeps its state", () => {
  const b = run("print(JSON.stringify([E.hwRand(), E.hwRand(), E.hwRand(), Math.random() * 2147483648]))");
  assert.equal(JSON.parse(b.out().find((l) => l.startsWith("["))!), [2002641757, 1519824769, 548953282, 1471297748]);
  b.device.eval("E.srand(1234); Math.random(); load()");
  b.cluster.runFor(2000);
  // load() ran .bootcde again: E.hwRand() x3 and Math.random() continue the srand(1234) sequence
  const after = b.out().filter((l) => l.startsWith("[")).pop()!;
  assert.equal(JSON.parse(after), [1117188338, 1110293046, 858076941, 253687093]);
});

t("peek32 reads the board's hardware random register: different on every node and every read; other addresses read 0", () => {
  const reads = (rngSeed: number) => {
    const b = run("print(JSON.stringify([peek32(0x3FF20E44), peek32(0x3FF20E44), peek32(0x40000000)]))", "esp8266", rngSeed);
    return JSON.parse(b.out().find((l) => l.startsWith("["))!) as number[];
  };
  const [a, b] = [reads(1), reads(2)];
  assert.ok(a[0] !== a[1] && a[0] !== b[0], JSON.stringify([a, b]));
  assert.ok(a[0] >= 0 && a[0] < 4294967296 && Number.isInteger(a[0]));
  assert.is(a[2], 0);
  const esp32 = run("print(peek32(0x3FF75144))", "esp32", 1).out();
  assert.ok(esp32.some((l) => /^[1-9]\d*$/.test(l)), esp32.join("\n"));
});

t("Spore seeds it at boot: its nodes draw different numbers, and a node different numbers after each boot", () => {
  const c = new Cluster({ seed: 9, boards: ["esp01", "esp01", "esp8266"] });
  c.runUntil(() => c.devices.every((d) => d.running), 5000);
  const draw = (d: Device) => d.eval("Math.random()") as number;
  const first = c.devices.map(draw);
  assert.is(new Set(first).size, 3, `three nodes: ${first.join(", ")}`);
  const d = c.devices[0];
  c.restart(d);
  c.runUntil(() => d.running, 5000);
  assert.is.not(draw(d), first[0], "after a restart");
  assert.is(d.storage.read("spore.n"), "2", "the boot number counts the boots");
});

t.run();
