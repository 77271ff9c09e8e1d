// Job files checked on the host (host-tools/lib/jobs.ts and
// host-tools/schema/jobs.schema.json): every trigger and step kind passes,
// each kind of mistake is named by its path and reason; and the jobs and kv
// commands against fake nodes (what they send, what they print).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as assert from "uvu/assert";
import { loadBoard } from "../../host-tools/build/boards.ts";
import { runCli } from "../../host-tools/cli.ts";
import { boardProblems, checkJobDocument, dottedPath, JobFileError, loadJobFile, parseCondition, templatePaths } from "../../host-tools/lib/jobs.ts";
import type { HttpReply, HttpRequest, Transport } from "../../host-tools/lib/transport.ts";
import { suite } from "../suite.ts";

/** Every trigger type and every step kind with its arguments (nested steps in if, else, try and catch). */
const EVERY_KIND = {
  version: 1,
  jobs: [
    { name: "boot", trigger: { type: "startup" },
      steps: [
        { "kv.get": { key: "boots", default: 0, save_as: "before" } },
        { log: { message: "booting after ${before} boots" } },
        { "kv.incr": { key: "boots", by: 1, durable: true, ttl_s: 86400, save_as: "boots" } },
        {
          if: {
            cond: "${boots} > 1 && (${before} != 'x' || !false) && \"a\" == 'a' && null != -2.5",
            then: [{ "kv.put": { key: "last/${node.hostname}", value: { n: "${boots}", up: "${node.uptime}", free: "${node.free}" }, ttl_s: 3600, durable: false } }],
            else: [{ "event.fire": { name: "first-boot", data: "${node.id}" } }],
          },
        },
        { try: { steps: [{ call: { service: "clock", args: { tz: "UTC" }, timeout: 2000, retries: 1, version: 2, save_as: "now" } }], catch: [{ log: { message: "no clock: ${error}" } }, { "kv.del": { key: "clock" } }] } },
      ],
    },
    { name: "report", trigger: { type: "interval", every_ms: 2000 }, concurrency: "serial", max_instances: 1,
      steps: [{ "adc.read": { pin: "A0", save_as: "level" } }, { "mqtt.publish": { topic: "spore/${node.hostname}/level", json: { v: "${level}" }, qos: 1, retain: false } }],
    },
    { name: "on-event", trigger: { type: "event", name: "sensor/*", scope: "cluster" }, concurrency: "concurrent", max_instances: 3,
      steps: [{ parse: { value: "${event.data}", codec: "json", save_as: "reading" } }, { "event.publish": { name: "seen/${event.origin}", data: "${reading.t.0}" } }],
    },
    { name: "relay", trigger: { type: "mqtt", topic: "spore/${node.hostname}/relay/+" },
      steps: [
        { "pin.write": { pin: "D5", value: "${mqtt.payload}" } },
        { "pin.read": { pin: 5, pull: "up", save_as: "state" } },
        { "mqtt.publish": { topic: "${mqtt.topic}/state", payload: "${state}", retain: true } },
      ],
    },
    { name: "button", trigger: { type: "pin", pin: "D0", edge: "falling", debounce_ms: 20, pull: "up" },
      steps: [
        { wait: { ms: 100 } },
        { parse: { value: "0102a1b2", codec: "crc16", encoding: "hex", at: "suffix", endian: "be", save_as: "body" } },
        { parse: { value: "${body}", codec: "frame", encoding: "raw", length: "u8", save_as: "frame" } },
        { parse: { value: "AQID", codec: "tlv", encoding: "base64", tag: "u8", length: "u8", endian: "le", fields: { "1": { name: "temp", type: "i16" }, "2": { name: "label", type: "text" } }, save_as: "tlv" } },
        { log: { message: "pin ${pin.pin} is ${pin.state}: ${tlv}" } },
      ],
    },
    { name: "answer", trigger: { type: "call", service: "double", version: 1 },
      steps: [
        { parse: { value: "${call.args}", codec: "pb", fields: { "1": { name: "n", type: "varint" }, "2": { name: "xs", type: "sint", repeated: true } }, save_as: "msg" } },
        { parse: { value: "${msg.n}", codec: "crc32", at: "prefix", endian: "le", save_as: "c32" } },
        { parse: { value: "${c32}", codec: "adler32", save_as: "a32" } },
        { "kv.put": { key: "from", value: "${call.from}" } },
        { parse: { value: '{"double": 2}', codec: "json", save_as: "result" } },
      ],
    },
  ],
};

/** The README's example (the design's job document). */
const README_EXAMPLE = {
  version: 1,
  jobs: [{ name: "report", trigger: { type: "interval", every_ms: 2000 }, concurrency: "serial", max_instances: 1, steps: [{ "adc.read": { pin: "A0", save_as: "level" } }, { "mqtt.publish": { topic: "spore/${node.hostname}/level", json: { v: "${level}" } } }] }],
};

/** EVERY_KIND changed by `change`, and its problems. */
function changed(change: (d: any) => void): any {
  const d = structuredClone(EVERY_KIND) as any;
  change(d);
  return d;
}
const problems = (change: (d: any) => void): string[] => checkJobDocument(changed(change)).problems;

const { test: file } = suite("job files: the schema and the checks beyond it");

file("a document with every trigger and every step kind passes; its steps are counted with the nested ones, its size as sent", () => {
  const r = checkJobDocument(EVERY_KIND);
  assert.equal(r.problems, []);
  assert.is(r.jobs, 6);
  assert.is(r.steps, 27, "5 + 5 nested in boot, 2, 2, 3, 5, 5");
  assert.is(r.bytes, JSON.stringify(EVERY_KIND).length);
  assert.equal(r.needs.map((n) => `${n.capability} ${n.path}`).sort(), [
    "codecs jobs[4].steps[1].parse.codec", "codecs jobs[4].steps[2].parse.codec", "codecs jobs[4].steps[3].parse.codec", "codecs jobs[5].steps[0].parse.codec", "codecs jobs[5].steps[1].parse.codec", "codecs jobs[5].steps[2].parse.codec",
    "durable jobs[0].steps[2].kv.incr.durable", "mqtt jobs[1].steps[1].mqtt.publish", "mqtt jobs[3].steps[2].mqtt.publish", "mqtt jobs[3].trigger", "services jobs[0].steps[4].try.steps[0].call", "services jobs[5].trigger",
  ]);
  assert.equal(checkJobDocument(README_EXAMPLE).problems, [], "the README's example");
  const hex = changed((d) => (d.jobs[2].steps[0].parse.encoding = "hex"));
  assert.ok(checkJobDocument(hex).needs.some((n) => n.path === "jobs[2].steps[0].parse.encoding" && n.capability === "codecs"), "json from hex needs the codecs too");
  assert.equal(checkJobDocument({ version: 1, jobs: [] }).problems, [], "an empty set (deploying it removes every job)");
});

file("each kind of mistake in a job, its trigger and its fields: the exact message with its path", () => {
  const cases: [string, (d: any) => void, string[]][] = [
    ["version", (d) => (d.version = 2), ["version: must be 1"]],
    ["unknown top field", (d) => (d.extra = 1), ['unknown field "extra"']],
    ["no jobs", (d) => delete d.jobs, ['missing field "jobs"']],
    ["bad name", (d) => (d.jobs[0].name = "a b"), ['jobs[0].name: "a b" is not a name of 1 to 24 of A-Z a-z 0-9 _ -']],
    ["name twice", (d) => (d.jobs[2].name = "boot"), ['jobs[2].name: "boot" is jobs[0]\'s name too']],
    ["no steps", (d) => delete d.jobs[1].steps, ['jobs[1]: missing field "steps"']],
    ["empty steps", (d) => (d.jobs[1].steps = []), ["jobs[1].steps: must not be empty"]],
    ["unknown job field", (d) => (d.jobs[1].every = 3), ['jobs[1]: unknown field "every"']],
    ["concurrency", (d) => (d.jobs[1].concurrency = "parallel"), ['jobs[1].concurrency: must be "serial" or "concurrent"']],
    ["max_instances", (d) => (d.jobs[2].max_instances = 9), ["jobs[2].max_instances: must be from 1 to 8"]],
    ["serial with instances", (d) => (d.jobs[1].max_instances = 2), ['jobs[1].max_instances: a serial job runs once at a time: leave it out, or make the job "concurrent"']],
    ["trigger type", (d) => (d.jobs[0].trigger.type = "cron"), ['jobs[0].trigger.type: must be one of "startup", "interval", "event", "mqtt", "pin", "call"']],
    ["field of another trigger", (d) => (d.jobs[0].trigger.every_ms = 100), ['jobs[0].trigger: unknown field "every_ms" (a startup trigger takes type only)']],
    ["every_ms", (d) => (d.jobs[1].trigger.every_ms = 50), ["jobs[1].trigger.every_ms: must be from 100 to 86400000"]],
    ["every_ms missing", (d) => delete d.jobs[1].trigger.every_ms, ['jobs[1].trigger: missing field "every_ms"']],
    ["event name", (d) => (d.jobs[2].trigger.name = "a b"), ['jobs[2].trigger.name: "a b" is not an event name pattern of 1 to 32 of a-z A-Z 0-9 / _ . - and * (any run of characters)']],
    ["scope", (d) => (d.jobs[2].trigger.scope = "all"), ['jobs[2].trigger.scope: must be one of "any", "local", "cluster"']],
    ["topic filter", (d) => (d.jobs[3].trigger.topic = "a/#/b"), ['jobs[3].trigger.topic: "a/#/b" is not an MQTT topic filter (levels split by /; + a whole level, # the last level; ${node.hostname} and ${node.id} filled in)']],
    ["topic template", (d) => (d.jobs[3].trigger.topic = "a/${event.name}"), ["jobs[3].trigger.topic: ${event.name}: a topic filter takes ${node.hostname} and ${node.id} only"]],
    ["pin", (d) => delete d.jobs[4].trigger.pin, ['jobs[4].trigger: missing field "pin"']],
    ["pin name", (d) => (d.jobs[4].trigger.pin = "GPIO4"), ['jobs[4].trigger.pin: "GPIO4" is not a pin: D0 to D99, A0 to A9, or its number']],
    ["debounce", (d) => (d.jobs[4].trigger.debounce_ms = 20000), ["jobs[4].trigger.debounce_ms: must be from 0 to 10000"]],
    ["pull", (d) => (d.jobs[4].trigger.pull = "sideways"), ['jobs[4].trigger.pull: must be one of "none", "up", "down"']],
    ["service name", (d) => (d.jobs[5].trigger.service = "Double"), ['jobs[5].trigger.service: "Double" is not a service name of 1 to 16 of a-z 0-9 _ -']],
    ["service version", (d) => (d.jobs[5].trigger.version = 70000), ["jobs[5].trigger.version: must be from 0 to 65535"]],
  ];
  for (const [what, change, expected] of cases) assert.equal(problems(change), expected, what);
});

file("each kind of mistake in a step: the exact message with its path, nested steps included", () => {
  const step = (j: number, s: number, v: unknown) => (d: any) => (d.jobs[j].steps[s] = v);
  const cases: [string, (d: any) => void, string[]][] = [
    ["the design's example", (d) => (d.jobs[0].steps[2]["kv.incr"].by = true), ["jobs[0].steps[2].kv.incr.by: must be a number"]],
    ["text for a number", (d) => (d.jobs[0].steps[2]["kv.incr"].by = "1"), ["jobs[0].steps[2].kv.incr.by: must be a number (text only as one ${path} that gives one)"]],
    ["a number or a flag from a template", (d) => Object.assign(d.jobs[0].steps[2]["kv.incr"], { by: "${before}", ttl_s: "${before.ttl}", durable: "${node.id}" }), []],
    ["unknown step", step(4, 0, { "adc.reed": { pin: "A0" } }), ['jobs[4].steps[0]: unknown step "adc.reed" (pin.read pin.write adc.read mqtt.publish kv.get kv.put kv.incr kv.del event.fire event.publish parse call if try wait log)']],
    ["empty step", step(4, 0, {}), ["jobs[4].steps[0]: empty step: give it one key, its kind"]],
    ["two kinds", step(4, 0, { wait: { ms: 1 }, log: { message: "x" } }), ["jobs[4].steps[0]: a step has one key, its kind (found wait, log)"]],
    ["not an object", step(4, 0, "wait"), ["jobs[4].steps[0]: must be an object"]],
    ["missing save_as", (d) => delete d.jobs[5].steps[4].parse.save_as, ['jobs[5].steps[4].parse: missing field "save_as"']],
    ["unknown argument", (d) => (d.jobs[0].steps[1].log.level = 2), ['jobs[0].steps[1].log: unknown field "level"']],
    ["reserved save_as", (d) => (d.jobs[1].steps[0]["adc.read"].save_as = "node"), ['jobs[1].steps[0].adc.read.save_as: "node" is reserved (event mqtt pin call node error job)', "jobs[1].steps[1].mqtt.publish.json.v: no value for ${level}: no step of report saves \"level\" (save_as)"]],
    ["bad save_as", (d) => (d.jobs[1].steps[0]["adc.read"].save_as = "2x"), ['jobs[1].steps[0].adc.read.save_as: "2x" is not a variable name (a letter or _, then letters, digits and _; at most 16); not event mqtt pin call node error job', "jobs[1].steps[1].mqtt.publish.json.v: no value for ${level}: no step of report saves \"level\" (save_as)"]],
    ["long key", (d) => (d.jobs[0].steps[0]["kv.get"].key = "k".repeat(33)), ["jobs[0].steps[0].kv.get.key: at most 32 characters (33)"]],
    ["control character in a key", (d) => (d.jobs[0].steps[4].try.catch[1]["kv.del"].key = "a\nb"), ['jobs[0].steps[4].try.catch[1].kv.del.key: "a\\nb" is not a KV key: 1 to 32 characters, no control characters (longer only with a ${path} in it, checked when it runs)']],
    ["payload and json", (d) => (d.jobs[1].steps[1]["mqtt.publish"].payload = "x"), ["jobs[1].steps[1].mqtt.publish: give payload or json, not both"]],
    ["neither", (d) => delete d.jobs[1].steps[1]["mqtt.publish"].json, ["jobs[1].steps[1].mqtt.publish: give payload or json"]],
    ["qos", (d) => (d.jobs[1].steps[1]["mqtt.publish"].qos = 2), ["jobs[1].steps[1].mqtt.publish.qos: must be 0 or 1"]],
    ["publish wildcard", (d) => (d.jobs[3].steps[2]["mqtt.publish"].topic = "a/+"), ['jobs[3].steps[2].mqtt.publish.topic: "a/+" is not a topic without the wildcards + and # (${path} filled in)']],
    ["pin value", (d) => (d.jobs[3].steps[0]["pin.write"].value = 2), ["jobs[3].steps[0].pin.write.value: must be from 0 to 1"]],
    ["pin value text", (d) => (d.jobs[3].steps[0]["pin.write"].value = "on"), ["jobs[3].steps[0].pin.write.value: must be an integer or a boolean (text only as one ${path} that gives one)"]],
    ["pin value type", (d) => (d.jobs[3].steps[0]["pin.write"].value = null), ["jobs[3].steps[0].pin.write.value: must be an integer or a boolean"]],
    ["ttl nested in then", (d) => (d.jobs[0].steps[3].if.then[0]["kv.put"].ttl_s = 0), ["jobs[0].steps[3].if.then[0].kv.put.ttl_s: must be from 1 to 31536000"]],
    ["event name in a step", (d) => (d.jobs[0].steps[3].if.else[0]["event.fire"].name = "first boot"), ['jobs[0].steps[3].if.else[0].event.fire.name: "first boot" is not an event name: 1 to 32 of a-z A-Z 0-9 / _ . - (${path} templates filled in when it runs)']],
    ["codec", (d) => (d.jobs[2].steps[0].parse.codec = "xml"), ['jobs[2].steps[0].parse.codec: must be one of "json", "crc16", "crc32", "adler32", "frame", "tlv", "pb"']],
    ["encoding", (d) => (d.jobs[2].steps[0].parse.encoding = "utf8"), ['jobs[2].steps[0].parse.encoding: must be one of "raw", "hex", "base64"']],
    ["option of another codec", (d) => (d.jobs[2].steps[0].parse.at = "suffix"), ['jobs[2].steps[0].parse: unknown field "at" (codec json takes value, codec, encoding, save_as)']],
    ["frame length", (d) => (d.jobs[4].steps[2].parse.length = "u64"), ['jobs[4].steps[2].parse.length: must be one of "u8", "u16", "u32"']],
    ["tlv fields", (d) => delete d.jobs[4].steps[3].parse.fields, ['jobs[4].steps[3].parse: missing field "fields"']],
    ["field name", (d) => (d.jobs[4].steps[3].parse.fields["1"].name = "a.b"), ['jobs[4].steps[3].parse.fields.1.name: "a.b" is not a field name of 1 to 32 characters without . { } $ or spaces (read as ${saved.name})']],
    ["tlv length", (d) => (d.jobs[4].steps[3].parse.length = "u32"), ['jobs[4].steps[3].parse.length: must be "u8" or "u16"']],
    ["tlv type", (d) => (d.jobs[4].steps[3].parse.fields["1"].type = "double"), ['jobs[4].steps[3].parse.fields.1.type: must be one of "u8", "u16", "u32", "i8", "i16", "i32", "bytes", "text"']],
    ["tlv tag range", (d) => (d.jobs[4].steps[3].parse.fields["300"] = { name: "x", type: "u8" }), ["jobs[4].steps[3].parse.fields.300: a u8 tag is from 0 to 255"]],
    ["tlv repeated", (d) => (d.jobs[4].steps[3].parse.fields["1"].repeated = true), ["jobs[4].steps[3].parse.fields.1.repeated: not allowed here"]],
    ["pb field number", (d) => (d.jobs[5].steps[0].parse.fields["0"] = { name: "z", type: "bool" }), ["jobs[5].steps[0].parse.fields.0: a field number is from 1 to 536870911"]],
    ["field key", (d) => (d.jobs[5].steps[0].parse.fields.one = { name: "z", type: "bool" }), ['jobs[5].steps[0].parse.fields: "one" is not a tag or field number (0 to 999999999)']],
    ["call timeout", (d) => (d.jobs[0].steps[4].try.steps[0].call.timeout = 50), ["jobs[0].steps[4].try.steps[0].call.timeout: must be from 100 to 60000"]],
    ["if without then", (d) => delete d.jobs[0].steps[3].if.then, ['jobs[0].steps[3].if: missing field "then"']],
    ["empty catch", (d) => (d.jobs[0].steps[4].try.catch = []), ["jobs[0].steps[4].try.catch: must not be empty"]],
    ["wait", (d) => (d.jobs[4].steps[0].wait.ms = 3600001), ["jobs[4].steps[0].wait.ms: must be from 0 to 3600000"]],
    ["wait type", (d) => (d.jobs[4].steps[0].wait.ms = 1.5), ["jobs[4].steps[0].wait.ms: must be an integer"]],
    ["log", (d) => (d.jobs[0].steps[1].log = {}), ['jobs[0].steps[1].log: missing field "message"']],
  ];
  for (const [what, change, expected] of cases) assert.equal(problems(change), expected, what);
});

file("conditions and templates: malformed ones named with the character, values the job does not have named too; paths as the design writes them", () => {
  const cond = (c: string) => problems((d) => (d.jobs[0].steps[3].if.cond = c));
  const at = "jobs[0].steps[3].if.cond";
  assert.equal(cond("${boots} = 1"), [`${at}: "=" is no operator: == compares at character 10`]);
  assert.equal(cond("(${boots} > 1"), [`${at}: expected ")", found the end at character 14`]);
  assert.equal(cond("${boots} > 1 < 2"), [`${at}: unexpected "<" at character 14`]);
  assert.equal(cond("${boots} > 'one"), [`${at}: unclosed text at character 12`]);
  assert.equal(cond("on"), [`${at}: "on" is not a value (numbers, 'text', true, false, null, \${path}) at character 1`]);
  assert.equal(cond("${boots} &&"), [`${at}: expected a value, found the end at character 12`]);
  assert.equal(cond("${boot} > 1"), [`${at}: no value for \${boot}: no step of boot saves "boot" (save_as)`]);
  assert.equal(cond(""), [`${at}: must not be empty`, `${at}: expected a value, found the end at character 1`]);
  assert.equal(parseCondition("!(${a.b.0} >= -1e3) || ${c} == \"x y\"").paths, ["a.b.0", "c"]);
  const log = (m: string) => problems((d) => (d.jobs[0].steps[1].log.message = m));
  const lat = "jobs[0].steps[1].log.message";
  assert.equal(log("a ${before"), [`${lat}: unclosed \${ at character 3`]);
  assert.equal(log("${} x"), [`${lat}: bad path \${} at character 1 (a name, then .field or .0 parts)`]);
  assert.equal(log("${event.data}"), [`${lat}: no value for \${event.data}: a startup job has no event values`]);
  assert.equal(log("${node.ip}"), [`${lat}: no value for \${node.ip}: node has hostname, id, uptime, free, members`]);
  assert.equal(log("${error}"), [`${lat}: no value for \${error}: only a catch has an error`]);
  assert.equal(problems((d) => (d.jobs[2].steps[1]["event.publish"].data = { a: ["${event.payload}"] })), ["jobs[2].steps[1].event.publish.data.a[0]: no value for ${event.payload}: event has name, data, origin"]);
  assert.equal(templatePaths("${a}-${b.c} $x {y}").paths, ["a", "b.c"], "a lone $ or brace is text");
  // JSON pointers as dotted paths: an index where the data holds an array
  const d = { jobs: [{ steps: [{ "kv.incr": { by: "x" } }] }], fields: { "1": {} } };
  assert.equal([dottedPath("/jobs/0/steps/0/kv.incr/by", d), dottedPath("/fields/1", d), dottedPath("", d)], ["jobs[0].steps[0].kv.incr.by", "fields.1", ""]);
});

file("a board's limits and capabilities: each one over named; limits a board file does not give are not checked", () => {
  const f = { jobs: 6, steps: 27, body: Buffer.alloc(2000), needs: checkJobDocument(EVERY_KIND).needs };
  const caps = { jobs: true, mqtt: true, services: true, codecs: true };
  assert.equal(boardProblems(f, { name: "big", jobs: 16, jobSteps: 128, body: 4096, capabilities: caps }), []);
  assert.equal(boardProblems(f, { name: "small", jobs: 4, jobSteps: 16, body: 1024, capabilities: caps }), [
    "6 jobs: small holds at most 4",
    "27 steps (nested ones counted): small holds at most 16",
    "2000 bytes as sent: over small's request body limit of 1024 bytes",
  ]);
  assert.equal(boardProblems(f, { name: "old", capabilities: {} }), [], "a board file from before the jobs limits");
  assert.equal(boardProblems(f, { name: "tiny", capabilities: { jobs: false } }), ["tiny runs no jobs: its board leaves the jobs capability out"]);
  const some = boardProblems(f, { name: "mid", capabilities: { jobs: true, mqtt: true, services: false, codecs: false } });
  assert.is(some.length, 8);
  assert.ok(some.includes("jobs[5].trigger: mid has no services (the services capability)"), some.join("\n"));
  assert.ok(some.includes("jobs[4].steps[1].parse.codec: mid has no codecs beyond json (the codecs capability)"), some.join("\n"));
  const ram = boardProblems(f, { name: "ram", kvDurable: 0, capabilities: caps });
  assert.equal(ram, ["jobs[0].steps[2].kv.incr.durable: ram has no durable KV keys (its store is in RAM only: node.kvDurable 0)"], "a store in RAM only");
  assert.equal(boardProblems(f, { name: "flash", kvDurable: 1, capabilities: caps }), []);
});

file("job files: JSON read and checked, every problem prefixed by the file; YAML refused; what is sent is the JSON without spaces", () => {
  const dir = mkdtempSync(join(tmpdir(), "spore-jobs-"));
  try {
    const good = join(dir, "jobs.json");
    writeFileSync(good, JSON.stringify({ version: 1, jobs: [{ ...README_EXAMPLE.jobs[0], name: "°C-report" }] }, null, 2));
    const failure = (file: string) => {
      try {
        return (loadJobFile(file), []);
      } catch (e) {
        return (e as JobFileError).problems;
      }
    };
    assert.equal(failure(good), [`${good}: jobs[0].name: "°C-report" is not a name of 1 to 24 of A-Z a-z 0-9 _ -`]);
    writeFileSync(good, JSON.stringify(README_EXAMPLE, null, 2).replace('"spore/', '"°C/'));
    const f = loadJobFile(good);
    assert.is(f.body.toString("utf8"), JSON.stringify(f.doc));
    assert.is(f.body.length, JSON.stringify(f.doc).length + 1, "° is two bytes in UTF-8");
    assert.equal([f.jobs, f.steps], [1, 2]);
    assert.equal((f.doc.jobs[0] as any).concurrency, "serial", "no defaults filled in");
    writeFileSync(join(dir, "bad.json"), "{\"version\": 1,");
    assert.match(failure(join(dir, "bad.json"))[0], `${join(dir, "bad.json")}: not valid JSON (`);
    assert.equal(failure(join(dir, "jobs.yaml")), [`${join(dir, "jobs.yaml")}: YAML is not read (no YAML parser among the host tools' packages): write the job file as JSON`]);
    assert.match(failure(join(dir, "none.json"))[0], `${join(dir, "none.json")}: cannot read (`);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

file.run();

const { test: cli } = suite("host-tools jobs and kv against fake nodes");

const JOBS = { generation: 3, jobs: [{ name: "report", trigger: { type: "interval", every_ms: 2000 }, concurrency: "serial", max_instances: 1, runs: 12, errors: 1, skipped: 0, running: 1, lastRun: 24000, lastMs: 35, lastError: "no value for ${x}" }, { name: "button", trigger: { type: "pin", pin: "D0", edge: "falling", debounce_ms: 50, pull: "up" }, concurrency: "concurrent", max_instances: 2, runs: 0, errors: 0, skipped: 0, running: 0, lastRun: null, lastMs: null, lastError: null }], limits: { jobs: 16, steps: 128, runs: 8 }, queue: { length: 1, capacity: 32, policy: "drop_oldest", dropped: 4 }, refused: ["jobs[2].trigger: no MQTT"] };
const member = (n: string, ip: string, board: string, status = "ACTIVE") => ({ hostname: n, ip, lastSeen: 0, latency: 1, status, resources: {}, board });

/** Runs the CLI against nodes answered by `answer` ("METHOD host path" -> [status, body]); the requests it made. */
async function run(argv: string[], answer: (key: string, r: HttpRequest) => [number, unknown] | undefined = () => undefined, files: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), "spore-jobs-cli-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const sent: HttpRequest[] = [];
  const transport: Transport = {
    request: async (r): Promise<HttpReply> => {
      sent.push(r);
      const a = answer(`${r.method} ${r.host} ${r.path}`, r) ?? [404, { error: "not found" }];
      return { status: a[0], headers: {}, body: JSON.stringify(a[1]) };
    },
    sleep: async () => {},
    now: () => 0,
  };
  let out = "";
  let err = "";
  try {
    const code = await runCli(argv, { out: (s) => (out += s), err: (s) => (err += s), tty: false, env: { SPORE_SECRET: "s3cret", API_NODE: "10.0.0.1" }, cwd: dir, transport });
    return { code, out, err, sent };
  } finally {
    rmSync(dir, { recursive: true });
  }
}

cli("--help: each command's usage; host-tools jobs and kv name every subcommand; host-tools --help names the groups", async () => {
  const subs = { jobs: ["validate", "deploy", "list", "status", "remove"], kv: ["list", "get", "put", "del"] };
  for (const [group, names] of Object.entries(subs)) {
    const r = await run([group, "--help"]);
    assert.is(r.code, 0);
    for (const n of names) assert.match(r.out, `usage: host-tools ${group} ${n} `, `${group} --help names ${n}`);
    for (const n of names) {
      const h = await run([group, n, "--help"]);
      assert.is(h.code, 0, `${group} ${n}`);
      assert.match(h.out, new RegExp(`^usage: host-tools ${group} ${n} `), `${group} ${n}`);
    }
  }
  const top = await run(["--help"]);
  for (const c of ["jobs validate", "jobs deploy", "jobs list|status", "jobs remove", "kv list|get|put|del"]) assert.ok(top.out.includes(c), c);
});

cli("jobs validate: ok with the figures, or each problem by file and path; --board checks that board; usage errors", async () => {
  const files = { "jobs.json": JSON.stringify(EVERY_KIND), "bad.json": JSON.stringify({ version: 1, jobs: [{ name: "x", trigger: { type: "startup" }, steps: [{ "kv.incr": { key: "k", by: null } }] }] }) };
  let r = await run(["jobs", "validate", "jobs.json"], undefined, files);
  assert.is(r.code, 0, r.err);
  assert.is(r.out, `jobs.json: ok: 6 jobs, 27 steps (nested ones counted), ${JSON.stringify(EVERY_KIND).length} bytes as sent\n`);
  r = await run(["jobs", "validate", "bad.json"], undefined, files);
  assert.equal([r.code, r.err], [1, "bad.json: jobs[0].steps[0].kv.incr.by: must be a number\n"]);
  r = await run(["jobs", "validate", "bad.json", "--json"], undefined, files);
  assert.equal(JSON.parse(r.out), { file: "bad.json", ok: false, problems: ["bad.json: jobs[0].steps[0].kv.incr.by: must be a number"] });
  const esp32 = loadBoard("esp32").node as Partial<Record<string, number>>;
  r = await run(["jobs", "validate", "jobs.json", "--board", "esp32"], undefined, files);
  if (esp32.jobs !== undefined && esp32.jobs >= 6) assert.match(r.out, `; fits esp32 (${esp32.jobs} jobs, ${esp32.jobSteps} steps, ${esp32.body} bytes at most)`);
  r = await run(["jobs", "validate", "jobs.json", "--board", "esp99"], undefined, files);
  assert.equal([r.code, r.err.split("\n")[0]], [2, 'host-tools jobs validate: unknown board "esp99" (boards/<board>.json)']);
  r = await run(["jobs", "validate"]);
  assert.equal([r.code, r.err.split("\n")[0]], [2, "host-tools jobs validate: which job file?"]);
});

cli("jobs deploy: the set sent as compact JSON with the secret; to all with a line per node, a refusal shown, a summary", async () => {
  const files = { "jobs.json": JSON.stringify(README_EXAMPLE, null, 2), "bad.json": "{}" };
  let r = await run(["jobs", "deploy", "jobs.json", "10.0.0.2"], (k) => (k === "GET 10.0.0.2 /api/node/status" ? [200, { hostname: "esp_aaaaaa", board: "esp32" }] : k === "POST 10.0.0.2 /api/jobs" ? [200, { success: true, jobs: 1, generation: 4 }] : undefined), files);
  assert.is(r.code, 0, r.err);
  const post = r.sent[1];
  assert.equal([post.method, post.path, post.headers?.Authorization, post.headers?.["Content-Type"], String(post.body)], ["POST", "/api/jobs", "Bearer s3cret", "application/json", JSON.stringify(README_EXAMPLE)]);
  assert.match(r.out, /esp_aaaaaa\s+10\.0\.0\.2\s+deployed\s+1 job, generation 4/);
  assert.match(r.out, "deployed on 1 of 1 node\n");
  r = await run(["jobs", "deploy", "bad.json", "10.0.0.2"], undefined, files);
  assert.equal([r.code, r.sent.length], [1, 0], "a bad file is sent nowhere");
  assert.equal(r.err, 'bad.json: missing field "version"\nbad.json: missing field "jobs"\n');
  const members = [member("esp_aaaaaa", "10.0.0.1", "esp32"), member("esp_bbbbbb", "10.0.0.2", "esp32"), member("esp_cccccc", "10.0.0.3", "esp32", "DEAD")];
  r = await run(["jobs", "deploy", "jobs.json", "all"], (k) => {
    if (k === "GET 10.0.0.1 /api/cluster/members") return [200, { members }];
    if (k === "POST 10.0.0.1 /api/jobs") return [200, { success: true, jobs: 1, generation: 2 }];
    if (k === "POST 10.0.0.2 /api/jobs") return [400, { error: "jobs[0].steps[1].mqtt.publish: no broker" }];
  }, files);
  assert.is(r.code, 1);
  assert.equal(r.err, "[1/2] esp_aaaaaa: deployed: 1 job, generation 2\n[2/2] esp_bbbbbb: refused: jobs[0].steps[1].mqtt.publish: no broker\n");
  assert.match(r.out, /esp_bbbbbb\s+10\.0\.0\.2\s+refused\s+jobs\[0\]\.steps\[1\]\.mqtt\.publish: no broker/);
  assert.match(r.out, "deployed on 1 of 2 nodes; 1 refused, 0 failed (they keep the jobs they had)\n");
  assert.ok(!r.sent.some((s) => s.host === "10.0.0.3"), "a DEAD member is not asked");
  const max = (loadBoard("esp32").node as Partial<Record<string, number>>).jobs;
  if (max !== undefined) {
    const many = { version: 1, jobs: Array.from({ length: max + 1 }, (_, i) => ({ name: `j${i}`, trigger: { type: "startup" }, steps: [{ wait: { ms: 1 } }] })) };
    r = await run(["jobs", "deploy", "many.json", "10.0.0.2"], (k) => (k === "GET 10.0.0.2 /api/node/status" ? [200, { hostname: "esp_aaaaaa", board: "esp32" }] : undefined), { "many.json": JSON.stringify(many) });
    assert.is(r.code, 1);
    assert.match(r.out, `refused  not sent: ${max + 1} jobs: esp32 holds at most ${max}`);
    assert.is(r.sent.length, 1, "over the board's limits: not sent");
  }
});

cli("jobs list, status and remove: triggers in words, counters, the queue; a node without the job says so; a node without jobs is said so", async () => {
  const answer = (k: string): [number, unknown] | undefined => (k === "GET 10.0.0.2 /api/jobs" ? [200, JOBS] : undefined);
  let r = await run(["jobs", "list", "10.0.0.2"], answer);
  assert.equal(r.out.split("\n"), ["job     trigger                                  concurrency", "report  every 2000 ms                            serial", "button  pin D0 falling, debounce 50 ms, pull up  concurrent (2 at most)", "refused at boot: jobs[2].trigger: no MQTT", ""]);
  r = await run(["jobs", "status", "10.0.0.2"], answer);
  assert.match(r.out, /report\s+12\s+1\s+0\s+1\s+24\.0 s\s+35\s+no value for \$\{x\}/);
  assert.match(r.out, /button\s+0\s+0\s+0\s+0\s+never\s+-\s+-/);
  assert.match(r.out, "queue: 1 of 32 waiting, drop_oldest, 4 dropped\nlimits: 16 jobs, 128 steps, 8 runs at once; generation 3\n");
  r = await run(["jobs", "status", "10.0.0.2", "--json"], answer);
  assert.equal(JSON.parse(r.out), JOBS);
  r = await run(["jobs", "list", "10.0.0.9"]);
  assert.equal([r.code, r.err], [1, "host-tools jobs list: 10.0.0.9 serves no /api/jobs or /api/kv: its board leaves the jobs capability out (boards/<board>.json capabilities)\n"]);
  const members = [member("esp_aaaaaa", "10.0.0.1", "esp32"), member("esp_bbbbbb", "10.0.0.2", "esp32")];
  r = await run(["jobs", "remove", "all", "--job", "report"], (k) => {
    if (k === "GET 10.0.0.1 /api/cluster/members") return [200, { members }];
    if (k === "DELETE 10.0.0.1 /api/jobs?name=report") return [200, { success: true, jobs: 0, generation: 5 }];
    if (k === "DELETE 10.0.0.2 /api/jobs?name=report") return [404, { error: "no job report" }];
  });
  assert.is(r.code, 0, r.out);
  assert.match(r.out, /esp_aaaaaa\s+10\.0\.0\.1\s+removed\s+0 jobs left, generation 5\nesp_bbbbbb\s+10\.0\.0\.2\s+not there\s+no job report\nremoved on 2 of 2 nodes\n/);
  r = await run(["jobs", "remove", "10.0.0.2", "--job", "no such"]);
  assert.equal([r.code, r.err.split("\n")[0]], [2, 'host-tools jobs remove: bad job name "no such": 1 to 24 of A-Z a-z 0-9 _ -']);
  r = await run(["jobs", "remove", "10.0.0.2"], (k, q) => (k === "DELETE 10.0.0.2 /api/jobs" && q.headers?.Authorization === "Bearer s3cret" ? [200, { success: true, jobs: 0, generation: 6 }] : undefined));
  assert.is(r.code, 0, r.out);
});

cli("kv: list with its figures; get, put and del with the key URI-encoded, the value as JSON, durable and ttl in the query", async () => {
  const store = { keys: [{ key: "boots", value: 3, ttl: null, durable: true }, { key: "a/b c", value: { t: "x".repeat(50) }, ttl: 60, durable: false }], stats: { keys: 2, bytes: 70, capacity: { keys: 64, bytes: 4096 }, evicted: 1, expired: 2, flushes: 3 } };
  let r = await run(["kv", "list", "10.0.0.2"], (k) => (k === "GET 10.0.0.2 /api/kv" ? [200, store] : undefined));
  assert.match(r.out, /boots\s+3\s+-\s+yes\na\/b c\s+\{"t":"x{33}…\s+60 s\s+no\n2 of 64 keys, 70 of 4096 bytes; 1 evicted, 2 expired, 3 written to Storage\n/);
  r = await run(["kv", "get", "10.0.0.2", "a/b c"], (k) => (k === "GET 10.0.0.2 /api/kv/a%2Fb%20c" ? [200, store.keys[1]] : undefined));
  assert.is(r.out, JSON.stringify(store.keys[1].value) + "\n");
  r = await run(["kv", "get", "10.0.0.2", "nope"], (k) => (k === "GET 10.0.0.2 /api/kv/nope" ? [404, { error: "no key nope" }] : undefined));
  assert.equal([r.code, r.err], [1, "host-tools kv get: 10.0.0.2: no key nope\n"]);
  r = await run(["kv", "put", "10.0.0.2", "a/b c", '{ "x": [1, 2] }', "--durable", "--ttl", "60"], (k) => (k === "PUT 10.0.0.2 /api/kv/a%2Fb%20c?durable=1&ttl=60" ? [200, { success: true, key: "a/b c", value: { x: [1, 2] } }] : undefined));
  assert.is(r.code, 0, r.err);
  assert.equal([String(r.sent[0].body), r.sent[0].headers?.Authorization], ['{"x":[1,2]}', "Bearer s3cret"]);
  assert.is(r.out, 'a/b c = {"x":[1,2]} (durable, ttl 60 s)\n');
  r = await run(["kv", "put", "10.0.0.2", "n", "--", "-3"], (k) => (k === "PUT 10.0.0.2 /api/kv/n" ? [200, { success: true, key: "n", value: -3 }] : undefined));
  assert.is(r.out, "n = -3\n");
  r = await run(["kv", "put", "10.0.0.2", "k", "hello"]);
  assert.equal([r.code, r.err.split("\n")[0]], [2, `host-tools kv put: the value is not JSON: hello (text is quoted: '"hello"')`]);
  r = await run(["kv", "put", "10.0.0.2", "k".repeat(33), "1"]);
  assert.equal([r.code, r.err.split("\n")[0]], [2, `host-tools kv put: bad key "${"k".repeat(33)}": 1 to 32 characters, no control characters`]);
  r = await run(["kv", "del", "10.0.0.2", "boots"], (k, q) => (k === "DELETE 10.0.0.2 /api/kv/boots" && q.headers?.Authorization ? [200, { success: true }] : undefined));
  assert.equal([r.code, r.out], [0, "deleted boots\n"]);
  r = await run(["kv", "get", "10.0.0.2"]);
  assert.equal([r.code, r.err.split("\n")[0]], [2, "host-tools kv get: kv get: which key?"]);
});

cli.run();
