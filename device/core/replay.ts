// The replay check: whether a datagram is new from its sender. Each sender
// numbers its datagrams (seq, 24 bits) within an incarnation (inc), and a
// node raises its incarnation at every boot (the boot number times
// IncPerBoot, see members.ts) and at every refutation. So a datagram of a
// higher incarnation than the sender's known one is new whatever its seq (a
// restarted node counts from 0 again), one of a lower incarnation is a
// replay, and within an incarnation a window keeps which of the Window.Size
// seqs below the highest were seen. Whatever raises a member's incarnation
// otherwise (gossip) clears its window (q -1).

/** Seqs below the highest kept in the window (const enum: no JsVars, see wire.ts). */
export const enum Window {
  Size = 31,
}

/** What a node keeps of a sender for the check (fields of its member record). */
export interface Seen {
  /** the sender's incarnation as known here */
  n: number;
  /** highest seq seen in it (-1: none, the window is clear) and the window of seqs below it already seen, a bit each */
  q: number;
  w: number;
}

/**
 * Whether datagram (inc, q) is new from the sender m, keeping m's window
 * (the caller raises m.n to inc): 0 a replay (or too old to tell), 1 new, 2
 * the first of a new incarnation, or the first since the window was cleared.
 */
export function fresh(m: Seen, inc: number, q: number): number {
  if (inc > m.n || m.q < 0) {
    m.q = q;
    m.w = 0;
    return 2;
  }
  const d = (q - m.q) & 16777215;
  const back = 16777216 - d;
  if (inc < m.n || !d || (d >= 8388608 && (back > Window.Size || m.w & (1 << (back - 1))))) return 0;
  if (d < 8388608) {
    m.w = d > Window.Size ? 0 : ((m.w << d) | (1 << (d - 1))) & 2147483647;
    m.q = q;
  } else m.w |= 1 << (back - 1);
  return 1;
}
