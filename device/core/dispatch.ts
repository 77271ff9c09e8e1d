// What a received datagram does: decoded and checked (wire.ts), new from its
// sender (replay.ts), evidence that the sender is alive and news it carries
// (gossip.ts), then its message: a ping is acked, an ack or ping request
// goes to the failure detector (probe.ts), an announce is answered, a
// cluster event delivered (cluster-events.ts).
import { clusterEvent } from "./cluster-events.ts";
import { b36, config, ports, random, selfId } from "./env.ts";
import { drop, heard, incarnation, ownNews, send, takeNews } from "./gossip.ts";
import { isIp } from "./identity.ts";
import { members } from "./members.ts";
import { acked, relay } from "./probe.ts";
import { Freshness, fresh } from "./replay.ts";
import { offer } from "./offered.ts";
import { learn, Op, services } from "./services.ts";
import { leadMessage } from "./leader.ts";
import { timed } from "./tasks.ts";
import { decode, Drop, MessageType, MALFORMED, n36 } from "./wire.ts";

/** Answers to announces waiting for their moment. */
let hellos = 0;

/** The answer to an announce (with this node's alive update and its health summary: the newcomer learns it at once). */
function hello(to: string): void {
  hellos--;
  if (SPORE_CAPS.health) send(MessageType.Hello, SPORE_CAPS.services ? offer.list_ : "", to, ownNews());
  else send(MessageType.Hello, SPORE_CAPS.services ? offer.list_ : "", to);
}

/** Handles one received datagram (a dgram "message": the data and who sent it). Never throws on bad input: it is dropped and counted. */
export function receive(data: string, info: { address: string }): void {
  // the health capability: the time it takes counted as busy (through timed(), which calls it again with a third
  // argument: no function of its own; read from `arguments`, as a declared parameter holds a JsVar for good)
  if (SPORE_CAPS.health && !arguments[2]) return timed(receive, data, info, 1);
  const from = info.address;
  const g = decode(data, config.cl, from);
  if (typeof g === "string") return drop(g);
  if (g.id_ === selfId) return; // our own broadcast
  // the owner's restart (host-tools node restart --udp): for this node at its
  // present incarnation only, so a copy sent again after the restart does
  // nothing; it needs no socket, when HTTP has none left
  if (g.type_ === MessageType.Restart) {
    if (g.arg_ === selfId + "." + b36(incarnation)) ports.reboot_();
    return;
  }
  const known = members[g.id_];
  const f = known ? fresh(known, g.incarnation_, g.seq_) : Freshness.First;
  if (!f) return drop(Drop.Replay);
  const m = heard(g.id_, g.incarnation_, from, g.details_, true);
  if (m) {
    m.heap_ = g.heap_;
    // the first of a member or of its incarnation: the window starts from it
    if (f > Freshness.New) fresh(m, g.incarnation_, g.seq_);
  }
  takeNews(g.updates_);
  const t = g.type_;
  const arg = g.arg_;
  // a member's services ride on its announces and hellos: each carries the whole list, so only the newest
  // datagram's counts (one overtaken by a later one on the way would bring back an older list)
  if (SPORE_CAPS.services && m && m.seqHigh_ === g.seq_ && (t === MessageType.Announce || t === MessageType.Hello)) learn(g.id_, arg);
  if (t === MessageType.Ping) send(MessageType.Ack, arg, from);
  // an announce from a member that is new or restarted is answered, the
  // others know of us already; at a random moment within a probe round, so
  // that a newcomer is not hit by every member's answer at once (each
  // datagram waiting for the interpreter holds about 40 JsVars); at most
  // `hellos` waiting (each timer holds about 9 JsVars): when a whole cluster boots
  // at once, every node hears every other's announce, and the rest learn
  // of each other by gossip
  else if (t === MessageType.Announce && f > Freshness.New && hellos < SPORE_LIMITS.hellos) {
    hellos++;
    ports.later_(hello, random(config.prd), from);
  }
  // only from a member that has answered a probe of ours (a datagram replayed
  // to this node after it restarted, or after it forgot the sender, comes
  // from a member that has not): later copies from others still deliver it
  else if (t === MessageType.ClusterEvent) m && m.latency_ >= 0 ? clusterEvent(arg, g.id_) : drop(Drop.Unconfirmed);
  else if (t === MessageType.Ack) acked(arg, g.id_);
  // service calls from members only (a call names this node's incarnation: one replayed after a restart is dropped)
  else if (SPORE_CAPS.services && t === MessageType.Call) m && services(Op.Request, arg, g.id_, g.incarnation_);
  else if (SPORE_CAPS.services && t === MessageType.Reply) services(Op.Answer, arg, g.id_);
  // leader election, from members only
  else if (SPORE_CAPS.leader && (t === MessageType.VoteRequest || t === MessageType.Vote || t === MessageType.Heartbeat)) m && leadMessage(t, arg, g.id_);
  // a node without the relay capability probes for no one (the requester asked others too)
  else if (SPORE_CAPS.relay && t === MessageType.PingRequest) {
    // "nonce/target ip": ping the target for the requester, pass its ack back
    const p = arg.split("/");
    if (p.length !== 2 || n36(p[0]) < 0 || !isIp(p[1])) return drop(MALFORMED);
    // only towards a member's address: a node must not reflect traffic at any address it is given
    let member = 0;
    for (const id in members) if (members[id].address_ === p[1]) member = 1;
    if (!member) return drop(Drop.Relay);
    relay(p[0], p[1], from);
  }
}
