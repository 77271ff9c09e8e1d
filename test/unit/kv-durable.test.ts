// The KV store's durable keys (device/core/kv.ts) in Storage: flush periods,
// the two alternating copies, restarts, power cuts at every byte of a write
// and corrupted copies. Each boot is a fresh copy of the module (imported
// again under a new query string: module state as at boot) on a virtual
// clock from 0. Values, LRU capacity, TTLs and incr are in kv.test.ts.
import "./limits.ts";
import * as assert from "uvu/assert";
import { suite } from "../suite.ts";
import { booter, Flash, keys, limits, list, resetLimits, stats, type Entry, type Kv } from "./kv-helpers.ts";

let clock = 0;
let logs: string[] = [];
const boot = booter({
  now: () => clock,
  log: (line) => logs.push(line),
  reset: () => {
    clock = 0;
    logs = [];
  },
});

// ---------------------------------------------------------------------------
const { test: durable } = suite("kv store: durable keys in Storage");
resetLimits(durable);

durable("writes in one period make one Storage write, at the end of the period; none when nothing durable changed", async () => {
  const flash = new Flash();
  const kv = await boot(flash);
  for (let t = 0; t <= 100000; t += 250) {
    clock = t;
    if (t < 65000) kv.kvPut("n" + (t % 4), t, undefined, t % 1000 === 0);
    kv.kvFlush(false);
    if (t === 29750) assert.is(flash.writes, 0, "nothing written in the first 30 s");
    if (t === 30000) assert.is(flash.writes, 1, "one write, 30 s after the first change");
    if (t === 59750) assert.is(flash.writes, 1);
  }
  assert.is(flash.writes, 3, "at 30, 60 and 90 s (the changes went on to 65 s)");
  assert.is(stats(kv).flushes, 3);
  kv.kvPut("volatile", 1);
  clock += 60000;
  assert.is(kv.kvFlush(false), false, "a key that is not durable is not a durable change");
  assert.is(kv.kvFlush(true), false, "nor is anything to force");
  assert.is(flash.writes, 3);
});

durable("config.kvf sets the period; kvFlush(true) writes at once", async () => {
  const flash = new Flash();
  const kv = await boot(flash, { kvf: 5 });
  kv.kvPut("a", 1, undefined, true);
  clock = 4999;
  assert.is(kv.kvFlush(false), false);
  clock = 5000;
  assert.is(kv.kvFlush(false), true);
  kv.kvPut("a", 2, undefined, true);
  clock = 5001;
  assert.is(kv.kvFlush(false), false);
  assert.is(kv.kvFlush(true), true, "forced");
  assert.is(kv.kvFlush(true), false, "clean");
  assert.is(flash.writes, 2);
});

durable("the copies alternate, spore.v1 first, in the documented format", async () => {
  const flash = new Flash();
  const kv = await boot(flash);
  kv.kvPut("a", 1, undefined, true);
  kv.kvPut("volatile", 2);
  kv.kvPut("b", { x: "y" }, 10, true);
  clock = 2500;
  kv.kvFlush(true);
  assert.is(flash.read("spore.v1"), '{"g":1,"d":["a",1,0,"b",{"x":"y"},8]}', "ttl: the seconds left, rounded up");
  assert.is(flash.read("spore.v0"), undefined);
  kv.kvDel("a");
  kv.kvFlush(true);
  assert.is(flash.read("spore.v0"), '{"g":2,"d":["b",{"x":"y"},8]}');
  kv.kvGet("b");
  kv.kvPut("c", "c", undefined, true);
  kv.kvFlush(true);
  assert.is(flash.read("spore.v1"), '{"g":3,"d":["b",{"x":"y"},8,"c","c",0]}');
  assert.is(flash.read("spore.v0"), '{"g":2,"d":["b",{"x":"y"},8]}', "the other copy is untouched");
});

durable("deleting, evicting, expiring or replacing a durable key with a volatile one is a durable change", async () => {
  limits.kvKeys = 2;
  const flash = new Flash();
  const kv = await boot(flash);
  const flushed = () => JSON.parse(flash.read(`spore.v${stats(kv).flushes % 2}`)!).d;
  kv.kvPut("a", 1, undefined, true);
  kv.kvPut("b", 1, 5, true);
  kv.kvFlush(true);
  assert.equal(flushed(), ["a", 1, 0, "b", 1, 5]);
  kv.kvPut("c", 1);
  assert.is(kv.kvFlush(true), true, "a evicted");
  assert.equal(flushed(), ["b", 1, 5]);
  clock = 5000;
  kv.kvSweep(4);
  assert.is(kv.kvFlush(true), true, "b expired");
  assert.equal(flushed(), []);
  kv.kvPut("c", 2, undefined, true);
  kv.kvFlush(true);
  kv.kvPut("c", 3);
  assert.is(kv.kvFlush(true), true, "c made volatile");
  assert.equal(flushed(), []);
  kv.kvPut("d", 1, undefined, true);
  kv.kvFlush(true);
  kv.kvDel("d");
  assert.is(kv.kvFlush(true), true, "d deleted");
  assert.equal(flushed(), []);
});

durable("a key expired but not yet swept is left out of the copy", async () => {
  const flash = new Flash();
  const kv = await boot(flash);
  kv.kvPut("t", 1, 2, true);
  kv.kvPut("a", 1, undefined, true);
  clock = 2000;
  kv.kvFlush(true);
  assert.is(flash.read("spore.v1"), '{"g":1,"d":["a",1,0]}');
});

durable("a restart brings back the durable keys, in their order, with the seconds they had left, and no other", async () => {
  const flash = new Flash();
  let kv = await boot(flash);
  kv.kvPut("t", "soon", 100, true);
  kv.kvPut("v", "volatile", undefined, false);
  kv.kvPut("o", { deep: [1, { x: null }] }, undefined, true);
  kv.kvPut("n", 0, undefined, true, true);
  kv.kvGet("t");
  clock = 20000;
  kv.kvFlush(true);
  kv = await boot(flash);
  assert.equal(list(kv), {
    keys: [
      { key: "o", value: { deep: [1, { x: null }] }, ttl: null, durable: true },
      { key: "n", value: 0, ttl: null, durable: true },
      { key: "t", value: "soon", ttl: 80, durable: true },
    ],
    stats: { keys: 3, bytes: 1 + 23 + 1 + 1 + 1 + 6, capacity: { keys: 8, bytes: 256 }, evicted: 0, expired: 0, flushes: 0 },
  });
  clock = 79999;
  assert.is(kv.kvGet("t"), "soon");
  assert.is(kv.kvFlush(false), false, "what was loaded is not a change");
  clock = 80000;
  assert.is(kv.kvGet("t"), undefined);
  kv.kvPut("n", 1, undefined, false, true);
  kv.kvFlush(true);
  assert.is(flash.read("spore.v0"), '{"g":2,"d":["o",{"deep":[1,{"x":null}]},0,"n",1,0]}', "the next write goes to the other copy");
  kv = await boot(flash);
  assert.equal(keys(kv), ["o", "n"]);
  assert.is(kv.kvGet("n"), 1);
});

durable("a second kvLoad replaces the state with what Storage holds", async () => {
  const flash = new Flash();
  const kv = await boot(flash);
  kv.kvPut("a", 1, undefined, true);
  kv.kvFlush(true);
  kv.kvPut("b", 1);
  kv.kvPut("a", 2, undefined, true);
  kv.kvLoad();
  assert.equal(list(kv).keys, [{ key: "a", value: 1, ttl: null, durable: true }]);
  assert.is(stats(kv).flushes, 0);
});

durable("a store that shrank (new firmware, fewer keys) keeps the most recently used", async () => {
  limits.kvKeys = 4;
  const flash = new Flash();
  let kv = await boot(flash);
  for (const k of ["a", "b", "c", "d"]) kv.kvPut(k, k, undefined, true);
  kv.kvGet("a");
  kv.kvFlush(true);
  limits.kvKeys = 2;
  kv = await boot(flash);
  assert.equal(keys(kv), ["d", "a"]);
});

durable("a failed write is logged and tried again a period later, to the same copy", async () => {
  const flash = new Flash();
  const kv = await boot(flash);
  kv.kvPut("a", 1, undefined, true);
  kv.kvFlush(true);
  kv.kvPut("a", 2, undefined, true);
  const write = flash.write;
  flash.write = () => {
    throw new Error("Unable to find or create file");
  };
  assert.is(kv.kvFlush(true), false);
  assert.match(logs.join("\n"), /kv: flush failed: Error: Unable to find or create file/);
  flash.write = write;
  clock = 29999;
  assert.is(kv.kvFlush(false), false, "not before a period");
  clock = 30000;
  assert.is(kv.kvFlush(false), true);
  assert.is(flash.read("spore.v0"), '{"g":2,"d":["a",2,0]}');
  assert.is(stats(kv).flushes, 2);
});

durable.run();

// ---------------------------------------------------------------------------
const { test: power } = suite("kv store: power cuts and corrupted copies");
resetLimits(power);

/**
 * Three flushes from a fresh Storage, the third cut at byte `cut` (-1: after
 * the old file's erasure; undefined: not cut), then a boot: what it loads.
 */
async function cutInThirdFlush(cut: number | undefined): Promise<{ flash: Flash; kv: Kv; length: number }> {
  const flash = new Flash();
  let kv = await boot(flash);
  kv.kvPut("a", "first", undefined, true);
  kv.kvPut("b", { n: 1 }, 300, true);
  kv.kvFlush(true); // g 1, spore.v1
  clock = 10000;
  kv.kvPut("a", "second", undefined, true);
  kv.kvPut("c", [1, 2, 3], undefined, true);
  kv.kvPut("v", "volatile");
  kv.kvFlush(true); // g 2, spore.v0
  clock = 20000;
  kv.kvPut("a", "third!", undefined, true);
  kv.kvDel("c");
  kv.kvPut("d", 4, 50, true);
  flash.cut = cut;
  kv.kvFlush(true); // g 3, spore.v1
  const length = flash.fs.readBytes("spore.v1")?.length ?? 0;
  kv = await boot(flash);
  return { flash, kv, length };
}

/** What a boot finds after the second flush (clock 10 s: b had 290 s left) and after the third (at 20 s). */
const SECOND: Entry[] = [
  { key: "b", value: { n: 1 }, ttl: 290, durable: true },
  { key: "a", value: "second", ttl: null, durable: true },
  { key: "c", value: [1, 2, 3], ttl: null, durable: true },
];
const THIRD: Entry[] = [
  { key: "b", value: { n: 1 }, ttl: 280, durable: true },
  { key: "a", value: "third!", ttl: null, durable: true },
  { key: "d", value: 4, ttl: 50, durable: true },
];

power("a power cut at every byte of a flush: the boot finds the previous flush, whole; after the last byte, this one", async () => {
  const whole = await cutInThirdFlush(undefined);
  assert.equal(list(whole.kv).keys, THIRD);
  const text = whole.flash.read("spore.v1")!;
  assert.is(whole.length, text.length);
  for (let k = -1; k <= text.length; k++) {
    const { kv, flash } = await cutInThirdFlush(k);
    assert.is(flash.read("spore.v0"), '{"g":2,"d":["b",{"n":1},290,"a","second",0,"c",[1,2,3],0]}', "the other copy is untouched");
    assert.equal(list(kv).keys, k < text.length ? SECOND : THIRD, `cut at byte ${k} of ${text.length}`);
    assert.is(logs.length, 0, "the boot did not complain");
  }
});

power("after a cut the next flush goes to the torn copy, never over the good one", async () => {
  for (const cut of [-1, 0, 10]) {
    const { kv, flash } = await cutInThirdFlush(cut);
    kv.kvPut("e", 5, undefined, true);
    flash.cut = 5;
    kv.kvFlush(true);
    let again = await boot(flash);
    assert.equal(list(again).keys, SECOND, "cut again: still the second flush");
    again.kvPut("e", 5, undefined, true);
    again.kvFlush(true);
    again = await boot(flash);
    assert.equal(
      list(again).keys.map((e) => [e.key, e.value]),
      [
        ["b", { n: 1 }],
        ["a", "second"],
        ["c", [1, 2, 3]],
        ["e", 5],
      ],
    );
  }
});

power("a cut in the very first flush leaves nothing, and the store starts empty", async () => {
  for (const cut of [-1, 0, 7, 20]) {
    const flash = new Flash();
    let kv = await boot(flash);
    kv.kvPut("a", "value", undefined, true);
    flash.cut = cut;
    kv.kvFlush(true);
    kv = await boot(flash);
    assert.equal(list(kv).keys, [], `cut at ${cut}`);
    kv.kvPut("a", "again", undefined, true);
    kv.kvFlush(true);
    kv = await boot(flash);
    assert.is(kv.kvGet("a"), "again");
  }
});

/** Storage with a good copy (g 1 in spore.v1, key "good") and `bad` written as spore.v0. */
async function withCorrupted(bad: string): Promise<{ flash: Flash; kv: Kv }> {
  const flash = new Flash();
  flash.fs.write("spore.v1", '{"g":1,"d":["good",true,0]}');
  flash.fs.write("spore.v0", bad);
  return { flash, kv: await boot(flash) };
}

const corrupted: [string, string][] = [
  ["garbage bytes", "\x00\xff\x13garbage{"],
  ["a torn copy", '{"g":2,"d":["bad",1,0]\xff\xff'],
  ["valid JSON of another shape", '[2,"bad",1,0]'],
  ["null", "null"],
  ["a string", '"g"'],
  ["g not a number", '{"g":"2","d":["bad",1,0]}'],
  ["g negative", '{"g":-2,"d":["bad",1,0]}'],
  ["g not whole", '{"g":2.5,"d":["bad",1,0]}'],
  ["g odd in spore.v0", '{"g":3,"d":["bad",1,0]}'],
  ["g huge", '{"g":1e300,"d":["bad",1,0]}'],
  ["g huge, data bad", '{"g":2147483646,"d":["bad",1]}'],
  ["d missing", '{"g":2}'],
  ["d an object", '{"g":2,"d":{"bad":[1,0]}}'],
  ["d not in threes", '{"g":2,"d":["bad",1,0,"x"]}'],
  ["a key not a string", '{"g":2,"d":[5,1,0]}'],
  ["an empty key", '{"g":2,"d":["",1,0]}'],
  ["a key too long", `{"g":2,"d":["${"k".repeat(33)}",1,0]}`],
  ["a key with a control character", '{"g":2,"d":["a\\nb",1,0]}'],
  ["a ttl negative", '{"g":2,"d":["bad",1,-5]}'],
  ["a ttl a string", '{"g":2,"d":["bad",1,"5"]}'],
  ["a ttl null", '{"g":2,"d":["bad",1,null]}'],
  ["a ttl over a year", '{"g":2,"d":["bad",1,31536001]}'],
  ["a value too large", `{"g":2,"d":["bad","${"x".repeat(300)}",0]}`],
  ["good entries then a bad one", '{"g":2,"d":["bad",1,0,"worse",2,-1]}'],
];

for (const [what, bad] of corrupted) {
  power(`a corrupted copy is ignored and the other decides: ${what}`, async () => {
    const { flash, kv } = await withCorrupted(bad);
    assert.equal(list(kv).keys, [{ key: "good", value: true, ttl: null, durable: true }]);
    assert.equal([stats(kv).keys, stats(kv).bytes], [1, 8], "nothing of the bad copy is in the table");
    kv.kvPut("good", false, undefined, true);
    kv.kvFlush(true);
    const again = await boot(flash);
    assert.is(again.kvGet("good"), false, "the next flush replaced the corrupted copy and wins");
  });
}

power("both copies corrupted: the store starts empty, and its first flush is read back", async () => {
  const flash = new Flash();
  flash.fs.write("spore.v0", '{"g":4,"d":["bad",1,-1]}');
  flash.fs.write("spore.v1", "\xff\xff\xff");
  let kv = await boot(flash);
  assert.equal(list(kv).keys, []);
  kv.kvPut("a", 1, undefined, true);
  kv.kvFlush(true);
  kv = await boot(flash);
  assert.equal(keys(kv), ["a"]);
});

power("of two valid copies the higher g wins, whichever file it is in", async () => {
  for (const [v0, v1, expected] of [
    ['{"g":4,"d":["k",4,0]}', '{"g":3,"d":["k",3,0]}', 4],
    ['{"g":4,"d":["k",4,0]}', '{"g":5,"d":["k",5,0]}', 5],
  ] as const) {
    const flash = new Flash();
    flash.fs.write("spore.v0", v0);
    flash.fs.write("spore.v1", v1);
    const kv = await boot(flash);
    assert.is(kv.kvGet("k"), expected);
  }
});

power.run();
