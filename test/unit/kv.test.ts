// The KV store (device/core/kv.ts): values, LRU capacity, TTLs and incr.
// Each boot is a fresh copy of the module (imported again under a new query
// string: module state as at boot) on a virtual clock from 0. Durable keys
// in Storage, restarts, power cuts and corrupted copies are in
// kv-durable.test.ts.
import "./limits.ts";
import * as assert from "uvu/assert";
import { Rng } from "../../host-tools/emulator/rng.ts";
import { suite } from "../suite.ts";
import { booter, Flash, keys, limits, list, resetLimits, stats, throws } from "./kv-helpers.ts";

let clock = 0;
// nothing here reads the node's log
const boot = booter({ now: () => clock, log: () => {}, reset: () => (clock = 0) });

// ---------------------------------------------------------------------------
const { test: basics } = suite("kv store: values and keys");
resetLimits(basics);

basics("a store never written holds nothing, lists nothing and writes nothing", async () => {
  const flash = new Flash();
  const kv = await boot(flash);
  assert.is(kv.kvGet("a"), undefined);
  assert.is(kv.kvDel("a"), false);
  assert.is(kv.kvSweep(4), 0);
  assert.is(kv.kvFlush(true), false);
  assert.is(kv.kvList("a"), undefined);
  assert.equal(list(kv), { keys: [], stats: { keys: 0, bytes: 0, capacity: { keys: 8, bytes: 256 }, evicted: 0, expired: 0, flushes: 0 } });
  assert.is(flash.writes, 0);
});

basics("put, get, replace and delete; values of every JSON kind come back equal", async () => {
  limits.kvKeys = 16;
  const kv = await boot(new Flash());
  const values: unknown[] = ["text", "", 0, -1.5, 1e21, true, false, null, [], {}, [1, "two", { three: [3] }], { a: { b: null } }];
  values.forEach((v, i) => assert.equal(kv.kvPut("k" + i, v), v, "put returns the value"));
  values.forEach((v, i) => assert.equal(kv.kvGet("k" + i), v, `k${i} reads back as written`));
  kv.kvPut("k0", "replaced");
  assert.is(kv.kvGet("k0"), "replaced");
  assert.is(kv.kvDel("k0"), true, "a key that was there is deleted");
  assert.is(kv.kvGet("k0"), undefined);
  assert.is(kv.kvDel("k0"), false, "a missing key is not");
  assert.is(stats(kv).keys, values.length - 1);
});

basics("a stored object is a copy: changing the caller's object or the value read changes nothing", async () => {
  const kv = await boot(new Flash());
  const o = { list: [1, 2] };
  kv.kvPut("o", o);
  o.list.push(3);
  kv.kvGet("o").list.push(4);
  assert.equal(kv.kvGet("o"), { list: [1, 2] });
  assert.is(stats(kv).bytes, 1 + '{"list":[1,2]}'.length);
});

basics("an entry's size is the key's length plus its value's JSON length", async () => {
  const kv = await boot(new Flash());
  kv.kvPut("ab", { x: [1, 2] });
  kv.kvPut("s", "hi");
  assert.is(stats(kv).bytes, 2 + 11 + 1 + 4);
  kv.kvPut("s", "hello");
  assert.is(stats(kv).bytes, 2 + 11 + 1 + 7, "a replaced value's size is counted once");
  kv.kvDel("ab");
  assert.is(stats(kv).bytes, 8);
});

basics("names every object has are ordinary keys", async () => {
  const kv = await boot(new Flash());
  for (const k of ["constructor", "__proto__", "toString", "hasOwnProperty", "on", "emit", "#x", "valueOf"]) {
    assert.is(kv.kvGet(k), undefined, `${k} is missing before it is put`);
    assert.is(kv.kvDel(k), false);
    kv.kvPut(k, k + "!");
  }
  assert.is(kv.kvGet("constructor"), "constructor!");
  assert.is(kv.kvGet("__proto__"), "__proto__!");
  assert.equal(keys(kv).sort(), ["#x", "__proto__", "constructor", "emit", "hasOwnProperty", "on", "toString", "valueOf"]);
});

basics("keys are 1 to 32 characters without control characters", async () => {
  const kv = await boot(new Flash());
  for (const k of ["", "x".repeat(33), "a\nb", "tab\t", "\x00", "del\x7f", 5, undefined, null, {}]) throws(() => kv.kvPut(k as string, 1), "kv: bad key");
  for (const k of ["x".repeat(32), "a b", "spore/level", "ünï", "${x}"]) assert.is(kv.kvPut(k, 1), 1, `${k} is a key`);
  assert.is(stats(kv).keys, 5, "refused keys leave nothing");
});

basics("values that are not JSON are refused, and the old value stays", async () => {
  const kv = await boot(new Flash());
  kv.kvPut("v", 1);
  for (const v of [undefined, NaN, Infinity, -Infinity, () => 1]) throws(() => kv.kvPut("v", v), "kv: bad value");
  assert.is(kv.kvGet("v"), 1);
});

basics("the HTTP record of a key: value, seconds left or null, durable", async () => {
  const kv = await boot(new Flash());
  kv.kvPut("t", [1], 10, true);
  kv.kvPut("n", "x");
  clock = 1;
  assert.equal(JSON.parse(kv.kvList("t")!), { key: "t", value: [1], ttl: 10, durable: true }, "9.999 s left shows as 10");
  assert.equal(JSON.parse(kv.kvList("n")!), { key: "n", value: "x", ttl: null, durable: false });
  clock = 9001;
  assert.is(JSON.parse(kv.kvList("t")!).ttl, 1);
  assert.is(kv.kvList("missing"), undefined);
});

basics.run();

// ---------------------------------------------------------------------------
const { test: capacity, seed } = suite("kv store: capacity and LRU eviction", { seed: 20 });
resetLimits(capacity);

capacity("the least recently read or written key is evicted; reads and writes refresh a key", async () => {
  limits.kvKeys = 3;
  const kv = await boot(new Flash());
  kv.kvPut("a", 1);
  kv.kvPut("b", 2);
  kv.kvPut("c", 3);
  kv.kvGet("a");
  kv.kvPut("d", 4);
  assert.equal(keys(kv), ["c", "a", "d"], "b, the least recently used, went");
  kv.kvPut("c", 30);
  kv.kvPut("e", 5);
  assert.equal(keys(kv), ["d", "c", "e"], "a went: c was written after it");
  kv.kvGet("missing");
  assert.is(stats(kv).evicted, 2);
  assert.is(stats(kv).keys, 3);
});

capacity("listing the keys keeps their order", async () => {
  limits.kvKeys = 3;
  const kv = await boot(new Flash());
  kv.kvPut("a", 1);
  kv.kvPut("b", 2);
  kv.kvPut("c", 3);
  list(kv);
  kv.kvPut("d", 4);
  assert.equal(keys(kv), ["b", "c", "d"]);
});

capacity("bytes: older keys go until the new one fits; exactly the limit fits", async () => {
  limits.kvBytes = 20;
  const kv = await boot(new Flash());
  kv.kvPut("a", "xxxx"); // 1 + 6
  kv.kvPut("b", "xxxx");
  kv.kvPut("c", "xxxx");
  assert.equal(keys(kv), ["b", "c"], "21 bytes do not fit in 20");
  kv.kvPut("d", "x".repeat(17)); // 1 + 19
  assert.equal(keys(kv), ["d"], "20 bytes took the room of both");
  kv.kvDel("d");
  kv.kvPut("e", "x".repeat(17));
  assert.equal(list(kv).stats, { keys: 1, bytes: 20, capacity: { keys: 8, bytes: 20 }, evicted: 3, expired: 0, flushes: 0 });
});

capacity("a value too large for the whole store is refused and evicts nothing", async () => {
  const kv = await boot(new Flash());
  kv.kvPut("big", "x".repeat(251)); // 3 + 253 = 256
  kv.kvPut("a", 1);
  throws(() => kv.kvPut("a", "x".repeat(254)), "kv: value too large"); // 1 + 256
  throws(() => kv.kvPut("z", { t: "x".repeat(250) }), "kv: value too large");
  assert.is(kv.kvGet("a"), 1, "the old value stays");
  assert.is(stats(kv).evicted, 1, "only big went, to make room for a");
});

capacity("expired keys make room before live ones are evicted", async () => {
  limits.kvKeys = 3;
  const kv = await boot(new Flash());
  kv.kvPut("old", 1);
  kv.kvPut("t", 1, 1);
  kv.kvPut("new", 1);
  clock = 1000;
  kv.kvPut("d", 1);
  assert.equal(keys(kv), ["old", "new", "d"]);
  assert.equal([stats(kv).expired, stats(kv).evicted], [1, 0]);
});

capacity("esp32's limits (64 keys, 4096 bytes): a random workload evicts exactly as a reference LRU", async () => {
  limits.kvKeys = 64;
  limits.kvBytes = 4096;
  const kv = await boot(new Flash());
  const rng = new Rng(seed);
  // the reference: keys in recency order with their values
  let model: [string, unknown][] = [];
  const size = (m: [string, unknown][]) => m.reduce((n, [k, v]) => n + k.length + JSON.stringify(v).length, 0);
  let evicted = 0;
  for (let i = 0; i < 5000; i++) {
    const key = "key" + rng.int(100);
    const at = model.findIndex(([k]) => k === key);
    if (rng.next() < 0.4) {
      const got = kv.kvGet(key);
      assert.equal(got, at < 0 ? undefined : model[at][1], `step ${i}: get ${key}`);
      if (at >= 0) model.push(model.splice(at, 1)[0]);
    } else if (rng.next() < 0.1) {
      assert.is(kv.kvDel(key), at >= 0, `step ${i}: del ${key}`);
      if (at >= 0) model.splice(at, 1);
    } else {
      const value = rng.next() < 0.5 ? rng.int(1000) : "v".repeat(rng.int(200));
      kv.kvPut(key, value);
      if (at >= 0) model.splice(at, 1);
      while (model.length >= 64 || size(model) + key.length + JSON.stringify(value).length > 4096) {
        model.shift();
        evicted++;
      }
      model.push([key, value]);
    }
  }
  assert.equal(keys(kv), model.map(([k]) => k));
  assert.equal([stats(kv).keys, stats(kv).bytes, stats(kv).evicted], [model.length, size(model), evicted]);
  assert.ok(evicted > 100, `the workload evicted (${evicted})`);
});

capacity.run();

// ---------------------------------------------------------------------------
const { test: ttl } = suite("kv store: TTL");
resetLimits(ttl);

ttl("a key lives until exactly ttl seconds after it was put, then reads as missing and is gone", async () => {
  const kv = await boot(new Flash());
  clock = 500;
  kv.kvPut("t", "v", 5);
  clock = 5499;
  assert.is(kv.kvGet("t"), "v");
  assert.equal([stats(kv).keys, stats(kv).expired], [1, 0]);
  clock = 5500;
  assert.is(kv.kvGet("t"), undefined, "expired at put + 5000 ms");
  assert.equal([stats(kv).keys, stats(kv).bytes, stats(kv).expired], [0, 0, 1]);
  assert.is(kv.kvList("t"), undefined);
});

ttl("an expired key is missing to kvList, kvDel and kvPut alike", async () => {
  const kv = await boot(new Flash());
  kv.kvPut("a", 1, 1);
  kv.kvPut("b", 1, 1);
  kv.kvPut("c", 1, 1);
  clock = 1000;
  assert.equal(list(kv).keys, []);
  kv.kvPut("d", 1, 1);
  clock = 2000;
  assert.is(kv.kvDel("d"), false, "an expired key was not there to delete");
  assert.is(stats(kv).expired, 4);
});

ttl("a put without a ttl removes the old one; with one, it counts from the put", async () => {
  const kv = await boot(new Flash());
  kv.kvPut("a", 1, 5);
  kv.kvPut("a", 2);
  kv.kvPut("b", 1, 5);
  clock = 4000;
  kv.kvPut("b", 2, 5);
  clock = 8999;
  assert.equal([kv.kvGet("a"), kv.kvGet("b")], [2, 2]);
  clock = 9000;
  assert.equal([kv.kvGet("a"), kv.kvGet("b")], [2, undefined]);
});

ttl("the sweep removes at most max expired keys per call, and no live one", async () => {
  limits.kvKeys = 16;
  const kv = await boot(new Flash());
  for (let i = 0; i < 10; i++) kv.kvPut("t" + i, i, 1 + (i % 2) * 9);
  kv.kvPut("live", 1);
  clock = 1000;
  assert.equal([kv.kvSweep(3), kv.kvSweep(3), kv.kvSweep(3), kv.kvSweep(3)], [3, 2, 0, 0], "the five with ttl 1");
  assert.equal([stats(kv).keys, stats(kv).expired], [6, 5]);
  clock = 10000;
  assert.is(kv.kvSweep(0), 0, "max 0 removes nothing");
  assert.is(kv.kvSweep(100), 5);
  assert.equal(keys(kv), ["live"]);
  assert.is(stats(kv).expired, 10);
});

ttl("ttl is a whole number of seconds from 1 to a year; undefined or null is none", async () => {
  const kv = await boot(new Flash());
  for (const t of [0, -1, 1.5, 31536001, NaN, Infinity, "5", true]) throws(() => kv.kvPut("a", 1, t as number), "kv: bad ttl");
  assert.is(kv.kvGet("a"), undefined);
  kv.kvPut("a", 1, 31536000);
  kv.kvPut("b", 1, null);
  kv.kvPut("c", 1, undefined);
  assert.equal(
    list(kv).keys.map((e) => e.ttl),
    [31536000, null, null],
  );
});

ttl.run();

// ---------------------------------------------------------------------------
const { test: incr } = suite("kv store: incr");
resetLimits(incr);

incr("a missing key counts from 0; incr returns the new value", async () => {
  const kv = await boot(new Flash());
  assert.is(kv.kvPut("n", 1, undefined, false, true), 1);
  assert.is(kv.kvPut("n", 5, undefined, false, true), 6);
  assert.is(kv.kvPut("n", -10, undefined, false, true), -4);
  assert.is(kv.kvPut("n", 0.5, undefined, false, true), -3.5);
  assert.is(kv.kvGet("n"), -3.5);
  kv.kvPut("z", 7);
  assert.is(kv.kvPut("z", 1, undefined, false, true), 8, "a number put is counted on");
});

incr("a value that is not a number, or a step that is not one, is an error and changes nothing", async () => {
  const kv = await boot(new Flash());
  kv.kvPut("s", "5");
  kv.kvPut("o", { n: 1 });
  kv.kvPut("nul", null);
  throws(() => kv.kvPut("s", 1, undefined, false, true), "kv: s is not a number");
  throws(() => kv.kvPut("o", 1, undefined, false, true), "kv: o is not a number");
  throws(() => kv.kvPut("nul", 1, undefined, false, true), "kv: nul is not a number");
  kv.kvPut("n", 1);
  throws(() => kv.kvPut("n", "1", undefined, false, true), "kv: bad value");
  throws(() => kv.kvPut("n", 1e308 * 10, undefined, false, true), "kv: bad value");
  kv.kvPut("big", 1e308);
  throws(() => kv.kvPut("big", 1e308, undefined, false, true), "kv: bad value");
  throws(() => kv.kvPut("new", "1", undefined, false, true), "kv: bad value");
  assert.equal([kv.kvGet("s"), kv.kvGet("o"), kv.kvGet("n"), kv.kvGet("big"), kv.kvGet("new")], ["5", { n: 1 }, 1, 1e308, undefined]);
});

incr("a counter keeps the expiry it was made with (a fixed window); an expired one starts again", async () => {
  const kv = await boot(new Flash());
  kv.kvPut("hits", 1, 60, false, true);
  clock = 30000;
  kv.kvPut("hits", 1, 60, false, true);
  kv.kvPut("hits", 1, undefined, false, true);
  assert.equal(JSON.parse(kv.kvList("hits")!), { key: "hits", value: 3, ttl: 30, durable: false });
  clock = 60000;
  assert.is(kv.kvPut("hits", 1, 60, false, true), 1, "the window ended: counting starts again");
  assert.is(JSON.parse(kv.kvList("hits")!).ttl, 60);
  assert.is(stats(kv).expired, 1);
});

incr("a counter made durable stays durable; incr with durable makes one durable", async () => {
  const kv = await boot(new Flash());
  kv.kvPut("d", 1, undefined, true, true);
  kv.kvPut("d", 1, undefined, false, true);
  kv.kvPut("p", 1, undefined, false, true);
  kv.kvPut("p", 1, undefined, true, true);
  assert.equal(
    list(kv).keys.map((e) => [e.key, e.value, e.durable]),
    [
      ["d", 2, true],
      ["p", 2, true],
    ],
  );
});

incr.run();
