// The jobs capability's runner: a run of a job goes through its steps a few
// at a time from the idle loop, and waits without blocking (a `wait`, a
// service call): nothing a job does holds up the node. A step's error goes
// to the nearest enclosing `try` step's catch (with ${error}), else ends the
// run, counted with its place in the job. Concurrency: a "serial" job that
// is triggered while it runs keeps one run pending (the newest trigger's),
// a "concurrent" one runs up to max_instances at once; the node runs at
// most SPORE_LIMITS.jobRuns in all. What is beyond is skipped and counted.
// Its values: a step's arguments with ${path} filled in from the run's
// variables, and an `if` step's condition (template, below).
import { publish } from "./cluster-events.ts";
import { decode } from "./codecs.ts";
import { hostname, now, parseJson, ports, selfId, str } from "./env.ts";
import { fire, isEventName, note } from "./events.ts";
import { kv, KvOp } from "./kv.ts";
import { memberCount } from "./members.ts";
import { Op, services } from "./services.ts";
import { uptime } from "./tasks.ts";

/** Steps a run takes before it yields to the idle loop (const enum: no JsVars). */
const enum Slice {
  Steps = 8,
}

export interface Job {
  /** the definition as deployed without its steps (name, trigger, concurrency, max_instances) */
  d_: any;
  /** where its whole definition is in Storage: file, offset, length (read when a run starts: steps are not kept in RAM) */
  f_: string;
  o_: number;
  l_: number;
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

/** What steps() is asked to do besides advancing a run (const enum: no JsVars). */
export const enum StepOp {
  /** (job, vars, reply): a trigger */
  Start = 1,
  /** (run, err): a step that waited is done */
  Resume,
  /** (job, args, reply, from): a call of the job as a service (its handler: steps bound to StepOp.Call and the job) */
  Call,
  /** (value, vars): the value with its templates filled in */
  Fill,
  /** (condition, vars): whether it holds (vars undefined: its syntax checked only, throwing "cond: ...") */
  Cond,
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
 * The runner, one function (each top-level function holds JsVars on the
 * chip for as long as the node runs): steps(run) advances a run (it is what
 * the idle loop calls back), steps(StepOp.Start, job, vars, reply) starts
 * one, steps(StepOp.Resume, run, err) goes on after a step that waited.
 */
export function steps(op: StepOp | Run, x?: any, y?: any, z?: any, w?: any): any;
export function steps(): any {
  // (its arguments read from `arguments`: on the chip each declared parameter holds a JsVar for as long as the node runs)
  let op: StepOp | Run = arguments[0];
  const x = arguments[1];
  let y = arguments[2];
  const z = arguments[3];
  const w = arguments[4];
  if (SPORE_CAPS.services && op === StepOp.Call) {
    op = StepOp.Start;
    y = { call: { args: y, from: w } };
  }
  if (op === StepOp.Start) {
    /*
     * Starts a run of job x with the trigger's variables y, or keeps it pending
     * or skips it as its concurrency says. z: a call trigger's reply (answered
     * "busy" when skipped). The job's steps are read from Storage now.
     */
    const j: Job = x;
    const d = j.d_;
    if (j.running_ && d.concurrency !== "concurrent" && !z) {
      if (j.pending_) j.skipped_++;
      j.pending_ = y;
      return;
    }
    if ((j.running_ && (d.concurrency !== "concurrent" || j.running_ >= (d.max_instances || 1))) || active >= SPORE_LIMITS.jobRuns) {
      j.skipped_++;
      if (z) z("busy: job " + d.name + " running");
      return;
    }
    // (read first: a job whose text cannot be read throws here, counting nothing as running)
    const list = JSON.parse(ports.fs_.read(j.f_, j.o_, j.l_)).steps;
    j.running_++;
    active++;
    j.last_ = now();
    const run: Run = { j_: j, v_: y, f_: [[list, 0, "steps", 0]], start_: now(), w_: "" };
    if (z) run.r_ = z;
    ports.later_(steps, 0, run);
    return;
  }
  // (each part is made only where it is needed: Espruino reads a function's whole text each time it makes one)
  /**
   * A number, or a string that is one in decimal ("12", " -0.5 ", "010", "1e3"); else undefined. Read digit by
   * digit: on Espruino 2v29 +"010" is 8, +" 12 " NaN, +"0x10" 16, and its RegExp takes neither -? nor \.?
   */
  const numeric = (x: any): number | undefined => {
    if (typeof x === "number") return x;
    if (typeof x !== "string") return undefined;
    const p = x.trim().toLowerCase().split("e");
    let m = p[0];
    const neg = m[0] === "-" ? "-" : "";
    if (neg) m = m.substr(1);
    let e = p.length === 2 ? p[1] : "";
    const es = e[0] === "-" || e[0] === "+" ? e[0] : "";
    if (es) e = e.substr(1);
    // digits and at most one point, then an exponent of digits when there is an "e"
    let dots = 0;
    for (let i = 0; i < m.length + e.length; i++) {
      const c = i < m.length ? m[i] : e[i - m.length];
      if (c === "." && i < m.length) dots++;
      else if (!(c >= "0" && c <= "9")) return undefined;
    }
    if (p.length > 2 || dots > 1 || m.length === dots || (p.length === 2 && !e)) return undefined;
    // leading zeros left out of both parts
    while (m.length > 1 && m[0] === "0" && m[1] !== ".") m = m.substr(1);
    while (e.length > 1 && e[0] === "0") e = e.substr(1);
    const n = +(neg + m + (e ? "e" + es + e : ""));
    return isFinite(n) ? n : undefined;
  };
  /**
   * The values of a step (README, Jobs: the template and condition rules): v, a step's argument,
   * with its templates filled in from the run's variables (fill below), or with
   * `cond`, v an `if` step's condition evaluated (test below). Nothing is
   * compiled or kept: a job's definition stays as it was deployed, and each run
   * reads it (on the chip a compiled form would cost JsVars for as long as the
   * job exists).
   */
  const template = (v: any, vars: any, cond?: any): any => {
    /**
     * The value at a dotted path ("event.data.t", "rows.0"); `node.*` is this
     * node's (hostname, id, uptime in s, free JsVars, members). Throws when
     * there is none: a job that reads what is not there stops with that error.
     */
    const lookup = (path: string, vars: any): any => {
      const p = path.split(".");
      let v = vars;
      if (p[0] === "node") {
        p.shift();
        v = { hostname: hostname, id: selfId, uptime: uptime(), free: ports.jsvars_(), members: memberCount };
      }
      for (const k of p) {
        // an own property only: "constructor" and the like are no values of a run
        v = v !== null && typeof v === "object" && Object.prototype.hasOwnProperty.call(v, k) ? v[k] : undefined;
        if (v === undefined) throw new Error("no value for ${" + path + "}");
      }
      return v;
    };

    /**
     * A step's argument with each ${path} filled in: a string that is exactly
     * one ${path} is that value itself (a number stays a number, an object an
     * object); in any other string each is replaced by its text (JSON for
     * objects); objects and arrays are filled throughout.
     */
    const fill = (v: any): any => {
      if (typeof v === "string") {
        const open = v.indexOf("${");
        // (Espruino's indexOf finds "${" in a string that ends in "$": that one has none)
        if (open < 0 || open === v.length - 1) return v;
        const close = v.indexOf("}", open);
        if (open === 0 && close === v.length - 1) return lookup(v.substr(2, close - 2), vars);
        return v.replace(/\$\{([^}]*)\}/g, (m: string, path: string) => {
          const x = lookup(path, vars);
          return typeof x === "object" && x !== null ? JSON.stringify(x) : String(x);
        });
      }
      if (typeof v !== "object" || v === null) return v;
      const out: any = Array.isArray(v) ? [] : {};
      for (const k of Object.keys(v)) out[k] = fill(v[k]);
      return out;
    };

    /*
     * test: evaluates an `if` step's condition: == != < <= > >= && || ! and
     * parentheses over ${path}, numbers, 'text' or "text", true, false, null.
     * Comparisons are numeric when both sides are numbers or numeric text, else
     * strict (objects compared as JSON); < and the like compare text otherwise.
     * Throws "cond: ..." on a malformed condition (the job's check parses each
     * condition with vars undefined: syntax only).
     */
    if (!cond) return fill(v);
    const src = v as string;

    let i = 0;
    let tok = "";
    // the next token into tok ("" at the end)
    const next = (): void => {
      while (src[i] === " ") i++;
      const c = src[i] || "";
      tok = "";
      if (!c) return;
      const two = src.substr(i, 2);
      let j = i + 1;
      if (two === "==" || two === "!=" || two === "<=" || two === ">=" || two === "&&" || two === "||") j = i + 2;
      else if (c === "$" && src[i + 1] === "{") j = src.indexOf("}", i) + 1;
      else if (c === "'" || c === '"') j = src.indexOf(c, i + 1) + 1;
      else if (/[0-9.a-z-]/.test(c)) while (j < src.length && /[0-9.a-zA-Z_eE+-]/.test(src[j]) && !(src[j] === "-" && !/[eE]/.test(src[j - 1]))) j++;
      if (j <= i) throw new Error("cond: unclosed at " + i);
      tok = src.substring(i, j);
      i = j;
    };
    const fail = (): never => {
      throw new Error("cond: unexpected " + (tok ? "'" + tok + "'" : "end") + " at " + i);
    };
    // operand: a value (parenthesised expressions are or())
    const atom = (): any => {
      const t = tok;
      next();
      if (t === "(") {
        const v = or();
        if (tok !== ")") fail();
        next();
        return v;
      }
      if (t === "!") return !atom();
      if (t.substr(0, 2) === "${") return vars === undefined ? 0 : lookup(t.substr(2, t.length - 3), vars);
      if (t[0] === "'" || t[0] === '"') return t.substr(1, t.length - 2);
      if (t === "true" || t === "false" || t === "null") return JSON.parse(t);
      const n = numeric(t);
      if (n === undefined) {
        tok = t;
        fail();
      }
      return n;
    };
    const compare = (): any => {
      const a = atom();
      const op = tok;
      if (["==", "!=", "<", "<=", ">", ">="].indexOf(op) < 0) return a;
      next();
      let b = atom();
      let x: any = numeric(a);
      let y: any = numeric(b);
      if (x === undefined || y === undefined) {
        x = typeof a === "object" && a !== null ? JSON.stringify(a) : a;
        y = typeof b === "object" && b !== null ? JSON.stringify(b) : b;
        if (op[0] === "<" || op[0] === ">") {
          x = String(x);
          y = String(y);
        }
      }
      b = op === "==" ? x === y : op === "!=" ? x !== y : op === "<" ? x < y : op === "<=" ? x <= y : op === ">" ? x > y : x >= y;
      return b;
    };
    const and = (): any => {
      let v = compare();
      while (tok === "&&") {
        next();
        const r = compare();
        v = v && r;
      }
      return v;
    };
    const or = (): any => {
      let v = and();
      while (tok === "||") {
        next();
        const r = and();
        v = v || r;
      }
      return v;
    };
    next();
    const r = or();
    if (tok) fail();
    return !!r;
  };
  if (op === StepOp.Fill || op === StepOp.Cond) return template(x, y, op === StepOp.Cond);
  /** Ends a run: counted, its error noted, a call answered, a pending run started. */
  const finish = (run: Run, err: string): void => {
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
    if (p) steps(StepOp.Start, j, p);
  };
  /** A step's error: to the nearest try's catch (true), or none (false). */
  const recover = (run: Run, err: string): boolean => {
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
  };
  let run: Run = op as Run;
  if (op === StepOp.Resume) {
    // after a step that waited (y: its error)
    run = x;
    if (y && !recover(run, run.w_ + ": " + y)) return finish(run, run.w_ + ": " + y);
  }
  /** A number in [least, most], else an error naming the argument. */
  const num = (v: any, name: string, least: number, most: number): number => {
    if (typeof v !== "number" || !(v >= least && v <= most)) throw new Error(name + ": " + least + " to " + most + ", got " + str(v));
    return v;
  };
  /** Runs one step; true when the run now waits (a timer or a callback resumes it). */
  const exec = (kind: string, a: any): boolean => {
    const v = run.v_;
    if (kind === "if") {
      const yes = template(a.cond, v, 1);
      const branch = yes ? a.then : a.else;
      if (branch) run.f_.push([branch, 0, run.w_ + (yes ? ".then" : ".else"), 0]);
      return false;
    }
    if (kind === "try") {
      run.f_.push([a.steps, 0, run.w_ + ".steps", a.catch || []]);
      return false;
    }
    const x = template(a, v);
    let out: any;
    if (kind === "wait") {
      ports.later_(steps, num(x.ms, "ms", 0, 3600000), run);
      return true;
    }
    if (SPORE_CAPS.services && kind === "call") {
      const r = run;
      const why = services(
        Op.Call,
        x.service,
        x.args === undefined ? null : x.args,
        (err: string | null, result: any) => {
          if (!err && x.save_as) v[x.save_as] = result;
          steps(StepOp.Resume, r, err || undefined);
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
    } else if (kind === "adc.read") out = ports.pin_!(2, x.pin);
    else if (kind === "kv.get") {
      out = kv(KvOp.Get, x.key);
      if (out === undefined) out = x.default === undefined ? null : x.default;
    } else if (kind === "kv.put") kv(KvOp.Put, x.key, x.value, x.ttl_s, x.durable);
    // by: a number, or numeric text (an MQTT payload is text)
    else if (kind === "kv.incr") out = kv(KvOp.Incr, x.key, x.by === undefined ? 1 : typeof x.by === "string" && numeric(x.by) !== undefined ? numeric(x.by) : x.by, x.ttl_s, x.durable);
    else if (kind === "kv.del") kv(KvOp.Del, x.key);
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
  };
  // up to Slice.Steps steps, then a yield; the run ends when no step is left
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
      if (exec(kind, st[kind])) return;
    } catch (e) {
      const err = run.w_ + ": " + ((e as Error).message || e);
      if (!recover(run, err)) return finish(run, err);
    }
  }
  ports.later_(steps, 0, run);
}
