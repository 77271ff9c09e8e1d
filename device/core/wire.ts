// The gossip wire format on UDP. One datagram is one message, a line of
// '|'-separated fields:
//
//   S3|<tag>|<cluster>|<type>|<id>|<inc>|<seq>|<dv>|<heap>|<ip>|<updates>|<arg>
//
// tag     the MAC (mac.ts) of everything after "<tag>|" (the body), keyed by
//         the cluster secret: 64 bits, two base-36 halves joined by ".".
//         Without the secret no datagram can be made or changed (S2's CRC32
//         could be forged after one overheard datagram: issue 18).
// type    (MessageType) P ping (arg: nonce), K ack (arg: the nonce acked), R ping request
//         (arg: nonce/target ip: probe the target for me), A announce
//         (broadcast, answered by H hello), E cluster event
//         (arg: origin.event id.hops.name:JSON data), X the owner's restart
//         (arg: <target id>.<its incarnation>; sent by host-tools, whose id
//         is no member's: nothing else of it is taken), C a service call and
//         Y its answer (services.ts; boards without the services capability
//         take them for malformed), V a vote request, W a vote and L a
//         leader's heartbeat (arg: the term; leader.ts, sent only to members
//         that may lead). An announce and a hello carry the sender's services
//         ("name.version,...") as their arg.
// id      the sender's MAC tail (6 hex digits); its hostname is "esp_" + id.
// inc     the sender's incarnation: its boot number times 4096 at boot, one more at each
//         refutation; seq its datagram counter within the boot (24 bits, from 0). Together
//         they are what the replay check (replay.ts) keys on.
// dv      the sender's details version (fetch /api/node/status when it changes).
// heap    the sender's free heap in bytes.
// ip      the sender's address: a datagram from any other address is dropped
//         (Drop.Address), so a genuine datagram copied by someone else moves
//         nothing and is answered to no one.
// updates piggybacked membership updates, ',' separated:
//           a<id>/<inc>/<ip>/<dv>[/<h>]   alive at ip (dotted); h its health
//                                   summary (health.ts), from nodes with the
//                                   health capability (taken by every node)
//           s<id>/<inc>/<age>       suspected, last known alive <age> s ago
// arg     the rest of the line (may contain '|').
// Numbers are base 36. Types are append-only.
// Every datagram must fit Wire.MaxDatagram bytes, the smallest board's limit
// (ESP8266 drops longer ones). Nodes of another wire version (S2) are not
// members: their datagrams are counted (Drop.Version) and only tell a node on
// trial that the network works (main.ts, README: Updates).

import { b36 } from "./env.ts";
import { isIp } from "./identity.ts";
import { mac, macOk } from "./mac.ts";

/**
 * Sizes, as a const enum: the build writes the numbers where they are used
 * (a top-level constant would cost a JsVar on the chip, for good).
 */
export const enum Wire {
  MaxDatagram = 268,
  /** Bytes of a datagram besides cluster, header fields, updates and arg: "S3|" tag(<=15) and 4 bars. */
  Framing = 22,
  /** The longest body (after "S3|<tag>|"): what the MAC's arrays cover (mac.ts, Mac.Words). */
  MaxBody = 250,
  /** The highest incarnation every node accepts (7 base-36 digits) */
  MaxIncarnation = 78364164095,
}
/** Message types (append-only; const enum). */
export const enum MessageType {
  Ping = "P",
  Ack = "K",
  /** ping request: probe the target for me */
  PingRequest = "R",
  /** broadcast, answered by Hello */
  Announce = "A",
  Hello = "H",
  ClusterEvent = "E",
  /** the owner's restart (arg: "<id>.<inc>": the target and its present incarnation); from host-tools, not a member */
  Restart = "X",
  /** a service call (arg: "<call id>.<least version>.<service>.<the provider's incarnation>:<args JSON>"; the services capability) */
  Call = "C",
  /** a service call's answer (arg: "<call id>.<kind>:<JSON>": 0 result, 1 the handler's error, 2 a fault) */
  Reply = "Y",
  /** leader election (the leader capability; arg: the term): a candidate's vote request, a vote, a leader's heartbeat */
  VoteRequest = "V",
  Vote = "W",
  Heartbeat = "L",
}

/** Why a datagram is dropped (the keys of the node status's drops). */
export const enum Drop {
  Malformed = "malformed",
  Size = "size",
  Version = "version",
  Cluster = "cluster",
  Check = "check",
  Replay = "replay",
  /** a new member and the table full of live ones */
  Full = "full",
  /** a ping request towards an address that is no member's */
  Relay = "relay",
  /** a datagram from an address other than the one its sender states */
  Address = "address",
  /** a cluster event from a member that has not answered a probe of this node yet (a replay after a restart would be) */
  Unconfirmed = "unconfirmed",
}

/** Drop.Malformed as a variable: used in five places, it costs fewer bytes than the string each time (and two JsVars). */
export const MALFORMED: string = Drop.Malformed;

export interface Update {
  /** "a" alive or "s" suspected */
  kind_: string;
  id_: string;
  incarnation_: number;
  /** alive: the member's address */
  ip_: string;
  /** suspected: seconds since last known alive */
  age_: number;
  /** alive: its details version */
  details_: number;
  /** suspected, the lifeguard capability: the tags of the members known to have failed to reach it (members.ts confirm; "" when the update has none) */
  conf_?: string;
  /** alive, the health capability: its health summary (health.ts), -1 when the update has none */
  health_?: number;
}

export interface Message {
  /** one of MessageType */
  type_: string;
  id_: string;
  incarnation_: number;
  seq_: number;
  details_: number;
  heap_: number;
  /** the piggybacked updates as sent, ","-separated and not checked: news() lists them, update() parses and checks one */
  updates_: string;
  arg_: string;
}

/** A base-36 natural number of at most 7 digits in canonical form, else -1. */
export function n36(s: string): number {
  const n = parseInt(s, 36);
  return n >= 0 && b36(n) === s && s.length < 8 ? n : -1;
}

/** Six lower-case hex digits: a node id. */
export function isId(s: string): boolean {
  return s.length === 6 && /^[0-9a-f]+$/.test(s);
}

/** Builds a datagram; head is "<type>|<id>|<inc>|<seq>|<dv>|<heap>|<ip>". */
export function encode(cluster: string, head: string, updates: string, arg: string): string {
  const body = cluster + "|" + head + "|" + updates + "|" + arg;
  return "S3|" + mac(body, 0) + "|" + body;
}

/**
 * Returns the message, or why it must be dropped (a Drop). Never throws. The
 * cheap checks come first: the MAC costs the most, and runs last.
 */
export function decode(data: string, cluster: string, from: string): Message | string {
  if (typeof data !== "string" || data.length > Wire.MaxDatagram) return Drop.Size;
  const f = data.split("|");
  if (f[0] !== "S3") return f[0][0] === "S" ? Drop.Version : MALFORMED;
  if (f.length < 12) return MALFORMED;
  if (f[2] !== cluster) return Drop.Cluster;
  const m: Message = { type_: f[3], id_: f[4], incarnation_: n36(f[5]), seq_: n36(f[6]), details_: n36(f[7]), heap_: n36(f[8]), updates_: f[10], arg_: f.slice(11).join("|") };
  // (every board takes a leader's heartbeat, L, and a vote request, V, broadcasts: evidence their sender is alive,
  // the rest of them for the leader capability)
  if (!(SPORE_CAPS.leader ? (SPORE_CAPS.services ? /^[PKRAHEXCYVWL]$/ : /^[PKRAHEXVWL]$/) : SPORE_CAPS.services ? /^[PKRAHEXCYLV]$/ : /^[PKRAHEXLV]$/).test(f[3]) || !isId(f[4]) || Math.min(m.incarnation_, m.seq_, m.details_, m.heap_) < 0 || m.seq_ > 16777215) return MALFORMED;
  // the updates stay one string, split and each parsed (and checked) by the
  // receiver one at a time, a malformed one skipped and counted: checked here
  // as well, a full datagram took about 40 JsVars more to decode and read
  // (test/real/probes/decode-need.ts: 150 to 160 free needed, now 110 to 120)
  if (f[9] !== from) return Drop.Address;
  // the body is checked where it lies in the datagram (mac.ts: no copy of it)
  const at = f[1].length + 4;
  return data.length - at > Wire.MaxBody || !macOk(data, at, f[1]) ? Drop.Check : m;
}

/** A datagram's updates (Message.updates_) one by one. */
export function news(updates: string): string[] {
  return updates ? updates.split(",") : [];
}

/** One piggybacked update ("a<id>/<inc>/<ip>/<dv>[/<health>]" or "s<id>/<inc>/<age>[/<confirmations>/<tenths>]"), null when malformed. */
export function update(s: string): Update | null {
  const k = s[0];
  const p = s.substr(1).split("/");
  const alive = k === "a";
  // (every board takes the health field, whether it keeps it or not: the health capability's nodes send it)
  const u: Update = { kind_: k, id_: p[0], incarnation_: n36(p[1]), ip_: p[2], age_: alive ? 0 : n36(p[2]), details_: alive ? n36(p[3]) : 0 };
  if (SPORE_CAPS.health && alive) u.health_ = p[4] ? n36(p[4]) : -1;
  // (a suspicion's confirmations: boards without the capability pass the suspicion on without them)
  // (and the age's tenths of a second: a whole second rounded down made nodes that heard of a suspicion up to a
  // second late to count it INACTIVE)
  if (SPORE_CAPS.lifeguard && !alive) {
    u.conf_ = p[3] && p[3].length < 13 && p[3].length % 3 === 0 && /^[0-9a-f]+$/.test(p[3]) ? p[3] : "";
    if (p[4] && p[4].length === 1 && /^[0-9]+$/.test(p[4])) u.age_ += +p[4] / 10;
  }
  // fields past those it knows are left for nodes that know them (the health field of an alive update: esp01 has no use for it)
  return p.length < (alive ? 4 : 3) || !(alive ? isIp(u.ip_) : k === "s") || !isId(u.id_) || Math.min(u.incarnation_, u.age_, u.details_) < 0 ? null : u;
}
