// The replay check: whether a datagram is new from its sender. Each sender
// numbers its datagrams (seq, 24 bits) within an incarnation (inc), and a
// node raises its incarnation at every boot (the boot number times
// Gossip.IncPerBoot, see gossip.ts) and at every refutation. So a datagram of a
// higher incarnation than the sender's known one is new whatever its seq (a
// restarted node counts from 0 again), one of a lower incarnation is a
// replay, and within an incarnation a window keeps which of the Window.Size
// seqs below the highest were seen. Whatever raises a member's incarnation
// otherwise (gossip) clears its window (seqHigh_ -1).

/** Seqs below the highest kept in the window (const enum: no JsVars, see wire.ts). */
export const enum Window {
  Size = 31,
}

/** What fresh() finds a datagram (const enum). */
export const enum Freshness {
  /** a replay, or too old to tell */
  Replay = 0,
  New = 1,
  /** the first of a new incarnation, or the first since the window was cleared */
  First = 2,
}

/** What a node keeps of a sender for the check (fields of its member record). */
export interface Seen {
  /** the sender's incarnation as known here */
  incarnation_: number;
  /** highest seq seen in it (-1: none, the window is clear) and the window of seqs below it already seen, a bit each */
  seqHigh_: number;
  seqWindow_: number;
}

/**
 * Whether datagram (inc, q) is new from the sender m, keeping m's window
 * (the caller raises m.incarnation_ to inc).
 */
export function fresh(m: Seen, inc: number, q: number): number {
  if (inc > m.incarnation_ || m.seqHigh_ < 0) {
    m.seqHigh_ = q;
    m.seqWindow_ = 0;
    return Freshness.First;
  }
  const d = (q - m.seqHigh_) & 16777215;
  const back = 16777216 - d;
  if (inc < m.incarnation_ || !d || (d >= 8388608 && (back > Window.Size || m.seqWindow_ & (1 << (back - 1))))) return Freshness.Replay;
  if (d < 8388608) {
    m.seqWindow_ = d > Window.Size ? 0 : ((m.seqWindow_ << d) | (1 << (d - 1))) & 2147483647;
    m.seqHigh_ = q;
  } else m.seqWindow_ |= 1 << (back - 1);
  return Freshness.New;
}
