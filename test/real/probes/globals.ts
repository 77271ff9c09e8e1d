// Where a node's JsVars are at idle: E.getSizeOf of each of the global
// object's properties (the bundle's top-level definitions, Espruino's hidden
// ones under "\xFF"), on the first node of a converged cluster; --dist
// compares another build (two runs: print both and diff by name).
import { onConverged, pause, probeArgs, STAGGER } from "./common.ts";

const o = probeArgs(
  `
npx tsx test/real/probes/globals.ts [options]

JsVars held by each global of one node at idle (E.getSizeOf(global, 1) at
its console, after a garbage collection), largest first, once every node
lists every other ACTIVE and --settle seconds more. Names are the minified
bundle's (each line shows its type and first keys). Run it on an interpreter
with more JsVars than the board (ESPRUINO_BIN naming e.g. espruino-2047): the
listing itself takes memory.`,
  {
    ...STAGGER,
    settle: { value: true, int: { min: 0, max: 3600 }, help: "seconds of idle after convergence before reading (default 20)", default: "20" },
    node: { value: true, int: { min: 0, max: 49 }, help: "which node to read (default 0)", default: "0" },
    broker: { help: "an MQTT broker on the LAN, telemetry every 5 s (esp8266)" },
    show: { value: true, help: "also print what this expression (Espruino JavaScript) gives, e.g. 'global[\"\\xFF\"].HttpCC'" },
    hidden: { help: "also break down Espruino's hidden object (global[\"\\xFF\"])" },
  },
);

await onConverged(o, { broker: !!o.broker }, async (c) => {
  await pause(Number(o.settle) * 1000);
  const n = c.nodes[Number(o.node)];
  const from = n.out.length;
  // printed one per line: an array of them all ran the node out of memory
  const each = (obj: string, prefix: string) => `for(var k in ${obj}){var v=${obj}[k];print("G|${prefix}"+k+"|"+E.getSizeOf(v)+"|"+(typeof v)+(v&&typeof v=="object"?":"+(function(){var r="",j=0;for(var q in v){if(j++>3)break;r+=q+","}return r})():""));}`;
  await n.repl<number>(`(function(){process.memory();${each("global", "")}${o.hidden ? each('global["\\xFF"]', "%FF.") : ""}return 1})()`, 60000);
  if (o.show) {
    const at = n.out.length;
    await n.repl<number>(`(function(){print("SHOW|"+E.toJS(${o.show})+"|SHOW");return 1})()`, 60000);
    console.log(n.out.slice(at).split("SHOW|")[1]?.split("|SHOW")[0]);
  }
  const sizes = [...n.out.slice(from).matchAll(/G\|([^|\r\n]*)\|(\d+)\|([^\r\n]*)/g)].map((m) => [m[1].replace("%FF.", "\xFF."), Number(m[2]), m[3]] as [string, number, string]);
  sizes.sort((a, b) => b[1] - a[1]);
  const mem = await n.memory();
  let sum = 0;
  for (const [k, v] of sizes) if (!k.startsWith("\xFF.")) sum += v;
  console.log(`\n${n.hostname}: ${mem.usage} used; globals hold ${sum} (E.getSizeOf counts shared children once per holder)`);
  for (const [k, v, what] of sizes) console.log(`  ${JSON.stringify(k).padEnd(24)} ${String(v).padStart(4)}  ${what}`);
});
