// The jobs capability: job documents deployed over HTTP, kept in Storage as
// a double copy (StorageFile.Jobs0 and Jobs1, {"g": generation, "version",
// "jobs"}: the copy that reads whole with the higher generation is the set,
// so a power cut while one is written leaves the other), checked on the node
// (job-check.ts) and installed: their triggers armed, their runs started
// (steps.ts). A set that fails the check is refused whole and the running
// one stays; at boot a stored job that fails (a firmware with other limits)
// is left out alone, with its reason in GET /api/jobs.
import { error, json } from "./api.ts";
import { config, hostname, now, parseJson, ports, selfId, str, type HttpRequest, type HttpResponse } from "./env.ts";
import { enqueue, queue, queueDrops, setTrigger } from "./events.ts";
import { checkJob, checkJobs } from "./job-check.ts";
import { room } from "./flash.ts";
import { StorageFile } from "./layout.ts";
import { kvDel, kvFlush, kvGet, kvList, kvLoad, kvPut, kvSweep } from "./kv.ts";
import { Op, services } from "./services.ts";
import { active, start, type Job } from "./steps.ts";
import { find, register, setTaskInterval } from "./tasks.ts";

/** The installed jobs, the generation of their set, jobs refused at boot. */
export let jobs: Job[] = [];
let generation = 0;
let refused: string[] = [];

/** The stored set: the copy that reads whole with the higher generation ({g: 0, jobs: []} when none). */
function stored(): any {
  const a = ports.fs_.readJSON(StorageFile.Jobs0, true);
  const b = ports.fs_.readJSON(StorageFile.Jobs1, true);
  const ok = (c: any) => c && typeof c === "object" && c.g > 0 && Array.isArray(c.jobs);
  return ok(a) && (!ok(b) || a.g > b.g) ? a : ok(b) ? b : { g: 0, version: 1, jobs: [] };
}

/** An MQTT trigger's topic filter, with ${node.hostname} and ${node.id} filled in. */
export function topicOf(t: any): string {
  // by hand: on Espruino 2v29 replace() of a string takes a topic ending in "$" for one with the whole of it, and
  // split() gives [] for a separator two or more longer than the string ("in/#".split("${node.hostname}"));
  // indexOf over the topic and a character no filter has cannot run off its end
  let s = t.topic;
  for (const k of ["${node.hostname}", "${node.id}"]) {
    const i = (s + "\x01").indexOf(k);
    if (i >= 0) s = s.substr(0, i) + (k.length > 10 ? hostname : selfId) + s.substr(i + k.length);
  }
  return s;
}

/** Whether a topic matches an MQTT filter (+ one level, # the rest). */
function topicMatch(filter: string, topic: string): boolean {
  const f = filter.split("/");
  const t = topic.split("/");
  for (let i = 0; i < f.length; i++) {
    if (f[i] === "#") return true;
    if (i >= t.length || (f[i] !== "+" && f[i] !== t[i])) return false;
  }
  return f.length === t.length;
}

/** Takes each queued entry after its listeners: an event, an MQTT message or a pin edge starts the jobs it triggers. */
function trigger(e: any[]): void {
  for (const j of jobs) {
    const t = j.d_.trigger;
    const local = e[3] === hostname;
    // a job's own job/error events do not trigger it (one that fails would trigger itself for ever)
    if (e[0] === "e" && t.type === "event" && !(e[1] === "job/error" && e[2] && e[2].job === j.d_.name) && new RegExp("^" + t.name.replace(/\./g, "\\.").replace(/\*/g, ".*") + "$").test(e[1]) && (t.scope === "local" ? local : t.scope === "cluster" ? !local : true))
      start(j, { event: { name: e[1], data: e[2], origin: e[3] } });
    if (e[0] === "m" && t.type === "mqtt" && topicMatch(topicOf(t), e[1])) start(j, { mqtt: { topic: e[1], payload: e[2] } });
    if (e[0] === "p" && t.type === "pin" && j.d_.name === e[1]) start(j, { pin: { pin: t.pin, state: e[2] } });
  }
}

/** The jobs task: interval jobs when due, the KV store's expiry and durable writes. */
function tick(): void {
  const t = now();
  for (const j of jobs)
    if (j.d_.trigger.type === "interval" && t >= j.due_) {
      j.due_ += j.d_.trigger.every_ms;
      if (j.due_ <= t) j.due_ = t + j.d_.trigger.every_ms;
      start(j, {});
    }
  kvSweep(4);
  kvFlush(false);
}

function gcd(a: number, b: number): number {
  return b ? gcd(b, a % b) : a;
}

/** Runs, errors and skipped triggers of the sets installed before this one (since boot). */
const before = [0, 0, 0];

/** Disarms the installed jobs' triggers (their runs in progress end by themselves). */
function uninstall(): void {
  for (const j of jobs) {
    // a run it kept pending does not start once the job is gone
    j.pending_ = 0;
    before[0] += j.runs_;
    before[1] += j.errors_;
    before[2] += j.skipped_;
    const t = j.d_.trigger;
    if (t.type === "pin" && j.due_) ports.pin_!(4, j.due_);
    if (SPORE_CAPS.services && t.type === "call") services(Op.Unprovide, t.service);
  }
  jobs = [];
}

/**
 * Arms a set's triggers; the jobs task ticks at the intervals' greatest
 * common divisor (100 ms to 1 s). A job whose trigger cannot be armed (a pin
 * the board does not have: setWatch or pinMode throws) is left out with its
 * reason, as a job refused at boot: it never stops the node or the others.
 */
function install(list: any[]): void {
  let every = 0;
  for (let i = 0; i < list.length; i++)
    try {
      every = gcd(arm(list[i]), every);
    } catch (e) {
      jobs.pop();
      refused.push("jobs[" + i + "].trigger: " + ((e as Error).message || e));
    }
  const ms = Math.min(1000, Math.max(100, every || 1000));
  if (!find("jobs")) register("jobs", ms, tick);
  else setTaskInterval("jobs", ms);
  if (SPORE_CAPS.mqtt && ports.sub_) ports.sub_();
}

/** Installs one job and arms its trigger; returns its interval (0: none). */
function arm(d: any): number {
  const j: Job = { d_: d, runs_: 0, errors_: 0, skipped_: 0, running_: 0, pending_: 0, last_: -1, ms_: 0, error_: "", due_: 0 };
  const t = d.trigger;
  jobs.push(j);
  if (t.type === "startup") ports.later_((x: Job) => start(x, {}), 0, j);
  if (t.type === "pin") j.due_ = ports.pin_!(3, t.pin, (e: any) => enqueue("p", d.name, e.state ? 1 : 0, hostname), { repeat: true, edge: t.edge || "both", debounce: t.debounce_ms === undefined ? 50 : t.debounce_ms }, t.pull);
  if (SPORE_CAPS.services && t.type === "call") services(Op.Provide, t.service, t.version || 0, (args: any, reply: any, from: string) => start(j, { call: { args: args, from: from } }, reply));
  if (t.type !== "interval") return 0;
  j.due_ = now() + t.every_ms;
  return t.every_ms;
}

/** At boot: the KV store's durable keys, the stored set (each job checked alone; a bad one is left out, with its reason). */
export function startJobs(): void {
  setTrigger(trigger);
  kvLoad();
  const s = stored();
  const ok: any[] = [];
  const n = [0];
  generation = s.g;
  for (let i = 0; i < s.jobs.length; i++) {
    const bad = i < SPORE_LIMITS.jobs ? checkJob(s.jobs[i], "jobs[" + i + "]", n) : "jobs[" + i + "]: over this board's " + SPORE_LIMITS.jobs + " jobs";
    if (bad || n[0] > SPORE_LIMITS.jobSteps) refused.push(bad || "jobs[" + i + "]: over this board's " + SPORE_LIMITS.jobSteps + " steps");
    else ok.push(s.jobs[i]);
  }
  for (const e of refused) ports.log_("jobs: " + e);
  install(ok);
}

/** Writes a set as the next generation (into the copy that is not the newest) and installs it. */
function save(list: any[]): HttpResponse {
  const g = generation + 1;
  const text = str({ g: g, version: 1, jobs: list });
  if (!room(text.length)) return error(507, "Storage full: the node restarts to compact it when that makes room (storage/full)");
  ports.fs_.write(g & 1 ? StorageFile.Jobs1 : StorageFile.Jobs0, text);
  generation = g;
  refused = [];
  uninstall();
  install(list);
  return json(200, { success: true, jobs: list.length, generation: g });
}

/** GET /api/jobs: each job with its counters, the limits, the queue. */
function listJobs(): string {
  const l = [];
  for (const j of jobs) {
    const d = j.d_;
    l.push({ name: d.name, trigger: d.trigger, concurrency: d.concurrency || "serial", max_instances: d.max_instances || 1, runs: j.runs_, errors: j.errors_, skipped: j.skipped_, running: j.running_, lastRun: j.last_ < 0 ? null : j.last_, lastMs: j.ms_, lastError: j.error_ || null });
  }
  return str({ generation: generation, jobs: l, limits: { jobs: SPORE_LIMITS.jobs, steps: SPORE_LIMITS.jobSteps, runs: SPORE_LIMITS.jobRuns }, queue: { length: queue.length, capacity: SPORE_LIMITS.queue, policy: config.qp ? "coalesce_latest" : "drop_oldest", dropped: queueDrops }, refused: refused });
}

/** The jobs' figures for telemetry and the node's status: runs and errors since boot, triggers skipped, runs now, the queue's length and drops. */
export function jobsSummary(): object {
  let runs = 0;
  let errors = 0;
  let skipped = 0;
  for (const j of jobs) {
    runs += j.runs_;
    errors += j.errors_;
    skipped += j.skipped_;
  }
  return { runs: runs + before[0], errors: errors + before[1], skipped: skipped + before[2], running: active, queued: queue.length, dropped: queueDrops };
}

/** The value of a query parameter in a request's path ("" when absent). */
function query(req: HttpRequest, name: string): string {
  const m = new RegExp("[?&]" + name + "=([^&]*)").exec(req.path_);
  return m ? decodeURIComponent(m[1]) : "";
}

/**
 * The jobs capability's endpoints (name: "METHOD path" as endpoints.ts
 * declares them; key: a KV endpoint's key, decoded); undefined for others.
 */
export function jobsApi(name: string, req: HttpRequest, key: string): HttpResponse | undefined {
  if (name === "GET jobs") return { code_: 200, body_: listJobs() };
  if (name === "POST jobs") {
    let doc;
    try {
      doc = parseJson(req.body_);
    } catch (e) {
      return error(400, "document: not JSON");
    }
    const bad = checkJobs(doc);
    return bad ? error(400, bad) : save(doc.jobs);
  }
  if (name === "DELETE jobs") {
    const only = query(req, "name");
    // from the jobs installed (checked), not the stored set (which may hold jobs refused at boot)
    const list = jobs.map((j) => j.d_).filter((d: any) => only && d.name !== only);
    if (only && list.length === jobs.length) return error(404, "no job " + only);
    return save(list);
  }
  if (name === "GET kv") return { code_: 200, body_: kvList("")! };
  if (!key) return undefined;
  if (name === "GET kv/*") {
    const v = kvList(key)!;
    return v ? { code_: 200, body_: v } : error(404, "no key " + key);
  }
  if (name === "DELETE kv/*") return kvGet(key) === undefined ? error(404, "no key " + key) : (kvDel(key), json(200, { success: true, key: key }));
  if (name !== "PUT kv/*") return undefined;
  let value;
  try {
    value = parseJson(req.body_);
  } catch (e) {
    return error(400, "value: not JSON (a string is quoted)");
  }
  const ttl = query(req, "ttl");
  if (ttl && !(+ttl >= 1 && +ttl <= 31536000 && String(Math.floor(+ttl)) === ttl)) return error(400, "ttl: 1 to 31536000 seconds");
  try {
    kvPut(key, value, ttl ? +ttl : undefined, query(req, "durable") === "1");
  } catch (e) {
    return error(400, (e as Error).message);
  }
  return json(200, { success: true, key: key, value: value });
}
