// The replay window (device/core/replay.ts), table-driven: what a node makes
// of a sender's datagrams by incarnation and seq.
import * as assert from "uvu/assert";
import { fresh, type Seen } from "../../device/core/replay.ts";
import { suite } from "../suite.ts";

const { test: replay } = suite("replay window");
const REPLAY = 0;
const NEW = 1;
const FIRST = 2;
const MAX = 16777215;

/** A sender known at incarnation n, highest seq q, with the seqs below q in `seen` (1 = q - 1) already heard. */
function sender(n: number, q: number, seen: number[] = []): Seen {
  let w = 0;
  for (const b of seen) w |= 1 << (b - 1);
  return { incarnation_: n, seqHigh_: q, seqWindow_: w };
}

/** A datagram received as dispatch.ts takes it: checked, then the sender's incarnation raised to the datagram's. */
function deliver(m: Seen, inc: number, q: number): number {
  const f = fresh(m, inc, q);
  if (f && inc > m.incarnation_) m.incarnation_ = inc;
  return f;
}

const rows: [string, Seen, number, number, number][] = [
  // what, the sender's record, datagram incarnation, datagram seq, expected
  ["the first datagram heard from a sender", { incarnation_: 4096, seqHigh_: -1, seqWindow_: 0 }, 4096, 12345, FIRST],
  ["the first after gossip of a new incarnation cleared the window", { incarnation_: 8192, seqHigh_: -1, seqWindow_: 0 }, 8192, 3, FIRST],
  ["the next seq", sender(4096, 100), 4096, 101, NEW],
  ["the same seq again", sender(4096, 100), 4096, 100, REPLAY],
  ["31 ahead", sender(4096, 100), 4096, 131, NEW],
  ["far ahead (datagrams lost in between)", sender(4096, 100), 4096, 100 + 5000, NEW],
  ["one behind, not seen (reordered)", sender(4096, 100), 4096, 99, NEW],
  ["one behind, seen", sender(4096, 100, [1]), 4096, 99, REPLAY],
  ["31 behind, not seen", sender(4096, 100), 4096, 69, NEW],
  ["31 behind, seen", sender(4096, 100, [31]), 4096, 69, REPLAY],
  ["32 behind: older than the window", sender(4096, 100), 4096, 68, REPLAY],
  ["4096 behind in the same incarnation", sender(4096, 5000), 4096, 904, REPLAY],
  ["across the wrap: MAX then 0", sender(4096, MAX), 4096, 0, NEW],
  ["across the wrap: 0 then MAX (one behind)", sender(4096, 0), 4096, MAX, NEW],
  ["half the seq space ahead counts as behind", sender(4096, 0), 4096, 8388608, REPLAY],
  // a restart: the boot number raises the incarnation, whatever the new seq
  ["restart, new seq 32 behind the old", sender(4096, 100), 8192, 68, FIRST],
  ["restart, new seq 4096 behind the old", sender(4096, 5000), 8192, 904, FIRST],
  ["restart, new seq equal to the old", sender(4096, 100), 8192, 100, FIRST],
  ["restart, new seq ahead of the old", sender(4096, 100), 8192, 101, FIRST],
  ["restart after a long uptime (seq wrapped)", sender(4096, 123), 8192, 0, FIRST],
  ["a refutation raises the incarnation by one", sender(4096, 100), 4097, 101, FIRST],
  ["a datagram of the previous boot (replayed, or late)", sender(8192, 5), 4096, 6, REPLAY],
  ["a datagram of the previous boot with a seq far ahead", sender(8192, 5), 4096, 4000, REPLAY],
];

for (const [what, m, inc, q, expected] of rows) {
  replay(what, () => {
    const before = JSON.stringify(m);
    assert.is(deliver(m, inc, q), expected, `${what}: ${before}, inc ${inc}, seq ${q}`);
    if (expected === REPLAY) assert.is(JSON.stringify(m), before, "a replay changes nothing");
    else assert.is(deliver(m, inc, q), REPLAY, "the same datagram again is a replay");
  });
}

replay("a sender's lifetime: every datagram of each boot is new once, and none of a previous boot's after it", () => {
  const m: Seen = { incarnation_: 4096, seqHigh_: -1, seqWindow_: 0 };
  const kept: [number, number][] = [];
  for (let boot = 1; boot <= 4; boot++) {
    const inc = boot * 4096;
    // uptimes long and short, seqs from 0 each boot (gossip.ts), some datagrams lost, some reordered
    const sent = boot * 3000;
    for (let s = 0; s < sent; s++) {
      if (s % 7 === 3) continue; // lost
      const q = s % 11 === 5 && s > 0 ? s - 1 : s % 11 === 4 ? s + 1 : s; // swap neighbours
      assert.ok(deliver(m, inc, q & MAX) > 0, `boot ${boot}, datagram ${q} accepted`);
      if (s % 500 === 0) kept.push([inc, q]);
    }
    for (const [i, q] of kept) assert.is(deliver(m, i, q), REPLAY, `boot ${boot}: a replay of (${i}, ${q}) is refused`);
  }
});

replay.run();
