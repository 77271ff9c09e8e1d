// Jobs on the real interpreter (README, Jobs): JsVars of nodes at idle with
// the jobs capability on and no job deployed, then of one node (the first)
// once a typical set of three jobs is deployed over HTTP (an interval job
// every 2 s: kv.incr, if, pin.write; an event job on "x/*": kv.put of
// ${event.data}; a pin job on D5: pin.read, log), and while a burst of
// events fired at its console goes through the queue: the peak, and what is
// used once it has drained, twice. A node that refuses the set with 400 (on
// Espruino 2v29 every save_as: the reserved-name check's indexOf) gets the
// same jobs without save_as. A board that does not carry the capability
// (esp8266, esp01) is built with it on into a temporary folder, as
// espruino.json would (the build refuses it there for the budget); --build
// writes that folder for other probes' --dist (idle.ts) and exits.
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request } from "node:http";
import { type Board, BOARDS_DIR, loadBoard } from "../../../host-tools/build/boards.ts";
import { projectOverrides } from "../../../host-tools/build/capabilities.ts";
import { BOOT_ENTRY, bundleBoard } from "../../../host-tools/build/bundle.ts";
import { buildDashboard } from "../../../host-tools/build/dashboard.ts";
import { ideFile } from "../../../host-tools/build/ide.ts";
import { SECRET } from "../harness/cluster.ts";
import { espruinoCommand, shimCost } from "../harness/interpreter.ts";
import { HTTP_PORT, type HttpAnswer, type RealNode } from "../harness/node.ts";
import { onConverged, pause, probeArgs, range, STAGGER } from "./common.ts";

const usage = `
npx tsx test/real/probes/jobs.ts [options]

A converged cluster with the jobs capability on (default 9 nodes): JsVars of
every node at idle (process.memory() at its console, after a collection) with
no job deployed; then three jobs POSTed to the first node (/api/jobs, the
cluster secret): "tick" every 2 s (kv.incr, if, pin.write D4), "ev" on events
"x/*" (kv.put of \${event.data}), "button" on edges of D5 (pin.read, log;
--no-pin leaves it out; where the node refuses save_as with 400, the same jobs
without it). Its JsVars at idle with the set; then --bursts times --events
events fired in one console line (spore.fire("x/a", i)): used right after
(collected), the highest sampled every 5 ms while they drain
(process.memory(false): garbage counts; the same sampler over a window without
a burst for comparison), used once they have drained, and the event history's
length (it fills up to the board's eventLog); the jobs' counters and the
queue's drops (GET /api/jobs). The bundles: --dist, or the board built with jobs on into a
temporary folder when it does not carry them. --board esp32 runs the esp32
bundle (its chip's state shimmed in .boot0; name a binary with more JsVars,
e.g. espruino-2047, in ESPRUINO_BIN).`;

// --board esp32: the common options take the ESP8266 boards only (their chip shim); this probe shims ESP32 too
const given = process.argv.slice(2);
const argv = given.map((a, i) => (a === "--board=esp32" ? "--board=esp8266" : a === "esp32" && given[i - 1] === "--board" ? "esp8266" : a));
const esp32 = argv.join(" ") !== given.join(" ");
const o = probeArgs(
  usage,
  {
    ...STAGGER,
    settle: { value: true, int: { min: 0, max: 3600 }, help: "seconds of idle after convergence, and after the deploy, before reading (default 30)", default: "30" },
    samples: { value: true, int: { min: 1, max: 100 }, help: "readings per node at idle (default 3)", default: "3" },
    every: { value: true, int: { min: 1, max: 600 }, help: "seconds between readings (default 10)", default: "10" },
    events: { value: true, int: { min: 1, max: 200 }, help: "events in the burst (default 20)", default: "20" },
    bursts: { value: true, int: { min: 1, max: 20 }, help: "bursts, one after another (default 2)", default: "2" },
    observe: { value: true, int: { min: 1, max: 600 }, help: "seconds the burst is watched for before what is left is read (default 10)", default: "10" },
    "no-pin": { help: "leave the pin job out (for an interpreter whose pins throw)" },
    plain: { help: "deploy the set without save_as only (by default it is deployed when the node refuses the set with 400)" },
    build: { value: true, help: "write the board's bundles with jobs on into this folder (what npm run build writes for it) and exit" },
  },
  argv,
);
if (esp32) o.board = "esp32";

/** The board with the jobs capability on (espruino.json's other overrides kept). */
function jobsBoard(name: string): Board {
  const own = projectOverrides();
  return loadBoard(name, BOARDS_DIR, { ...own, [name]: { ...own[name], jobs: true } });
}

/** Writes into `dir` what npm run build writes for the board, built with jobs on: firmware, boot file, <board>.json, the Web IDE file, the dashboard. */
async function buildWithJobs(name: string, dir: string): Promise<string> {
  const board = jobsBoard(name);
  const [fw, boot] = await Promise.all([bundleBoard(board, { write: false }), bundleBoard(board, { entry: BOOT_ENTRY, suffix: ".boot", write: false })]);
  mkdirSync(dir, { recursive: true });
  const dash = buildDashboard(false);
  writeFileSync(join(dir, `${name}.js`), fw.code, "latin1");
  writeFileSync(join(dir, `${name}.boot.js`), boot.code, "latin1");
  writeFileSync(join(dir, `${name}.json`), JSON.stringify({ board: name, version: fw.version, bytes: fw.bytes }) + "\n");
  writeFileSync(join(dir, `${name}.ide.js`), ideFile({ board, firmware: fw.code, version: fw.version, boot: boot.code, bootPlain: boot.plain, dashboard: board.capabilities.dashboard ? dash.data : undefined }).code, "latin1");
  writeFileSync(join(dir, "dashboard.html.gz"), Buffer.from(dash.data, "latin1"));
  const caps = Object.entries(board.capabilities).flatMap(([k, v]) => (v ? [k] : []));
  return `${name} with jobs (${caps.join(", ")}): ${fw.bytes} B of its ${fw.budget} B budget${fw.bytes > fw.budget ? ` (OVER by ${fw.bytes - fw.budget})` : ""}, boot file ${boot.bytes} B, version ${fw.version}, in ${dir}`;
}

if (o.build) {
  console.log(await buildWithJobs(String(o.board), String(o.build)));
  process.exit(0);
}
if (!o.dist && !loadBoard(String(o.board)).capabilities.jobs) {
  o.dist = mkdtempSync(join(tmpdir(), `spore-real-jobs-${o.board}-`));
  console.log(await buildWithJobs(String(o.board), String(o.dist)));
} else if (o.dist && !existsSync(join(String(o.dist), `${o.board}.js`))) {
  console.error(`${o.dist}: no ${o.board}.js`);
  process.exit(2);
}

/**
 * The job set deployed: an interval job, an event job, a pin job. `plain`:
 * the same without variables of their own (no save_as: the tick's condition
 * reads ${node.free}, the log ${pin.state}), for a node that refuses save_as.
 */
function jobSet(plain: boolean): { name: string; [k: string]: unknown }[] {
  return [
    {
      name: "tick",
      trigger: { type: "interval", every_ms: 2000 },
      steps: [
        { "kv.incr": plain ? { key: "ticks" } : { key: "ticks", save_as: "n" } },
        { if: { cond: plain ? "${node.free} > 100" : "${n} > 3", then: [{ "pin.write": { pin: "D4", value: 1 } }], else: [{ "pin.write": { pin: "D4", value: 0 } }] } },
      ],
    },
    { name: "ev", trigger: { type: "event", name: "x/*" }, steps: [{ "kv.put": { key: "last", value: "${event.data}" } }] },
    ...(o["no-pin"] ? [] : [{ name: "button", trigger: { type: "pin", pin: "D5", edge: "both" }, steps: [{ "pin.read": plain ? { pin: "D5" } : { pin: "D5", save_as: "s" } }, { log: { message: plain ? "D5 ${pin.state}" : "D5 ${s}" } }] }]),
  ];
}

/** A request with the cluster secret and a JSON body; never throws. */
function send(n: RealNode, method: string, path: string, body: string, ms = 15000): Promise<HttpAnswer> {
  return new Promise((done) => {
    const req = request(
      { host: n.ip, port: HTTP_PORT, path, method, agent: false, timeout: ms, headers: { Authorization: `Bearer ${SECRET}`, "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) } },
      (res) => {
        let text = "";
        res.setEncoding("latin1");
        res.on("data", (d) => (text += d));
        res.on("end", () => done({ status: res.statusCode ?? 0, body: text }));
        res.on("error", (e) => done({ status: 0, body: text, error: e.message }));
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer in ${ms} ms`)));
    req.on("error", (e) => done({ status: 0, body: "", error: e.message }));
    req.end(body);
  });
}

// the ESP32's state (main.ts reads freeHeap and sdkVersion); the ESP8266 shim stays for the boot file and the harness
const esp32Shim = esp32 ? 'global.ESP32={getState:function(){return {sdkVersion:"v4.4.8",freeHeap:60000}}};' : undefined;

await onConverged(o, { boot0: esp32Shim }, async (c) => {
  const node = c.nodes[0];
  const total = node.jsVars;
  const idleRead = async (nodes: RealNode[]) => {
    const used: number[][] = nodes.map(() => []);
    for (let s = 0; s < Number(o.samples); s++) {
      if (s) await pause(Number(o.every) * 1000);
      for (const [i, n] of nodes.entries()) used[i].push((await n.memory()).usage);
    }
    return used;
  };
  await pause(Number(o.settle) * 1000);
  const before = await idleRead(c.nodes);

  const shims = await shimCost(espruinoCommand(c.board)!, c.board);
  const all = before.flat();
  console.log(`\n${c.board.name} with the jobs capability (${o.dist}), ${c.nodes.length} nodes, no job: used ${range(all)} (without the shims ${range(all.map((u) => u - shims))}), free ${range(all.map((u) => total - u))} of ${total}`);

  // the set as written; where the node refuses it with 400 (the check's message says why), the set without save_as
  let JOBS: { name: string; [k: string]: unknown }[] = [];
  for (const plain of o.plain ? [true] : [false, true]) {
    JOBS = jobSet(plain);
    const doc = JSON.stringify({ version: 1, jobs: JOBS });
    const from = node.out.length;
    const r = await send(node, "POST", "/api/jobs", doc);
    console.log(`POST /api/jobs (${doc.length} B, ${JOBS.length} jobs${plain ? ", no save_as" : ""}) to ${node.hostname}: ${r.status} ${r.error ?? r.body}`);
    if (r.status === 200) break;
    if (r.status === 202) {
      // kept for the next boot (the node had not the memory to check it): it restarts and installs it then
      const want = JSON.parse(r.body).generation;
      let got = "";
      for (let s = 0; s < 90 && !got; s++) {
        await pause(1000);
        const l = await node.get("/api/jobs");
        if (l.status === 200 && JSON.parse(l.body).generation >= want) got = `installed at the restart, after ${s + 1} s`;
        else if (l.status === 200 && /deployed for this boot/.test(l.body)) got = `refused at the restart: ${JSON.stringify(JSON.parse(l.body).refused)}`;
      }
      console.log(`${node.hostname}: ${got || "not back with the set within 90 s"}`);
      if (/^installed/.test(got)) break;
      return false;
    }
    await pause(2000);
    const m = await node.repl<{ usage: number }>("process.memory()", 5000).catch(() => undefined);
    if (r.status === 400 && !plain && m) continue;
    console.log(`what ${node.hostname} printed since the POST:\n${node.out.slice(from).trim()}`);
    console.log(`${node.hostname} then: ${m ? `used ${m.usage}` : "no answer at its console"}; GET /api/jobs: ${(await node.get("/api/jobs")).status}`);
    return false;
  }
  await pause(Number(o.settle) * 1000);
  const withAll = await idleRead(c.nodes);
  const withSet = withAll[0];
  const listing = async () => {
    const a = await node.get("/api/jobs");
    return a.status === 200 ? a.body : `${a.status} ${a.error ?? a.body}`;
  };
  const afterDeploy = await listing();

  // the sampler alone over the same window (what idle activity and the sampler make), then with the burst
  const N = Number(o.events);
  const W = Number(o.observe);
  await node.repl<number>("(global.PK=0,global.PT=setInterval(function(){var u=process.memory(false).usage;if(u>PK)PK=u},5))");
  await pause(W * 1000);
  const quiet = await node.repl<number>("(clearInterval(PT),PK)");
  await node.repl<number>("(global.PK=0,global.PT=0)||1");
  // each burst: used before, right after (collected, the events queued), the highest sampled while they drain, after; the event history
  // (eventLog entries) fills up in the first, so a second one shows whether anything else stays
  const bursts: { before: number; right: number; peak: number; after: number; history: number; kv: string; jobs: string }[] = [];
  for (let b = 0; b < Number(o.bursts); b++) {
    const usedBefore = (await node.memory()).usage;
    const right = await node.repl<number>(
      `(function(f,i){global.PK=0;global.PT=setInterval(function(){var u=process.memory(false).usage;if(u>PK)PK=u},5);for(i=0;i<${N};i++)f("x/a",i);return process.memory().usage})(spore.fire)`,
    );
    await pause(W * 1000);
    const peak = await node.repl<number>("(clearInterval(PT),PK)");
    await node.repl<number>("(global.PK=0,global.PT=0)||1");
    const after = (await node.memory()).usage;
    const kv = await node.get("/api/kv/last");
    const events = await node.json<{ events: unknown[] }>("/api/events");
    bursts.push({ before: usedBefore, right, peak, after, history: events ? events.events.length : -1, kv: `${kv.status} ${kv.error ?? kv.body}`, jobs: await listing() });
  }
  await pause(Number(o.settle) * 1000);
  const later = (await idleRead([node]))[0];

  console.log(`\n${c.board.name} with the jobs capability (${o.dist}), ${c.nodes.length} nodes: JsVars (of ${total}; with the shims, after a collection)`);
  for (const [i, n] of c.nodes.entries()) console.log(`  ${n.hostname}  idle, no job: used ${range(before[i])}  free ${range(before[i].map((u) => total - u))}`);
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const grew = mean(withSet) - mean(before[0]);
  // the other nodes over the same time, no job deployed: what idle drift alone did
  const drift = c.nodes.length > 1 ? mean(withAll.slice(1).flat()) - mean(before.slice(1).flat()) : 0;
  console.log(`${node.hostname} with ${JOBS.length} jobs (${JOBS.map((j) => j.name).join(", ")}): used ${range(withSet)} (without the shims ${range(withSet.map((u) => u - shims))}), free ${range(withSet.map((u) => total - u))}; ${grew.toFixed(0)} more on the mean, the other nodes ${drift.toFixed(0)} over the same time: about ${((grew - drift) / JOBS.length).toFixed(0)} a job`);
  if (c.nodes.length > 1) console.log(`  the other nodes then: used ${range(withAll.slice(1).flat())}`);
  console.log(`  GET /api/jobs after ${o.settle} s: ${afterDeploy}`);
  for (const [i, x] of bursts.entries()) {
    console.log(`burst ${i + 1} of ${N} events (spore.fire("x/a", i) in one console line): used ${x.before} before; ${x.right} right after (collected, queued); highest sampled every 5 ms over ${W} s ${x.peak} (garbage counts; the sampler alone over ${W} s without a burst: ${quiet}); ${x.after} after (collected), ${x.after - x.before >= 0 ? "+" : ""}${x.after - x.before}; GET /api/events lists ${x.history}`);
    console.log(`  GET /api/kv/last: ${x.kv}`);
    console.log(`  GET /api/jobs: ${x.jobs}`);
  }
  console.log(`${node.hostname} ${o.settle} s after the last burst: used ${range(later)}, free ${range(later.map((u) => total - u))} (with the set, before any burst: ${range(withSet)})`);
  console.log(`the Linux shims (Wifi module file, ESP8266, getSerial, peek32) hold ${shims} JsVars on this interpreter${esp32 ? " (the ESP32 state shim in .boot0 not counted)" : ""}; ${c.board.name} has ${c.board.limits.jsVars}`);
  const lines = node.lastBoot().split(/\r?\n/).filter((l) => /jobs|job\/|tick|button|ev:|D5|ERROR|Error|Uncaught/.test(l));
  console.log(`${node.hostname}'s console lines about jobs or errors (${lines.length}):\n  ${lines.slice(-20).join("\n  ") || "(none)"}`);
  return true;
});
