// The jobs capability: job documents deployed over HTTP, kept in Storage as
// a double copy (StorageFile.Jobs0 and Jobs1, {"g": generation, "version",
// "jobs"}: the copy that reads whole with the higher generation is the set,
// so a power cut while one is written leaves the other), checked on the node
// (job-check.ts) and installed: their triggers armed, their runs started
// (steps.ts). A set that fails the check is refused whole and the running
// one stays; at boot a stored job that fails (a firmware with other limits)
// is left out alone, with its reason in GET /api/jobs.
//
// On the chip every top-level function holds JsVars for as long as the node
// runs (4 or 5 each, measured), and so does every object kept: so the
// capability is one function, jobs(op, ...), whose parts are made when it is
// called, and a job's steps stay in Storage: RAM holds its name, trigger,
// concurrency and counters, and each run reads the job's text from the file
// (its place, "o" in the file: [offset, length] per job) and parses it. The
// file's text is ASCII (JSON's \u escapes), so offsets are bytes.
import { error, json } from "./api.ts";
import { config, hostname, now, parseJson, ports, selfId, str, type HttpRequest, type HttpResponse } from "./env.ts";
import { enqueue, queue, queueDrops } from "./events.ts";
import { checkJobs } from "./job-check.ts";
import { room } from "./flash.ts";
import { StorageFile } from "./layout.ts";
import { kv, KvOp } from "./kv.ts";
import { Op, services } from "./services.ts";
import { active, steps, StepOp, type Job } from "./steps.ts";
import { find, register, setTaskInterval } from "./tasks.ts";
import { place } from "./placement.ts";
import { leader } from "./leader.ts";

/** What jobs() is asked to do (const enum: no JsVars). Called with nothing it is the jobs task's tick; with an array, a queue entry (events.ts) or a startup trigger. */
export const enum JobsOp {
  /** at boot: the KV store's durable keys, the stored set (each job checked alone; a bad one is left out, with its reason) */
  Boot = 1,
  /** (name, request, key): an endpoint's answer (name: "METHOD path" as endpoints.ts declares them; key: a KV endpoint's key, decoded), undefined for others */
  Api,
  /** the figures for telemetry and the node's status: runs and errors since boot, triggers skipped, runs now, the queue's length and drops */
  Summary,
  /** the MQTT triggers' topic filters, ${node.hostname} and ${node.id} filled in */
  Topics,
}

/** The capability's state, one array (const enum: no JsVars), made once a set is stored: a node without jobs holds none of it. */
const enum State {
  /** the installed jobs */
  Installed,
  /** the generation of their set */
  Generation,
  /** jobs refused at boot, each its reason */
  Refused,
  /** runs, errors and skipped triggers of the sets installed before this one (since boot) */
  Runs,
  Errors,
  Skipped,
}

let state: any[] | undefined;

/** The jobs capability, one function (JobsOp says what each op takes and gives). */
export function jobs(op?: JobsOp | any[] | string, a?: any, b?: any, c?: any): any;
export function jobs(): any {
  // (its arguments read from `arguments`: on the chip each declared parameter holds a JsVar for as long as the node runs)
  let op: JobsOp | any[] | string | undefined = arguments[0];
  const a = arguments[1];
  const b = arguments[2];
  const c = arguments[3];
  const S = state || [[], 0, [], 0, 0, 0];
  // a run started, where the job runs: "placement": "any" on the node placement.ts puts it on (as a movable task,
  // by its name), "singleton": true on the leader; elsewhere its triggers start nothing
  const go = (j: Job, v: any) => (SPORE_CAPS.placement && j.d_.placement && place("job/" + j.d_.name).at !== selfId) || (SPORE_CAPS.leader && j.d_.singleton && leader() !== selfId) || steps(StepOp.Start, j, v);
  const installed: Job[] = S[State.Installed];
  // (a board without a queue: the entry's parts, from ports.trig_, an MQTT message and a pin watch)
  if (typeof op === "string") op = [op, a, b, c];
  if (!op) {
    // the jobs task: interval jobs when due, the KV store's expiry and durable writes
    const t = now();
    for (const j of installed)
      if (j.d_.trigger.type === "interval" && t >= j.due_) {
        j.due_ += j.d_.trigger.every_ms;
        if (j.due_ <= t) j.due_ = t + j.d_.trigger.every_ms;
        go(j, {});
      }
    kv(KvOp.Sweep, 4);
    kv(KvOp.Flush);
    return;
  }
  if (op === JobsOp.Summary) {
    const n = [S[State.Runs], S[State.Errors], S[State.Skipped]];
    for (const j of installed) {
      n[0] += j.runs_;
      n[1] += j.errors_;
      n[2] += j.skipped_;
    }
    return { runs: n[0], errors: n[1], skipped: n[2], running: active, queued: queue.length, dropped: queueDrops };
  }
  /** An MQTT trigger's topic filter, with ${node.hostname} and ${node.id} filled in. */
  const topicOf = (t: any): string => {
    // by hand: on Espruino 2v29 replace() of a string takes a topic ending in "$" for one with the whole of it, and
    // split() gives [] for a separator two or more longer than the string ("in/#".split("${node.hostname}"));
    // indexOf over the topic and a character no filter has cannot run off its end
    let s = t.topic;
    for (const k of ["${node.hostname}", "${node.id}"]) {
      const i = (s + "\x01").indexOf(k);
      if (i >= 0) s = s.substr(0, i) + (k.length > 10 ? hostname : selfId) + s.substr(i + k.length);
    }
    return s;
  };
  if (typeof op === "object") {
    // a queue entry [kind, name, data, origin] after its listeners (kind "e" an event, "m" an MQTT message, "p" a pin
    // edge: name the job, data the watch's {state}), or a startup trigger ["s", the job]: the jobs it starts
    const e = op;
    const local = e[3] === hostname;
    for (const j of installed)
      // (one job that cannot start, its file unreadable, is logged: never the others, nor who fired the event)
      try {
        const t = j.d_.trigger;
        // a job's own job/error events do not trigger it (one that fails would trigger itself for ever)
        if (e[0] === "e" && t.type === "event" && !(e[1] === "job/error" && e[2] && e[2].job === j.d_.name) && new RegExp("^" + t.name.replace(/\./g, "\\.").replace(/\*/g, ".*") + "$").test(e[1]) && (t.scope === "local" ? local : t.scope === "cluster" ? !local : true))
          go(j, { event: { name: e[1], data: e[2], origin: e[3] } });
        if (SPORE_CAPS.mqtt && e[0] === "m" && t.type === "mqtt") {
          // (+ one level, # the rest)
          const f = topicOf(t).split("/");
          const l = e[1].split("/");
          let i = 0;
          while (i < f.length && f[i] !== "#" && i < l.length && (f[i] === "+" || f[i] === l[i])) i++;
          if (f[i] === "#" || (i === f.length && i === l.length)) go(j, { mqtt: { topic: e[1], payload: e[2] } });
        }
        if (e[0] === "p" && t.type === "pin" && j.d_.name === e[1]) go(j, { pin: { pin: t.pin, state: e[2] && e[2].state ? 1 : 0 } });
        if (e[0] === "s" && j === e[1]) go(j, {});
      } catch (x) {
        ports.log_("jobs: " + j.d_.name + ": " + ((x as Error).message || x));
      }
    return;
  }
  if (op === JobsOp.Topics) {
    const l = [];
    for (const j of installed) if (j.d_.trigger.type === "mqtt") l.push(topicOf(j.d_.trigger));
    return l;
  }
  /** The value of a query parameter in a request's path ("" when absent). */
  const query = (req: HttpRequest, name: string): string => {
    const m = new RegExp("[?&]" + name + "=([^&]*)").exec(req.path_);
    return m ? decodeURIComponent(m[1]) : "";
  };
  const name: string = a;
  const req: HttpRequest = b;
  const key: string = c;
  if (name === "GET jobs") {
    // each job with its counters, the limits, the queue: written a job at a time (as objects all at once, the
    // listing of three jobs ran a node of a nine-node esp8266 cluster out of memory on the real interpreter)
    let l = "";
    for (const j of installed) {
      const d = j.d_;
      l += (l ? "," : "") + str({ name: d.name, trigger: d.trigger, concurrency: d.concurrency || "serial", max_instances: d.max_instances || 1, placement: d.placement || "every", singleton: !!d.singleton, runs: j.runs_, errors: j.errors_, skipped: j.skipped_, running: j.running_, lastRun: j.last_ < 0 ? null : j.last_, lastMs: j.ms_, lastError: j.error_ || null });
    }
    return { code_: 200, body_: '{"generation":' + S[State.Generation] + ',"jobs":[' + l + "]," + str({ limits: { jobs: SPORE_LIMITS.jobs, steps: SPORE_LIMITS.jobSteps, runs: SPORE_LIMITS.jobRuns }, queue: { length: queue.length, capacity: SPORE_LIMITS.queue, policy: !SPORE_LIMITS.queue ? "none" : config.qp ? "coalesce_latest" : "drop_oldest", dropped: queueDrops }, refused: S[State.Refused] }).substr(1) };
  }
  if (name === "GET kv") return { code_: 200, body_: kv(KvOp.List, "") };
  if (name === "GET kv/*" && key) {
    const v = kv(KvOp.List, key);
    return v ? { code_: 200, body_: v } : error(404, "no key " + key);
  }
  if (name === "DELETE kv/*" && key) return kv(KvOp.Get, key) === undefined ? error(404, "no key " + key) : (kv(KvOp.Del, key), json(200, { success: true, key: key }));
  if (name === "PUT kv/*" && key) {
    let value;
    try {
      value = parseJson(req.body_);
    } catch (e) {
      return error(400, "value: not JSON (a string is quoted)");
    }
    const ttl = query(req, "ttl");
    if (ttl && !(+ttl >= 1 && +ttl <= 31536000 && String(Math.floor(+ttl)) === ttl)) return error(400, "ttl: 1 to 31536000 seconds");
    try {
      kv(KvOp.Put, key, value, ttl ? +ttl : undefined, query(req, "durable") === "1");
    } catch (e) {
      return error(400, (e as Error).message);
    }
    // the jobs task sweeps expired keys and writes durable ones: a store used without jobs needs it too
    if (!find("jobs")) register("jobs", 1000, jobs);
    return json(200, { success: true, key: key, value: value });
  }
  // (the parts below are made only for a boot, a deploy or a removal)
  /**
   * Arms a set's triggers (list: the definitions, at: their places in file f);
   * the jobs task ticks at the intervals' greatest common divisor (100 ms to
   * 1 s). A job whose trigger cannot be armed (a pin the board does not have:
   * setWatch or pinMode throws) is left out with its reason, as a job refused
   * at boot: it never stops the node or the others.
   */
  const install = (list: any[], at: number[], f: string): void => {
    const gcd = (x: number, y: number): number => (y ? gcd(y, x % y) : x);
    let every = 0;
    for (let i = 0; i < list.length; i++) {
      const d = list[i];
      const t = d.trigger;
      const j: Job = { d_: { name: d.name, trigger: t, concurrency: d.concurrency, max_instances: d.max_instances, placement: d.placement, singleton: d.singleton }, f_: f, o_: at[2 * i], l_: at[2 * i + 1], runs_: 0, errors_: 0, skipped_: 0, running_: 0, pending_: 0, last_: -1, ms_: 0, error_: "", due_: 0 };
      try {
        // (the watch's callback bound, not a closure: one would keep this call's scope for as long as the watch)
        if (t.type === "pin") j.due_ = ports.pin_!(3, t.pin, (SPORE_LIMITS.queue ? enqueue : jobs).bind(null, "p", d.name), { repeat: true, edge: t.edge || "both", debounce: t.debounce_ms === undefined ? 50 : t.debounce_ms }, t.pull);
        if (SPORE_CAPS.services && t.type === "call") services(Op.Provide, t.service, t.version || 0, steps.bind(null, StepOp.Call, j));
        S[State.Installed].push(j);
        if (t.type === "startup") ports.later_(jobs, 0, ["s", j]);
        if (t.type === "interval") {
          j.due_ = now() + t.every_ms;
          every = gcd(t.every_ms, every);
        }
      } catch (e) {
        S[State.Refused].push("jobs[" + i + "].trigger: " + ((e as Error).message || e));
      }
    }
    // the jobs task once there are jobs (a node without any holds no task for them)
    const ms = Math.min(1000, Math.max(100, every || 1000));
    if (find("jobs")) setTaskInterval("jobs", ms);
    else if (list.length) register("jobs", ms, jobs);
    // events, MQTT messages and pin edges come to jobs() once there are jobs
    if (list.length) ports.trig_ = jobs;
    // (MQTT: the triggers' topics subscribed to again)
    if (SPORE_CAPS.mqtt && ports.pub_) ports.pub_();
  };
  /**
   * Writes a set of `count` jobs (job(i): the i-th, parsed afresh: a set is
   * never whole in RAM, each job only while it is written) as the next
   * generation, into the copy that is not the newest, and installs it. The
   * file is written a job at a time (Storage makes it at its whole length
   * first, so one cut short does not parse and the other copy stays).
   */
  const save = (count: number, job: (i: number) => any): HttpResponse => {
    const g = S[State.Generation] + 1;
    const head = '{"g":' + g + ',"version":1,"jobs":[';
    // ASCII: a character past 127 as its \u escape (offsets are bytes). Espruino's JSON.stringify writes them so
    // already; a class of \u escapes ([\u0080-\uffff]) matched nearly every character there, and each job's text
    // was \u escapes that did not parse (found on the real interpreter): \x, which it reads
    const text = (d: any): string => str(d).replace(/[^\x00-\x7f]/g, (ch: string) => "\\u" + (65536 + ch.charCodeAt(0)).toString(16).substr(1));
    const at: number[] = [];
    let end = head.length;
    for (let i = 0; i < count; i++) {
      if (i) end++;
      const n = text(job(i)).length;
      at.push(end, n);
      end += n;
    }
    const tail = '],"o":' + str(at) + "}";
    if (!room(end + tail.length)) return error(507, "Storage full: the node restarts to compact it when that makes room (storage/full)");
    const f = g & 1 ? StorageFile.Jobs1 : StorageFile.Jobs0;
    const fs = ports.fs_;
    fs.write(f, head, 0, end + tail.length);
    // what install needs of each job, its steps left out
    const list: any[] = [];
    for (let i = 0; i < count; i++) {
      const d = job(i);
      fs.write(f, (i ? "," : "") + text(d), at[2 * i] - (i ? 1 : 0));
      list.push({ name: d.name, trigger: d.trigger, concurrency: d.concurrency, max_instances: d.max_instances, placement: d.placement, singleton: d.singleton });
    }
    fs.write(f, tail, end);
    state = S;
    S[State.Generation] = g;
    S[State.Refused] = [];
    // the set's triggers disarmed (its runs in progress end by themselves; a run a job kept pending does not start)
    for (const j of installed) {
      j.pending_ = 0;
      S[State.Runs] += j.runs_;
      S[State.Errors] += j.errors_;
      S[State.Skipped] += j.skipped_;
      const t = j.d_.trigger;
      if (t.type === "pin") ports.pin_!(4, j.due_);
      if (SPORE_CAPS.services && t.type === "call") services(Op.Unprovide, t.service);
    }
    S[State.Installed] = [];
    install(list, at, f);
    return json(200, { success: true, jobs: count, generation: g });
  };
  if (op === JobsOp.Boot) {
    kv(KvOp.Load);
    // a set taken for the next boot (POST, below): checked and installed now, while memory is free; erased first,
    // so that one that stops the node is not tried again at every boot
    const next = ports.fs_.read(StorageFile.JobsNext);
    if (next !== undefined) {
      // a copy in RAM first: what Storage.read gives is the file in flash, garbage once it is erased (found on the
      // real interpreter); a file that does not parse (cut short by a power cut) is refused as not JSON below
      let text = "-";
      try {
        text = str(parseJson(next));
      } catch (e) {}
      ports.fs_.erase(StorageFile.JobsNext);
      // (no method: the POST below refuses what it cannot check now instead of keeping it again)
      const r = jobs(JobsOp.Api, "POST jobs", { method_: "", path_: "/api/jobs", headers_: {}, body_: text }, "");
      if (r.code_ === 200) return;
      state = state || S;
      ports.log_("jobs: the set kept for this boot: " + r.body_);
      S[State.Refused].push("the set deployed for this boot: " + JSON.parse(r.body_).error);
    }
    /** The stored set: the copy that reads whole with the higher generation ({g: 0, jobs: [], o: []} when none). */
    const stored = (): any => {
      const x = ports.fs_.readJSON(StorageFile.Jobs0, true);
      const y = ports.fs_.readJSON(StorageFile.Jobs1, true);
      const ok = (s: any) => s && typeof s === "object" && s.g > 0 && Array.isArray(s.jobs);
      return ok(x) && (!ok(y) || x.g > y.g) ? x : ok(y) ? y : { g: 0, version: 1, jobs: [], o: [] };
    };
    const s = stored();
    const ok: any[] = [];
    const at: number[] = [];
    const n = [0];
    S[State.Generation] = s.g;
    if (s.g) state = S;
    // each job's place in the file (a set written without them, by hand or by an older firmware, is written again)
    const placed = Array.isArray(s.o) && s.o.length === 2 * s.jobs.length;
    for (let i = 0; i < s.jobs.length; i++) {
      const bad = i < SPORE_LIMITS.jobs ? checkJobs(s.jobs[i], "jobs[" + i + "]", n) : "jobs[" + i + "]: over this board's " + SPORE_LIMITS.jobs + " jobs";
      if (bad || n[0] > SPORE_LIMITS.jobSteps) S[State.Refused].push(bad || "jobs[" + i + "]: over this board's " + SPORE_LIMITS.jobSteps + " steps");
      else {
        ok.push(s.jobs[i]);
        if (placed) at.push(s.o[2 * i], s.o[2 * i + 1]);
      }
    }
    for (const e of S[State.Refused]) ports.log_("jobs: " + e);
    if (placed) return install(ok, at, s.g & 1 ? StorageFile.Jobs1 : StorageFile.Jobs0);
    const refused = S[State.Refused];
    if (ok.length && save(ok.length, (i) => ok[i]).code_ !== 200) ports.log_("jobs: not installed: Storage full");
    S[State.Refused] = refused;
    return;
  }
  if (name === "POST jobs") {
    // A set parsed whole takes about a quarter of its length in JsVars (120 for 517 bytes on the real
    // interpreter): so the jobs array's elements are found by a scan of the text (strings and nesting
    // followed), and the set is checked and written a job at a time, each parsed when it is needed. The rest
    // of the document (its "jobs" empty) is checked as a whole. A text the scan does not take apart is parsed
    // whole.
    const t: string = req.body_;
    const at: number[] = [];
    let depth = 0;
    let quoted = 0;
    let open = -1;
    let close = -1;
    let from = -1;
    // 1 after a comma between jobs: a value must follow
    let want = 0;
    for (let i = 0; i < t.length && close < 0; i++) {
      const ch = t[i];
      if (quoted) {
        if (ch === "\\") i++;
        else if (ch === '"') quoted = 0;
        continue;
      }
      if (open >= 0 && depth === 2 && from < 0 && ch !== " " && ch !== "\n" && ch !== "\r" && ch !== "\t" && ch !== "," && ch !== "]") {
        from = i;
        want = 0;
      }
      // (a comma with no job before it, or none after it: not JSON, and parsed whole it says so)
      if (open >= 0 && depth === 2 && ((ch === "," && from < 0) || (ch === "]" && want))) break;
      if (ch === '"') quoted = 1;
      else if (ch === "[" || ch === "{") {
        if (depth === 1 && ch === "[" && open < 0 && /"jobs"\s*:\s*$/.test(t.substring(Math.max(0, i - 24), i))) open = i;
        depth++;
      } else if (ch === "]" || ch === "}") {
        depth--;
        if (open >= 0 && depth === 1) close = i;
      }
      if (open >= 0 && from >= 0 && depth <= 2 && (ch === "," || close >= 0) && (depth === 2 || close >= 0)) {
        at.push(from, i);
        from = -1;
        want = ch === "," ? 1 : 0;
      }
    }
    // measured on the real interpreter (12-byte JsVars; test/real/probes/deploy-need.ts), free here: a one-job
    // set of 136 bytes is checked and written from about 236 free and runs out of memory at 186, a three-job set
    // of 517 bytes (an if of two branches in one) from about 390. Refused below that: never out of memory
    const need = (150 + t.length / 2) | 0;
    const free = ports.jsvars_();
    if (free < need) {
      // at boot (a set kept for it, below) there is no later: refused
      if (!req.method_) return error(503, "busy: memory (" + free + " JsVars free, " + need + " needed)");
      // kept as it came, and checked at the next boot, before the node has members: a node of a nine-node
      // esp8266 cluster has about 96 JsVars free here, where the set needs hundreds. Refused at boot, it is
      // listed in refused, and the set that ran goes on running
      if (!room(t.length)) return error(507, "Storage full: the node restarts to compact it when that makes room (storage/full)");
      ports.fs_.write(StorageFile.JobsNext, t);
      ports.later_(ports.reboot_, 500, 0);
      return json(202, { success: true, restart: true, generation: S[State.Generation] + 1 });
    }
    let doc: any;
    const job = (i: number): any => (close < 0 ? doc.jobs[i] : parseJson(t.substring(at[2 * i], at[2 * i + 1])));
    let count = 0;
    let bad: string;
    try {
      doc = parseJson(close < 0 ? t : t.substr(0, open + 1) + t.substr(close));
      // (a key given twice is the last one to JSON.parse: here it would be the first)
      if (close >= 0 && (doc.jobs.length || /"jobs"\s*:/.test(t.substr(close)))) return error(400, "jobs: given twice");
      count = close < 0 ? (doc && Array.isArray(doc.jobs) ? doc.jobs.length : 0) : at.length / 2;
      bad = checkJobs(doc, count, job);
    } catch (e) {
      return error(400, "document: not JSON");
    }
    return bad ? error(400, bad) : save(count, job);
  }
  if (name === "DELETE jobs") {
    const only = query(req, "name");
    // the jobs installed (checked), not the stored set's others (which may hold jobs refused at boot), each read
    // from the stored file when it is written again
    const keep = installed.filter((j) => only && j.d_.name !== only);
    if (only && keep.length === installed.length) return error(404, "no job " + only);
    return save(keep.length, (i) => JSON.parse(ports.fs_.read(keep[i].f_, keep[i].o_, keep[i].l_)));
  }
  return undefined;
}
