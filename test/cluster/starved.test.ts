// Nodes starved of CPU. Espruino sends one datagram per pass of its idle
// loop and keeps the rest in JsVars; on the real interpreter, nine nodes
// given a fifth of a core each piled up 3,500 bytes of them and every one ran
// out of memory. The emulator makes a pass take idlePassMs; the firmware must
// drop what goes past its board's unsentMax, stay within memory, and keep the
// membership.
import * as assert from "uvu/assert";
import { Cluster } from "../../host-tools/emulator/cluster.ts";
import type { Device } from "../../host-tools/emulator/device.ts";
import { UdpSocket } from "../../host-tools/emulator/espruino-dgram.ts";
import { Wire } from "../../device/core/wire.ts";
import { hostnameOf, waitConverged } from "./helpers.ts";
import { suite } from "../suite.ts";

const { test: starved, seed } = suite("starved", { seed: 2207 });

/** The most bytes any of the node's UDP sockets has not sent yet. */
function unsent(d: Device): number {
  const emitters = (d as unknown as { emitters: Set<unknown> }).emitters;
  let n = 0;
  for (const e of emitters) if (e instanceof UdpSocket) n = Math.max(n, e.dSnd.length);
  return n;
}

// a pass every 500 ms: two datagrams a second, about what a node sends, so bursts pile up
for (const board of ["esp01", "esp8266"]) {
  starved(`nine ${board} nodes sending one datagram per 500 ms pass of the idle loop hold at most unsentMax bytes unsent, stay within memory and keep every member`, () => {
    const c = new Cluster({ seed, boards: Array.from({ length: 9 }, () => board) });
    for (const d of c.devices) d.idlePassMs = 500;
    const node = c.devices[0].board.node;
    const peak = new Map<Device, number>();
    let most = 0;
    for (let t = 0; t < 180000; t += 50) {
      c.runFor(50);
      for (const d of c.devices) {
        most = Math.max(most, unsent(d));
        peak.set(d, Math.max(peak.get(d) ?? 0, d.jsVarsUsed()));
      }
    }
    const highest = Math.max(...peak.values());
    console.log(`    ${board}: most unsent ${most} bytes (unsentMax ${node.unsentMax}); peak JsVars ${highest} of ${c.devices[0].board.limits.jsVars} (emulator's estimate, seed ${seed})`);
    // the limit was reached (without it the pile grows), and held: one datagram with its 8-byte header past it at most
    assert.ok(most >= node.unsentMax, `unsent data reached ${most} bytes only: the test does not starve the nodes`);
    assert.ok(most <= node.unsentMax + Wire.MaxDatagram + 8, `${most} bytes unsent`);
    for (const d of c.devices) {
      assert.ok(peak.get(d)! < d.board.limits.jsVars - node.minFree, `${hostnameOf(d)} peaked at ${peak.get(d)} JsVars`);
      assert.is(d.counters.uncaught, 0, `${hostnameOf(d)} threw`);
    }
    // fed again, the cluster is whole
    for (const d of c.devices) d.idlePassMs = 0;
    waitConverged(c, 30000, seed);
  });
}

starved.run();
