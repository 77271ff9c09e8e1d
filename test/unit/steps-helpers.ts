// The job runner's test bench (steps.test.ts, steps-flow.test.ts): the pure
// core booted with honest fakes: a virtual clock and a scheduler behind
// ports.later_ and ports.every_ (timers run in order of due time by
// runFor), pins whose levels a test sets, publishes and log lines recorded,
// Storage a FlashStorage. Jobs are deployed and listed through jobsApi.
// Module state (jobs, the KV store, the event queue, runs in progress) is
// shared by every unit test file in one process: boot() resets what it can
// before each test, and finish() ends every run after it.
import "./limits.ts";
import { crc32 } from "node:zlib";
import * as assert from "uvu/assert";
import { setup, type HttpRequest, type Ports } from "../../device/core/env.ts";
import { listeners, queue } from "../../device/core/events.ts";
import { jobs } from "../../device/core/jobs.ts";
import { readConfig } from "../../device/core/layout.ts";
import { active } from "../../device/core/steps.ts";
import { taskManager } from "../../device/core/tasks.ts";
import { FlashStorage } from "../../host-tools/emulator/storage.ts";

/** The endpoints (JobsOp.Api) and the boot (JobsOp.Boot) of device/core/jobs.ts (the const enum's values: it is the build's). */
const jobsApi = (name: string, req: any, key: string) => jobs(2, name, req, key);
const startJobs = () => jobs(1);

interface Timer {
  id: number;
  due: number;
  /** order among timers due at once: first scheduled, first run */
  seq: number;
  fn: (arg: any) => void;
  arg: any;
  /** ms between runs (0: once) */
  every: number;
}

/** Virtual time, ms (the core's now() is this less the boot's). */
export let clock = 0;
let timers: Timer[] = [];
let ids = 0;
let seq = 0;
/** events.ts's drain, once seen: a drain left scheduled in a discarded scheduler is run by boot() so the queue drains again. */
let drain: ((arg: any) => void) | undefined;

/** Calls to ports.pin_ ([op, pin, ...]), the levels pins read (by String(pin)), the watches' callbacks (ids 41, 42...). */
export let pins: any[][] = [];
export let levels: Record<string, number> = {};
export let watches: ((e: { state: boolean }) => void)[] = [];
/** Calls to ports.pub_: [topic, payload, qos, retain]. */
export let pubs: [string, string, number, boolean][] = [];
export let logs: string[] = [];
export let fs: FlashStorage;
/** Event names this test listens to (removed after it). */
let heard: string[] = [];

function schedule(fn: (arg: any) => void, ms: number, arg: any, every: number): number {
  if (fn.name === "drain") drain = fn;
  timers.push({ id: ++ids, due: clock + ms, seq: seq++, fn, arg, every });
  return ids;
}

/** Runs every timer due within the next ms, in order of due time, then sets the clock ms on. */
export function runFor(ms: number): void {
  const end = clock + ms;
  for (let n = 0; ; n++) {
    assert.ok(n < 100000, "timers keep firing: a run that never yields?");
    let next: Timer | undefined;
    for (const t of timers) if (t.due <= end && (!next || t.due < next.due || (t.due === next.due && t.seq < next.seq))) next = t;
    if (!next) break;
    clock = Math.max(clock, next.due);
    if (next.every) {
      next.due += next.every;
      next.seq = seq++;
    } else timers.splice(timers.indexOf(next), 1);
    next.fn(next.arg);
  }
  clock = end;
}

const request = (body = "", path = "/api/jobs"): HttpRequest => ({ method_: "", path_: path, headers_: {}, body_: body });

/** POST /api/jobs with a document: its code and answer. */
export function post(doc: unknown): { code: number; body: any } {
  const r = jobsApi("POST jobs", request(JSON.stringify(doc)), "")!;
  return { code: r.code_, body: JSON.parse(r.body_) };
}

/** Deploys a set of jobs (it replaces the set), which must pass the node's check. */
export function deploy(list: object[]): void {
  const r = post({ version: 1, jobs: list });
  assert.is(r.code, 200, JSON.stringify(r.body));
}

/** GET /api/jobs. */
export function listing(): any {
  return JSON.parse(jobsApi("GET jobs", request(), "")!.body_);
}

/** A job's record in GET /api/jobs. */
export function record(name: string): any {
  return listing().jobs.find((j: any) => j.name === name);
}

/** GET /api/kv's stats. */
export function kvStats(): any {
  return JSON.parse(jobsApi("GET kv", request("", "/api/kv"), "")!.body_).stats;
}

/** A listener on a local event, recording [data, origin] into `got` (several listeners may share one). */
export function listen(name: string, got: [any, string][] = []): [any, string][] {
  (listeners[name] = listeners[name] || []).push((data, origin) => void got.push([data, origin]));
  heard.push(name);
  return got;
}

/** The log lines of job `name`, without its name. */
export function jobLog(name: string): string[] {
  return logs.filter((l) => l.startsWith(name + ": ")).map((l) => l.substr(name.length + 2));
}

export const STARTUP = { type: "startup" };
/** An event trigger. */
export const on = (name: string, scope?: string) => (scope ? { type: "event", name, scope } : { type: "event", name });
export const job = (name: string, trigger: object, steps: object[], more?: object) => ({ name, trigger, steps, ...more });

/**
 * Boots the core on fresh fakes: the clock at 0 since boot, empty Storage
 * (so an empty KV store and no stored jobs), the queue empty, the jobs task
 * ticking every second from now on this scheduler. cfg: spore.json keys.
 */
export function boot(cfg: object = {}): void {
  clock = 10000;
  timers = [];
  pins = [];
  levels = {};
  watches = [];
  pubs = [];
  logs = [];
  fs = new FlashStorage(65536);
  const ports = {
    now_: () => clock,
    log_: (line: string) => void logs.push(line),
    later_: (fn: (arg: any) => void, ms: number, arg: any) => schedule(fn, ms, arg, 0),
    every_: (fn: (arg: any) => void, ms: number, arg: any) => schedule(fn, ms, arg, ms),
    // Espruino's changeInterval: the next run is ms from now
    change_: (id: number, ms: number) => {
      for (const t of timers) if (t.id === id) Object.assign(t, { every: ms, due: clock + ms, seq: seq++ });
    },
    clear_: (id: number) => void (timers = timers.filter((t) => t.id !== id)),
    pin_: (...a: any[]) => {
      pins.push(a);
      if (a[0] === 0 || a[0] === 2) return levels[String(a[1])] ?? 0;
      if (a[0] === 3) return 40 + watches.push(a[2]);
      return undefined;
    },
    // (called with nothing: the triggers' topics subscribed to again)
    pub_: (topic: string, payload: string, qos: number, retain: boolean) => void (topic !== undefined && pubs.push([topic, payload, qos, retain])),
    fs_: fs,
    hash_: (s: string) => crc32(Buffer.from(s, "latin1")),
    jsvars_: () => 5000,
    heap_: () => 20000,
    uniform_: () => 0.5,
    // (members other unit files added may be sent cluster events)
    udp_: { send: () => {} },
  };
  setup(ports as unknown as Ports, readConfig({ key: "k", ...cfg }, []), "a1b2c3");
  queue.length = 0;
  if (drain) drain(0);
  startJobs();
  // the jobs task's timer is on this scheduler from now (it may have been made on another)
  taskManager().stopTask("jobs");
  taskManager().startTask("jobs");
  assert.is(active, 0, "no run left in progress by a test before");
}

/** After a test: no jobs, every run in progress ended (waits included), its listeners gone. */
export function finish(): void {
  deploy([]);
  for (let n = 0; n < 1000; n++) {
    const once = timers.filter((t) => !t.every).sort((a, b) => a.due - b.due)[0];
    if (!once) break;
    runFor(Math.max(0, once.due - clock));
  }
  for (const name of heard) delete listeners[name];
  heard = [];
}
