// SWIM's failure detector. Each probe round (config.prd ms) the node pings
// one member, round-robin from a random start. No ack within half a round:
// it asks up to Probe.Indirect other members to ping it too. No ack by the
// end of the round: the member is suspected, and the suspicion is gossiped
// (gossip.ts); members.ts turns a suspicion that lasts into INACTIVE and DEAD.
// The lifeguard capability (Lifeguard's ideas, measured in the benchmark):
// a probe not acked in half a round is also sent again directly, and asks
// Probe.More members, suspected members included; a failed probe of a member
// already suspected is a confirmation, gossiped with the suspicion, and each
// one shortens the time to INACTIVE (members.ts). A false suspicion at 10%
// loss needs both direct pings and every indirect path lost: about 0.19 x
// 0.19 x 0.34^5, against 0.19 x 0.34^3 with three and no second ping. And
// local health awareness: a node whose ticks run late (busy) gives each
// probe its time before it judges it (tick()).
import { b36, config, now, ports, random, selfId } from "./env.ts";
import { announce, send, sent } from "./gossip.ts";
import { pick } from "./helpers.ts";
import { checkMembers, confirm, members, soonTaken } from "./members.ts";
import { health, HealthOp } from "./health.ts";
import { enqueue } from "./piggyback.ts";
import { A, adapt, AdaptOp, AS } from "./adapt.ts";
import { placeTasks } from "./placement.ts";
import { leader, leadTick } from "./leader.ts";
import { MessageType, n36 } from "./wire.ts";

/** Members asked to probe one that did not answer (const enum: no JsVars). */
const enum Probe {
  Indirect = 3,
  /** with the lifeguard capability */
  More = 5,
  /** probes relayed for others, kept at once */
  Relays = 4,
}

/** The probe in flight: member id, nonce, sent at (uptime ms), indirect probes asked for, acked. */
interface InFlight {
  id_: string;
  nonce_: number;
  sentAt_: number;
  indirect_: number;
  acked_: number;
}

/** A probe relayed for a member: our nonce, the requester's address and its nonce. */
interface Relay {
  nonce_: number;
  to_: string;
  theirs_: string;
}

/** The probe order's position (from a random start); the probe in flight; the tick's half of the round. */
let order = 0;
let probe: InFlight | null = null;
let half = 0;
const relays: Relay[] = [];
let nonce = 0;

/** Where this boot's probe order starts: drawn after the platform seeded the generator (Espruino's repeats itself after every boot). */
export function beginProbes(): void {
  order = random(65536);
}

/**
 * The probe task, twice per round: mid-round indirect probes and the
 * announce, then suspicion, status changes and the next ping.
 */
export function tick(): void {
  const p = probe;
  const t = now();
  // leader election and singletons, every half-round (leader.ts)
  if (SPORE_CAPS.leader) leadTick();
  if (SPORE_TELNET && ports.watch_) ports.watch_(3);
  half = 1 - half;
  // (the lifeguard capability's local health awareness: a node busy past its ticks runs them late and back to back,
  // as Espruino runs an interval that fell behind, before the datagrams that came meanwhile: its ping went out, and
  // its end of round came at once, the ack not read yet. A node at 95% load suspected healthy members 45 times in
  // 3 minutes so. Each probe gets its time: no indirect probes before a quarter period, no judgment before half
  // of one; until then the probe stays in flight and the round starts no other)
  const early = SPORE_CAPS.lifeguard && p && !p.acked_ && t - p.sentAt_ < (SPORE_CAPS.adaptive ? AS[A.Period] || config.prd : config.prd) / (half ? 2 : 4);
  if (!half) {
    const x = p && !p.acked_ && !p.indirect_ && !early ? members[p.id_] : null;
    // (the adaptive capability: whether the direct ping was answered in half a period; a suspected member's
    // failures are not the network's loss: a dead one's would keep the node aggressive until it is forgotten)
    if (SPORE_CAPS.adaptive && p && !early && !(x && x.suspected_)) adapt(AdaptOp.Probed, p.acked_);
    if (x && (SPORE_CAPS.lifeguard || !x.suspected_)) {
      p!.indirect_ = 1;
      for (const id of pick(SPORE_CAPS.lifeguard ? Probe.More : Probe.Indirect, p!.id_)) send(MessageType.PingRequest, b36(p!.nonce_) + "/" + x.address_, members[id].address_);
      // the second direct ping: its ack counts as the first one's would
      if (SPORE_CAPS.lifeguard) send(MessageType.Ping, b36(p!.nonce_), x.address_);
    }
    // (the lifeguard capability: statuses checked every half-round, a shrunk timeout seen up to half a round sooner)
    if (SPORE_CAPS.lifeguard) checkMembers();
    announce();
    return;
  }
  const y = p && !p.acked_ && !early ? members[p.id_] : null;
  // suspected: INACTIVE ina s after this failed probe (unless it refutes); with the lifeguard capability, this
  // node's tag among the suspicion's confirmations when another member suspected it first (members.ts confirm)
  if (SPORE_CAPS.lifeguard ? y && y.aliveAt_ < p!.sentAt_ && (!y.suspected_ || confirm(y, selfId.substr(3))) : y && !y.suspected_ && y.aliveAt_ < p!.sentAt_) {
    if (!SPORE_CAPS.lifeguard) y!.aliveAt_ = p!.sentAt_;
    else if (!y!.suspected_) {
      y!.aliveAt_ = p!.sentAt_;
      y!.conf_ = selfId.substr(3);
    }
    y!.suspected_ = 1;
    enqueue(p!.id_);
    if (SPORE_CAPS.adaptive) adapt(AdaptOp.Churn);
  }
  if (!early) probe = null;
  checkMembers();
  // the load sampled, OVERLOADED entered or left (health.ts)
  if (SPORE_CAPS.health) health(HealthOp.Tick, sent);
  // the gossip mode, the period and lambda (adapt.ts)
  if (SPORE_CAPS.adaptive) adapt(AdaptOp.Round, SPORE_CAPS.leader && leader() === selfId ? 1 : 0);
  // movable tasks placed from the view this round leaves (placement.ts)
  if (SPORE_CAPS.placement) placeTasks();
  // every member in turn, from a random start: each is probed every n rounds while the n members
  // stay (a new random order each pass would leave up to 2n - 1 between two probes of one member)
  // (the lifeguard capability: a suspicion heard of, probed first when this node was drawn to confirm it)
  if (early) return;
  const ids = Object.keys(members);
  const id = SPORE_CAPS.lifeguard ? next(ids) : ids[order++ % ids.length];
  if (!id) return;
  probe = { id_: id, nonce_: ++nonce, sentAt_: t, indirect_: 0, acked_: 0 };
  send(MessageType.Ping, b36(nonce), members[id].address_);
}

/** The lifeguard capability: the member to probe next, the suspect drawn (checkSoon) first. */
function next(ids: string[]): string {
  const s = soonTaken();
  return members[s] ? s : ids[order++ % ids.length];
}

/** An ack (arg: the nonce) from member id: of our probe (directly or relayed), or of one we relayed, passed back. */
export function acked(arg: string, id: string): void {
  const o = n36(arg);
  const p = probe;
  if (p && p.nonce_ === o) {
    p.acked_ = 1;
    const x = members[p.id_];
    if (x) {
      x.aliveAt_ = now();
      if (id === p.id_) x.latency_ = x.aliveAt_ - p.sentAt_;
    }
  } else
    for (const r of relays)
      if (r.nonce_ === o) {
        send(MessageType.Ack, r.theirs_, r.to_);
        r.nonce_ = -1;
      }
}

/** A ping request from address from ("nonce/target ip", checked): ping the target for it, and pass its ack back. */
export function relay(nonceThere: string, target: string, from: string): void {
  relays.push({ nonce_: ++nonce, to_: from, theirs_: nonceThere });
  if (relays.length > Probe.Relays) relays.shift();
  send(MessageType.Ping, b36(nonce), target);
}
