// A job file checked on the host before a node sees it: the JSON Schema
// (host-tools/schema/jobs.schema.json, ajv), then what a schema cannot say:
// unique names, save_as names that are not reserved, conditions that parse
// as the node parses them (device/core/steps.ts, StepOp.Fill and Cond), ${...} templates well
// formed and naming a value the job has, and a board's limits. Every mistake
// is named by its dotted path: jobs[0].steps[2].kv.incr.by: must be a number.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { REPO_ROOT } from "../build/paths.ts";

export const JOBS_SCHEMA = join(REPO_ROOT, "host-tools", "schema", "jobs.schema.json");

/** Roots of ${path} the node fills in itself: a step may not save_as one. */
export const RESERVED = ["event", "mqtt", "pin", "call", "node", "error", "job"];
/** The values each trigger gives its runs (${event.data}), and the node's own. */
const TRIGGER_VALUES: Record<string, string[]> = { event: ["name", "data", "origin"], mqtt: ["topic", "payload"], pin: ["state", "pin"], call: ["args", "from"] };
const NODE_VALUES = ["hostname", "id", "uptime", "free", "members"];
/** Step arguments that are not templated (names, codec options) or are checked otherwise (cond, nested steps). */
const NOT_TEMPLATED = new Set(["save_as", "cond", "then", "else", "steps", "catch", "codec", "encoding", "at", "endian", "length", "tag", "fields"]);
const PATH = /^[A-Za-z_][A-Za-z0-9_]*(\.[^.\s{}$]+)*$/;
/** The schema's pattern for a number or flag that may also be one whole ${path} (a string then gives the value itself). */
const WHOLE_TEMPLATE = "^\\$\\{[^{}]+\\}$";

export interface JobFile {
  /** The document as written (no defaults filled in: the node applies its own). */
  doc: { version: 1; jobs: Record<string, unknown>[] };
  /** What is sent: JSON without spaces, as UTF-8. */
  body: Buffer;
  jobs: number;
  /** Steps in all jobs, nested ones (then, else, try's steps and catch) counted. */
  steps: number;
  /** Where the set needs a capability a board may leave out. */
  needs: { path: string; capability: "mqtt" | "services" | "codecs" | "durable" }[];
}

/** A job file that does not pass: every mistake, each "<file>: <path>: <reason>". */
export class JobFileError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join("\n"));
  }
}

let validate: ValidateFunction | undefined;
function schemaCheck(doc: unknown): ErrorObject[] {
  // an instance of its own: the shared one fills in defaults, which would change what is sent
  validate ??= new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, verbose: true }).compile(JSON.parse(readFileSync(JOBS_SCHEMA, "utf8")));
  return validate(doc) ? [] : (validate.errors ?? []);
}

/** "/jobs/0/steps/2/kv.incr/by" as "jobs[0].steps[2].kv.incr.by" (an index where the data holds an array). */
export function dottedPath(pointer: string, data: unknown): string {
  let out = "";
  let v = data as any;
  for (const raw of pointer.split("/").slice(1)) {
    const k = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    out += Array.isArray(v) ? `[${k}]` : out ? `.${k}` : k;
    v = v !== null && typeof v === "object" ? v[k] : undefined;
  }
  return out;
}

const article = (t: string) => (/^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`);
const either = (xs: unknown[]) => (xs.length > 2 ? `one of ${xs.map((x) => JSON.stringify(x)).join(", ")}` : xs.map((x) => JSON.stringify(x)).join(" or "));
const at = (path: string, reason: string) => (path ? `${path}: ${reason}` : reason);

/** The types a value may have, in words: "a number"; text that may only be a template is left out. */
function typesOf(e: ErrorObject, schema: Record<string, any>): string {
  const types: string[] = [schema.type ?? e.params.type].flat();
  return types.filter((t) => t !== "string" || schema.pattern !== WHOLE_TEMPLATE).map(article).join(" or ");
}

function describe(e: ErrorObject, doc: unknown): string {
  const path = dottedPath(e.instancePath, doc);
  const schema = (e.parentSchema ?? {}) as Record<string, any>;
  // schemaPath starts afresh in each $ref'd definition: the step is the one object schema that takes one key
  const isStep = schema.maxProperties === 1;
  if (e.propertyName !== undefined) return at(path, `"${e.propertyName}" is not a tag or field number (0 to 999999999)`);
  switch (e.keyword) {
    case "required":
      return at(path, `missing field "${e.params.missingProperty}"`);
    case "additionalProperties": {
      const name = e.params.additionalProperty as string;
      if (isStep) return at(path, `unknown step "${name}" (${Object.keys(schema.properties).join(" ")})`);
      return at(path, `unknown field "${name}"${e.schemaPath.includes("/then/") && !schema.type ? ` (${schema.description})` : ""}`);
    }
    case "minProperties":
      return at(path, "empty step: give it one key, its kind");
    case "maxProperties":
      return at(path, `a step has one key, its kind (found ${Object.keys(e.data as object).join(", ")})`);
    case "type":
      return at(path, `must be ${typesOf(e, schema)}`);
    case "enum":
      return at(path, `must be ${either(e.params.allowedValues)}`);
    case "const":
      return at(path, `must be ${JSON.stringify(e.params.allowedValue)}`);
    case "minimum":
    case "maximum":
      return at(path, schema.minimum !== undefined && schema.maximum !== undefined ? `must be from ${schema.minimum} to ${schema.maximum}` : (e.message ?? ""));
    case "pattern":
      if (schema.pattern === WHOLE_TEMPLATE) return at(path, `must be ${typesOf(e, schema)} (text only as one \${path} that gives one)`);
      return at(path, `${JSON.stringify(e.data)} is not ${schema.description}`);
    case "minLength":
    case "minItems":
      return at(path, "must not be empty");
    case "maxLength":
      return at(path, `at most ${schema.maxLength} characters (${String(e.data).length})`);
    case "anyOf":
    case "not":
      return at(path, schema.description);
    case "false schema":
      return at(path, "not allowed here");
    default:
      return at(path, e.message ?? e.keyword);
  }
}

/** The schema's mistakes, each said once: not the "if" that chose a branch, nor the parts of a failed anyOf. */
function schemaProblems(doc: unknown): string[] {
  const errors = schemaCheck(doc);
  const groups = errors.filter((e) => e.keyword === "anyOf");
  const inGroup = (e: ErrorObject) => groups.some((g) => e.instancePath === g.instancePath && e.schemaPath.startsWith(g.schemaPath + "/"));
  const kept = errors.filter((e) => e.keyword !== "if" && e.keyword !== "propertyNames" && !inGroup(e));
  return [...new Set(kept.map((e) => describe(e, doc)))];
}

/** The ${path}s of a templated string, or the reason it is not well formed. */
export function templatePaths(s: string): { paths: string[]; error?: string } {
  const paths: string[] = [];
  for (let i = s.indexOf("${"); i >= 0; i = s.indexOf("${", i + 2)) {
    const close = s.indexOf("}", i);
    if (close < 0) return { paths, error: `unclosed \${ at character ${i + 1}` };
    const p = s.slice(i + 2, close);
    if (!PATH.test(p)) return { paths, error: `bad path \${${p}} at character ${i + 1} (a name, then .field or .0 parts)` };
    paths.push(p);
  }
  return { paths };
}

/**
 * An `if` condition parsed as the node parses it (device/core/steps.ts
 * test()): || over && over one comparison (== != < <= > >=) of operands;
 * an operand is ( condition ), ! operand, ${path}, a number, 'text' or
 * "text", true, false or null. Spaces only between tokens. Its ${path}s,
 * or the reason it does not parse, with the character where it went wrong.
 */
export function parseCondition(cond: string): { paths: string[]; error?: string } {
  const paths: string[] = [];
  let i = 0;
  let start = 0;
  let tok = "";
  const fail = (why: string): never => {
    throw new Error(`${why} at character ${start + 1}`);
  };
  const next = () => {
    while (cond[i] === " ") i++;
    start = i;
    const two = cond.substr(i, 2);
    let j = i + 1;
    if (["==", "!=", "<=", ">=", "&&", "||"].includes(two)) j = i + 2;
    else if (two === "${") j = cond.indexOf("}", i) + 1 || fail("unclosed ${");
    else if (cond[i] === "'" || cond[i] === '"') j = cond.indexOf(cond[i], i + 1) + 1 || fail("unclosed text");
    else if (/[0-9.a-z-]/.test(cond[i] ?? "")) while (j < cond.length && /[0-9.a-zA-Z_eE+-]/.test(cond[j]) && !(cond[j] === "-" && !/[eE]/.test(cond[j - 1]))) j++;
    tok = cond.substring(i, j);
    i = j;
  };
  const unexpected = (): never => fail(tok ? `unexpected "${tok}"` : "unexpected end");
  const operand = () => {
    const t = tok;
    const pos = start;
    if (!t || [")", "==", "!=", "<", "<=", ">", ">=", "&&", "||"].includes(t)) fail(t ? `expected a value, found "${t}"` : "expected a value, found the end");
    if (t === "=") fail('"=" is no operator: == compares');
    next();
    if (t === "(") {
      or();
      if (tok !== ")") fail(tok ? `expected ")", found "${tok}"` : 'expected ")", found the end');
      next();
    } else if (t === "!") operand();
    else if (t.startsWith("${")) {
      const p = t.slice(2, -1);
      if (!PATH.test(p)) fail(`bad path ${t}`);
      paths.push(p);
    } else if (!/^['"]/.test(t) && !["true", "false", "null"].includes(t) && !Number.isFinite(Number(t))) {
      start = pos;
      fail(`"${t}" is not a value (numbers, 'text', true, false, null, \${path})`);
    }
  };
  const compare = () => {
    operand();
    if (tok === "=") fail('"=" is no operator: == compares');
    if (!["==", "!=", "<", "<=", ">", ">="].includes(tok)) return;
    next();
    operand();
  };
  const and = () => {
    compare();
    while (tok === "&&") next(), compare();
  };
  const or = () => {
    and();
    while (tok === "||") next(), and();
  };
  try {
    next();
    or();
    if (tok) unexpected();
    return { paths };
  } catch (e) {
    return { paths, error: (e as Error).message };
  }
}

interface Context {
  job: string;
  trigger: string;
  saved: Set<string>;
  inCatch: boolean;
  problems: string[];
  needs: JobFile["needs"];
}

/** Why ${p} has no value in this job, or "". */
function noValue(p: string, c: Context): string {
  const [root, field] = p.split(".");
  const no = `no value for \${${p}}`;
  if (root === "node") return field !== undefined && NODE_VALUES.includes(field) ? "" : `${no}: node has ${NODE_VALUES.join(", ")}`;
  if (root === "error") return c.inCatch ? "" : `${no}: only a catch has an error`;
  if (root === "job") return "";
  if (TRIGGER_VALUES[root]) {
    if (root !== c.trigger) return `${no}: a ${c.trigger} job has no ${root} values`;
    return field !== undefined && TRIGGER_VALUES[root].includes(field) ? "" : `${no}: ${root} has ${TRIGGER_VALUES[root].join(", ")}`;
  }
  return c.saved.has(root) ? "" : `${no}: no step of ${c.job} saves "${root}" (save_as)`;
}

function checkPaths(where: string, found: { paths: string[]; error?: string }, c: Context): void {
  if (found.error) c.problems.push(`${where}: ${found.error}`);
  for (const p of found.paths) {
    const why = noValue(p, c);
    if (why) c.problems.push(`${where}: ${why}`);
  }
}

/** Every string in a templated argument, with its path. */
function checkTemplates(where: string, v: unknown, c: Context): void {
  if (typeof v === "string") checkPaths(where, templatePaths(v), c);
  else if (Array.isArray(v)) v.forEach((x, i) => checkTemplates(`${where}[${i}]`, x, c));
  else if (v !== null && typeof v === "object") for (const [k, x] of Object.entries(v)) checkTemplates(`${where}.${k}`, x, c);
}

const isObject = (v: unknown): v is Record<string, any> => v !== null && typeof v === "object" && !Array.isArray(v);
const templated = (s: unknown) => typeof s === "string" && s.includes("${");

/** Calls `each` for every step of a list, nested ones too (then, else, steps, catch), with its path and whether it is in a catch; returns how many. */
function walkSteps(list: unknown, where: string, inCatch: boolean, each: (step: Record<string, any>, kind: string, args: any, path: string, inCatch: boolean) => void): number {
  if (!Array.isArray(list)) return 0;
  let n = 0;
  list.forEach((step, i) => {
    n++;
    if (!isObject(step) || Object.keys(step).length !== 1) return;
    const kind = Object.keys(step)[0];
    const args = step[kind];
    const path = `${where}[${i}].${kind}`;
    each(step, kind, args, path, inCatch);
    if (!isObject(args)) return;
    for (const part of ["then", "else", "steps", "catch"]) n += walkSteps(args[part], `${path}.${part}`, inCatch || (kind === "try" && part === "catch"), each);
  });
  return n;
}

function checkStep(kind: string, args: any, path: string, c: Context): void {
  if (!isObject(args)) return;
  if (typeof args.save_as === "string" && RESERVED.includes(args.save_as)) c.problems.push(`${path}.save_as: "${args.save_as}" is reserved (${RESERVED.join(" ")})`);
  for (const [k, v] of Object.entries(args)) if (!NOT_TEMPLATED.has(k)) checkTemplates(`${path}.${k}`, v, c);
  if (typeof args.key === "string" && !templated(args.key) && args.key.length > 32) c.problems.push(`${path}.key: at most 32 characters (${args.key.length})`);
  if (typeof args.name === "string" && kind.startsWith("event.") && !templated(args.name) && args.name.length > 32) c.problems.push(`${path}.name: at most 32 characters (${args.name.length})`);
  if (kind === "if" && typeof args.cond === "string") checkPaths(`${path}.cond`, parseCondition(args.cond), c);
  if (kind === "mqtt.publish") c.needs.push({ path, capability: "mqtt" });
  if (kind === "call") c.needs.push({ path, capability: "services" });
  // durable keys where the board keeps them in Storage (node.kvDurable)
  if ((kind === "kv.put" || kind === "kv.incr") && args.durable !== undefined && args.durable !== false) c.needs.push({ path: `${path}.durable`, capability: "durable" });
  // a board without codecs parses raw JSON only
  if (kind === "parse" && args.codec !== "json") c.needs.push({ path: `${path}.codec`, capability: "codecs" });
  else if (kind === "parse" && (args.encoding ?? "raw") !== "raw") c.needs.push({ path: `${path}.encoding`, capability: "codecs" });
  if (kind === "parse" && isObject(args.fields) && (args.codec === "tlv" || args.codec === "pb")) {
    const [least, most] = args.codec === "pb" ? [1, 536870911] : [0, args.tag === "u16" ? 65535 : 255];
    for (const k of Object.keys(args.fields)) if (/^\d+$/.test(k) && (Number(k) < least || Number(k) > most)) c.problems.push(`${path}.fields.${k}: a ${args.codec === "pb" ? "field number" : `${args.tag ?? "u8"} tag`} is from ${least} to ${most}`);
  }
}

/** The checks a schema cannot express, over a document of any shape (what the schema refused is skipped). Steps are counted too. */
function extraChecks(doc: any): { problems: string[]; steps: number; needs: JobFile["needs"] } {
  const problems: string[] = [];
  const needs: JobFile["needs"] = [];
  let steps = 0;
  const jobs: unknown[] = isObject(doc) && Array.isArray(doc.jobs) ? doc.jobs : [];
  const names = new Map<string, number>();
  jobs.forEach((job, j) => {
    if (!isObject(job)) return;
    const where = `jobs[${j}]`;
    if (typeof job.name === "string") {
      if (names.has(job.name)) problems.push(`${where}.name: "${job.name}" is jobs[${names.get(job.name)}]'s name too`);
      else names.set(job.name, j);
    }
    if (job.concurrency !== "concurrent" && typeof job.max_instances === "number" && job.max_instances > 1) problems.push(`${where}.max_instances: a serial job runs once at a time: leave it out, or make the job "concurrent"`);
    const trigger = isObject(job.trigger) ? job.trigger : {};
    const c: Context = { job: typeof job.name === "string" ? job.name : where, trigger: String(trigger.type), saved: new Set(), inCatch: false, problems, needs };
    if (typeof trigger.topic === "string") {
      const t = templatePaths(trigger.topic);
      if (t.error) problems.push(`${where}.trigger.topic: ${t.error}`);
      for (const p of t.paths) if (p !== "node.hostname" && p !== "node.id") problems.push(`${where}.trigger.topic: \${${p}}: a topic filter takes \${node.hostname} and \${node.id} only`);
    }
    if (trigger.type === "mqtt") needs.push({ path: `${where}.trigger`, capability: "mqtt" });
    if (trigger.type === "call") needs.push({ path: `${where}.trigger`, capability: "services" });
    // what the job saves, anywhere in it: a value saved in one branch and read in another is the node's to find missing
    walkSteps(job.steps, `${where}.steps`, false, (_s, _k, args) => isObject(args) && typeof args.save_as === "string" && c.saved.add(args.save_as));
    steps += walkSteps(job.steps, `${where}.steps`, false, (_s, kind, args, path, inCatch) => checkStep(kind, args, path, { ...c, inCatch }));
  });
  return { problems, steps, needs };
}

/** Checks a parsed job document: the problems ("<path>: <reason>", none when it passes) and what it holds. */
export function checkJobDocument(doc: unknown): { problems: string[]; jobs: number; steps: number; needs: JobFile["needs"]; bytes: number } {
  const extra = extraChecks(doc);
  const jobs = isObject(doc) && Array.isArray(doc.jobs) ? doc.jobs.length : 0;
  return { problems: [...schemaProblems(doc), ...extra.problems], jobs, steps: extra.steps, needs: extra.needs, bytes: Buffer.byteLength(JSON.stringify(doc) ?? "") };
}

/** Reads and checks a job file (JSON; YAML is refused: no YAML parser is installed); problems name it as `file` (the path as the user gave it). */
export function loadJobFile(path: string, file = path): JobFile {
  if (/\.ya?ml$/i.test(file)) throw new JobFileError([`${file}: YAML is not read (no YAML parser among the host tools' packages): write the job file as JSON`]);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new JobFileError([`${file}: cannot read (${(e as Error).message})`]);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new JobFileError([`${file}: not valid JSON (${(e as Error).message})`]);
  }
  const r = checkJobDocument(doc);
  if (r.problems.length) throw new JobFileError(r.problems.map((p) => `${file}: ${p}`));
  return { doc: doc as JobFile["doc"], body: Buffer.from(JSON.stringify(doc), "utf8"), jobs: r.jobs, steps: r.steps, needs: r.needs };
}

/** What a board allows a job set, from boards/<board>.json (limits it does not give are not checked). */
export interface BoardJobLimits {
  name: string;
  jobs?: number;
  jobSteps?: number;
  body?: number;
  /** 0: the KV store is in RAM only (a durable key is refused) */
  kvDurable?: number;
  capabilities: Partial<Record<"jobs" | "mqtt" | "services" | "codecs", boolean>>;
}

/** Why a board would refuse the set ("" for each limit it keeps), each a line. */
export function boardProblems(f: Pick<JobFile, "jobs" | "steps" | "body" | "needs">, b: BoardJobLimits): string[] {
  if (b.capabilities.jobs === false) return [`${b.name} runs no jobs: its board leaves the jobs capability out`];
  const out: string[] = [];
  if (b.jobs !== undefined && f.jobs > b.jobs) out.push(`${f.jobs} jobs: ${b.name} holds at most ${b.jobs}`);
  if (b.jobSteps !== undefined && f.steps > b.jobSteps) out.push(`${f.steps} steps (nested ones counted): ${b.name} holds at most ${b.jobSteps}`);
  if (b.body !== undefined && f.body.length > b.body) out.push(`${f.body.length} bytes as sent: over ${b.name}'s request body limit of ${b.body} bytes`);
  const what = { mqtt: "an MQTT client (the mqtt capability)", services: "services (the services capability)", codecs: "codecs beyond json (the codecs capability)", durable: "durable KV keys (its store is in RAM only: node.kvDurable 0)" };
  for (const n of f.needs) if (n.capability === "durable" ? b.kvDurable === 0 : b.capabilities[n.capability] === false) out.push(`${n.path}: ${b.name} has no ${what[n.capability]}`);
  return out;
}
