// Nine nodes powered on in the same moment, on the real interpreter: do any
// run out of memory or print an interpreter error, do all answer afterwards?
// Re-measures README "Boards" (three runs, ten status and member-list
// requests to each node after).
import { cluster, cpuMeter, describe, pause, probeArgs } from "./common.ts";

const o = probeArgs(
  `
npx tsx test/real/probes/boot-together.ts [options]

Starts every node in the same moment (--runs times, each on fresh Storage),
watches their output for --watch seconds, then asks each node --requests
times for GET /api/node/status and GET /api/cluster/members, one at a time.
Prints per run: nodes that ran out of memory, printed an interpreter error or
stopped; whether every node listed every other ACTIVE; the answers.`,
  {
    runs: { value: true, int: { min: 1, max: 20 }, help: "runs (default 3)", default: "3" },
    watch: { value: true, int: { min: 1, max: 3600 }, help: "seconds to watch before the requests (default 60)", default: "60" },
    requests: { value: true, int: { min: 0, max: 100 }, help: "status and member-list requests to each node after (default 10)", default: "10" },
    broker: { help: "an MQTT broker on the LAN, telemetry every 5 s (esp8266)" },
  },
);

let failed = 0;
for (let run = 1; run <= Number(o.runs); run++) {
  const c = await cluster(o, { broker: !!o.broker });
  try {
    if (run === 1) describe(c);
    c.startAll();
    const cpu = cpuMeter(c.nodes);
    await pause(Number(o.watch) * 1000);
    const converged = await c.converged();
    const cpuLine = cpu();
    const codes: Record<string, number> = {};
    for (let i = 0; i < Number(o.requests); i++)
      for (const n of c.nodes)
        for (const path of ["/api/node/status", "/api/cluster/members"]) {
          const r = await n.get(path, 15000);
          const k = r.error ? "no answer" : String(r.status);
          codes[k] = (codes[k] ?? 0) + 1;
        }
    const oom = c.nodes.filter((n) => /OUT OF MEMORY|Out of Memory/i.test(n.out));
    const errors = c.nodes.filter((n) => /New interpreter error|ASSERT/.test(n.out));
    const stopped = c.nodes.filter((n) => !n.running);
    const booted = c.nodes.filter((n) => n.out.includes(`${n.hostname} `));
    console.log(
      `run ${run}: ${booted.length} of ${c.nodes.length} booted; out of memory: ${oom.length ? oom.map((n) => n.hostname).join(", ") : "none"}; ` +
        `interpreter errors: ${errors.length ? errors.map((n) => n.hostname).join(", ") : "none"}; stopped: ${stopped.length ? stopped.map((n) => n.hostname).join(", ") : "none"}; ` +
        `every node lists every other ACTIVE after ${o.watch} s: ${converged ? "yes" : "no"}; requests: ${Object.entries(codes)
          .map(([k, v]) => `${v} ${k}`)
          .join(", ")}; CPU ${cpuLine}`,
    );
    if (oom.length || errors.length || stopped.length || !converged || Object.keys(codes).some((k) => k !== "200")) failed++;
    for (const l of c.trouble().slice(0, 12)) console.log(`  ${l}`);
  } finally {
    await c.close();
  }
}
console.log(`${failed} of ${o.runs} runs with a failure`);
process.exit(failed ? 1 : 0);
