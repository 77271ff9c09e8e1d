// Jobs (README, Jobs) in the emulator, virtual time, on an esp32: from a
// trigger (an event, an MQTT message from a real broker, a pin edge, an
// interval) to its job's first step (a pin write, timed by the emulated
// pin); the spool's drain rate once the broker is back; JsVars per job at
// idle; a burst of 1,000 events under each overflow policy. Where
// ESPRUINO_BIN names Espruino's Linux build, the engine on the real
// interpreter (test/real/harness/jobs-cost.ts): JsVars of its code and of a
// set, steps and KV operations per second, with the pin loop to scale by.
import { BOARDS_DIR, loadBoard } from "../../../host-tools/build/boards.ts";
import { bundleBoard } from "../../../host-tools/build/bundle.ts";
import { lanBroker, runAsync } from "../../../host-tools/emulator/broker.ts";
import { Cluster } from "../../../host-tools/emulator/cluster.ts";
import type { Device } from "../../../host-tools/emulator/device.ts";
import { type JobsCost, jobsCost } from "../../real/harness/jobs-cost.ts";
import { ESPRUINO_ENV } from "../../real/harness/interpreter.ts";
import type { Plan } from "../plan.ts";

const BROKER = "10.42.0.250";

export interface JobsResult {
  /** ms of virtual time from a trigger to its job's first step, p50 and p99 over `samples` each */
  latency: { trigger: string; samples: number; p50: number; p99: number }[];
  /** spooled messages sent once the broker came back, and the ms from reconnection to the last one received */
  spool: { messages: number; ms: number; perS: number };
  /** JsVars at idle with no job and with `jobs` jobs of three steps each (the emulator's accounting), per board (at most the board's jobs) */
  memory: { board: string; none: number; jobs: number; withJobs: number; perJob: number }[];
  /** a burst of 1,000 events fired at once: events run and dropped, and the peak above idle, per policy */
  burst: { policy: string; ran: number; dropped: number; peakJsVars: number }[];
  real?: JobsCost;
  skipped?: string;
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : NaN;
}

function deploy(c: Cluster, d: Device, jobs: unknown[]): void {
  const r = c.http(d, "POST", "/api/jobs", { body: JSON.stringify({ version: 1, jobs }), auth: true });
  if (r.status !== 200) throw new Error(`deploy: ${r.status} ${r.body}`);
}

/** The first step of each latency job: a write to its own pin, which the emulator timestamps. */
const mark = (pin: string) => ({ "pin.write": { pin, value: "${v}" } });

async function latency(plan: Plan, seed: number): Promise<JobsResult["latency"]> {
  const c = new Cluster({ seed, boards: [], config: { mq: { host: BROKER, period: 30 } } });
  const broker = await lanBroker(c, BROKER);
  const d = c.addNode("esp32");
  try {
    await runAsync(c, 5000);
    deploy(c, d, [
      { name: "ev", trigger: { type: "event", name: "lat" }, steps: [{ "kv.get": { key: "x", default: 1, save_as: "v" } }, mark("D1")] },
      { name: "mq", trigger: { type: "mqtt", topic: "lat/#" }, steps: [{ "kv.get": { key: "x", default: 1, save_as: "v" } }, mark("D2")] },
      { name: "pin", trigger: { type: "pin", pin: "D5", debounce_ms: 0 }, steps: [{ "kv.get": { key: "x", default: 1, save_as: "v" } }, mark("D3")] },
      { name: "tick", trigger: { type: "interval", every_ms: 1000 }, steps: [{ "kv.get": { key: "x", default: 1, save_as: "v" } }, mark("D4")] },
    ]);
    await runAsync(c, 1000);
    const writes = (pin: string) => d.pins.writes.filter((w) => w[0] === pin).map((w) => w[2]);
    const out: JobsResult["latency"] = [];
    const sample = async (trigger: string, pin: string, go: () => void) => {
      const times: number[] = [];
      for (let i = 0; i < plan.jobs.samples; i++) {
        const before = writes(pin).length;
        const t0 = c.scheduler.now();
        go();
        await runAsync(c, 300);
        const w = writes(pin);
        if (w.length > before) times.push(w[before] - t0);
        // the pin written back to 0 between samples, outside the job
        d.pins.set(pin, 0);
      }
      out.push({ trigger, samples: times.length, p50: quantile(times, 0.5), p99: quantile(times, 0.99) });
    };
    await sample("event (spore.fire)", "D1", () => d.eval('spore.fire("lat", 1)'));
    await sample("MQTT message (from the broker's publish)", "D2", () => broker.aedes.publish({ cmd: "publish", topic: "lat/x", payload: Buffer.from("1"), qos: 0, retain: false, dup: false }, () => {}));
    let level = 0;
    await sample("pin edge", "D3", () => d.pins.set("D5", (level ^= 1)));
    // the interval: how far apart its runs' first steps are from its 1,000 ms
    const ticks = writes("D4");
    const error = ticks.slice(1).map((t, i) => Math.abs(t - ticks[i] - 1000));
    out.push({ trigger: "interval (error of its 1,000 ms period)", samples: error.length, p50: quantile(error, 0.5), p99: quantile(error, 0.99) });
    return out;
  } finally {
    await broker.close();
  }
}

async function spool(plan: Plan, seed: number): Promise<JobsResult["spool"]> {
  // telemetry every 5 s: a connection to the broker while it was down hangs until 1.5 keep-alives pass (15 s)
  const c = new Cluster({ seed, boards: [], config: { mq: { host: BROKER, period: 5 } } });
  const broker = await lanBroker(c, BROKER);
  const d = c.addNode("esp32");
  try {
    await runAsync(c, 5000);
    await broker.close();
    broker.dropClients();
    await runAsync(c, 2000);
    const n = Math.min(plan.jobs.spooled, loadBoard("esp32").node.spoolCount);
    d.eval(`(function () { for (var i = 0; i < ${n}; i++) spore.mqtt.publish("spooled/" + i, "message " + i, i % 2, false); })()`);
    await broker.restart();
    // virtual times, as the broker sees them: the node's connection, each spooled message
    let connectedAt = 0;
    const got: number[] = [];
    broker.aedes.on("client", () => (connectedAt ||= c.scheduler.now()));
    broker.aedes.on("publish", (p) => void (p.topic.startsWith("spooled/") && got.push(c.scheduler.now())));
    for (let ms = 0; ms < 180000 && got.length < n; ms += 50) await runAsync(c, 50);
    const ms = got.length ? got[got.length - 1] - connectedAt : NaN;
    return { messages: got.length, ms: Math.round(ms), perS: Math.round((got.length / Math.max(ms, 1)) * 1000) };
  } finally {
    await broker.close();
  }
}

async function memory(plan: Plan, seed: number, board: string): Promise<JobsResult["memory"][number]> {
  // (esp8266 carries jobs when a project turns them on: that build)
  const bundles = board === "esp8266" ? { esp8266: (await bundleBoard(loadBoard("esp8266", BOARDS_DIR, { esp8266: { jobs: true } }), { write: false })).code } : undefined;
  const c = new Cluster({ seed, boards: [board], bundles });
  c.runFor(20000);
  const d = c.devices[0];
  const none = d.jsVarsUsed();
  const n = Math.min(plan.jobs.memoryJobs, loadBoard(board).node.jobs);
  deploy(c, d, Array.from({ length: n }, (_, i) => ({ name: "j" + i, trigger: { type: "event", name: "m/" + i }, steps: [{ "kv.incr": { key: "k" + i, save_as: "n" } }, { if: { cond: "${n} > 10", then: [{ "kv.put": { key: "k" + i, value: 0 } }] } }] })));
  c.runFor(20000);
  const withJobs = d.jsVarsUsed();
  return { board, none, jobs: n, withJobs, perJob: Math.round((withJobs - none) / n) };
}

function burst(seed: number): JobsResult["burst"] {
  return ["drop_oldest", "coalesce_latest"].map((policy) => {
    const c = new Cluster({ seed, boards: ["esp32"], config: policy === "coalesce_latest" ? { qp: 1 } : {} });
    c.runFor(5000);
    const d = c.devices[0];
    deploy(c, d, [{ name: "count", trigger: { type: "event", name: "b/*" }, concurrency: "concurrent", max_instances: 8, steps: [{ "kv.incr": { key: "ran" } }] }]);
    c.runFor(2000);
    const idle = d.jsVarsUsed();
    d.eval(`(function () { for (var i = 0; i < 1000; i++) spore.fire("b/" + (i % 10), i); })()`);
    const peak = d.jsVarsUsed() - idle;
    c.runFor(5000);
    const l = JSON.parse(c.http(d, "GET", "/api/jobs").body) as { queue: { dropped: number } };
    const ran = JSON.parse(c.http(d, "GET", "/api/kv/ran").body).value as number;
    return { policy, ran, dropped: l.queue.dropped, peakJsVars: peak };
  });
}

export async function jobs(plan: Plan, seed: number, log: (s: string) => void): Promise<JobsResult> {
  const r: JobsResult = { latency: await latency(plan, seed), spool: await spool(plan, seed), memory: [await memory(plan, seed, "esp32"), await memory(plan, seed, "esp8266")], burst: burst(seed) };
  for (const l of r.latency) {
    l.p50 = Math.round(l.p50 * 10) / 10;
    l.p99 = Math.round(l.p99 * 10) / 10;
    log(`  jobs: ${l.trigger} to the first step: p50 ${l.p50} ms, p99 ${l.p99} ms (${l.samples})`);
  }
  log(`  jobs: spool ${r.spool.messages} messages in ${r.spool.ms} ms after reconnection (${r.spool.perS}/s)`);
  for (const m of r.memory) log(`  jobs: ${m.board} ${m.perJob} JsVars per job (${m.none} idle, ${m.withJobs} with ${m.jobs})`);
  for (const b of r.burst) log(`  jobs: 1,000 events, ${b.policy}: ${b.ran} ran, ${b.dropped} dropped, peak +${b.peakJsVars} JsVars`);
  r.real = await jobsCost(loadBoard("esp8266"));
  if (r.real && r.real.counted !== r.real.expected) throw new Error(`jobs on the real interpreter: the timed job counted ${r.real.counted} of ${r.real.expected}: its runs failed\n${r.real.output ?? ""}`);
  if (r.real) log(`  jobs on the real interpreter: code ${r.real.codeJsVars} JsVars, a three-job set ${r.real.setJsVars}; ${r.real.stepsPerS} steps/s, a one-step run ${r.real.runMs} ms, KV ${r.real.kvPutPerS} puts/s and ${r.real.kvGetPerS} gets/s; pin loop ${r.real.pinLoopPerS}/s`);
  else {
    r.skipped = `${ESPRUINO_ENV} is not set: the engine on the real interpreter not measured (README, The real interpreter)`;
    log(`  ${r.skipped}`);
  }
  return r;
}
