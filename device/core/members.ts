// The member table and each member's status. A member still suspected
// config.ina seconds after it was last known alive is INACTIVE, after
// config.dead seconds DEAD, and config.fgt seconds later it is forgotten.
// Evidence of life comes from gossip.ts (news) and probe.ts (acks).
import { config, now, random, HOST_PREFIX } from "./env.ts";
import { note } from "./events.ts";
import type { Seen } from "./replay.ts";
import { adapt, AdaptOp } from "./adapt.ts";

/** A member's status (const enum: no JsVars, see wire.ts). */
export const enum Status {
  Active = 0,
  Inactive = 1,
  Dead = 2,
}

/** One member; what the replay check keeps of it (Seen: incarnation_, seqHigh_, seqWindow_) is part of it. */
export interface Member extends Seen {
  address_: string;
  /** 1 while suspected */
  suspected_: number;
  /** uptime ms when last known alive */
  aliveAt_: number;
  /** probe round trip ms, -1 unknown */
  latency_: number;
  /** details version (kept signed: a whole number over 2^31 costs a JsVar more) */
  details_: number;
  /** free heap it last reported */
  heap_: number;
  /** status last reported */
  reported_: number;
  /** the lifeguard capability, while suspected: the tags (each the last 3 hex digits of an id) of members known to have failed to reach it, at most 4 */
  conf_?: string;
  /** the health capability: its health summary from gossip (health.ts), set once known */
  health_?: number;
}

/** The name of a status, as the API and events give it. */
export function statusName(s: number): string {
  return ["ACTIVE", "INACTIVE", "DEAD"][s];
}

/** Members by id (MAC tail). */
export const members: Record<string, Member> = {};
/** The number of members. */
export let memberCount = 0;

/** The lifeguard capability: ms per second of ina, as the suspicion's confirmations shrink it (a suspicion with no tags, from a board without the capability, has one suspecter). */
function shrunk(m: Member): number {
  const k = Math.max(2, Math.min(4, memberCount));
  return 9000 / (7 * Math.min(Math.max(1, (m.conf_ || "").length / 3), k) + 2);
}

/**
 * The lifeguard capability: adds the tags in `tags` (3 hex digits each) that
 * member m's suspicion does not have yet, up to 4; whether any was new. Two
 * members whose ids end alike count once: the count can fall short, never
 * over (a union, where a count merged by its maximum lost independent
 * suspicions: two nodes that each suspected first both said 1).
 */
export function confirm(m: Member, tags: string): boolean {
  let added = false;
  m.conf_ = m.conf_ || "";
  for (let i = 0; i + 3 <= tags.length; i += 3) {
    const t = tags.substr(i, 3);
    let known = false;
    for (let j = 0; j < m.conf_!.length; j += 3) if (m.conf_!.substr(j, 3) === t) known = true;
    if (!known && m.conf_!.length < 12) {
      m.conf_ += t;
      added = true;
    }
  }
  return added;
}

/**
 * A member's status. Suspected: INACTIVE ina seconds after it was last known
 * alive; with the lifeguard capability ina x 9 / (7c + 2) for c members
 * known to have suspected it, at most k = 4 (fewer in a cluster of fewer
 * members: at least 2): 1 suspecter ina, 2 0.56 ina, 3 0.39, 4 or more 0.3
 * (0.4 at four left a death at 200 nodes INACTIVE everywhere after 10.3 s in
 * one of five seeds). A dead member fails every member's probes, a live one
 * at most one's (two false suspicions of one live member at once still leave
 * it 5.6 s to refute).
 */
export function status(m: Member): number {
  const age = now() - m.aliveAt_;
  return !m.suspected_ || age < config.ina * (SPORE_CAPS.lifeguard ? shrunk(m) : 1000) ? Status.Active : age < config.dead * 1000 ? Status.Inactive : Status.Dead;
}

/** Members by status: [ACTIVE, INACTIVE, DEAD]. */
export function counts(): number[] {
  const c = [0, 0, 0];
  for (const id in members) c[status(members[id])]++;
  return c;
}

/** Drops member id from the table. */
export function forget(id: string): void {
  delete members[id];
  memberCount--;
}

/**
 * A new member, alive now: null when the table is full (a DEAD member gives
 * way to it; live ones do not).
 */
export function addMember(id: string, address: string, incarnation: number, details: number, direct: boolean): Member | null {
  if (memberCount >= SPORE_LIMITS.memberTable) {
    // a full table gives way: a DEAD member to anyone, and to a member heard
    // from itself (authenticated) an INACTIVE one, else one suspected that has
    // never answered a probe of ours; so stale entries cannot lock real nodes out
    let out = "";
    let rank = 0;
    for (const k in members) {
      const x = members[k];
      const st = status(x);
      const r = st === Status.Dead ? 3 : !direct ? 0 : st === Status.Inactive ? 2 : x.latency_ < 0 && x.suspected_ ? 1 : 0;
      if (r > rank) {
        rank = r;
        out = k;
      }
    }
    if (!out) return null;
    forget(out);
  }
  const m = (members[id] = { address_: address, incarnation_: incarnation, suspected_: 0, aliveAt_: now(), latency_: -1, details_: details | 0, heap_: 0, seqHigh_: -1, seqWindow_: 0, reported_: Status.Active });
  memberCount++;
  if (SPORE_CAPS.adaptive) adapt(AdaptOp.Churn);
  note("node/discovered", { hostname: HOST_PREFIX + id, ip: address });
  return m;
}

/** Once per probe round: reports status changes and forgets members dead for config.fgt seconds. */
export function checkMembers(): void {
  let gone = "";
  for (const id in members) {
    const m = members[id];
    const st = status(m);
    if (st !== m.reported_) {
      note("node/status", { hostname: HOST_PREFIX + id, status: statusName(st), was: statusName(m.reported_) });
      if (st === Status.Dead) note("node/lost", { hostname: HOST_PREFIX + id });
      if (SPORE_CAPS.adaptive) adapt(AdaptOp.Churn);
      m.reported_ = st;
    }
    if (st === Status.Dead && now() - m.aliveAt_ > (config.dead + config.fgt) * 1000) gone = id;
  }
  // one per run: never delete from an object while iterating over it
  if (gone) forget(gone);
}

/** The lifeguard capability: a suspected member to probe next round ("" none). */
let soon = "";

/**
 * The lifeguard capability: news that member id is suspected, from gossip.
 * With a chance of 4 in the members, it is probed next round (probe.ts):
 * about four nodes check each suspicion at once, so a dead member's is
 * confirmed (or a live one's refuted: its ack makes the prober tell it, see
 * gossip.ts heard()) within a round or two, and a live one is not flooded
 * with pings by every member at once.
 */
export function checkSoon(id: string): void {
  if (random(memberCount) < 4) soon = id;
}

/** The member to probe next, if one was drawn (checkSoon), and no longer. */
export function soonTaken(): string {
  const s = soon;
  soon = "";
  return s;
}
