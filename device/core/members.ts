// Membership by gossip with SWIM-style failure detection.
//
// Each probe round (config prd ms) the node pings one member, round-robin
// from a random start. No ack within half a round: it asks up to
// INDIRECT other members to ping it too. No ack by the end of the round: the
// member is suspected, and the suspicion is gossiped. A live member that
// hears it is suspected refutes it with a higher incarnation. A member still
// suspected ina seconds after it was last known alive is INACTIVE, after
// dead seconds DEAD, and fgt seconds later it is forgotten. Every message
// piggybacks the newest updates, each sent at most 3*log2(n+2) times, so
// each node sends a bounded number of datagrams per second whatever the
// cluster's size.
import { C, me, now, O } from "./env.ts";
import { clusterEvent, note } from "./events.ts";
import { broadcastAddress, isIp } from "./identity.ts";
import { fresh } from "./replay.ts";
import { b36, BAD, decode, encode, n36, update, Wire } from "./wire.ts";

export const STATUS = ["ACTIVE", "INACTIVE", "DEAD"];
/**
 * Members asked to probe one that did not answer; the incarnations a boot may
 * use before the next boot's (a refutation takes one: see replay.ts). Const
 * enum: no JsVars, see wire.ts.
 */
const enum K {
  Indirect = 3,
  IncPerBoot = 4096,
}

/** One member. Keys are short: each costs JsVars on the chip. */
export interface Member {
  /** address */
  a: string;
  /** incarnation */
  n: number;
  /** 1 while suspected */
  s: number;
  /** uptime ms when last known alive */
  t: number;
  /** probe round trip ms, -1 unknown */
  l: number;
  /** details version (kept signed: a whole number over 2^31 costs a JsVar more), free heap */
  d: number;
  h: number;
  /** the replay check's highest seq (-1 none) and window (replay.ts) */
  q: number;
  w: number;
  /** status last reported */
  st: number;
}

/** A random whole number below n. */
function rnd(n: number): number {
  return (O.uniform() * n) | 0;
}

/** Members by id (MAC tail). */
export const M: Record<string, Member> = {};
/** Own incarnation, details version, address and subnet broadcast address ("" while offline). */
export let inc = 0;
export let dv = 0;
export let ip = "";
export let bc = "";
/** Dropped datagrams by reason. */
export const drops: Record<string, number> = {};
let seq = 0;
/** Ids with updates to piggyback, newest first, and how often each was sent. */
const queue: string[] = [];
const sent: Record<string, number> = {};
/** The number of members; the probe order's position (from a random start); the probe in flight; probes relayed for others. */
export let size = 0;
let oi = 0;
let probe: { i: string; o: number; t: number; x: number; ok: number } | null = null;
let phase = 0;
const relays: { o: number; r: string; n: string }[] = [];
let nonce = 0;
/** Answers to announces waiting for their moment. */
let hellos = 0;
let lastAnn = -1e9;
/** The first announce after going online waits until then. */
let annAt = 0;

/**
 * Starts this boot's membership: its incarnation from the boot number (so a
 * restarted node's datagrams are new to its peers whatever their seqs, see
 * replay.ts) and its probe order from a random start (drawn after the
 * platform seeded the generator: Espruino's repeats itself after every boot).
 */
export function begin(boot: number, details: number): void {
  inc = boot * K.IncPerBoot;
  dv = details;
  oi = rnd(65536);
}

/** "sta" on the configured network, "ap" serving its own access point, "" before either. */
export let wifi = "";

/**
 * The station is up with this address and netmask, or down (mode "ap" or
 * "", address ""). The first announce goes within 3 s (the probe task's
 * next mid-round run after a random moment): a whole cluster booting at
 * once (power back after a cut) otherwise announces in the same instant,
 * and every node has every answer and update to take at once, which ran
 * ESP8266 nodes out of JsVars on the real interpreter.
 */
export function online(mode: string, address: string, netmask: string): void {
  wifi = mode;
  ip = address;
  bc = address ? broadcastAddress(address, netmask) : "";
  lastAnn = -1e9;
  annAt = now() + rnd(2000);
}

export function drop(reason: string): void {
  drops[reason] = (drops[reason] || 0) + 1;
}

/** Gossip this member's state (again). */
function enqueue(id: string): void {
  const i = queue.indexOf(id);
  if (i >= 0) queue.splice(i, 1);
  queue.unshift(id);
  sent[id] = 0;
  if (queue.length > SPORE_LIMITS.memberTable) delete sent[queue.pop()!];
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
  const unsent = (O.udp.dSnd || "").length;
  if (!ip || unsent > SPORE_LIMITS.unsentMax) return;
  seq = (seq + 1) & 16777215;
  const head = type + "|" + me + "|" + b36(inc) + "|" + b36(seq) + "|" + b36(dv >>> 0) + "|" + b36(O.heap());
  let ups = extra || "";
  // more than the board's backlog still waiting to go out (a burst): this one goes without piggybacked updates
  let room = unsent > SPORE_LIMITS.backlog ? 0 : Wire.MaxDatagram - Wire.Framing - C.cl.length - head.length - arg.length - ups.length;
  const limit = 3 * Math.ceil(Math.log(size + 2) / Math.LN2);
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i];
    // the update for a member or this node ("" when unknown)
    const m = id === me ? { a: ip, n: inc, s: 0, t: 0, d: dv } : M[id];
    const u = m ? (m.s ? "s" : "a") + id + "/" + b36(m.n) + "/" + (m.s ? b36(((now() - m.t) / 1000) | 0) : m.a + "/" + b36(m.d >>> 0)) : "";
    if (!u || sent[id] >= limit) {
      queue.splice(i--, 1);
      delete sent[id];
    } else if (u.length < room) {
      ups += (ups ? "," : "") + u;
      room -= u.length + 1;
      sent[id]++;
    }
  }
  O.udp.send(encode(C.key, C.cl, head, ups, arg, O.hash), C.udp, to);
}

/** The answer to an announce. */
function hello(to: string): void {
  hellos--;
  send("H", "", to);
}

function forget(id: string): void {
  delete M[id];
  delete sent[id];
  size--;
}

/**
 * Evidence that member id is alive: direct (it sent us a datagram) or
 * gossiped. Returns the member, or null when the table is full.
 */
function heard(id: string, n: number, a: string, d: number, direct: boolean): Member | null {
  let m = M[id];
  if (!m) {
    if (size >= SPORE_LIMITS.memberTable) {
      let dead = "";
      for (const k in M) if (status(M[k]) === 2) dead = k;
      if (!dead) {
        drop("full");
        return null;
      }
      forget(dead);
    }
    m = M[id] = { a: a, n: n, s: 0, t: now(), l: -1, d: d | 0, h: 0, q: -1, w: 0, st: 0 };
    size++;
    enqueue(id);
    note("node/discovered", { hostname: "esp_" + id, ip: a });
    return m;
  }
  if (n > m.n) {
    m.n = n;
    m.s = 0;
    // a new incarnation: its seqs start anew
    m.q = -1;
    enqueue(id);
  } else if (!direct) return m; // old news
  else if (m.s) send("H", "", a, "s" + id + "/" + b36(m.n) + "/0"); // tell a suspected member, so it refutes
  m.t = now();
  m.a = a;
  m.d = d | 0;
  return m;
}

/** Handles one received datagram (a dgram "message": the data and who sent it). Never throws on bad input: it is dropped and counted. */
export function receive(data: string, info: { address: string }): void {
  const from = info.address;
  const g = decode(data, C.key, C.cl, O.hash);
  if (typeof g === "string") return drop(g);
  if (g.id === me) return; // our own broadcast
  const known = M[g.id];
  const f = known ? fresh(known, g.inc, g.seq) : 2;
  if (!f) return drop("replay");
  const m = heard(g.id, g.inc, from, g.dv, true);
  if (m) {
    m.h = g.heap;
    // the first of a member or of its incarnation: the window starts from it
    if (f > 1) fresh(m, g.inc, g.seq);
  }
  for (const s of g.ups) {
    const u = update(s)!;
    const x = M[u.id];
    if (u.id === me) {
      // suspected: refute with a higher incarnation
      if (u.k === "s" && u.inc >= inc) {
        inc = u.inc + 1;
        enqueue(me);
      }
    } else if (u.k === "a") heard(u.id, u.inc, u.ip, u.dv, false);
    else if (x && u.inc >= x.n && !(x.s && u.inc === x.n)) {
      x.s = 1;
      // perhaps of a new incarnation: its seqs start anew (cleared needlessly, the window lets one datagram through unchecked)
      x.q = -1;
      x.n = u.inc;
      x.t = Math.max(x.t, now() - u.age * 1000);
      enqueue(u.id);
    }
  }
  const t = g.type;
  const arg = g.arg;
  if (t === "P") send("K", arg, from);
  // an announce from a member that is new or restarted is answered, the
  // others know of us already; at a random moment within a probe round, so
  // that a newcomer is not hit by every member's answer at once (each
  // datagram waiting for the interpreter holds about 40 JsVars); at most
  // `hellos` waiting (each timer holds about 9 JsVars): when a whole cluster boots
  // at once, every node hears every other's announce, and the rest learn
  // of each other by gossip
  else if (t === "A" && f > 1 && hellos < SPORE_LIMITS.hellos) {
    hellos++;
    O.later(hello, rnd(C.prd), from);
  }
  else if (t === "E") clusterEvent(arg, g.id);
  else if (t === "K") {
    const o = n36(arg);
    const p = probe;
    if (p && p.o === o) {
      p.ok = 1;
      const x = M[p.i];
      if (x) {
        x.t = now();
        if (g.id === p.i) x.l = x.t - p.t;
      }
    } else
      for (const r of relays)
        if (r.o === o) {
          send("K", r.n, r.r);
          r.o = -1;
        }
  } else if (t === "R") {
    // "nonce/target ip": ping the target for the requester, pass its ack back
    const f = arg.split("/");
    if (f.length !== 2 || n36(f[0]) < 0 || !isIp(f[1])) return drop(BAD);
    relays.push({ o: ++nonce, r: from, n: f[0] });
    if (relays.length > 4) relays.shift();
    send("P", b36(nonce), f[1]);
  }
}

/** 0 ACTIVE, 1 INACTIVE, 2 DEAD. */
export function status(m: Member): number {
  const age = now() - m.t;
  return !m.s || age < C.ina * 1000 ? 0 : age < C.dead * 1000 ? 1 : 2;
}

/** Up to k random unsuspected member ids other than not. */
export function pick(k: number, not: string): string[] {
  const ids: string[] = [];
  for (const id in M) if (id !== not && !M[id].s) ids.push(id);
  while (ids.length > k) ids.splice(rnd(ids.length), 1);
  return ids;
}

/**
 * The probe task, twice per round: mid-round indirect probes and the
 * announce (at most every max(ann, members) s: a task of its own cost about
 * 23 JsVars, a task record and a timer), then suspicion, status changes and
 * the next ping.
 */
export function tick(): void {
  const p = probe;
  const t = now();
  phase = 1 - phase;
  if (!phase) {
    const x = p && !p.ok && !p.x ? M[p.i] : null;
    if (x && !x.s) {
      p!.x = 1;
      for (const id of pick(K.Indirect, p!.i)) send("R", b36(p!.o) + "/" + x.a, M[id].a);
    }
    if (bc && t >= annAt && t - lastAnn >= Math.max(C.ann, size * 1000)) {
      lastAnn = t;
      send("A", "", bc);
    }
    return;
  }
  const y = p && !p.ok ? M[p.i] : null;
  // suspected: INACTIVE ina s after this failed probe (unless it refutes)
  if (y && !y.s && y.t < p!.t) {
    y.s = 1;
    y.t = p!.t;
    enqueue(p!.i);
  }
  probe = null;
  check();
  // every member in turn, from a random start: each is probed every n rounds while the n members
  // stay (a new random order each pass would leave up to 2n - 1 between two probes of one member)
  const ids = Object.keys(M);
  const id = ids[oi++ % ids.length];
  if (!id) return;
  probe = { i: id, o: ++nonce, t: t, x: 0, ok: 0 };
  send("P", b36(nonce), M[id].a);
}

/** Once per probe round: reports status changes and forgets members dead for fgt seconds. */
function check(): void {
  let gone = "";
  for (const id in M) {
    const m = M[id];
    const st = status(m);
    if (st !== m.st) {
      note("node/status", { hostname: "esp_" + id, status: STATUS[st], was: STATUS[m.st] });
      if (st === 2) note("node/lost", { hostname: "esp_" + id });
      m.st = st;
    }
    if (st === 2 && now() - m.t > (C.dead + C.fgt) * 1000) gone = id;
  }
  // one per run: never delete from an object while iterating over it
  if (gone) forget(gone);
}
