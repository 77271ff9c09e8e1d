// This node's side of the membership: its incarnation and address, sending
// datagrams with piggybacked news, evidence that members are alive, and
// refuting suspicion of itself. SWIM's dissemination: every message
// piggybacks the newest updates (piggyback.ts), and a live member that hears
// it is suspected refutes it with a higher incarnation.
import { b36, config, now, ports, random, selfId } from "./env.ts";
import { note } from "./events.ts";
import { broadcastAddress } from "./identity.ts";
import { addMember, checkSoon, confirm, memberCount, members, type Member } from "./members.ts";
import { filled, Mac } from "./mac.ts";
import { health, HealthOp } from "./health.ts";
import { enqueue, newsQueue, piggyback } from "./piggyback.ts";
import { adapt, AdaptOp } from "./adapt.ts";
import { offer } from "./offered.ts";
import { Drop, encode, MALFORMED, MessageType, news, update, Wire } from "./wire.ts";

/** The incarnations a boot may use before the next boot's (a refutation takes one: see replay.ts); const enum: no JsVars. */
export const enum Gossip {
  IncPerBoot = 4096,
}

/** Own incarnation, details version, address and subnet broadcast address ("" while offline). */
export let incarnation = 0;
export let detailsVersion = 0;
export let ownIp = "";
export let broadcast = "";
/** "sta" on the configured network, "ap" serving its own access point, "" before either. */
export let wifiMode = "";
/** Dropped datagrams by reason (a Drop). */
export const drops: Record<string, number> = {};
let seq = 0;
/** Datagrams sent this boot (the energy estimate counts their airtime). */
export let sent = 0;
let lastAnnounce = -1e9;
/** The first announce after going online waits until then. */
let announceAt = 0;

/**
 * Starts this boot's membership: its incarnation from the boot number (so a
 * restarted node's datagrams are new to its peers whatever their seqs, see
 * replay.ts).
 */
export function begin(boot: number, details: number): void {
  incarnation = boot * Gossip.IncPerBoot;
  detailsVersion = details;
}

/**
 * The station is up with this address and netmask, or down (mode "ap" or
 * "", address ""). The first announce goes within 3 s (the probe task's
 * next mid-round run after a random moment): a whole cluster booting at
 * once (power back after a cut) otherwise announces in the same instant,
 * and every node has every answer and update to take at once, which ran
 * ESP8266 nodes out of JsVars on the real interpreter.
 */
export function online(mode: string, address: string, netmask: string): void {
  wifiMode = mode;
  ownIp = address;
  broadcast = address ? broadcastAddress(address, netmask) : "";
  lastAnnounce = -1e9;
  announceAt = now() + random(2000);
}

/** A higher incarnation, gossiped. */
function refute(): void {
  incarnation++;
  enqueue(selfId);
}

export function drop(reason: string): void {
  drops[reason] = (drops[reason] || 0) + 1;
}

/** This node's alive update, with its health summary (the health capability). */
export function ownNews(): string {
  return "a" + selfId + "/" + b36(incarnation) + "/" + ownIp + "/" + b36(detailsVersion >>> 0) + (SPORE_CAPS.health ? "/" + b36(health(HealthOp.Packed)) : "");
}

/**
 * Sends one message with as many queued updates as fit, extra first; with
 * none while more than the board's backlog (bytes) waits unsent. Espruino
 * holds a socket's unsent datagrams in JsVars and sends one per pass of its
 * idle loop: while a whole cluster booted together, full ones piled up to
 * 1,360 bytes (about 140 JsVars) and ran ESP8266 nodes out of memory
 * (measured on the real interpreter). Messages still go: dropping them made
 * probes fail (1,560 false INACTIVE reports in the benchmark's 200 nodes at
 * 10% loss). Past the board's unsentMax bytes a message is dropped, as the
 * network may drop it: a node starved of CPU passes its idle loop rarely, and
 * on the real interpreter what waited grew to 3,500 bytes and ran every node
 * out of memory.
 */
export function send(type: string, arg: string, to: string, extra?: string): void {
  const unsent = (ports.udp_.dSnd || "").length;
  if (!ownIp || filled < Mac.All || unsent > SPORE_LIMITS.unsentMax) return;
  seq = (seq + 1) & 16777215;
  if (SPORE_CAPS.health) sent++;
  // 2^24 datagrams in one incarnation (weeks): the next ones go as a new incarnation, or its peers would take them for replays
  if (!seq) refute();
  const head = type + "|" + selfId + "|" + b36(incarnation) + "|" + b36(seq) + "|" + b36(detailsVersion >>> 0) + "|" + b36(ports.heap_()) + "|" + ownIp;
  // more than the board's backlog still waiting to go out (a burst): this one goes without piggybacked updates
  const room = unsent > SPORE_LIMITS.backlog ? 0 : Wire.MaxDatagram - Wire.Framing - config.cl.length - head.length - arg.length;
  // this node's own news, built only when it is queued (most datagrams go without it): first in the queue when it is (enqueue())
  const own = newsQueue[0] !== selfId ? "" : ownNews();
  const updates = piggyback(room, own, extra || "");
  ports.udp_.send(encode(config.cl, head, updates, arg), config.udp, to);
}

/**
 * Mid-round, from the probe task: the announce, at most every max(ann,
 * members) s once online (a task of its own cost about 23 JsVars, a task
 * record and a timer).
 */
export function announce(): void {
  const t = now();
  if (broadcast && t >= announceAt && t - lastAnnounce >= Math.max(config.ann, memberCount * 1000)) {
    lastAnnounce = t;
    send(MessageType.Announce, SPORE_CAPS.services ? offer.list_ : "", broadcast);
  }
}

/**
 * Evidence that member id is alive: direct (it sent us a datagram) or
 * gossiped. Returns the member, or null when the table is full.
 */
export function heard(id: string, inc: number, address: string, details: number, direct: boolean): Member | null {
  const m = members[id];
  if (!m) {
    const added = addMember(id, address, inc, details, direct);
    if (added) enqueue(id);
    else drop(Drop.Full);
    return added;
  }
  if (inc > m.incarnation_) {
    m.incarnation_ = inc;
    m.suspected_ = 0;
    // a restarted member's health versions start again: whatever it says next is news
    if (SPORE_CAPS.health) delete m.health_;
    // a new incarnation: its seqs start anew
    m.seqHigh_ = -1;
    enqueue(id);
  } else if (!direct) return m; // old news
  // tell a suspected member, so it refutes (work for the others: the relay capability; gossip tells it too)
  // (with this node's services: a hello's list is the whole of them, and one without any made the member forget
  // them, so that its calls found "no provider" until the next announce)
  else if (SPORE_CAPS.relay && m.suspected_) send(MessageType.Hello, SPORE_CAPS.services ? offer.list_ : "", address, "s" + id + "/" + b36(m.incarnation_) + "/0");
  m.aliveAt_ = now();
  m.address_ = address;
  m.details_ = details | 0;
  return m;
}

/**
 * A datagram's piggybacked updates, taken one at a time (a malformed one is
 * skipped and counted): news of this node being suspected is refuted with a
 * higher incarnation; news of others is evidence they are alive, or suspicion.
 */
export function takeNews(updates: string): void {
  for (const s of news(updates)) {
    const u = update(s);
    if (!u) {
      drop(MALFORMED);
      continue;
    }
    const x = members[u.id_];
    const inc = u.incarnation_;
    if (u.id_ === selfId) {
      // refuted with a higher incarnation; never past what every node accepts
      // (a number a forged suspicion asked for made a node refute with one
      // its peers took for malformed, and they declared it dead: issue 18):
      // a suspicion that high is ignored
      if (u.kind_ === "s" && inc >= incarnation && inc < Wire.MaxIncarnation - Gossip.IncPerBoot) {
        incarnation = inc;
        refute();
      }
    } else if (u.kind_ === "a") {
      const m = heard(u.id_, inc, u.ip_, u.details_, false);
      // its health summary, of its present incarnation
      if (SPORE_CAPS.health && m && u.health_! >= 0 && inc === m.incarnation_) health(HealthOp.Take, u.id_, m, u.health_!);
    }
    // (the lifeguard capability: more confirmations of a suspicion it holds are news again)
    else if (SPORE_CAPS.lifeguard && x && x.suspected_ && inc === x.incarnation_) {
      if (confirm(x, u.conf_!)) enqueue(u.id_);
    } else if (x && inc >= x.incarnation_ && !(x.suspected_ && inc === x.incarnation_)) {
      if (SPORE_CAPS.lifeguard) {
        x.conf_ = "";
        confirm(x, u.conf_!);
        checkSoon(u.id_);
      }
      x.suspected_ = 1;
      if (SPORE_CAPS.adaptive) adapt(AdaptOp.Churn);
      // perhaps of a new incarnation: its seqs start anew (cleared needlessly, the window lets one datagram through unchecked)
      x.seqHigh_ = -1;
      x.incarnation_ = inc;
      // (the age is in whole seconds rounded down, with its tenths from the lifeguard capability's nodes: never
      // older than it is, so never INACTIVE sooner than due)
      x.aliveAt_ = Math.max(x.aliveAt_, now() - u.age_ * 1000);
      enqueue(u.id_);
    }
  }
}
