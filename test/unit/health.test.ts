// The health capability (device/core/health.ts) on the pure core: the load
// over its sliding window, OVERLOADED entered only after a whole window and
// left with hysteresis, low memory, the summary packed and gossiped when it
// changes, a member's summary taken only when newer; and the alive update
// that carries it (wire.ts), which every board reads.
import "./limits.ts";
import * as assert from "uvu/assert";
import { setup, type Ports } from "../../device/core/env.ts";
import { defaultConfig, readConfig } from "../../device/core/layout.ts";
import { join } from "node:path";
import { BOARDS_DIR, loadBoard } from "../../host-tools/build/boards.ts";
import { Ajv } from "ajv";
import { readFileSync } from "node:fs";
import { REPO_ROOT } from "../../host-tools/build/paths.ts";
import { loadProject } from "../../host-tools/build/project.ts";
import { nodeConfig } from "../../host-tools/flash.ts";
import { addMember, forget, members } from "../../device/core/members.ts";
import { newsQueue } from "../../device/core/piggyback.ts";
import { health } from "../../device/core/health.ts";

/** health.ts's ops (the const enum's values: it is the build's). */
/** Datagrams sent so far (what the probe task passes on each tick). */
let sentCount = 0;
const healthTick = () => health(1, sentCount);
const takeHealth = (id: string, m: unknown, p: number): boolean => health(2, id, m, p);
const packed = (): number => health(3);
const unpack = (p: number) => health(4, p);
const healthStatus = (dropped: number) => health(5, { malformed: dropped });
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

// (set up when the suite starts: the other files set the core up with their own ports; the health state goes on
// from test to test, in order)
test.before(() => setup(ports, { ...defaultConfig(), ovl: 80, ovs: 10 }, "a1b2c3"));
test.after(() => {
  newsQueue.length = 0;
});
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

test("energy: the board's power profile at the measured duty adds up (load, and datagrams on air), graded by the share spent working", () => {
  // esp8266's profile (the unit tests' board): 3.3 V, idle 15 mA, active 56 mA, tx 170 mA, 1 ms a datagram
  const energy = () => health(6) as { powerMw: number; energyMwh: number; co2g: number; grade: string };
  free = 5000;
  work = 500;
  run(12);
  const p = 3.3 * (15 + 0.5 * (56 - 15));
  assert.ok(Math.abs(energy().powerMw - p) <= 1, `half busy: ${energy().powerMw} mW, ${p.toFixed(1)} expected`);
  // (over the next 60 s at that duty: 60 s x P mW = P / 60 mWh)
  const before = energy().energyMwh;
  run(60);
  assert.ok(Math.abs(energy().energyMwh - before - p / 60) <= 0.2, `${energy().energyMwh - before} mWh in 60 s`);
  // 2,000 g/kWh at most: the grid intensity (400 by default) times kWh
  assert.ok(Math.abs(energy().co2g - (energy().energyMwh / 1e6) * 400) < 0.001);
  // the share over the idle floor: (P - 49.5) / P = 0.58: A
  assert.is(energy().grade, "A");
  // idle, 100 datagrams a second on air (1 ms each: a tenth of the time at 170 mA)
  work = 0;
  for (let i = 0; i < 12; i++) {
    clock += 1000;
    sentCount += 100;
    healthTick();
  }
  assert.ok(Math.abs(energy().powerMw - 3.3 * (15 + 0.1 * (170 - 15))) <= 1, `${energy().powerMw} mW`);
  run(12);
  assert.equal([energy().powerMw, energy().grade], [Math.round(3.3 * 15), "F"], "idle: the floor, graded F");
});

test("a member's summary: taken when newer (versions mod 32), passed on; an older or equal one is not", () => {
  const m = addMember("0000aa", "10.0.0.2", 4096, 5, true)!;
  newsQueue.length = 0;
  const p = (version: number, over: boolean, level: number) => (version * 16 + (over ? 4 : 0)) * 21 + level;
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
  newsQueue.length = 0;
});

test("alive updates with and without the health field; fields past those known are left, too few refused", () => {
  assert.equal(update("aa1b2c4/3/10.0.0.7/1")!.health_, -1);
  assert.equal(update("aa1b2c4/3/10.0.0.7/1/2k")!.health_, parseInt("2k", 36));
  assert.equal(update("aa1b2c4/3/10.0.0.7/1/2k/x")!.health_, parseInt("2k", 36));
  assert.is(update("aa1b2c4/3/10.0.0.7"), null);
  assert.is(update("sa1b2c4/3"), null);
});

test("espruino.json's health and placement settings reach spore.json where the board has the capability, and pass its schema", () => {
  const project = { ...loadProject(), health: { overloadPercent: 70, overloadSeconds: 20 }, placement: { dwellSeconds: 45 } };
  const env = { SPORE_SECRET: "a-secret-of-some-length", SPORE_WIFI_PASSWORD: "pw" };
  const pick = (c: Record<string, unknown>) => [c.ovl, c.ovs, c.pdw];
  assert.equal(pick(nodeConfig(project, env, loadBoard("esp32"))), [70, 20, 45]);
  assert.equal(pick(nodeConfig(project, env, loadBoard("esp8266", BOARDS_DIR, { esp8266: { health: true } }))), [70, 20, undefined], "esp8266 with health: no placement");
  assert.equal(pick(nodeConfig(project, env, loadBoard("esp8266"))), [undefined, undefined, undefined], "esp8266 by default: neither");
  assert.equal(pick(nodeConfig(project, env, loadBoard("esp01"))), [undefined, undefined, undefined]);
  const validate = new Ajv({ strict: false }).compile(JSON.parse(readFileSync(join(REPO_ROOT, "host-tools", "schema", "spore.schema.json"), "utf8")));
  assert.ok(validate(nodeConfig(project, env, loadBoard("esp32"))), JSON.stringify(validate.errors));
  // and the node reads them (defaults otherwise)
  const errors: string[] = [];
  const read = readConfig({ key: "k", ovl: 70, ovs: 20, pdw: 45 }, errors);
  assert.equal([read.ovl, read.ovs, read.pdw, errors], [70, 20, 45, []]);
  assert.equal([readConfig({ key: "k", ovl: 5 }, errors).ovl, errors], [80, ["bad ovl (10..100)"]]);
});

test.run();
