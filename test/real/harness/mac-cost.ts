// What the datagram MAC (device/core/mac.ts) costs on the real interpreter,
// against E.CRC32 (S2's check, native): the MAC loaded as the bundle carries
// it (minified, pretokenised) into a fresh interpreter, its JsVars, ms to
// derive the keys, ms per datagram body of the sizes a datagram has, its tags
// against Node's, and two loops to scale the times by. The script's globals
// have names the minifier does not give, but for the calibration loops' at
// the end. Times are the Linux build's under qemu, not a chip's. Used by
// test/real/probes/mac.ts and npm run bench.
import type { Board } from "../../../host-tools/build/boards.ts";
import { bundleBoard } from "../../../host-tools/build/bundle.ts";
import { Mac, mac } from "../../../device/core/mac.ts";
import { useSecret } from "../../../host-tools/lib/mac.ts";
import { espruinoCommand, evalFresh } from "./interpreter.ts";

/** Datagram body sizes measured: short, the 127/128 boundary, typical, the longest (Wire.MaxBody is 250). */
export const BODY_SIZES = [64, 127, 200, 250];

/** Iterations per second of `while (1) {A0.set();A0.reset();}` on the original Espruino board (STM32F103, 72 MHz): the Espruino Performance page's "roughly a 4kHz square wave". */
export const PERFORMANCE_PAGE_LOOP_PER_S = 4000;

const SECRET = "a cluster secret of thirty chars";
/** Iterations of the pin loop timed (the Linux build's D0: it has no A0). */
const PIN_LOOP = 2000;

export interface MacCost {
  board: string;
  /** The interpreter command that ran. */
  interpreter: string;
  /** The MAC with the probe's glue (mac-entry.ts), pretokenised. */
  bytes: number;
  /** JsVars its definitions hold once loaded, and all that deriving its keys left in use. */
  codeJsVars: number;
  keyJsVars: number;
  /** E.getSizeOf of the key: the hash's arrays and Speck's 27 round keys (in RAM here). */
  arraysJsVars: number;
  keyMs: number;
  /** ms per body on the interpreter: the MAC and E.CRC32. */
  sizes: { bytes: number; macMs: number; crcMs: number }[];
  /** Each size's tag on the interpreter and in Node (the same expected). */
  tags: { bytes: number; interpreter: string; node: string }[];
  /** the same with the arrays kept in Storage and read from flash (esp8266, esp32) */
  flashTags: { bytes: number; interpreter: string; node: string }[];
  /** the same body at the end of a datagram, from an even and an odd byte offset (a view of the string, as a node checks what it receives) */
  offsetTags: { bytes: number; interpreter: string; node: string }[];
  /** ms of `for(var i=0;i<1000;i++);`. */
  emptyLoopMs: number;
  /** Iterations per second of the pin toggle (D0.set();D0.reset();), the counter's own time taken out. */
  pinLoopPerS: number;
  /** What the interpreter printed, when it printed no figures. */
  output?: string;
}

function body(n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += String.fromCharCode(33 + (i % 90));
  return s;
}

/** Runs the MAC on the interpreter ESPRUINO_BIN names for `board` (undefined when it is not set); `runs` messages per size. */
export async function macCost(board: Board, runs: number): Promise<MacCost | undefined> {
  const cmd = espruinoCommand(board);
  if (!cmd) return undefined;
  const built = await bundleBoard(board, { entry: new URL("../probes/mac-entry.ts", import.meta.url).pathname, write: false });
  const script = `
var m0=process.memory().usage;
eval(${JSON.stringify(built.plain)});
var m1=process.memory().usage;
var T0=getTime();MACK(${JSON.stringify(SECRET)});var T1=(getTime()-T0)*1000;
var m2=process.memory().usage;
var out=["JSVARS "+(m1-m0)+" "+(m2-m1),"KEY "+T1.toFixed(1)];
var KK,VV,QQ=-1;for(KK in global){VV=global[KK];if(VV instanceof Uint32Array&&VV.length==${Mac.Keys})QQ=E.getSizeOf(VV);}
out.push("ARRAYS "+QQ);
${JSON.stringify(BODY_SIZES)}.forEach(function(n){
  var s="";for(var i=0;i<n;i++)s+=String.fromCharCode(33+i%90);
  out.push("TAG "+n+" "+MAC(s,0));
  out.push("OTAG "+n+" "+MAC("S3|x.yz|"+s,8)+" "+MAC("S3|x.y|"+s,7));
  var t=getTime();for(var i=0;i<${runs};i++)MAC(s,0);var a=(getTime()-t)*1000/${runs};
  t=getTime();for(var i=0;i<${runs};i++)E.CRC32(s);var b=(getTime()-t)*1000/${runs};
  out.push("SIZE "+n+" "+a.toFixed(2)+" "+b.toFixed(3));
});
MACKF(${JSON.stringify(SECRET)});
${JSON.stringify(BODY_SIZES)}.forEach(function(n){
  var s="";for(var i=0;i<n;i++)s+=String.fromCharCode(33+i%90);
  out.push("FTAG "+n+" "+MAC(s,0));
});
var t=getTime();for(var i=0;i<1000;i++);out.push("LOOP "+((getTime()-t)*1000).toFixed(2));
var n=0;t=getTime();while(n++<${PIN_LOOP}){D0.set();D0.reset();}var p=getTime()-t;
n=0;t=getTime();while(n++<${PIN_LOOP});out.push("PIN "+(${PIN_LOOP}/(p-(getTime()-t))).toFixed(0));
print(out.join("\\n"));
`;
  const out = await evalFresh(cmd, script, 600000);
  const vars = /JSVARS (\d+) (\d+)/.exec(out);
  useSecret(SECRET);
  return {
    board: board.name,
    interpreter: cmd.join(" "),
    bytes: built.bytes,
    codeJsVars: Number(vars?.[1] ?? NaN),
    keyJsVars: Number(vars?.[2] ?? NaN),
    arraysJsVars: Number(/ARRAYS (\S+)/.exec(out)?.[1] ?? NaN),
    keyMs: Number(/KEY (\S+)/.exec(out)?.[1] ?? NaN),
    sizes: [...out.matchAll(/SIZE (\d+) (\S+) (\S+)/g)].map((m) => ({ bytes: Number(m[1]), macMs: Number(m[2]), crcMs: Number(m[3]) })),
    tags: [...out.matchAll(/\bTAG (\d+) (\S+)/g)].map((m) => ({ bytes: Number(m[1]), interpreter: m[2], node: mac(body(Number(m[1])), 0) })),
    flashTags: [...out.matchAll(/FTAG (\d+) (\S+)/g)].map((m) => ({ bytes: Number(m[1]), interpreter: m[2], node: mac(body(Number(m[1])), 0) })),
    offsetTags: [...out.matchAll(/OTAG (\d+) (\S+) (\S+)/g)].flatMap((m) => [2, 3].map((i) => ({ bytes: Number(m[1]), interpreter: m[i], node: mac(body(Number(m[1])), 0) }))),
    emptyLoopMs: Number(/LOOP (\S+)/.exec(out)?.[1] ?? NaN),
    pinLoopPerS: Number(/PIN (\S+)/.exec(out)?.[1] ?? NaN),
    ...(vars ? {} : { output: out.slice(-2000) }),
  };
}
