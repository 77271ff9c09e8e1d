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
import { steps as run, StepOp } from "./steps.ts";

/**
 * Checks a job document ({"version": 1, "jobs": [...]}) against this
 * board's limits: "" when it may run, else the first mistake with its place.
 * With `at` ("jobs[2]"), doc is one job, checked alone (at boot), its steps
 * counted into n[0]. With a count and job(i), doc is the document without its
 * jobs (its "jobs" empty) and each job is had from job(i) when it is checked
 * (a deploy: jobs.ts parses one at a time). One function: its parts are made
 * when it is called (a top-level function holds JsVars on the chip for as
 * long as the node runs).
 */
export function checkJobs(doc: any, at?: string | number, n?: number[] | ((i: number) => any)): string;
export function checkJobs(): string {
  // (its arguments read from `arguments`: on the chip each declared parameter holds a JsVar for as long as the node runs)
  const doc = arguments[0];
  const at: string | number | undefined = arguments[1];
  const n = arguments[2];
  /**
   * The spec of a step kind's or trigger type's arguments; undefined when there
   * is no such kind on this board. (A switch: only the spec asked for is made,
   * where a table would hold every one while the check runs.)
   */
  const spec = (kind: string): string | undefined => {
    switch (kind) {
      case "pin.read":
        return "pin=p pull?=/none|up|down/ save_as?=k";
      case "pin.write":
        return "pin=p value=v";
      case "adc.read":
        return "pin=p save_as?=k";
      case "kv.get":
        return "key=s default?=v save_as?=k";
      // (durable keys where the board keeps them: kvDurable)
      case "kv.put":
        return "key=s value=v ttl_s?=n" + (SPORE_LIMITS.kvDurable ? " durable?=b" : "");
      case "kv.incr":
        return "key=s by?=n ttl_s?=n save_as?=k" + (SPORE_LIMITS.kvDurable ? " durable?=b" : "");
      case "kv.del":
        return "key=s";
      case "event.fire":
      case "event.publish":
        return "name=s data?=v";
      case "parse":
        return "value=v codec=s encoding?=/raw|hex|base64/ save_as?=k at?=v endian?=v length?=v tag?=v fields?=v";
      case "if":
        return "cond=s then=S else?=S";
      case "try":
        return "steps=S catch?=S";
      case "wait":
        return "ms=n";
      case "log":
        return "message=v";
      case "t.startup":
        return "";
      case "t.interval":
        return "every_ms=n";
      case "t.event":
        return "name=s scope?=/any|local|cluster/";
      case "t.pin":
        return "pin=p edge?=/rising|falling|both/ debounce_ms?=n pull?=/none|up|down/";
      case "job":
        return "name=s trigger=v steps=S concurrency?=/serial|concurrent/ max_instances?=n placement?=/any/ singleton?=b";
    }
    if (SPORE_CAPS.mqtt && kind === "mqtt.publish") return "topic=s payload?=v json?=v qos?=/0|1/ retain?=b";
    if (SPORE_CAPS.mqtt && kind === "t.mqtt") return "topic=s";
    if (SPORE_CAPS.services && kind === "call") return "service=s args?=v timeout?=n retries?=n version?=n save_as?=k";
    if (SPORE_CAPS.services && kind === "t.call") return "service=s version?=n";
    return undefined;
  };

  /**
   * Names a job's variables may not take: the trigger's, the node's, a catch's
   * error. (Looked up as a list: Espruino 2v29's String indexOf takes a search
   * string that runs off the end for a match, " job ".indexOf(" x ") is 4.)
   */
  const RESERVED = "event mqtt pin call node error job";

  /**
   * Checks one object against a spec; a field of steps found is put on `todo`
   * ([steps, place], checked after: no recursion, whose every level would hold
   * its scope on the chip while the levels inside it are checked, about 55
   * JsVars a level, measured). Returns "" or "<path>: <reason>".
   */
  const fields = (o: any, s: string, at: string, todo: any[]): string => {
    if (typeof o !== "object" || o === null || Array.isArray(o)) return at + ": must be an object";
    // each field of the spec in turn, by its place: no list of them is made
    for (let i = 0; i < s.length; ) {
      let end = s.indexOf(" ", i);
      if (end < 0) end = s.length;
      const eq = s.indexOf("=", i);
      const opt = s[eq - 1] === "?";
      const name = s.substring(i, eq - (opt ? 1 : 0));
      const t = s.substring(eq + 1, end);
      i = end + 1;
      const v = o[name];
      if (v === undefined) {
        if (!opt) return at + "." + name + ": required";
        continue;
      }
      if (t === "S") {
        todo.push(v, at + "." + name);
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
      if (bad) return at + "." + name + ": " + bad;
    }
    // a key no field of the spec names ("\x01" last: Espruino 2v29's indexOf matches a search string that runs off
    // the end, and none ends in that)
    const all = " " + s + "\x01";
    for (const k in o) if (all.indexOf(" " + k + "=") < 0 && all.indexOf(" " + k + "?=") < 0) return at + "." + k + ": unknown";
    return "";
  };

  /**
   * One job: its fields, its steps (each {"kind": {arguments}}, counted into
   * n[0]; the lists nested in them in the order they are found), its
   * trigger. "" or the mistake.
   */
  const checkJob = (j: any, at: string, n: number[]): string => {
    const todo: any[] = [];
    let bad = fields(j, spec("job")!, at, todo);
    while (!bad && todo.length) {
      const list = todo.shift();
      const place: string = todo.shift();
      if (!Array.isArray(list)) return place + ": must be a list of steps";
      // eight levels at most
      let depth = 0;
      for (let k = 0; k < place.length; k++) if (place[k] === "[") depth++;
      if (depth > 8) return place + ": steps nested more than 8 deep";
      for (let i = 0; i < list.length && !bad; i++) {
        const st = list[i];
        const where = place + "[" + i + "]";
        let kind = "";
        let keys = 0;
        if (st !== null && typeof st === "object" && !Array.isArray(st))
          for (const k in st) {
            kind = k;
            keys++;
          }
        if (keys !== 1) return where + ": must be an object with one key, the step's kind";
        const s = kind[0] !== "t" || kind[1] !== "." ? spec(kind) : undefined;
        if (s === undefined || kind === "job") return where + "." + kind + ": unknown step on this board";
        n[0]++;
        const a = st[kind];
        bad = fields(a, s, where + "." + kind, todo);
        if (bad) break;
        const w = where + "." + kind + ".";
        try {
          if (kind === "if") run(StepOp.Cond, a.cond);
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
    }
    if (bad) return bad;
    if (!(j.name.length < 25 && /^[A-Za-z0-9_-]+$/.test(j.name))) return at + ".name: 1 to 24 of A-Z a-z 0-9 _ -";
    // run by one node of the cluster: boards that cannot place or elect refuse it (on every node it would run everywhere)
    if (j.placement && !SPORE_CAPS.placement) return at + ".placement: this board cannot place jobs (the placement capability)";
    if (j.singleton && !SPORE_CAPS.leader) return at + ".singleton: this board elects no leader (the leader capability)";
    if (j.placement && j.singleton) return at + ": placement any or singleton, not both";
    const m = j.max_instances;
    if (m !== undefined && !(m >= 1 && m <= 8 && Math.floor(m) === m)) return at + ".max_instances: 1 to 8";
    const t = j.trigger;
    const type = t && typeof t === "object" ? t.type : undefined;
    const s = typeof type === "string" ? spec("t." + type) : undefined;
    if (s === undefined) return at + ".trigger.type: " + (type === undefined ? "required" : "unknown trigger on this board: " + type);
    const tb = fields(t, "type=s" + (s ? " " + s : ""), at + ".trigger", todo);
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
  };

  if (typeof at === "string") return checkJob(doc, at, n);
  if (doc === null || typeof doc !== "object" || doc.version !== 1 || !Array.isArray(doc.jobs)) return 'document: must be {"version": 1, "jobs": [...]}';
  for (const k of Object.keys(doc)) if (k !== "version" && k !== "jobs") return k + ": unknown";
  const length = at === undefined ? doc.jobs.length : at;
  const job = at === undefined ? (i: number) => doc.jobs[i] : n;
  if (length > SPORE_LIMITS.jobs) return "jobs: " + length + " jobs, this board takes " + SPORE_LIMITS.jobs;
  const count = [0];
  const names: string[] = [];
  for (let i = 0; i < length; i++) {
    const j = job(i);
    const where = "jobs[" + i + "]";
    const bad = checkJob(j, where, count);
    if (bad) return bad;
    if (names.indexOf(j.name) >= 0) return where + ".name: " + j.name + " is taken by another job";
    names.push(j.name);
  }
  return count[0] > SPORE_LIMITS.jobSteps ? "jobs: " + count[0] + " steps in all, this board takes " + SPORE_LIMITS.jobSteps : "";
}
