// Services on the real interpreter (README, Services): JsVars of a node at
// idle before any service is offered, once one is known (a member provides
// it: the state is made), and with 4 calls in flight (the provider answers
// after 3 s); then the round trip of calls answered at once, as the caller's
// console measures it. Nodes of one board; the caller is the first, the
// provider the second.
import { onConverged, pause, probeArgs, range, STAGGER } from "./common.ts";

const o = probeArgs(
  `
npx tsx test/real/probes/services.ts [options]

A converged cluster (default 3 nodes): JsVars of the first node (after a
garbage collection, typed at its console) at idle, once the second offers a
service, and with 4 calls to it in flight; then --calls calls one after
another, answered at once, and their round trips (ms, the caller's clock).`,
  {
    ...STAGGER,
    settle: { value: true, int: { min: 0, max: 3600 }, help: "seconds of idle after convergence before reading (default 20)", default: "20" },
    calls: { value: true, int: { min: 1, max: 200 }, help: "calls timed one after another (default 20)", default: "20" },
  },
);

await onConverged(o, {}, async (c) => {
  const [caller, provider] = c.nodes;
  if (!provider) throw new Error("--nodes 2 or more: a caller and a provider");
  await pause(Number(o.settle) * 1000);
  const idle = (await caller.memory()).usage;
  await provider.repl<string>('spore.provide("slow", 1, function (a, reply) { setTimeout(function () { reply(null, a); }, 3000); }) + spore.provide("now", 1, function (a, reply) { reply(null, a); })');
  // the provider announces at once; the caller learns it from the broadcast
  let known = false;
  for (let i = 0; i < 30 && !known; i++) {
    await pause(1000);
    known = (await caller.json<{ services: unknown[] }>("/api/services"))?.services.length === 2;
  }
  if (!known) throw new Error("the caller did not learn the services");
  await pause(5000);
  const withState = (await caller.memory()).usage;
  const refused = await caller.repl<string[]>('(global.PROBE_OUT = []) && ["a","b","c","d"].map(function (k) { return spore.call("slow", k, function (e, r) { PROBE_OUT.push(e || r); }, {timeout: 10000}); })');
  await pause(500);
  const inFlight = (await caller.memory()).usage;
  // the handler answers after 3 s; the calls' deadline is 10 s
  await pause(11000);
  const answered = await caller.repl<number>("PROBE_OUT.length");
  const said = await caller.repl<unknown[]>("PROBE_OUT");
  await caller.repl<number>("(global.PROBE_OUT = 0) || 1");
  const after = (await caller.memory()).usage;
  // round trips, one call at a time
  const times: number[] = [];
  for (let i = 0; i < Number(o.calls); i++) {
    await caller.repl<string>(`(global.PROBE_T = getTime()) && spore.call("now", ${i}, function (e, r) { PROBE_T = e ? -1 : (getTime() - PROBE_T) * 1000; })`);
    let t = 0;
    for (let w = 0; w < 50 && !(t < 0 || (t > 0 && t < 1e6)); w++) {
      await pause(200);
      t = await caller.repl<number>("PROBE_T < 1e6 ? PROBE_T : 0");
    }
    if (t > 0) times.push(Math.round(t));
  }
  const sorted = [...times].sort((a, b) => a - b);
  console.log(`\n${c.board.name}, ${c.nodes.length} nodes: the caller's JsVars (with the shims; after a garbage collection)`);
  console.log(`  idle, no service known: ${idle}`);
  console.log(`  a member offers two services: ${withState} (+${withState - idle})`);
  console.log(`  4 calls in flight: ${inFlight} (+${inFlight - withState}); ended ${answered} of 4 (${JSON.stringify(said)}; what spore.call returned: ${JSON.stringify(refused)}); after: ${after}`);
  console.log(`round trip of ${o.calls} calls answered at once: ${times.length} answered, ${range(times)} ms, median ${sorted[Math.floor(sorted.length / 2)] ?? "-"} ms`);
});
