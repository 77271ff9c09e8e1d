// The jobs cost harness's entry (test/real/harness/jobs-cost.ts): the job
// engine and the KV store as a bundle carries them, with ports on the
// interpreter's own Storage and pins, and a scheduler of its own that runs
// what the engine schedules at once and in order, so that a run's steps are
// timed without the idle loop's waits.
import { setup, type Ports } from "../../../device/core/env.ts";
import { enqueue } from "../../../device/core/events.ts";
import { jobs } from "../../../device/core/jobs.ts";
import { readConfig } from "../../../device/core/layout.ts";
import { kv, KvOp } from "../../../device/core/kv.ts";

/** The endpoints (JobsOp.Api) and the boot (JobsOp.Boot) of device/core/jobs.ts (the const enum's values: it is the build's). */
const jobsApi = (name: string, req: any, key: string) => jobs(2, name, req, key);
const startJobs = () => jobs(1);

const queue: [(a: any) => void, any][] = [];
const ports = {
  hash_: E.CRC32,
  now_: () => getTime() * 1000,
  log_: () => {},
  later_: (fn: (a: any) => void, _ms: number, arg: any) => queue.push([fn, arg]),
  every_: () => 0,
  change_: () => {},
  clear_: () => {},
  jsvars_: () => process.memory().free,
  heap_: () => 0,
  reboot_: () => {},
  fs_: require("Storage"),
  pin_: (op: number) => (op === 0 ? 1 : op === 2 ? 0.5 : 0),
  uniform_: Math.random,
  served_: () => "",
} as unknown as Ports;

Object.assign(global, {
  JOBS_SETUP: () => {
    setup(ports, readConfig({ key: "k" }, []), "a1b2c3");
    startJobs();
  },
  /** Deploys a set (its JSON); "" or the error. */
  JOBS_DEPLOY: (doc: string) => {
    const r = jobsApi("POST jobs", { method_: "POST", path_: "/api/jobs", headers_: {}, body_: doc }, "")!;
    return r.code_ === 200 ? "" : r.body_;
  },
  /** Fires an event at the queue and runs everything it schedules, to the end. */
  JOBS_FIRE: (name: string, data: any) => {
    enqueue("e", name, data, "esp_a1b2c3");
    while (queue.length) {
      const x = queue.shift()!;
      x[0](x[1]);
    }
  },
  KV_PUT: (key: string, value: any) => kv(KvOp.Put, key, value),
  KV_GET: (key: string) => kv(KvOp.Get, key),
});
