// The piggyback queue (memberlist's TransmitLimitedQueue): ids of members
// whose state is news, newest first. Every datagram carries as many as fit,
// and each goes at most `limit` times (3 * log2(n + 2) for n members), so
// news reaches every node in O(log n) rounds while each node sends a bounded
// number of datagrams whatever the cluster's size. Pure: it reads the
// member table, and the caller gives this node's own news.
import { b36, now, selfId } from "./env.ts";
import { memberCount, members } from "./members.ts";
import { A, AS } from "./adapt.ts";

/** Ids with news, newest first, and how often each was sent. */
export const newsQueue: string[] = [];
const timesSent: Record<string, number> = {};

/**
 * Id's state is news (again): first in the queue, sent 0 times, but after
 * this node's own while that waits (its refutation, its health: a node that
 * restarted into a cluster of 200 queued a news item for each member it met,
 * its own went to the back, unsent, and out of the queue, and its health
 * never reached the others); the queue keeps at most the board's memberTable
 * ids.
 */
export function enqueue(id: string): void {
  const i = newsQueue.indexOf(id);
  if (i >= 0) newsQueue.splice(i, 1);
  newsQueue.splice(+(newsQueue[0] === selfId), 0, id);
  timesSent[id] = 0;
  if (newsQueue.length > SPORE_LIMITS.memberTable) delete timesSent[newsQueue.pop()!];
}

/**
 * The news that fits `room` bytes, as a datagram's updates field (","
 * separated, after `extra` when given): newest first, each counted as sent
 * once. A member's news is "a<id>/<inc>/<ip>/<dv>[/<health>]" or "s<id>/<inc>/<age>[/<confirmations>]"
 * (wire.ts), this node's is `own`. An id that is no member any more, or
 * whose news went 3 * log2(members + 2) times (lambda, not 3, with the adaptive
 * capability: adapt.ts) leaves the queue.
 */
export function piggyback(room: number, own: string, extra: string): string {
  const limit = (SPORE_CAPS.adaptive ? AS[A.Lambda] : 3) * Math.ceil(Math.log(memberCount + 2) / Math.LN2);
  let out = extra;
  room -= extra.length;
  for (let i = 0; i < newsQueue.length; i++) {
    const id = newsQueue[i];
    const m = members[id];
    // (an alive member's health summary passed on where it is known: the health capability)
    const news = id === selfId ? own : m ? (m.suspected_ ? "s" : "a") + id + "/" + b36(m.incarnation_) + "/" + (m.suspected_ ? (SPORE_CAPS.lifeguard ? b36(((now() - m.aliveAt_) / 1000) | 0) + "/" + (m.conf_ || "") + "/" + ((((now() - m.aliveAt_) / 100) | 0) % 10) : b36(((now() - m.aliveAt_) / 1000) | 0)) : m.address_ + "/" + b36(m.details_ >>> 0) + (SPORE_CAPS.health && m.health_! >= 0 ? "/" + b36(m.health_!) : "")) : "";
    if (!news || timesSent[id] >= limit) {
      newsQueue.splice(i--, 1);
      delete timesSent[id];
    } else if (news.length < room) {
      out += (out ? "," : "") + news;
      room -= news.length + 1;
      timesSent[id]++;
    }
  }
  return out;
}
