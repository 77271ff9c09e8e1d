// What the datagram MAC (device/core/mac.ts) costs on the real interpreter,
// against E.CRC32 (S2's check, native): ms to derive the keys at boot, ms per
// datagram body of the sizes a datagram has, the JsVars its code and keys hold, and the
// bytes it adds to a pretokenised bundle. Times are the Linux build's under
// qemu, not a chip's: the empty-loop calibration gives the ratio to scale by.
import { loadBoard } from "../../../host-tools/build/boards.ts";
import { bundleBoard } from "../../../host-tools/build/bundle.ts";
import { espruinoCommand, evalFresh } from "../harness/interpreter.ts";
import { probeArgs } from "./common.ts";
import { mac } from "../../../device/core/mac.ts";
import { useSecret } from "../../../host-tools/lib/mac.ts";

const o = probeArgs(
  `
npx tsx test/real/probes/mac.ts [options]

Loads the datagram MAC as the bundle carries it (minified, pretokenised) into
a fresh interpreter and prints: its bytes, the JsVars its definitions and its
keys hold, ms to derive the keys, and tags compared with Node's, ms per body of 64, 127, 200 and 250
bytes for the MAC and for E.CRC32.`,
  { runs: { value: true, int: { min: 1, max: 1000 }, help: "messages per size (default 50)", default: "50" } },
);

const board = loadBoard("esp8266");
const cmd = espruinoCommand(board);
if (!cmd) {
  console.log("skipped: ESPRUINO_BIN is not set (README, The real interpreter)");
  process.exit(0);
}
const built = await bundleBoard(board, { entry: new URL("./mac-entry.ts", import.meta.url).pathname, write: false });
const runs = Number(o.runs);
const SECRET = "a cluster secret of thirty chars";
const script = `
var m0=process.memory().usage;
eval(${JSON.stringify(built.plain)});
var m1=process.memory().usage;
var T0=getTime();MACK(${JSON.stringify(SECRET)});var T1=(getTime()-T0)*1000;
var m2=process.memory().usage;
var out=["JSVARS "+(m1-m0)+" "+(m2-m1),"KEY "+T1.toFixed(1)];
[64,127,200,250].forEach(function(n){
  var s="";for(var i=0;i<n;i++)s+=String.fromCharCode(33+i%90);
  out.push("TAG "+n+" "+MAC(s));
  var t=getTime();for(var i=0;i<${runs};i++)MAC(s);var a=(getTime()-t)*1000/${runs};
  t=getTime();for(var i=0;i<${runs};i++)E.CRC32(s);var b=(getTime()-t)*1000/${runs};
  out.push("SIZE "+n+" "+a.toFixed(2)+" "+b.toFixed(3));
});
var t=getTime();for(var i=0;i<1000;i++);out.push("LOOP "+((getTime()-t)*1000).toFixed(2));
print(out.join("\\n"));
`;
const out = await evalFresh(cmd, script, 600000);
const vars = /JSVARS (\d+) (\d+)/.exec(out);
console.log(`the MAC in the bundle: ${built.bytes} bytes pretokenised (the probe's entry included, a few bytes); its definitions hold ${vars?.[1]} JsVars once loaded, its keys ${vars?.[2]}`);
console.log(`deriving the keys from the secret: ${/KEY (\S+)/.exec(out)?.[1]} ms, once per boot`);
console.log("body bytes   MAC ms   E.CRC32 ms   (Linux build under qemu: compare, do not read as chip time)");
useSecret(SECRET);
for (const m of out.matchAll(/TAG (\d+) (\S+)/g)) {
  const n = Number(m[1]);
  const body = Array.from({ length: n }, (_, i) => String.fromCharCode(33 + (i % 90))).join("");
  console.log(`tag of ${n} bytes: ${m[2]} on the interpreter, ${mac(body)} in Node: ${m[2] === mac(body) ? "the same" : "DIFFERENT"}`);
}
for (const m of out.matchAll(/SIZE (\d+) (\S+) (\S+)/g)) console.log(`${m[1].padStart(10)}   ${m[2].padStart(6)}   ${m[3].padStart(10)}`);
const loop = /LOOP (\S+)/.exec(out)?.[1];
console.log(`calibration: an empty for loop of 1,000 iterations took ${loop} ms here; time the same loop on a chip and scale the figures above by the ratio`);
if (!vars) console.log(out.slice(-2000));
