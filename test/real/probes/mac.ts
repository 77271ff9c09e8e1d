// What the datagram MAC (device/core/mac.ts) costs on the real interpreter,
// against E.CRC32 (S2's check, native): ms to derive the keys at boot, ms per
// datagram body of the sizes a datagram has, the JsVars its code and keys hold, and the
// bytes it adds to a pretokenised bundle. Times are the Linux build's under
// qemu, not a chip's: the calibration loops give the ratio to scale by
// (harness/mac-cost.ts measures; npm run bench prints the same per board).
import { loadBoard } from "../../../host-tools/build/boards.ts";
import { macCost, PERFORMANCE_PAGE_LOOP_PER_S } from "../harness/mac-cost.ts";
import { probeArgs } from "./common.ts";

const o = probeArgs(
  `
npx tsx test/real/probes/mac.ts [options]

Loads the datagram MAC as the bundle carries it (minified, pretokenised) into
a fresh interpreter and prints: its bytes, the JsVars its definitions and its
keys hold, ms to derive the keys, and tags compared with Node's, ms per body of 64, 127, 200 and 250
bytes for the MAC and for E.CRC32, and the loops to scale the times by.`,
  { runs: { value: true, int: { min: 1, max: 1000 }, help: "messages per size (default 50)", default: "50" } },
);

const m = (await macCost(loadBoard(String(o.board)), Number(o.runs)))!;
console.log(`the MAC in the bundle: ${m.bytes} bytes pretokenised (the probe's entry included, a few bytes); its definitions hold ${m.codeJsVars} JsVars once loaded, deriving its keys leaves ${m.keyJsVars} more in use, of which its key (the arrays and the round keys, in RAM here) ${m.arraysJsVars}`);
console.log(`deriving the keys from the secret: ${m.keyMs} ms, once per boot`);
for (const t of m.tags) console.log(`tag of ${t.bytes} bytes: ${t.interpreter} on the interpreter, ${t.node} in Node: ${t.interpreter === t.node ? "the same" : "DIFFERENT"}`);
for (const t of m.offsetTags) console.log(`tag of ${t.bytes} bytes at the end of a datagram (a view from a byte offset): ${t.interpreter} on the interpreter, ${t.node} in Node: ${t.interpreter === t.node ? "the same" : "DIFFERENT"}`);
for (const t of m.flashTags) console.log(`tag of ${t.bytes} bytes, arrays in flash: ${t.interpreter} on the interpreter, ${t.node} in Node: ${t.interpreter === t.node ? "the same" : "DIFFERENT"}`);
console.log("body bytes   MAC ms   E.CRC32 ms   (Linux build under qemu: compare, do not read as chip time)");
for (const s of m.sizes) console.log(`${String(s.bytes).padStart(10)}   ${s.macMs.toFixed(2).padStart(6)}   ${s.crcMs.toFixed(3).padStart(10)}`);
console.log(`calibration: an empty for loop of 1,000 iterations took ${m.emptyLoopMs} ms here; time the same loop on a chip and scale the figures above by the ratio`);
console.log(`the Espruino Performance page's loop (while(1){A0.set();A0.reset();}, D0 here): ${m.pinLoopPerS} iterations/s here, about ${PERFORMANCE_PAGE_LOOP_PER_S} on the original Espruino board (STM32F103, 72 MHz): ${(m.pinLoopPerS / PERFORMANCE_PAGE_LOOP_PER_S).toFixed(1)} times as fast`);
if (m.output) console.log(m.output);
