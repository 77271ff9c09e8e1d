// The leader capability: one leader for the few things that need one
// (singleton tasks, a single writer), elected Raft-style among the members
// whose board may lead (their health summary says so, health.ts).
//
// Terms, votes, heartbeats: a follower that has heard no leader for a
// random election timeout (Lead.TimeoutMin..TimeoutMax ms, from the seeded
// generator: Espruino's repeats itself after every boot) becomes a
// candidate: a new term, its own vote, a vote request (V) broadcast to
// the subnet (only members that may lead answer). A node grants one vote per term (W), to the first
// candidate that asks in a term at least its own. A candidate with votes
// from a majority of the members that may lead that it knows (ACTIVE or not:
// a node cut off from the others does not win by forgetting them) leads: it
// sends a heartbeat (L) every probe half-round, as one subnet broadcast
// (a datagram whatever the cluster's size), and a node that hears one of a
// term at least its own follows it. A higher term
// seen anywhere makes a node a follower of it. A leader that no longer sees
// a majority ACTIVE steps down; a node that sees no majority ACTIVE stands
// for nothing, nor does one in its first Lead.Grace ms, while it is still
// learning who its members are. So: at most one leader per term once the
// nodes agree on who may lead (each vote goes once a term, and two
// majorities of one set share a member); after a leader is lost, a new one
// within the timeout and a round trip or two (about 3 s); in a partition a
// leader only on the side that holds a majority of the members that may lead
// as its nodes know them; a minority side has none (until its nodes forget
// the others, config.dead + config.fgt seconds after they went silent).
//
// Wire: V, W and L datagrams, their arg the term in base 36; W only to
// members that may lead, V and L broadcast (boards without the capability
// take them as evidence of life and nothing more).
import { b36, now, ports, random, selfId, HOST_PREFIX } from "./env.ts";
import { note } from "./events.ts";
import { broadcast, send } from "./gossip.ts";
import { flags } from "./health.ts";
import { members, status, Status } from "./members.ts";
import { tasks } from "./tasks.ts";
import { MessageType, n36 } from "./wire.ts";

/** const enum: no JsVars. */
export const enum Lead {
  /** election timeout, ms: a random moment in [min, max) */
  TimeoutMin = 1500,
  TimeoutMax = 3000,
  /** ms after boot before a node stands: its membership is still growing (a node alone at boot is a majority of one) */
  Grace = 10000,
  /** a candidacy's moment within the half-round after the timeout, ms: a random one */
  Jitter = 500,
  /** the health summary's flag: the member may lead */
  Flag = 8,
}

/** The state's places (one array: each top-level variable costs JsVars on the chip). */
const enum L {
  Term,
  /** the leader of the term ("" none known), whom this node voted for in it */
  Leader,
  Voted,
  /** 0 follower, 1 candidate, 2 leader */
  Role,
  Votes,
  /** ms since boot: when the leader was last heard (or the election began); the timeout drawn */
  Heard,
  Timeout,
  /** ms since boot the present leader became so, as this node learned it */
  Since,
  /** 1 while a candidacy waits for its moment */
  Pending,
}

const S: any[] = [0, "", "", 0, 0, 0, Lead.TimeoutMin, 0, 0];

/** The members that may lead (this node included): [known, ACTIVE]. */
function electors(): number[] {
  let known = 1;
  let active = 1;
  for (const id in members) {
    const m = members[id];
    if (m.health_ === undefined || !(flags(m.health_) & Lead.Flag)) continue;
    known++;
    if (status(m) === Status.Active) active++;
  }
  return [known, active];
}

/** Sends `type` with this node's term to every ACTIVE member that may lead (but `only`, when given). */
function tell(type: string, only?: string): void {
  for (const id in members) {
    const m = members[id];
    if ((only && id !== only) || m.health_ === undefined || !(flags(m.health_) & Lead.Flag) || status(m) !== Status.Active) continue;
    send(type, b36(S[L.Term]), m.address_);
  }
}

/** A new leader (or none) for the term: noted (cluster/leader) when it changed. */
function follow(id: string): void {
  if (S[L.Leader] === id) return;
  S[L.Leader] = id;
  S[L.Since] = now();
  note("cluster/leader", { leader: id ? HOST_PREFIX + id : "", term: S[L.Term] });
}

/** A higher term seen: a follower of it, no vote cast in it yet, its leader not known yet. */
function newer(term: number): void {
  S[L.Term] = term;
  S[L.Voted] = "";
  S[L.Role] = 0;
  follow("");
  S[L.Heard] = now();
}

/** The present leader's id ("" none known): singletons run on it. */
export function leader(): string {
  return S[L.Leader];
}

/** From the probe task, every half-round: singletons on the leader, heartbeats, the leader's step down, an election when the timeout passes. */
export function leadTick(): void {
  const t = now();
  for (const task of tasks) {
    if (!task.lead_ || task.at_ === S[L.Leader]) continue;
    note("task/moved", { task: task.name_, from: task.at_ ? HOST_PREFIX + task.at_ : "", to: S[L.Leader] ? HOST_PREFIX + S[L.Leader] : "", why: "the leader" });
    task.at_ = S[L.Leader];
    task.place_ = S[L.Leader] === selfId ? 2 : 1;
  }
  const e = electors();
  const majority = (e[0] >> 1) + 1;
  if (S[L.Role] === 2) {
    // a leader that no longer sees a majority ACTIVE steps down (it may be on the minority side of a partition)
    if (e[1] < majority) {
      S[L.Role] = 0;
      follow("");
      S[L.Heard] = t;
      return;
    }
    return beat(MessageType.Heartbeat);
  }
  if (t - S[L.Heard] < S[L.Timeout] || S[L.Pending]) return;
  // the timeout has passed (a leader lost, or none yet, or an election that came to nothing): the node stands at a
  // random moment within the next half-round, not on the tick: nodes whose timeouts ended in the same half-round
  // stood together and split the votes (a re-election took 4.5 s now and then)
  S[L.Pending] = 1;
  ports.later_(stand, random(Lead.Jitter), 0);
}

/** A candidacy, if the timeout still holds (no leader heard meanwhile, no vote given this term). */
function stand(): void {
  S[L.Pending] = 0;
  const t = now();
  if (S[L.Role] === 2 || t - S[L.Heard] < S[L.Timeout]) return;
  const e = electors();
  const majority = (e[0] >> 1) + 1;
  S[L.Heard] = t;
  S[L.Timeout] = Lead.TimeoutMin + random(Lead.TimeoutMax - Lead.TimeoutMin);
  if (S[L.Leader]) follow("");
  if (e[1] < majority || t < Lead.Grace) {
    S[L.Role] = 0;
    return;
  }
  S[L.Term]++;
  S[L.Role] = 1;
  S[L.Voted] = selfId;
  S[L.Votes] = 1;
  // alone (the only member that may lead): elected at once
  if (majority < 2) return won();
  // one broadcast, as the heartbeat: 199 requests at once, at 200 nodes, went past the socket's backlog
  // (esp32's unsentMax, sixteen datagrams), were dropped, and no candidate ever had a majority (an
  // election every few seconds for good, 8 vote requests a second per node)
  beat(MessageType.VoteRequest);
}

function won(): void {
  S[L.Role] = 2;
  follow(selfId);
  beat(MessageType.Heartbeat);
}

/** A heartbeat or a vote request: one subnet broadcast (a datagram whatever the cluster's size; every board takes it), or one to each member that may lead while there is no broadcast address. */
function beat(type: string): void {
  if (broadcast) send(type, b36(S[L.Term]), broadcast);
  else tell(type);
}

/** A leader-election datagram from member `from`: its type (V, W, L) and arg (the term). */
export function leadMessage(type: string, arg: string, from: string): void {
  const term = n36(arg);
  if (term < 0) return;
  if (term > S[L.Term]) newer(term);
  if (type === MessageType.VoteRequest) {
    // one vote a term, to the first candidate that asks
    if (term === S[L.Term] && (!S[L.Voted] || S[L.Voted] === from) && S[L.Role] !== 2) {
      S[L.Voted] = from;
      S[L.Heard] = now();
      tell(MessageType.Vote, from);
    }
  } else if (type === MessageType.Vote) {
    if (term === S[L.Term] && S[L.Role] === 1 && ++S[L.Votes] >= (electors()[0] >> 1) + 1) won();
  } else if (term === S[L.Term]) {
    // a heartbeat of this term: its sender leads it
    if (S[L.Role] === 2 && from !== selfId) {
      // two leaders of one term cannot be (a vote goes once a term); were it so, the lower id yields
      if (selfId > from) return;
    }
    S[L.Role] = 0;
    S[L.Heard] = now();
    follow(from);
  }
}

/** GET /api/cluster/leader. */
export function leaderStatus() {
  const e = electors();
  return {
    leader: S[L.Leader] ? HOST_PREFIX + S[L.Leader] : "",
    term: S[L.Term],
    role: ["follower", "candidate", "leader"][S[L.Role]],
    votedFor: S[L.Voted] ? HOST_PREFIX + S[L.Voted] : "",
    since: S[L.Leader] ? ((now() - S[L.Since]) / 1000) | 0 : 0,
    electors: e[0],
    active: e[1],
    majority: (e[0] >> 1) + 1,
  };
}
