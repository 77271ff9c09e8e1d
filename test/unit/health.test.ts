// The health capability (device/core/health.ts) on the pure core: the load
// over its sliding window, OVERLOADED entered only after a whole window and
// left with hysteresis, low memory, the summary packed and gossiped when it
// changes, a member's summary taken only when newer; and the alive update
// that carries it (wire.ts), which every board reads.
import "./limits.ts";
import * as assert from "uvu/assert";
import { setup, type Ports } from "../../device/core/env.ts";
import { defaultConfig } from "../../device/core/layout.ts";
import { addMember, forget, members } from "../../device/core/members.ts";
import { newsQueue } from "../../device/core/piggyback.ts";
import { health } from "../../device/core/health.ts";

/** health.ts's ops (the const enum's values: it is the build's). */
const healthTick = () => health(1);
const takeHealth = (id: string, m: unknown, p: number): boolean => health(2, id, m, p);
const packed = (): number => health(3);
const unpack = (p: number) => health(4, p);
const healthStatus = (dropped: number) => health(5, dropped);
const status = () => healthStatus(0) as { load: number; overloaded: boolean; reason: string };
import { timed } from "../../device/core/tasks.ts";
import { update } from "../../device/core/wire.ts";
import { suite } from "../suite.ts";

const { test } = suite("health and overload");

let clock = 0;
let free = 5000;
const events: string[] = [];
/** ms of each second the node is busy. */
let work = 0;
const ports = {
  now_: () => clock,
  jsvars_: () => free,
  heap_: () => 30000,
  log_: (l: string) => events.push(l.split(" ")[0]),
  uniform_: () => 0.5,
  later_: () => 0,
  every_: () => 1,
} as unknown as Ports;

setup(ports, { ...defaultConfig(), ovl: 80, ovs: 10 }, "a1b2c3");
/** `s` seconds: in each, `work` ms of busy time (counted as the core counts a datagram or request: timed()), then the probe task's tick. */
function run(s: number): void {
  for (let i = 0; i < s; i++) {
    const start = clock;
    timed(() => {
      clock += work;
    });
    clock = start + 1000;
    healthTick();
  }
}

test("load over the window; OVERLOADED only after a whole window at 80%, with its event; gossiped at once", () => {
  work = 900;
  // (a sample every half window: 5 s)
  run(6);
  assert.ok(status().load >= 0.8 && !status().overloaded, `a window not yet whole: ${JSON.stringify(status())}`);
  newsQueue.length = 0;
  run(5);
  assert.equal([status().overloaded, status().reason], [true, "load"], JSON.stringify(status()));
  assert.ok(events.includes("node/overloaded"), events.join());
  assert.equal(newsQueue, ["a1b2c3"], "its own news queued, with the summary");
  const h = unpack(packed());
  assert.equal([h.overloaded, h.lowMemory, h.load], [true, false, 0.9]);
  assert.equal(healthStatus(3).reason, "load");
});

test("hysteresis: at 70% it stays OVERLOADED; under 60% for a window it recovers, with its event", () => {
  work = 700;
  run(15);
  assert.is(status().overloaded, true, `70%: still ${JSON.stringify(status())}`);
  work = 500;
  run(3);
  assert.is(status().overloaded, true, "not before the window has fallen");
  run(10);
  assert.is(status().overloaded, false, `recovered at ${JSON.stringify(status())}`);
  assert.ok(events.includes("node/recovered"));
  assert.is(unpack(packed()).overloaded, false);
});

test("low memory: free JsVars under minFree + 50 for a window make it OVERLOADED (reason memory); back over minFree + 100 it recovers", () => {
  work = 0;
  run(12);
  free = SPORE_LIMITS.minFree + 10;
  run(5);
  assert.is(status().overloaded, false, "not yet a window");
  // (a sample every 5 s: within a window and a half of the drop)
  run(12);
  assert.equal([status().overloaded, status().reason], [true, "memory"]);
  assert.equal([unpack(packed()).lowMemory, healthStatus(0).reason], [true, "memory"]);
  free = SPORE_LIMITS.minFree + 80;
  run(12);
  assert.equal([status().overloaded, status().reason], [true, "memory"], "between the two floors it stays");
  free = 5000;
  run(12);
  assert.is(status().overloaded, false);
});

test("a member's summary: taken when newer (versions mod 32), passed on; an older or equal one is not", () => {
  const m = addMember("0000aa", "10.0.0.2", 4096, 5, true)!;
  newsQueue.length = 0;
  const p = (version: number, over: boolean, level: number) => ((version * 2 + (over ? 1 : 0)) * 2) * 21 + level;
  assert.ok(takeHealth("0000aa", m, p(3, false, 4)));
  assert.equal(newsQueue, ["0000aa"]);
  assert.not.ok(takeHealth("0000aa", m, p(3, true, 18)), "same version");
  assert.not.ok(takeHealth("0000aa", m, p(2, true, 18)), "older");
  assert.ok(takeHealth("0000aa", m, p(4, true, 18)));
  assert.equal(unpack(m.health_!), { load: 0.9, overloaded: true, lowMemory: false });
  // past the wrap: 31 then 0 is newer; 31 right after 4 is not (older by 5)
  assert.not.ok(takeHealth("0000aa", m, p(31, false, 0)));
  assert.ok(takeHealth("0000aa", m, p(18, false, 0)));
  assert.ok(takeHealth("0000aa", m, p(31, false, 0)));
  assert.ok(takeHealth("0000aa", m, p(0, false, 1)));
  forget("0000aa");
  assert.is(members["0000aa"], undefined);
});

test("alive updates with and without the health field; fields past those known are left, too few refused", () => {
  assert.equal(update("aa1b2c4/3/10.0.0.7/1")!.health_, -1);
  assert.equal(update("aa1b2c4/3/10.0.0.7/1/2k")!.health_, parseInt("2k", 36));
  assert.equal(update("aa1b2c4/3/10.0.0.7/1/2k/x")!.health_, parseInt("2k", 36));
  assert.is(update("aa1b2c4/3/10.0.0.7"), null);
  assert.is(update("sa1b2c4/3"), null);
});

test.run();
