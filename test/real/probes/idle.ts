// JsVars used and free at idle on the real interpreter: nine nodes of a
// board (eight members each), started a few seconds apart, read at each
// node's console once every node lists every other ACTIVE and the cluster
// has settled. Re-measures README "Boards" and boards/*.json's notes.
import { espruinoCommand, shimCost } from "../harness/interpreter.ts";
import { cpuMeter, onConverged, pause, probeArgs, range, STAGGER } from "./common.ts";

const o = probeArgs(
  `
npx tsx test/real/probes/idle.ts [options]

JsVars used and free at idle (process.memory() typed at each node's console,
so the figures include that line), after every node lists every other
ACTIVE and --settle seconds more; --samples readings per node, --every s
apart. Also prints what the Linux shims cost (included in the figures).`,
  {
    ...STAGGER,
    settle: { value: true, int: { min: 0, max: 3600 }, help: "seconds of idle after convergence before reading (default 30)", default: "30" },
    samples: { value: true, int: { min: 1, max: 100 }, help: "readings per node (default 3)", default: "3" },
    every: { value: true, int: { min: 1, max: 600 }, help: "seconds between readings (default 10)", default: "10" },
    broker: { help: "an MQTT broker on the LAN, telemetry every 5 s (esp8266)" },
  },
);

await onConverged(o, { broker: !!o.broker }, async (c) => {
  const cpu = cpuMeter(c.nodes);
  await pause(Number(o.settle) * 1000);
  const used: number[][] = c.nodes.map(() => []);
  for (let s = 0; s < Number(o.samples); s++) {
    if (s) await pause(Number(o.every) * 1000);
    for (const [i, n] of c.nodes.entries()) used[i].push((await n.memory()).usage);
  }
  const cpuLine = cpu();
  const members = await Promise.all(c.nodes.map((n) => c.counts(n)));
  const shims = await shimCost(espruinoCommand(c.board)!, c.board);
  const total = c.nodes[0].jsVars;
  console.log(`\n${c.board.name}, ${c.nodes.length} nodes${c.broker ? `, MQTT broker (${c.broker.kind}), telemetry every 5 s` : ""}: JsVars at idle (of ${total})`);
  for (const [i, n] of c.nodes.entries()) {
    const m = members[i];
    console.log(`  ${n.hostname}  used ${range(used[i])}  free ${range(used[i].map((u) => total - u))}  members ${m ? `${m.ACTIVE} ACTIVE, ${m.INACTIVE} INACTIVE, ${m.DEAD} DEAD` : "(no answer)"}`);
  }
  const all = used.flat();
  console.log(`all nodes: used ${range(all)}, free ${range(all.map((u) => total - u))}`);
  console.log(`the Linux shims (Wifi module file, ESP8266, getSerial, peek32) hold ${shims} JsVars on this interpreter; without them: used ${range(all.map((u) => u - shims))}, free ${range(all.map((u) => c.board.limits.jsVars - u + shims))} of the board's ${c.board.limits.jsVars}`);
  const budget = c.broker ? c.board.budgets.idleJsVarsMqtt : c.board.budgets.idleJsVars;
  if (budget) console.log(`budget (boards/${c.board.name}.json ${c.broker ? "idleJsVarsMqtt" : "idleJsVars"}): ${budget}; most used without the shims: ${Math.max(...all) - shims}`);
  console.log(`CPU: ${cpuLine}`);
});
