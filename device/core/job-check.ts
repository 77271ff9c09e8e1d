// The jobs capability's check of a job document on the node (the host checks
// it first against host-tools/schema/jobs.schema.json; a node checks again,
// since anyone with the secret can POST one). A mistake is reported with its
// place: "jobs[0].steps[2].kv.incr.by: must be a number". Each kind's
// arguments are described by a short spec, made when asked for (a table kept
// in RAM would cost JsVars for as long as the node runs):
// "name=type" separated by spaces, "?" after the name when it is optional;
// types: s text, n number (or a ${...} template), p pin (text or whole
// number), v any value, b true, false or a template, k a variable name,
// S steps, /a|b/ one of those (as text).
import { isEventName } from "./events.ts";
import { codecCheck } from "./codecs.ts";
import { test } from "./template.ts";

/** The spec of a step kind's or trigger type's arguments; undefined when there is no such kind on this board. */
function spec(kind: string): string | undefined {
  const k: Record<string, string> = {
    "pin.read": "pin=p pull?=/none|up|down/ save_as?=k",
    "pin.write": "pin=p value=v",
    "adc.read": "pin=p save_as?=k",
    "kv.get": "key=s default?=v save_as?=k",
    "kv.put": "key=s value=v ttl_s?=n durable?=b",
    "kv.incr": "key=s by?=n ttl_s?=n durable?=b save_as?=k",
    "kv.del": "key=s",
    "event.fire": "name=s data?=v",
    "event.publish": "name=s data?=v",
    parse: "value=v codec=s encoding?=/raw|hex|base64/ save_as?=k at?=v endian?=v length?=v tag?=v fields?=v",
    if: "cond=s then=S else?=S",
    try: "steps=S catch?=S",
    wait: "ms=n",
    log: "message=v",
    "t.startup": "",
    "t.interval": "every_ms=n",
    "t.event": "name=s scope?=/any|local|cluster/",
    "t.pin": "pin=p edge?=/rising|falling|both/ debounce_ms?=n pull?=/none|up|down/",
    job: "name=s trigger=v steps=S concurrency?=/serial|concurrent/ max_instances?=n",
  };
  if (SPORE_CAPS.mqtt) {
    k["mqtt.publish"] = "topic=s payload?=v json?=v qos?=/0|1/ retain?=b";
    k["t.mqtt"] = "topic=s";
  }
  if (SPORE_CAPS.services) {
    k.call = "service=s args?=v timeout?=n retries?=n version?=n save_as?=k";
    k["t.call"] = "service=s version?=n";
  }
  return Object.prototype.hasOwnProperty.call(k, kind) ? k[kind] : undefined;
}

/**
 * Names a job's variables may not take: the trigger's, the node's, a catch's
 * error. (Looked up as a list: Espruino 2v29's String indexOf takes a search
 * string that runs off the end for a match, " job ".indexOf(" x ") is 4.)
 */
const RESERVED = "event mqtt pin call node error job";

/**
 * Checks one object against a spec; steps found are checked by `steps`
 * (nested: their count is added to n[0]). Returns "" or "<path>: <reason>".
 */
function fields(o: any, s: string, at: string, n: number[]): string {
  if (typeof o !== "object" || o === null || Array.isArray(o)) return at + ": must be an object";
  const known: string[] = [];
  for (const f of s ? s.split(" ") : []) {
    const eq = f.indexOf("=");
    const opt = f[eq - 1] === "?";
    const name = f.substr(0, eq - (opt ? 1 : 0));
    const t = f.substr(eq + 1);
    const v = o[name];
    const where = at + "." + name;
    known.push(name);
    if (v === undefined) {
      if (!opt) return where + ": required";
      continue;
    }
    // (a regular expression: Espruino's indexOf would take a string ending in "$" for one with "${")
    const tpl = typeof v === "string" && /\$\{/.test(v);
    let bad = "";
    if (t === "s" && typeof v !== "string") bad = "must be text";
    if (t === "n" && typeof v !== "number" && !tpl) bad = "must be a number";
    if (t === "b" && typeof v !== "boolean" && !tpl) bad = "must be true or false";
    if (t === "p" && !(typeof v === "string" ? v.length > 0 && v.length < 9 : v >= 0 && v < 64 && Math.floor(v) === v)) bad = "must be a pin (D5, A0 or a number)";
    if (t === "k" && !(typeof v === "string" && v.length < 17 && /^[A-Za-z_][A-Za-z0-9_]*$/.test(v) && RESERVED.split(" ").indexOf(v) < 0)) bad = "must be a name (letters, digits, _; at most 16; not a reserved one)";
    if (t[0] === "/" && ((typeof v !== "string" && typeof v !== "number") || t.substr(1, t.length - 2).split("|").indexOf(String(v)) < 0)) bad = "must be one of " + t.substr(1, t.length - 2).split("|").join(", ");
    if (t === "S") bad = steps(v, where, n);
    if (bad) return t === "S" ? bad : where + ": " + bad;
  }
  for (const k of Object.keys(o)) if (known.indexOf(k) < 0) return at + "." + k + ": unknown";
  return "";
}

/** Checks a list of steps (each {"kind": {arguments}}), counting them into n[0]. */
function steps(list: any, at: string, n: number[]): string {
  if (!Array.isArray(list)) return at + ": must be a list of steps";
  // each level's check holds about 90 JsVars on the chip while it runs (measured): eight levels at most
  if (at.split("[").length > 9) return at + ": steps nested more than 8 deep";
  for (let i = 0; i < list.length; i++) {
    const st = list[i];
    const where = at + "[" + i + "]";
    const keys = st !== null && typeof st === "object" && !Array.isArray(st) ? Object.keys(st) : [];
    if (keys.length !== 1) return where + ": must be an object with one key, the step's kind";
    const kind = keys[0];
    const s = kind[0] !== "t" || kind[1] !== "." ? spec(kind) : undefined;
    if (s === undefined || kind === "job") return where + "." + kind + ": unknown step on this board";
    n[0]++;
    const a = st[kind];
    const bad = fields(a, s, where + "." + kind, n);
    if (bad) return bad;
    const w = where + "." + kind + ".";
    try {
      if (kind === "if") test(a.cond, undefined);
    } catch (e) {
      return w + "cond: " + (e as Error).message.substr(6);
    }
    if (kind === "mqtt.publish" && (a.payload === undefined) === (a.json === undefined)) return w + "payload: give payload (text) or json, one of them";
    if ((kind === "event.fire" || kind === "event.publish") && !/\$\{/.test(a.name) && !isEventName(a.name)) return w + "name: 1 to 32 of a-z A-Z 0-9 / _ . -";
    if (kind === "parse") {
      const c = SPORE_CAPS.codecs ? codecCheck(a) : a.codec === "json" && (a.encoding || "raw") === "raw" && Object.keys(a).length < 4 ? "" : "codec: json only on this board";
      if (c) return w + c;
    }
  }
  return "";
}

/**
 * Checks a job document ({"version": 1, "jobs": [...]}) against this
 * board's limits: "" when it may run, else the first mistake with its place.
 */
export function checkJobs(doc: any): string {
  if (doc === null || typeof doc !== "object" || doc.version !== 1 || !Array.isArray(doc.jobs)) return 'document: must be {"version": 1, "jobs": [...]}';
  for (const k of Object.keys(doc)) if (k !== "version" && k !== "jobs") return k + ": unknown";
  const list = doc.jobs;
  if (list.length > SPORE_LIMITS.jobs) return "jobs: " + list.length + " jobs, this board takes " + SPORE_LIMITS.jobs;
  const n = [0];
  const names: string[] = [];
  for (let i = 0; i < list.length; i++) {
    const j = list[i];
    const at = "jobs[" + i + "]";
    const bad = checkJob(j, at, n);
    if (bad) return bad;
    if (names.indexOf(j.name) >= 0) return at + ".name: " + j.name + " is taken by another job";
    names.push(j.name);
  }
  return n[0] > SPORE_LIMITS.jobSteps ? "jobs: " + n[0] + " steps in all, this board takes " + SPORE_LIMITS.jobSteps : "";
}

/** One job: its fields, trigger and steps ("" or the mistake). */
export function checkJob(j: any, at: string, n: number[]): string {
  const bad = fields(j, spec("job")!, at, n);
  if (bad) return bad;
  if (!(j.name.length < 25 && /^[A-Za-z0-9_-]+$/.test(j.name))) return at + ".name: 1 to 24 of A-Z a-z 0-9 _ -";
  const m = j.max_instances;
  if (m !== undefined && !(m >= 1 && m <= 8 && Math.floor(m) === m)) return at + ".max_instances: 1 to 8";
  const t = j.trigger;
  const type = t && typeof t === "object" ? t.type : undefined;
  const s = typeof type === "string" ? spec("t." + type) : undefined;
  if (s === undefined) return at + ".trigger.type: " + (type === undefined ? "required" : "unknown trigger on this board: " + type);
  const tb = fields(t, "type=s" + (s ? " " + s : ""), at + ".trigger", n);
  if (tb) return tb;
  if (type === "interval" && !(t.every_ms >= 100 && t.every_ms <= 86400000 && Math.floor(t.every_ms) === t.every_ms)) return at + ".trigger.every_ms: 100 to 86400000";
  if (type === "pin" && t.debounce_ms !== undefined && !(t.debounce_ms >= 0 && t.debounce_ms <= 10000)) return at + ".trigger.debounce_ms: 0 to 10000";
  // (two * at most: each is a ".*" in a regular expression, which backtracks exponentially in their number)
  if (type === "event" && !(t.name.length < 33 && /^[a-zA-Z0-9\/_.*-]+$/.test(t.name) && t.name.split("*").length < 4)) return at + ".trigger.name: 1 to 32 of a-z A-Z 0-9 / _ . - and at most two * (any run of characters)";
  // each level "+", or "#" as the last, or neither in it
  const levels = type === "mqtt" ? t.topic.split("/") : [];
  let wild = 0;
  for (let i = 0; i < levels.length; i++) if (levels[i] !== "+" && !(levels[i] === "#" && i === levels.length - 1) && /[+#]/.test(levels[i])) wild = 1;
  if (wild || (type === "mqtt" && (!t.topic || t.topic.length > 128))) return at + ".trigger.topic: an MQTT topic filter (+ a level, # the rest, at the end)";
  return "";
}
