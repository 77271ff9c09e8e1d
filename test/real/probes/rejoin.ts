// How long a node that comes back takes to be ACTIVE on every peer, on the
// real interpreter: killed (power cut) after --uptime seconds of a converged
// cluster, away --away seconds (past dead: DEAD on every peer), then started
// again from its Storage. Re-measures README "Membership" (171 s measured on
// real interpreters before the firmware counted its boots).
import type { RealCluster } from "../harness/cluster.ts";
import type { RealNode } from "../harness/node.ts";
import { onConverged, pause, probeArgs, STAGGER } from "./common.ts";

const o = probeArgs(
  `
npx tsx test/real/probes/rejoin.ts [options]

Converges the cluster, lets it run --uptime seconds, kills one node, waits
--away seconds (prints how its peers list it then), starts it again and
prints the seconds from its start until every peer lists it ACTIVE, heard
from since its start, and it lists them all ACTIVE, then watches --watch seconds more for peers that
drop it (INACTIVE again) and for its datagrams dropped as replays.`,
  {
    uptime: { value: true, int: { min: 0, max: 86400 }, help: "seconds the converged cluster runs before the kill (default 0)", default: "0" },
    away: { value: true, int: { min: 0, max: 86400 }, help: "seconds the node is off (default 70: past dead, 60 s)", default: "70" },
    watch: { value: true, int: { min: 0, max: 3600 }, help: "seconds to watch after it is back (default 30: three times ina)", default: "30" },
    limit: { value: true, int: { min: 1, max: 3600 }, help: "seconds to wait for it to be ACTIVE everywhere (default 300)", default: "300" },
    ...STAGGER,
    node: { value: true, int: { min: 0, max: 49 }, help: "which node to kill (default 4)", default: "4" },
  },
);

interface Status {
  drops: Record<string, number>;
}

/** How each peer lists `node` ("-" when it does not, "?" when the peer did not answer). */
async function seenAs(c: RealCluster, node: RealNode, peers: RealNode[]): Promise<string[]> {
  return (await c.entries(node, peers)).map((x) => (x === null ? "?" : (x?.status ?? "-")));
}

async function replays(peers: RealNode[]): Promise<number> {
  const all = await Promise.all(peers.map((p) => p.json<Status>("/api/node/status")));
  return all.reduce((n, s) => n + (s?.drops.replay ?? 0), 0);
}

await onConverged(o, {}, async (c) => {
  let ok = true;
  const node = c.nodes[Number(o.node)] ?? c.nodes[c.nodes.length - 1];
  const peers = c.nodes.filter((n) => n !== node);
  if (Number(o.uptime)) {
    console.log(`converged; running ${o.uptime} s`);
    await pause(Number(o.uptime) * 1000);
  }
  const boots = await node.repl<string>('require("Storage").read("spore.n")');
  await node.kill();
  console.log(`killed ${node.hostname} (boot ${boots}) after ${o.uptime} s of uptime; away ${o.away} s`);
  await pause(Number(o.away) * 1000);
  console.log(`its peers list it as: ${(await seenAs(c, node, peers)).join(" ")}`);
  const before = await replays(peers);
  node.start();
  const t0 = node.startedAt;
  await node.waitFor(new RegExp(`${node.hostname} [0-9a-f]{8}\r?\n`), 60000, node.out.lastIndexOf("\n---- start "));
  console.log(`booted (printed its version) ${((Date.now() - t0) / 1000).toFixed(1)} s after its start`);
  let took = -1;
  const end = t0 + Number(o.limit) * 1000;
  while (Date.now() < end) {
    if (await c.back(node)) {
      took = Date.now() - t0;
      break;
    }
    await pause(500);
  }
  if (took < 0) {
    console.log(`NOT back everywhere within ${o.limit} s: peers list it as ${(await seenAs(c, node, peers)).join(" ")}`);
    ok = false;
  } else console.log(`ACTIVE on all ${peers.length} peers (each heard from it since its start), and they all ACTIVE on it, ${(took / 1000).toFixed(1)} s after its start (ina ${10 * c.slow} s)`);
  const watchEnd = Date.now() + Number(o.watch) * 1000;
  const lapses = new Set<string>();
  while (Date.now() < watchEnd) {
    const seen = await seenAs(c, node, peers);
    seen.forEach((s, i) => s !== "ACTIVE" && lapses.add(`${peers[i].hostname}: ${s}`));
    await pause(1000);
  }
  console.log(`over ${o.watch} s after: ${lapses.size ? `not ACTIVE on ${[...lapses].join(", ")}` : "ACTIVE on every peer at every look"}; datagrams dropped as replays by its peers: ${(await replays(peers)) - before}`);
  return ok;
});
