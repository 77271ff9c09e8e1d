// The jobs capability's runner: a run of a job goes through its steps a few
// at a time from the idle loop, and waits without blocking (a `wait`, a
// service call): nothing a job does holds up the node. A step's error goes
// to the nearest enclosing `try` step's catch (with ${error}), else ends the
// run, counted with its place in the job. Concurrency: a "serial" job that
// is triggered while it runs keeps one run pending (the newest trigger's),
// a "concurrent" one runs up to max_instances at once; the node runs at
// most SPORE_LIMITS.jobRuns in all. What is beyond is skipped and counted.
import { publish } from "./cluster-events.ts";
import { decode } from "./codecs.ts";
import { now, parseJson, ports, str } from "./env.ts";
import { fire, isEventName, note } from "./events.ts";
import { kvDel, kvGet, kvPut } from "./kv.ts";
import { Op, services } from "./services.ts";
import { fill, test } from "./template.ts";

/** Steps a run takes before it yields to the idle loop (const enum: no JsVars). */
const enum Slice {
  Steps = 8,
}

export interface Job {
  /** the definition as deployed (name, trigger, steps, concurrency, max_instances) */
  d_: any;
  runs_: number;
  errors_: number;
  skipped_: number;
  running_: number;
  /** the variables of the run a serial job keeps pending (0: none) */
  pending_: any;
  /** uptime ms of the last run's start (-1: never), its length, the last error ("" none) */
  last_: number;
  ms_: number;
  error_: string;
  /** interval jobs: when next due (uptime ms); pin jobs: the watch */
  due_: number;
}

export interface Run {
  j_: Job;
  /** variables: the trigger's, saved values, error */
  v_: any;
  /** frames: [steps, next index, path, catch steps (0: not a try)] */
  f_: any[][];
  start_: number;
  /** a call-triggered run's reply */
  r_?: (err: any, result?: any) => void;
  /** the place of the step that waits */
  w_: string;
}

/** Runs in progress on the node. */
export let active = 0;

/**
 * Starts a run of a job with the trigger's variables, or keeps it pending
 * or skips it as its concurrency says. reply: a call trigger's (answered
 * "busy" when skipped).
 */
export function start(j: Job, vars: any, reply?: (err: any, result?: any) => void): void {
  const d = j.d_;
  if (j.running_ && d.concurrency !== "concurrent" && !reply) {
    if (j.pending_) j.skipped_++;
    j.pending_ = vars;
    return;
  }
  if ((j.running_ && (d.concurrency !== "concurrent" || j.running_ >= (d.max_instances || 1))) || active >= SPORE_LIMITS.jobRuns) {
    j.skipped_++;
    if (reply) reply("busy: job " + d.name + " running");
    return;
  }
  j.running_++;
  active++;
  j.last_ = now();
  const run: Run = { j_: j, v_: vars, f_: [[d.steps, 0, "steps", 0]], start_: now(), w_: "" };
  if (reply) run.r_ = reply;
  ports.later_(advance, 0, run);
}

/** Ends a run: counted, its error noted, a call answered, a pending run started. */
function finish(run: Run, err: string): void {
  const j = run.j_;
  j.running_--;
  active--;
  j.runs_++;
  j.ms_ = now() - run.start_;
  if (err) {
    j.errors_++;
    j.error_ = err;
    // a run started by a job/error that fails says nothing more: two jobs that each take the other's errors
    // would trigger each other for ever
    const ev = run.v_.event;
    if (ev && ev.name === "job/error") ports.log_("job/error " + str({ job: j.d_.name, error: err }));
    else note("job/error", { job: j.d_.name, error: err });
  }
  if (run.r_) run.r_(err || null, run.v_.result);
  const p = j.pending_;
  j.pending_ = 0;
  if (p) start(j, p);
}

/** A step's error: to the nearest try's catch (true), or none (false). */
function recover(run: Run, err: string): boolean {
  const f = run.f_;
  while (f.length) {
    const top = f.pop()!;
    if (top[3]) {
      run.v_.error = err;
      f.push([top[3], 0, top[2].replace(/steps$/, "catch"), 0]);
      return true;
    }
  }
  return false;
}

/** Continues a run after a step that waited (err: the step's error). */
function resume(run: Run, err?: string): void {
  if (err && !recover(run, run.w_ + ": " + err)) return finish(run, run.w_ + ": " + err);
  advance(run);
}

/** Runs up to Slice.Steps steps, then yields; ends the run when no step is left. */
function advance(run: Run): void {
  for (let n = 0; n < Slice.Steps; n++) {
    const f = run.f_[run.f_.length - 1];
    if (!f) return finish(run, "");
    if (f[1] >= f[0].length) {
      run.f_.pop();
      continue;
    }
    const i = f[1]++;
    const st = f[0][i];
    const kind = Object.keys(st)[0];
    run.w_ = f[2] + "[" + i + "]." + kind;
    try {
      if (exec(run, kind, st[kind])) return;
    } catch (e) {
      const err = run.w_ + ": " + ((e as Error).message || e);
      if (!recover(run, err)) return finish(run, err);
    }
  }
  ports.later_(advance, 0, run);
}

/** A number in [least, most], else an error naming the argument. */
function num(v: any, name: string, least: number, most: number): number {
  if (typeof v !== "number" || !(v >= least && v <= most)) throw new Error(name + ": " + least + " to " + most + ", got " + str(v));
  return v;
}

/** Runs one step; true when the run now waits (a timer or a callback resumes it). */
function exec(run: Run, kind: string, a: any): boolean {
  const v = run.v_;
  if (kind === "if") {
    const yes = test(a.cond, v);
    const branch = yes ? a.then : a.else;
    if (branch) run.f_.push([branch, 0, run.w_ + (yes ? ".then" : ".else"), 0]);
    return false;
  }
  if (kind === "try") {
    run.f_.push([a.steps, 0, run.w_ + ".steps", a.catch || []]);
    return false;
  }
  const x = fill(a, v);
  let out: any;
  if (kind === "wait") {
    ports.later_(resume, num(x.ms, "ms", 0, 3600000), run);
    return true;
  }
  if (SPORE_CAPS.services && kind === "call") {
    const why = services(
      Op.Call,
      x.service,
      x.args === undefined ? null : x.args,
      (err: string | null, result: any) => {
        if (!err && x.save_as) v[x.save_as] = result;
        resume(run, err || undefined);
      },
      { timeout: x.timeout, retries: x.retries, version: x.version },
    );
    if (why) throw new Error(why);
    return true;
  }
  if (kind === "log") ports.log_(run.j_.d_.name + ": " + (typeof x.message === "string" ? x.message : str(x.message)));
  else if (kind === "pin.read") out = ports.pin_!(0, x.pin, x.pull) ? 1 : 0;
  else if (kind === "pin.write") {
    const on = x.value === true || x.value === 1 || x.value === "1" || x.value === "on";
    if (!on && x.value !== false && x.value !== 0 && x.value !== "0" && x.value !== "off") throw new Error("value: 0, 1, true, false, on or off, got " + str(x.value));
    ports.pin_!(1, x.pin, on ? 1 : 0);
  }
  else if (kind === "adc.read") out = ports.pin_!(2, x.pin);
  else if (kind === "kv.get") {
    out = kvGet(x.key);
    if (out === undefined) out = x.default === undefined ? null : x.default;
  } else if (kind === "kv.put") kvPut(x.key, x.value, x.ttl_s, x.durable);
  // by: a number, or numeric text (an MQTT payload is text)
  else if (kind === "kv.incr") out = kvPut(x.key, x.by === undefined ? 1 : typeof x.by === "string" && x.by.trim() && isFinite(+x.by) ? +x.by : x.by, x.ttl_s, x.durable, 1);
  else if (kind === "kv.del") kvDel(x.key);
  else if (kind === "event.fire") {
    if (!isEventName(x.name)) throw new Error("bad event name " + str(x.name));
    fire(x.name, x.data === undefined ? null : x.data);
  } else if (kind === "event.publish") {
    const why = publish(x.name, x.data === undefined ? null : x.data);
    if (why) throw new Error(why);
  } else if (kind === "parse") out = SPORE_CAPS.codecs ? decode(x.value, x) : parseJson(typeof x.value === "string" ? x.value : str(x.value));
  else if (SPORE_CAPS.mqtt && kind === "mqtt.publish") {
    if (typeof x.topic !== "string" || !x.topic || /[+#]/.test(x.topic)) throw new Error("topic: no wildcards, not empty");
    // a payload that is one ${path} of an object goes as its JSON, as in a text template
    ports.pub_!(x.topic, x.json !== undefined || typeof x.payload !== "string" ? str(x.json !== undefined ? x.json : x.payload) : x.payload, +x.qos ? 1 : 0, !!x.retain);
  } else throw new Error("unknown step");
  if (a.save_as) v[a.save_as] = out;
  return false;
}
