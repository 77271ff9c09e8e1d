// Membership by gossip with SWIM-style failure detection.
//
// Each probe round (config.prd ms) the node pings one member, taken in a
// shuffled round-robin order. No ack within half a round: it asks up to
// INDIRECT other members to ping it too. No ack by the end of the round: the
// member is suspected, and the suspicion is gossiped. A live member that hears
// it is suspected refutes it with a higher incarnation. A member still
// suspected ina seconds after it was last known alive is INACTIVE, after dead
// seconds DEAD, and dead+fgt seconds after it is forgotten. Every message
// piggybacks the newest updates, each sent at most RETRANSMIT*log2(n+2)
// times, so each node sends a bounded number of datagrams per second
// whatever the cluster's size.
import type { NodeConfig } from "./config.ts";
import type { Clock, DatagramSender, Log } from "./ports.ts";
import { aliveUpdate, decode, encode, hexToIp, ipToHex, isId, MAX_DATAGRAM, MSG_ACK, MSG_ANNOUNCE, MSG_HELLO, MSG_PING, MSG_PING_REQ, num36, overhead, suspectUpdate, type DropReason, type Hash, type Message, type Update } from "./wire.ts";

export const ACTIVE = 0;
export const INACTIVE = 1;
export const DEAD = 2;
export const STATUS = ["ACTIVE", "INACTIVE", "DEAD"];
const INDIRECT = 3;
const RETRANSMIT = 3;
const RELAYS = 4;
const WINDOW = 31;

/** One member. Keys are short: each costs JsVars on the chip. */
export interface Member {
  /** address */
  a: string;
  /** incarnation */
  n: number;
  /** 1 while suspected */
  s: number;
  /** local ms when last known alive */
  t: number;
  /** probe round trip ms, -1 unknown */
  l: number;
  /** details version */
  d: number;
  /** free heap */
  h: number;
  /** highest datagram seq and the window of seqs below it already seen */
  q: number;
  w: number;
  /** status last reported */
  st: number;
}

interface Probe {
  /** member id, nonce, sent at, indirect asked */
  i: string;
  o: number;
  t: number;
  x: boolean;
  ok: boolean;
}

interface Relay {
  /** nonce of my ping to the target, requester address, requester's nonce */
  o: number;
  r: string;
  n: string;
}

export interface MembershipOptions {
  config: NodeConfig;
  /** own MAC tail */
  id: string;
  clock: Clock;
  udp: DatagramSender;
  hash: Hash;
  log: Log;
  maxMembers: number;
  heap: () => number;
  /** Built-in events: node/discovered, node/status, node/lost. */
  event: (name: string, data: unknown) => void;
  /** Messages the membership does not handle itself (cluster events). */
  other: (msg: Message, address: string) => void;
}

export class Membership {
  /** Members by id (MAC tail). */
  readonly m: Record<string, Member>;
  count: number;
  /** Own incarnation, datagram counter and details version. */
  inc: number;
  dv: number;
  ip: string;
  private seq: number;
  private bc: string;
  /** Dropped datagrams by reason. */
  readonly drops: Record<string, number>;
  /** Piggyback queue, newest first: member id and times sent. */
  private readonly queue: { m: string; c: number }[];
  private order: string[];
  private oi: number;
  private probe: Probe | null;
  private phase: number;
  private readonly relays: Relay[];
  private nonce: number;
  private lastAnn: number;
  private readonly o: MembershipOptions;

  constructor(o: MembershipOptions) {
    this.o = o;
    this.m = {};
    this.count = 0;
    this.inc = 0;
    this.dv = 0;
    this.ip = "";
    this.bc = "";
    this.seq = Math.floor(Math.random() * 16777216);
    this.drops = {};
    this.queue = [];
    this.order = [];
    this.oi = 0;
    this.probe = null;
    this.phase = 0;
    this.relays = [];
    this.nonce = 0;
    this.lastAnn = -1e9;
  }

  private now(): number {
    return Math.floor(this.o.clock.now());
  }

  /** Called when the network is up: announces at once. */
  online(ip: string, broadcast: string): void {
    this.ip = ip;
    this.bc = broadcast;
    this.lastAnn = -1e9;
    this.announce();
  }

  /** The subnet broadcast address ("" while offline). */
  bcAddress(): string {
    return this.bc;
  }

  drop(reason: DropReason | "full"): void {
    this.drops[reason] = (this.drops[reason] || 0) + 1;
  }

  /** The update string for a member (or this node), "" if unknown. */
  private update(id: string): string {
    if (id === this.o.id) return aliveUpdate(id, this.inc, this.ip, this.dv);
    const m = this.m[id];
    if (!m) return "";
    return m.s ? suspectUpdate(id, m.n, (this.now() - m.t) / 1000) : aliveUpdate(id, m.n, m.a, m.d);
  }

  private enqueue(id: string): void {
    for (let i = 0; i < this.queue.length; i++) if (this.queue[i].m === id) this.queue.splice(i, 1);
    this.queue.unshift({ m: id, c: 0 });
    if (this.queue.length > this.o.maxMembers) this.queue.pop();
  }

  /** Sends one message with as many queued updates as fit; extra goes first. */
  send(type: string, arg: string, address: string, extra?: string): void {
    if (!this.ip) return;
    const c = this.o.config;
    this.seq = (this.seq + 1) & 16777215;
    const header = type + "|" + this.o.id + "|" + this.inc.toString(36) + "|" + this.seq.toString(36) + "|" + this.dv.toString(36) + "|" + Math.max(0, Math.floor(this.o.heap())).toString(36);
    let room = MAX_DATAGRAM - overhead(c.cl, header) - arg.length;
    let ups = extra || "";
    room -= ups.length;
    const limit = RETRANSMIT * Math.ceil(Math.log(this.count + 2) / Math.LN2);
    for (let i = 0; i < this.queue.length; i++) {
      const q = this.queue[i];
      const u = this.update(q.m);
      if (!u || q.c >= limit) {
        this.queue.splice(i--, 1);
        continue;
      }
      if (u.length + 1 > room) continue;
      ups += (ups ? "," : "") + u;
      room -= u.length + 1;
      q.c++;
    }
    this.o.udp.send(encode(c.key, c.cl, header, ups, arg, this.o.hash), address, c.udp);
  }

  /**
   * Whether seq is new from this member; keeps its replay window. A seq far
   * behind the last one means the member restarted (it starts at a random seq).
   */
  private fresh(m: Member, seq: number): boolean {
    const d = (seq - m.q) & 16777215;
    if (m.q >= 0 && d === 0) return false;
    if (m.q >= 0 && d < 8388608) {
      m.w = d > WINDOW ? 0 : ((m.w << d) | (1 << (d - 1))) & 2147483647;
      m.q = seq;
      return true;
    }
    const back = 16777216 - d;
    if (m.q >= 0 && back <= WINDOW) {
      if (m.w & (1 << (back - 1))) return false;
      m.w |= 1 << (back - 1);
      return true;
    }
    if (m.q >= 0 && back <= 4096) return false;
    m.q = seq;
    m.w = 0;
    return true;
  }

  /** Handles one received datagram. Never throws on bad input. */
  receive(data: string, address: string): void {
    const msg = decode(data, this.o.config.key, this.o.config.cl, this.o.hash);
    if (typeof msg === "string") return this.drop(msg);
    if (msg.id === this.o.id) return; // our own broadcast
    const known = this.m[msg.id];
    if (known && !this.fresh(known, msg.seq)) return this.drop("replay");
    const m = this.heard(msg.id, msg.inc, address, msg.dv, true);
    if (m) {
      m.h = msg.heap;
      if (!known) this.fresh(m, msg.seq);
    }
    for (let i = 0; i < msg.ups.length; i++) this.apply(msg.ups[i]);
    const t = msg.type;
    if (t === MSG_PING) this.send(MSG_ACK, msg.arg, address);
    else if (t === MSG_ANNOUNCE) this.send(MSG_HELLO, "", address);
    else if (t === MSG_ACK) this.acked(num36(msg.arg), msg.id);
    else if (t === MSG_PING_REQ) this.relay(msg.arg, address);
    else if (t !== MSG_HELLO) this.o.other(msg, address);
  }

  private acked(nonce: number, from: string): void {
    const p = this.probe;
    const now = this.now();
    if (p && p.o === nonce) {
      p.ok = true;
      const m = this.m[p.i];
      if (m) {
        m.t = now;
        if (from === p.i) m.l = now - p.t;
      }
      return;
    }
    for (let i = 0; i < this.relays.length; i++) {
      const r = this.relays[i];
      if (r.o === nonce) {
        this.relays.splice(i, 1);
        this.send(MSG_ACK, r.n, r.r);
        return;
      }
    }
  }

  /** A ping request: "nonce.target id.target ip". */
  private relay(arg: string, requester: string): void {
    const f = arg.split(".");
    const ip = hexToIp(f[2] || "");
    if (f.length !== 3 || num36(f[0]) < 0 || !isId(f[1]) || !ip) return this.drop("malformed");
    this.relays.push({ o: ++this.nonce, r: requester, n: f[0] });
    if (this.relays.length > RELAYS) this.relays.shift();
    this.send(MSG_PING, this.nonce.toString(36), ip);
  }

  /**
   * Evidence that member id is alive: direct (it sent us a datagram) or
   * gossiped. Returns the member, or null when the table is full.
   */
  private heard(id: string, inc: number, ip: string, dv: number, direct: boolean): Member | null {
    const now = this.now();
    let m = this.m[id];
    if (!m) {
      if (this.count >= this.o.maxMembers && !this.evict()) {
        this.drop("full");
        return null;
      }
      m = this.m[id] = { a: ip, n: inc, s: 0, t: now, l: -1, d: dv, h: 0, q: -1, w: 0, st: ACTIVE };
      this.count++;
      this.order.splice(Math.floor(Math.random() * (this.order.length + 1)), 0, id);
      this.enqueue(id);
      this.o.event("node/discovered", { hostname: "esp_" + id, ip: ip });
      return m;
    }
    if (inc > m.n) {
      m.n = inc;
      m.s = 0;
      this.enqueue(id);
    } else if (!direct) return m; // old news
    else if (m.s) this.send(MSG_HELLO, "", ip, suspectUpdate(id, m.n, 0)); // a suspected member talks to us: tell it, so it refutes
    m.t = now;
    m.a = ip;
    m.d = dv;
    return m;
  }

  private apply(u: Update): void {
    if (u.id === this.o.id) {
      if (u.k === "s" && u.inc >= this.inc) {
        this.inc = u.inc + 1;
        this.enqueue(u.id);
      }
      return;
    }
    if (u.k === "a") {
      this.heard(u.id, u.inc, u.ip, u.dv, false);
      return;
    }
    const m = this.m[u.id];
    if (!m || u.inc < m.n || (m.s && u.inc === m.n)) return;
    m.s = 1;
    m.n = u.inc;
    m.t = Math.max(m.t, this.now() - u.age * 1000);
    this.enqueue(u.id);
  }

  /** Forgets a DEAD member to make room; false if there is none. */
  private evict(): boolean {
    for (const id in this.m) {
      if (this.status(this.m[id]) === DEAD) {
        this.forget(id);
        return true;
      }
    }
    return false;
  }

  private forget(id: string): void {
    delete this.m[id];
    this.count--;
    const i = this.order.indexOf(id);
    if (i >= 0) this.order.splice(i, 1);
  }

  status(m: Member): number {
    if (!m.s) return ACTIVE;
    const age = this.now() - m.t;
    const c = this.o.config;
    return age < c.ina * 1000 ? ACTIVE : age < c.dead * 1000 ? INACTIVE : DEAD;
  }

  /** Up to k random unsuspected member ids other than not. */
  pick(k: number, not: string): string[] {
    const ids: string[] = [];
    for (const id in this.m) if (id !== not && !this.m[id].s) ids.push(id);
    while (ids.length > k) ids.splice(Math.floor(Math.random() * ids.length), 1);
    return ids;
  }

  /** The probe task: runs twice per round (config.prd / 2). */
  tick(): void {
    const p = this.probe;
    this.phase = 1 - this.phase;
    if (!this.phase) {
      // mid-round: no ack yet, ask others to probe
      if (p && !p.ok && !p.x) {
        p.x = true;
        const target = this.m[p.i];
        const ids = target && !target.s ? this.pick(INDIRECT, p.i) : [];
        for (let i = 0; i < ids.length; i++) this.send(MSG_PING_REQ, p.o.toString(36) + "." + p.i + "." + ipToHex(target.a), this.m[ids[i]].a);
      }
      return;
    }
    if (p && !p.ok) {
      const m = this.m[p.i];
      if (m && !m.s && m.t < p.t) {
        m.s = 1;
        m.t = p.t;
        this.enqueue(p.i);
      }
    }
    this.probe = null;
    if (this.oi >= this.order.length) {
      this.oi = 0;
      const o = this.order;
      for (let i = o.length - 1; i > 0; i--) {
        const j = Math.floor(Math.random() * (i + 1));
        const x = o[i];
        o[i] = o[j];
        o[j] = x;
      }
    }
    const id = this.order[this.oi++];
    const m = id ? this.m[id] : undefined;
    if (!m) return;
    this.probe = { i: id, o: ++this.nonce, t: this.now(), x: false, ok: false };
    this.send(MSG_PING, this.nonce.toString(36), m.a);
  }

  /** The discovery task: broadcasts an announce at most every max(ann, members s). */
  announce(): void {
    const now = this.now();
    if (!this.bc || now - this.lastAnn < Math.max(this.o.config.ann, this.count * 1000)) return;
    this.lastAnn = now;
    this.send(MSG_ANNOUNCE, "", this.bc);
  }

  /** The members task: reports status changes and forgets long-dead members. */
  check(): void {
    const c = this.o.config;
    const gone: string[] = [];
    for (const id in this.m) {
      const m = this.m[id];
      const st = this.status(m);
      if (st !== m.st) {
        this.o.event("node/status", { hostname: "esp_" + id, status: STATUS[st], was: STATUS[m.st] });
        if (st === DEAD) this.o.event("node/lost", { hostname: "esp_" + id });
        m.st = st;
      }
      if (st === DEAD && this.now() - m.t > (c.dead + c.fgt) * 1000) gone.push(id);
    }
    for (let i = 0; i < gone.length; i++) this.forget(gone[i]);
  }
}
