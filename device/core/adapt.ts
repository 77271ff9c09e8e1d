// The adaptive capability: adaptive gossip. The probe period (the probe
// task runs twice per period) and how often each update is piggybacked
// (lambda x log2(members + 2) times, piggyback.ts) follow the node's
// situation, in one of four modes chosen every round:
//
// - emergency: the battery (an ADC pin and divider in the configuration)
//   is under config.blw percent (left 5 points above it): the longest
//   period, config.pmx ms, and lambda 2;
// - aggressive: membership changed (a member joined, was suspected or
//   changed status) in the last Adapt.Repair ms, or more than 12% of this
//   node's direct probes went unanswered in half a period (left under 6%):
//   the shortest period, config.pmn ms, and lambda 4, so repairs spread
//   sooner and survive loss;
// - conservative: nothing changed for config.cq seconds and under 2% of
//   probes failed (left at 5%): 1.25 x config.prd (at most pmx), lambda 2
//   (each member is probed about once a period: twice prd left a dead
//   member unprobed for 4 s now and then, and at 200 nodes it was INACTIVE
//   everywhere after 11.2 s; 1.5 x prd, 10.3 s in one of five seeds);
// - normal: config.prd and lambda 3, SWIM's.
//
// A membership change makes a node aggressive at once, not at its next
// round. config.gm fixes a mode (1 to 4 in that order of the names, 0 adapts). A
// leader keeps at most config.prd: its heartbeats go every half period. Each
// change is a gossip/mode event. Cluster size enters through log2(members + 2)
// and the announce interval (max(ann, members) s). Detection of a dead member
// slows in the longer periods: each member is probed as often as the others'
// periods allow (the benchmark measures it per mode).
import { config, now, ports } from "./env.ts";
import { note } from "./events.ts";
import { setTaskInterval } from "./tasks.ts";

/** const enum: no JsVars on the chip. */
export const enum Adapt {
  /** ms after a membership change spent aggressive */
  Repair = 10000,
  /** ms between battery readings (the ESP8266's ADC disturbs its WiFi when read often) */
  Every = 10000,
}

/** The modes, in config.gm's order less one (const enum). */
export const enum Mode {
  Aggressive,
  Normal,
  Conservative,
  Emergency,
}

/** What adapt() is asked (const enum). */
export const enum AdaptOp {
  /** (): membership changed (aggressive at once) */
  Churn = 1,
  /** (answered): a direct probe answered within half a period (1) or not (0) */
  Probed,
  /** (leads): once per round, from the probe task (leads: 1 when this node is the leader): the mode chosen, the period applied */
  Round,
  /** (): the status and telemetry object */
  Status,
}

/** The state's places (const enum): one array, each top-level variable costs JsVars for good. */
export const enum A {
  Mode,
  /** lambda: each update piggybacked lambda x log2(members + 2) times (piggyback.ts) */
  Lambda,
  /** the probe period in use, ms */
  Period,
  /** ms since boot of the last membership change, of the last mode change, of the last battery reading */
  Churn,
  Since,
  Read,
  /** direct probes unanswered, a moving average in 1/1024 (each probe weighs 1/16) */
  Fails,
  /** the battery, percent (-1: no reading) */
  Battery,
  /** 1 while this node leads (as the last round said) */
  Leads,
}

/** (the period 0 until the first round: the probe task starts at config.prd) */
export const AS: number[] = [Mode.Normal, 3, 0, 0, 0, -1e9, 0, -1, 0];

const NAMES = ["aggressive", "normal", "conservative", "emergency"];

/** The capability, one function (HealthOp's pattern, health.ts): AdaptOp says what each op takes and gives. */
export function adapt(op: AdaptOp, a?: number): any;
export function adapt(): any {
  const op: AdaptOp = arguments[0];
  const t = now();
  if (op === AdaptOp.Probed) return (AS[A.Fails] += ((arguments[1] ? 0 : 1024) - AS[A.Fails]) >> 4);
  if (op === AdaptOp.Status)
    return { mode: NAMES[AS[A.Mode]], periodMs: AS[A.Period] || config.prd, lambda: AS[A.Lambda], probeFailures: Math.round(AS[A.Fails] / 10.24) / 100, battery: AS[A.Battery] < 0 ? null : AS[A.Battery], since: ((t - AS[A.Since]) / 1000) | 0 };
  if (op === AdaptOp.Churn) {
    AS[A.Churn] = t;
    // (aggressive at once, not at the next round: a suspicion heard is confirmed or refuted a period sooner)
    if (AS[A.Mode] === Mode.Aggressive) return;
  }
  // AdaptOp.Round, and a churn outside aggressive mode: the mode chosen, the period applied
  // the battery: the ADC's reading (0..1) x the full-scale millivolts (divider included), between empty and full
  if (config.bpn && t - AS[A.Read] >= Adapt.Every) {
    AS[A.Read] = t;
    AS[A.Battery] = Math.max(0, Math.min(100, Math.round(((ports.analog_!(config.bpn) * config.bfs! - config.bmn!) * 100) / (config.bmx! - config.bmn!))));
  }
  const was = AS[A.Mode];
  const b = AS[A.Battery];
  const f = AS[A.Fails];
  const m = config.gm
    ? config.gm - 1
    : b >= 0 && b < config.blw! + (was === Mode.Emergency ? 5 : 0)
      ? Mode.Emergency
      : t - AS[A.Churn] < Adapt.Repair || f > (was === Mode.Aggressive ? 61 : 123)
        ? Mode.Aggressive
        : t - AS[A.Churn] >= config.cq! * 1000 && f < (was === Mode.Conservative ? 51 : 20)
          ? Mode.Conservative
          : Mode.Normal;
  let p = [config.pmn!, config.prd, Math.min(1.25 * config.prd, config.pmx!), config.pmx!][m];
  // the leader's heartbeats go every half period: it keeps at most prd (a churn's round: as it was)
  if (op === AdaptOp.Round) AS[A.Leads] = arguments[1] ? 1 : 0;
  if (AS[A.Leads]) p = Math.min(p, config.prd);
  AS[A.Mode] = m;
  AS[A.Lambda] = [4, 3, 2, 2][m];
  if (m !== was) {
    AS[A.Since] = t;
    note("gossip/mode", { mode: NAMES[m], was: NAMES[was], periodMs: p });
  }
  if (p !== (AS[A.Period] || config.prd)) setTaskInterval("probe", p / 2);
  AS[A.Period] = p;
}
