// Where the memory goes when nodes run out of it: nine nodes on an
// interpreter with more JsVars than the board (ESPRUINO_BIN naming such a
// build, e.g. 2047), each sampling process.memory(false) every 50 ms from
// .boot0 and keeping its peak (with the HTTP connections open then), so a
// node that would have run out on the board survives to say how far over it
// went; and what handling each datagram takes. Run with and without HTTP
// polling (--poll ms between GET /api/node/status to every node; 0: none).
import { espruinoCommand } from "../harness/interpreter.ts";
import { cluster, cpuMeter, describe, pause, probeArgs, range, reportTrouble, startStaggered, STAGGER } from "./common.ts";

const o = probeArgs(
  `
npx tsx test/real/probes/peak.ts [options]

Peak JsVars used per node from its start, sampled every 50 ms by a timer in
.boot0 (process.memory(false): no collection, so garbage counts; --gc: collected), with the
HTTP server and client connections open at the peak. Meant for an
interpreter with more JsVars than the board, so that a node that would run
out shows by how much.`,
  {
    ...STAGGER,
    seconds: { value: true, int: { min: 10, max: 3600 }, help: "seconds to watch after the last start (default 90)", default: "90" },
    broker: { help: "an MQTT broker on the LAN, telemetry every 5 s (esp8266)" },
    gc: { help: "collect garbage at each sample (process.memory()): the live JsVars, at a cost in CPU" },
    poll: { value: true, int: { min: 0, max: 60000 }, help: "ms between rounds of GET /api/node/status to every node (default 500, as the probes poll for convergence; 0: none)", default: "500" },
    low: { value: true, int: { min: 0, max: 1000 }, help: "print at the node's console (LOW lines, at most one a second) what holds memory when fewer than this many JsVars are free after a collection: timers and their JsVars, HTTP server and client connections and theirs, bytes unsent, bytes received not yet read (default 0: never)", default: "0" },
  },
);

const SAMPLER = `var SPK={u:0,t:0,sc:0,cc:0,n:0,q:0,mq:0};setInterval(function(){var m=process.memory(${o.gc ? "" : "false"}),h=global["\\xFF"],q=0;(h.HttpCC||[]).forEach(function(c){q+=(c.dSnd||"").length});SPK.n++;if(q>SPK.mq)SPK.mq=q;if(m.usage>SPK.u){SPK.u=m.usage;SPK.q=q;SPK.t=Math.round(getTime());SPK.sc=h.HttpSC?h.HttpSC.length:0;SPK.cc=h.HttpCC?h.HttpCC.length:0;}${
  Number(o.low)
    ? `if(m.free<${Number(o.low)}&&getTime()-(SPK.lt||0)>1){m=process.memory();if(m.free<${Number(o.low)}){SPK.lt=getTime();var r=0,tn=0;for(var k in h.timers)tn++;(h.HttpSC||[]).forEach(function(c){r+=(c.dRcv||"").length});print("LOW free "+m.free+" timers "+tn+"/"+E.getSizeOf(h.timers)+" SC "+(h.HttpSC||[]).length+"/"+E.getSizeOf(h.HttpSC||[])+" CC "+(h.HttpCC||[]).length+"/"+E.getSizeOf(h.HttpCC||[])+" unsent "+q+" rcv "+r)}}`
    : ""
}},50);`;
// each datagram's handling: JsVars taken from before it to after it (garbage included: no collection in between)
const HOOK = `var _dg=require("dgram"),_cs=_dg.createSocket;SPK.d=0;SPK.h=0;_dg.createSocket=function(t){var s=_cs(t),_on=s.on;s.on=function(e,f){return _on.call(s,e,e=="message"?function(a,b){var u0=process.memory(false).usage;f(a,b);var u=process.memory(false).usage;if(u-u0>SPK.d)SPK.d=u-u0;if(u>SPK.h)SPK.h=u}:f)};return s};`;

const c = await cluster(o, { boot0: SAMPLER + HOOK, broker: !!o.broker });
describe(c);
const total = c.board.limits.jsVars;
const t0 = Date.now() / 1000;
await startStaggered(c, Number(o.stagger));
await c.booted();
const cpu = cpuMeter(c.nodes);
const end = Date.now() + Number(o.seconds) * 1000;
let polls = 0;
let answered = 0;
while (Date.now() < end) {
  if (Number(o.poll)) {
    const r = await Promise.all(c.nodes.map((n) => (n.pid ? c.counts(n) : undefined)));
    polls += r.length;
    answered += r.filter((x) => x).length;
    await pause(Number(o.poll));
  } else await pause(1000);
}
console.log(`\n${c.board.name}, ${c.nodes.length} nodes on ${espruinoCommand(c.board)!.join(" ")} (${c.nodes[0].jsVars} JsVars; the board has ${total}); HTTP polling: ${Number(o.poll) ? `every ${o.poll} ms, ${answered} of ${polls} answered 200` : "none"}`);
const peaks: number[] = [];
for (const n of c.nodes) {
  try {
    const p = await n.repl<{ u: number; t: number; sc: number; cc: number; n: number; q: number; mq: number; d: number; h: number }>("SPK");
    peaks.push(p.u);
    console.log(`  ${n.hostname}  peak used ${p.u}${p.u > total ? ` (${p.u - total} over the board's ${total})` : ""} at ${(p.t - t0).toFixed(0)} s, HTTP server connections ${p.sc}, client ${p.cc}, ${p.q} bytes waiting unsent then (most ${p.mq}); ${p.n} samples; a datagram's handling took up to ${p.d} JsVars (garbage included), used up to ${p.h} after one`);
  } catch (e) {
    console.log(`  ${n.hostname}  no answer at its console (${(e as Error).message.split("\n")[0]})`);
  }
}
console.log(`all: peak ${range(peaks)}; CPU ${cpu()}`);
reportTrouble(c);
await c.close();
process.exit(0);
