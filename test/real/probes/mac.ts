// What SipHash-2-4 (device/core/mac.ts) costs on the real interpreter,
// against E.CRC32 (today's datagram check, native): ms per message of the
// sizes a datagram has, the JsVars its code holds once loaded, and the bytes
// it adds to a pretokenised bundle. Times are the Linux build's under qemu,
// not a chip's: compare them with each other (E.CRC32 is C, SipHash is
// interpreted JavaScript).
import { loadBoard } from "../../../host-tools/build/boards.ts";
import { bundleBoard } from "../../../host-tools/build/bundle.ts";
import { espruinoCommand, evalFresh } from "../harness/interpreter.ts";
import { probeArgs } from "./common.ts";

const o = probeArgs(
  `
npx tsx test/real/probes/mac.ts [options]

Loads SipHash-2-4 as the bundle carries it (minified, pretokenised) into a
fresh interpreter and prints: its bytes, the JsVars its definitions hold, and
ms per message of 64, 128, 200 and 268 bytes for SipHash and for E.CRC32.`,
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
const script = `
var m0=process.memory().usage;
eval(${JSON.stringify(built.plain)});
var m1=process.memory().usage;
MACK("0123456789abcdef");
var out=["JSVARS "+(m1-m0)];
[64,128,200,268].forEach(function(n){
  var s="";for(var i=0;i<n;i++)s+=String.fromCharCode(33+i%90);
  var t=getTime();for(var i=0;i<${runs};i++)MAC(s);var a=(getTime()-t)*1000/${runs};
  t=getTime();for(var i=0;i<${runs};i++)E.CRC32(s);var b=(getTime()-t)*1000/${runs};
  out.push("SIZE "+n+" "+a.toFixed(2)+" "+b.toFixed(3));
});
var t=getTime();for(var i=0;i<1000;i++);out.push("LOOP "+((getTime()-t)*1000).toFixed(2));
print(out.join("\\n"));
`;
const out = await evalFresh(cmd, script, 600000);
const vars = /JSVARS (\d+)/.exec(out)?.[1];
console.log(`SipHash-2-4 in the bundle: ${built.bytes} bytes pretokenised (the probe's entry included, a few bytes); its definitions hold ${vars} JsVars once loaded`);
console.log("message bytes   SipHash ms   E.CRC32 ms   (Linux build under qemu: compare, do not read as chip time)");
for (const m of out.matchAll(/SIZE (\d+) (\S+) (\S+)/g)) console.log(`${m[1].padStart(13)}   ${m[2].padStart(10)}   ${m[3].padStart(10)}`);
const loop = /LOOP (\S+)/.exec(out)?.[1];
console.log(`calibration: an empty for loop of 1,000 iterations took ${loop} ms here; time the same loop on a chip and scale the figures above by the ratio`);
if (!vars) console.log(out.slice(-2000));
