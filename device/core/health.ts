// The health capability: this node's load and whether it is OVERLOADED, and
// its members' as gossip brings them.
//
// Load is the share of time spent in tasks, jobs' runs, datagrams and HTTP
// requests (tasks.ts charge()) over a sliding window of config.ovs seconds
// (10 by default), sampled from the probe task every half window (at least
// Health.Every ms): the load over the last two halves. The
// node is OVERLOADED once its load has been at least config.ovl percent (80)
// over a whole window, or its free JsVars stayed below the board's minFree
// plus Health.Margin for config.ovs seconds. It recovers, no sooner than
// config.ovs seconds after it became so, once the window's load is below
// ovl - Health.Hysteresis and it has minFree + 2 * Health.Margin free: the
// gap keeps it from flapping. Each change is a node/overloaded or
// node/recovered event.
//
// The summary other nodes need rides on membership: a node's alive update
// ("a<id>/<inc>/<ip>/<dv>/<health>", wire.ts) carries it packed in one
// base-36 number (HealthOp.Packed): a version (mod 32), whether it may
// lead, overloaded, low memory, whether it takes movable tasks, and the load
// in 5% steps. A node gossips its own when the flag changes,
// or its load moved 10 points since it last told and config.ovs seconds have
// passed; every node that takes a newer version passes it on as it passes
// on any news (piggyback.ts), so every member knows it within the
// membership's convergence time, with no datagram of its own. A hello
// carries it too, so a newcomer learns every member's from its answers.
import { config, now, ports, selfId } from "./env.ts";
import { note, queue } from "./events.ts";
import type { Member } from "./members.ts";
import { enqueue } from "./piggyback.ts";
import { busy } from "./tasks.ts";

/** const enum: no JsVars on the chip. */
export const enum Health {
  /** least ms between samples of the busy time */
  Every = 2000,
  /** JsVars above the board's minFree under which memory counts as low */
  Margin = 50,
  /** percentage points under config.ovl the load must fall to recover */
  Hysteresis = 20,
  /** the packed summary: load levels (0..20, 5% each), then flags, then the version (Versions of them) */
  Levels = 21,
  Versions = 32,
}

/** What health() is asked (const enum). */
export const enum HealthOp {
  /** (): the probe task's sample */
  Tick = 1,
  /** (id, member, packed): a member's summary from gossip; whether it was news */
  Take,
  /** (): this node's summary, packed */
  Packed,
  /** (packed): a summary as the API gives it */
  Unpack,
  /** (drops, gossip.ts's table): this node's health as GET /api/node/status gives it */
  Status,
  /** (): its energy estimate as GET /api/node/status gives it */
  Energy,
}

/** The state's places (const enum): one array, as each top-level variable costs JsVars on the chip for good. */
const enum H {
  /** the window's load, percent */
  Load,
  /** 0, or why the node is OVERLOADED: 1 its load, 2 its memory, 3 both */
  Over,
  /** ms since boot it became or stopped being OVERLOADED */
  Since,
  /** ms since boot free JsVars went under the floor (-1: they are not) */
  LowSince,
  /** the summary's version; the level and flag last gossiped (-1: never, so the first sample is: members learn a newcomer's at once), and when */
  Version,
  Told,
  ToldAt,
  /** the energy estimate: power now (mW), energy since boot (mJ), datagrams sent at the last sample */
  Mw,
  Mj,
  Sent,
  /** time and busy microseconds of the three last samples, oldest first */
  Samples,
}

// (made whole at boot, the samples at 0: the node's memory does not grow once it runs)
const S: number[] = [0, 0, 0, -1, 0, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

/** A packed summary's flags and version: version * 16 + flags (8 may lead, 4 OVERLOADED, 2 for its memory, 1 takes movable tasks). */
export function flags(p: number): number {
  return (p / Health.Levels) | 0;
}

/**
 * The capability, one function (each top-level function holds JsVars on the
 * chip for good; its arguments read from `arguments` for the same reason):
 * HealthOp says what each op takes and gives.
 */
export function health(op: HealthOp, a?: any, b?: any, c?: any): any;
export function health(): any {
  const op: HealthOp = arguments[0];
  const a = arguments[1];
  // (first: it runs for each alive update a datagram brings)
  if (op === HealthOp.Take) {
    // newer than the one known (versions compared mod 32; a member of a new incarnation has none known): kept and passed on
    const m: Member = arguments[2];
    const p: number = arguments[3];
    const old = m.health_;
    const d = ((flags(p) >> 4) - (flags(old!) >> 4) + Health.Versions) % Health.Versions;
    if (old !== undefined && (d === 0 || d > Health.Versions / 2)) return false;
    m.health_ = p;
    enqueue(a);
    return true;
  }
  // flags: 8 it may lead (the leader capability), 4 OVERLOADED, 2 for its memory, 1 it takes movable tasks (placement)
  if (op === HealthOp.Packed) return (S[H.Version] * 16 + (SPORE_CAPS.leader ? 8 : 0) + (S[H.Over] ? 4 : 0) + (S[H.Over] & 2 ? 2 : 0) + (SPORE_CAPS.placement ? 1 : 0)) * Health.Levels + Math.round(S[H.Load] / 5);
  if (op === HealthOp.Unpack) {
    const f = flags(a);
    return { load: (a % Health.Levels) / 20, overloaded: !!(f & 4), lowMemory: !!(f & 2) };
  }
  const reason = ["", "load", "memory", "load and memory"];
  if (op === HealthOp.Energy) {
    // efficiency: the share of the power spent working (over the idle floor), graded A+ (60% or more) to F (under 10%)
    const idle = (SPORE_POWER_MV * SPORE_IDLE_MA) / 1000;
    const share = S[H.Mw] > idle ? (S[H.Mw] - idle) / S[H.Mw] : 0;
    const mWh = S[H.Mj] / 3600;
    return { powerMw: Math.round(S[H.Mw]), energyMwh: Math.round(mWh * 10) / 10, co2g: Math.round(((mWh * config.ci!) / 1e6) * 1000) / 1000, grade: ["F", "E", "D", "C", "B", "A", "A+"][Math.min(6, (share * 10) | 0)] };
  }
  if (op === HealthOp.Status) {
    // (a: the datagrams dropped by reason, gossip.ts's drops)
    let dropped = 0;
    for (const k in a) dropped += a[k];
    return { load: S[H.Load] / 100, overloaded: !!S[H.Over], reason: reason[S[H.Over]], since: ((now() - S[H.Since]) / 1000) | 0, freeJsVars: ports.jsvars_(), freeHeap: ports.heap_(), queue: queue.length, dropped: dropped };
  }
  // HealthOp.Tick: a sample every half window; the load over the last two; OVERLOADED entered or left (with its
  // event); the summary gossiped when the flag changed, or the load moved 10 points and a window has passed
  const t = now();
  const n = S.length;
  const win = config.ovs! * 1000;
  // (the first tick samples at once: its summary is told, and members learn a newcomer's)
  if (S[H.Told] >= 0 && t - S[n - 2] < Math.max(Health.Every, win / 2)) return;
  // the energy estimate over the time since the last sample: the board's power profile (mV x mA / 1000 = mW) at
  // this sample's load, and the datagrams sent (a: the count so far) on air for their airtime each
  const dt = t - S[n - 2];
  if (dt > 0) {
    const busyShare = Math.min(1, (busy - S[n - 1]) / 1000 / dt);
    const airShare = Math.min(1, ((a - S[H.Sent]) * SPORE_AIRTIME_US) / 1000 / dt);
    S[H.Mw] = (SPORE_POWER_MV * (SPORE_IDLE_MA + busyShare * (SPORE_ACTIVE_MA - SPORE_IDLE_MA) + airShare * (SPORE_TX_MA - SPORE_IDLE_MA))) / 1000;
    S[H.Mj] += (S[H.Mw] * dt) / 1000;
  }
  S[H.Sent] = a;
  S.push(t, busy);
  S.splice(H.Samples, 2);
  const span = t - S[H.Samples];
  S[H.Load] = span > 0 ? Math.min(100, Math.round((busy - S[H.Samples + 1]) / 10 / span)) : 0;
  const load = S[H.Load];
  const free = ports.jsvars_();
  const floor = SPORE_LIMITS.minFree + Health.Margin;
  if (free >= floor) S[H.LowSince] = -1;
  else if (S[H.LowSince] < 0) S[H.LowSince] = t;
  let o = S[H.Over];
  // (a whole window of samples, less a little for a late tick)
  if (!o) o = (span >= win - Health.Every / 2 && load >= config.ovl! ? 1 : 0) | (S[H.LowSince] >= 0 && t - S[H.LowSince] >= win ? 2 : 0);
  else if (t - S[H.Since] >= win && load < config.ovl! - Health.Hysteresis && free >= floor + Health.Margin) o = 0;
  if (o !== S[H.Over]) {
    S[H.Over] = o;
    S[H.Since] = t;
    note(o ? "node/overloaded" : "node/recovered", { load: load / 100, freeJsVars: free, reason: reason[o] });
  }
  const told = Math.round(load / 5) | (o ? 64 : 0);
  if (S[H.Told] < 0 || (S[H.Told] & 64) !== (told & 64) || (Math.abs((S[H.Told] & 63) - (told & 63)) >= 2 && t - S[H.ToldAt] >= win)) {
    S[H.Version] = (S[H.Version] + 1) % Health.Versions;
    S[H.Told] = told;
    S[H.ToldAt] = t;
    enqueue(selfId);
  }
}
