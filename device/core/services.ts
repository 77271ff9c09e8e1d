// Services and RPC between nodes (the services capability). A node offers a
// service by name and version (provide); any node calls it by name (call)
// without knowing where it runs.
//
// Who offers what rides on membership: a node's list ("temp.1,relay.2",
// versions in base 36) is the argument of its announce and of its answers to
// others' announces (hellos), so there is no traffic of its own; a node
// announces at once when its list changes. A provider is chosen only while
// it is an ACTIVE member; an INACTIVE one is skipped and a forgotten one is
// gone with its entry.
//
// A call is one datagram to a provider ("C", arg "<id>.<min version>.<name>.<the provider's incarnation>:<args JSON>")
// and one back ("Y", arg "<id>.<kind>:<JSON>", the id being the call's: its
// reply_to), both within one datagram, MAC'd and replay-checked as every
// datagram is. kind 0: the result; 1: the handler's error, given to the
// caller; 2: a fault (no such service or version here, bad arguments, the
// handler threw), after which the call goes to another provider. An
// attempt that gets no answer in time (500 ms, doubling with each retry,
// within the call's deadline; the last attempt waits until the deadline) counts as a failure of its provider and the
// call goes to the next: untried providers first, least probe latency
// first. A provider's failures count once per call. A provider that failed
// config.cbn calls in a row has its circuit
// open for config.cbc ms; then one trial call goes (half-open), and its
// success closes the circuit. No provider left: the error at once.
//
// On the chip every top-level function holds JsVars for as long as the node
// runs (4 or 5 each, measured): as sixteen functions this module held 110
// JsVars at idle on an esp8266. So it is one function, services(op, ...),
// whose parts are made when it is called, learn(), which membership calls for
// every announce, and replier(), whose small scope a handler keeps.
//
// At most once per provider: a provider remembers the last SPORE_LIMITS.served
// requests (caller and id) with their answers, for a minute (past any call's
// deadline); a retry it has seen is answered again, or ignored while its
// handler runs, never run twice. A
// call that fails over to another provider may run on both (README,
// Services): a handler whose effect must not happen twice should be
// idempotent.
import { b36, config, now, ports, selfId, parseJson, str, HOST_PREFIX } from "./env.ts";
import { broadcast, drop, incarnation, send } from "./gossip.ts";
import { members, status, Status } from "./members.ts";
import { offer, type Call, type State } from "./offered.ts";
export type { CallBack } from "./offered.ts";
import { Drop, isId, MALFORMED, MessageType, n36 } from "./wire.ts";

/** Sizes and times (const enum: no JsVars; literals only, or esbuild makes it an object). */
const enum Services {
  /** the longest list of own services in an announce */
  MaxList = 64,
  /** the longest call or answer argument: Wire.MaxDatagram less 120, room for the header and updates (as a cluster event) */
  MaxArg = 148,
  /** the first attempt's wait for an answer, ms; each retry waits twice the last */
  AttemptMs = 500,
  /** default deadline and retries of a call */
  Timeout = 3000,
  Retries = 2,
  /** circuits kept (providers and services with failures) */
  Circuits = 8,
}

/** What services() is asked to do (const enum: no JsVars). A string instead is a timer's key (an attempt's time is up), a Call one that ended (its callback is due). */
export const enum Op {
  /** (name, version, handler): "" or why not */
  Provide = 1,
  /** (name): "" or why not */
  Unprovide = 2,
  /** (name, args, cb, options): "" or why not */
  Call = 3,
  /** a "C" datagram (arg, from id, from address; address "" for this node's own call) */
  Request = 4,
  /** a "Y" datagram (arg, from id) */
  Answer = 5,
  /** GET /api/services: the JSON */
  List = 6,
}

let state: State | undefined;
// (made where it is needed, written out: a function for it would cost JsVars for good)

/** A member's announce or hello: its list of services (checked; a malformed one is dropped and counted). */
export function learn(id: string, list: string): void {
  if (!list && !state) return;
  const S = state || (state = { own_: {}, offers_: {}, calls_: {}, last_: 0, served_: {}, circuits_: {} });
  const served = S.served_;
  const offers = S.offers_;
  // (as good a moment as any, and a regular one: requests served over a minute ago, past any call's deadline,
  // and the lists of members forgotten are forgotten; over Object.keys, as a delete inside a for-in loop
  // ends that loop on Espruino 2v29)
  for (const k of Object.keys(served)) if (now() / 1000 - parseInt(served[k], 36) > 60) delete served[k];
  for (const k of Object.keys(offers)) if (!members[k]) delete offers[k];
  if (!list) {
    delete offers[id];
    return;
  }
  if (list.length > Services.MaxList) return drop(MALFORMED);
  // each entry "name.version": the name as services()'s isServiceName checks it, written out here (a shared
  // top-level function would hold JsVars for good)
  for (const s of list.split(",")) {
    const p = s.split(".");
    if (p.length !== 2 || p[0].length > 16 || !/^[a-z0-9_-]+$/.test(p[0]) || p[0] in {} || !(n36(p[1]) >= 0 && n36(p[1]) < 65536)) return drop(MALFORMED);
  }
  offers[id] = list;
}

/**
 * The reply function for request `key` ("<caller id>.<call id>.<caller's incarnation>"),
 * remembered at `at` ("" a retry answered again): what a handler
 * gets as reply(err, result), once; (message, 0, 2) answers a fault,
 * (arg, 0, -1) sends an answer as it was. Made here, in a scope of its own: a
 * handler may keep it for as long as it likes, and a closure keeps its whole
 * scope alive (made in services(), four waiting took the provider out of
 * memory on the real interpreter).
 */
function replier(key: string, at: string): (err: any, result?: any, kind?: number) => void {
  let once = 0;
  return (err, result, kind) => {
    if (once++) return;
    const id = key.split(".")[1];
    const to = key.substr(0, 6);
    const ok = kind === undefined && (err === null || err === undefined);
    // (an error or fault's text cut to fit; a fault stays a fault, so the caller still goes to another provider)
    let a = kind! < 0 ? err : id + "." + (ok ? 0 : kind || 1) + ":" + str(ok ? (result === undefined ? null : result) : String(err).substr(0, 100));
    if (a.length > Services.MaxArg) a = id + ".1:" + str("answer over " + Services.MaxArg + " bytes");
    const S = state!;
    // still remembered (not pushed out by newer requests, nor forgotten): a retry gets this answer again
    if (at && S.served_[key] === at) S.served_[key] = at + a;
    // an answer goes to its caller: this node's own call is answered here
    // (to the caller's address as its membership has it, which its datagrams are checked against)
    if (to === selfId) services(Op.Answer, a, selfId);
    else if (members[to]) send(MessageType.Reply, a, members[to].address_);
  };
}

/** Everything else services do (Op): the parts below are made for each call and gone after it. */
export function services(op: Op | string | Call, x?: any, y?: any, z?: any, w?: any): any {
  if (typeof op === "object") {
    // a call that ended: its callback, from the idle loop, with c.r_ (first: it needs none of the parts below)
    const c = op as Call;
    try {
      c.cb_(c.r_![0], c.r_![1], c.r_![2]);
    } catch (e) {
      ports.log_("call " + c.n_ + ": callback threw " + e);
    }
    return;
  }
  // a listing makes nothing: a node that neither offers, calls nor heard of a service holds none of this
  if (op === Op.List && !state) return '{"services":[],"calls":0}';
  const S = state || (state = { own_: {}, offers_: {}, calls_: {}, last_: 0, served_: {}, circuits_: {} });
  const own = S.own_;
  const offers = S.offers_;
  const calls = S.calls_;
  const served = S.served_;
  const circuits = S.circuits_;
  /** A service name: 1 to 16 of a-z, 0-9, _ and -. */
  // (not a name every object has: "constructor", "__proto__", and on Espruino "on", "emit", "clone")
  const isServiceName = (n: unknown) => typeof n === "string" && n.length > 0 && n.length < 17 && /^[a-z0-9_-]+$/.test(n) && !(n in {});
  /** The list changed: kept (offer.list_) and announced at once (the periodic announces repeat it); or why it cannot be. */
  const tell = () => {
    const l: string[] = [];
    for (const n in own) l.push(n + "." + b36(own[n][0]));
    const list = l.join(",");
    if (list.length > Services.MaxList) return "services list over " + Services.MaxList + " bytes";
    offer.list_ = list;
    if (broadcast) send(MessageType.Announce, list, broadcast);
    return "";
  };
  /** The version of service name that id offers, -1 when it offers none. */
  const versionOf = (id: string, name: string): number => {
    if (id === selfId) return own[name] ? own[name][0] : -1;
    // "~" last: Espruino 2v29's indexOf matches a search string that runs off the end (",temp.1,".indexOf(",x.")
    // is 7: every member offered every name); no name has a "~", so nothing runs off this end
    const l = "," + offers[id] + ",~";
    const at = l.indexOf("," + name + ".");
    return at < 0 ? -1 : parseInt(l.substr(at + name.length + 2), 36);
  };
  /** A circuit's state: 0 closed, 1 open, 2 half-open (its cool-down over: one trial may go). */
  const circuit = (id: string, name: string): number => {
    const c = circuits[id + "/" + name];
    return !c || c[0] < config.cbn! ? 0 : now() - c[1] < config.cbc! ? 1 : 2;
  };
  /** A provider failed (no answer in time, an error, a fault): counted, the circuit opens after cbn in a row. */
  const failed = (id: string, name: string) => {
    const k = id + "/" + name;
    let c = circuits[k];
    if (!c) {
      const ks = Object.keys(circuits);
      if (ks.length >= Services.Circuits) delete circuits[ks[0]];
      c = circuits[k] = [0, 0];
    }
    if (++c[0] >= config.cbn!) c[1] = now();
  };
  /** Ends call id: cb gets the error or the result, from the idle loop (services(call): no closure of this scope waits for it). */
  const finish = (id: string, err: string | null, result?: any, from?: string) => {
    const c = calls["#" + id];
    delete calls["#" + id];
    // its attempt's timer, if it has not fired (an id once fired may be another timer's now: Espruino reuses them)
    if (c.t_) ports.clear_(c.t_);
    c.r_ = [err, result, from];
    ports.later_(services, 0, c);
  };
  /**
   * The call's next attempt, to the provider chosen: untried first, then least
   * latency; ACTIVE, its version, its circuit not open, no fault from it in
   * this call. No provider at all: the end. No provider left for a retry
   * (their circuits opened, or they answered with faults): a provider asked
   * before may still answer, until the deadline. After a fault (why, from
   * host), no provider left ends the call with it.
   */
  const attempt = (id: string, why?: string, host?: string) => {
    const c = calls["#" + id];
    let p = "";
    let low = 1e12;
    const ids = Object.keys(offers);
    if (own[c.n_]) ids.push(selfId);
    for (const i of ids) {
      const m = members[i];
      const st = circuit(i, c.n_);
      if ((i !== selfId && (!m || status(m) !== Status.Active)) || versionOf(i, c.n_) < c.v_ || st === 1 || c.out_.indexOf(i + ",") >= 0) continue;
      // a half-open provider's trial comes first (its failure fails over like any other): else a slower one would never be tried again
      const score = (c.tried_.indexOf(i + ",") >= 0 ? 1e9 : 0) + (st ? -1 : i === selfId ? 0 : (m.suspected_ ? 1e6 : 0) + (m.latency_ < 0 ? 1e5 : m.latency_));
      if (score < low) {
        low = score;
        p = i;
      }
    }
    // half-open: this is its trial; to other calls it looks open until the trial is answered or fails
    if (p && circuit(p, c.n_) === 2) circuits[p + "/" + c.n_][1] = now();
    c.att_++;
    if (!p && (why || !c.tried_)) return finish(id, why || "no provider for " + c.n_, undefined, host);
    if (p) {
      c.to_ = p;
      c.tried_ += p + ",";
    }
    // the timer's key is the op: services(key) is this attempt's time up
    // the last attempt (no retry left) waits until the deadline
    // (the last attempt's timer, if it has not fired: an answer with a fault brought this one on)
    if (c.t_) ports.clear_(c.t_);
    c.t_ = ports.later_(services, p && c.left_ > 0 ? Math.min(c.end_ - now(), Services.AttemptMs << (c.att_ - 1)) : c.end_ - now(), id + "." + c.att_);
    if (!p) return;
    // with the provider's incarnation as this node knows it: a provider that restarted takes no call made to
    // its previous boot (a copy replayed to it then is dropped; this node's next attempt has the new one)
    const arg = id + "." + b36(c.v_) + "." + c.n_ + "." + b36(p === selfId ? incarnation : members[p].incarnation_) + ":" + c.a_;
    // this node's own service: served here, answered as a datagram would be
    if (p === selfId) services(Op.Request, arg, selfId, incarnation);
    else send(MessageType.Call, arg, members[p].address_);
  };

  if (typeof op === "string") {
    // an attempt's time is up ("<call id>.<attempt>"): its provider failed; the next attempt, or the end
    const k = op.split(".");
    const c = calls["#" + k[0]];
    if (!c || c.att_ !== +k[1]) return;
    c.t_ = 0;
    // a provider's failure counts once per call (no answer to this attempt; the wait for a late answer, with
    // no provider asked, is no one's): three datagrams lost in a row at 10% loss must not open the circuit of
    // a sole provider, which then fails every call for cbc ms (npm run bench: 150 of 200 calls answered, 200 now)
    if (c.to_ && c.tried_.indexOf(c.to_ + "!") < 0) {
      failed(c.to_, c.n_);
      c.tried_ += c.to_ + "!";
    }
    c.to_ = "";
    if (c.left_-- > 0 && now() < c.end_) attempt(k[0]);
    else finish(k[0], "timeout: " + c.n_);
    return;
  }
  if (op === Op.Provide) {
    // (x name, y version, z handler)
    if (!isServiceName(x)) return "bad service name (1 to 16 of a-z 0-9 _ -)";
    if (!(y >= 0 && y < 65536 && Math.floor(y) === y)) return "bad version (0 to 65535)";
    if (typeof z !== "function") return "handler must be a function";
    const was = own[x];
    own[x] = [y, z];
    const why = tell();
    if (why) {
      if (was) own[x] = was;
      else delete own[x];
    }
    return why;
  }
  if (op === Op.Unprovide) {
    if (!isServiceName(x) || !own[x]) return "not provided: " + x;
    delete own[x];
    return tell();
  }
  if (op === Op.Call) {
    // (x name, y args, z cb, w options): cb(err, result, hostname) once, never synchronously
    const o = w || {};
    const t = o.timeout === undefined ? Services.Timeout : o.timeout;
    const r = o.retries === undefined ? Services.Retries : o.retries;
    const v = o.version || 0;
    let a = str(y === undefined ? null : y);
    // a function gives undefined, a cycle (on Espruino) "{... }": neither is JSON
    try {
      parseJson(a);
    } catch (e) {
      a = "";
    }
    if (!isServiceName(x)) return "bad service name (1 to 16 of a-z 0-9 _ -)";
    if (typeof z !== "function") return "callback must be a function";
    if (!(t >= 100 && t <= 60000) || !(r >= 0 && r <= 5) || !(v >= 0 && v < 65536)) return "bad options: timeout 100 to 60000 ms, retries 0 to 5, version 0 to 65535";
    if (!a) return "args are not JSON";
    if (a.length > Services.MaxArg - 38) return "args over " + (Services.MaxArg - 38) + " bytes";
    if (Object.keys(calls).length >= SPORE_LIMITS.calls) return "busy: " + SPORE_LIMITS.calls + " calls in flight";
    // a call in flight holds about 45 JsVars on an esp8266 (measured: test/real/probes/services.ts): not below the room a request needs
    if (ports.jsvars_() < SPORE_LIMITS.minFree + 50) return "busy: memory";
    // numbered on from this boot's incarnation, as cluster events are: a provider still remembering a call of the
    // previous boot must not take a new one for it (nor a caller an old answer)
    const id = b36((S.last_ = (S.last_ || incarnation) + 1));
    calls["#" + id] = { n_: x, a_: a, v_: v | 0, cb_: z, end_: now() + t, left_: r | 0, att_: 0, to_: "", tried_: "", out_: "" };
    attempt(id);
    return "";
  }
  if (op === Op.Request) {
    // (x arg "<call id>.<least version>.<name>.<this node's incarnation>:<args JSON>", y from id, z its incarnation): run once, answered (again,
    // to a retry); remembered by caller, call id and the caller's incarnation
    const from: string = y;
    const colon = x.indexOf(":");
    const k = x.substr(0, colon).split(".");
    const key = from + "." + k[0] + "." + b36(z);
    if (colon < 0 || k.length !== 4 || n36(k[0]) < 0 || n36(k[1]) < 0 || n36(k[3]) < 0 || !isId(from)) return drop(MALFORMED);
    if (n36(k[3]) !== incarnation) return drop(Drop.Replay);
    const seen = served[key];
    if (seen !== undefined) {
      const a = seen.substr(seen.indexOf(" ") + 1);
      if (a) replier(key, "")(a, 0, -1);
      return;
    }
    // full: the oldest answered gives way; one still running never does (a retry of it would run it again)
    const ks = Object.keys(served);
    if (ks.length >= SPORE_LIMITS.served) {
      let old = "";
      for (const q of ks) if (!old && served[q].substr(served[q].indexOf(" ") + 1)) old = q;
      if (!old) return replier(key, "")("busy: " + ks.length + " requests running", 0, 2);
      delete served[old];
    }
    const at = b36((now() / 1000) | 0) + " ";
    served[key] = at;
    const done = replier(key, at);
    const s = own[k[2]];
    if (!s || s[0] < n36(k[1])) return done(s ? "version " + s[0] + " here" : "no service " + k[2] + " here", 0, 2);
    // short of memory: a fault, and the caller goes to another provider
    if (ports.jsvars_() < SPORE_LIMITS.minFree) return done("busy: memory", 0, 2);
    let args;
    try {
      args = parseJson(x.substr(colon + 1));
    } catch (e) {
      return done("args are not JSON", 0, 2);
    }
    try {
      s[1](args, done, HOST_PREFIX + from);
    } catch (e) {
      done("handler threw: " + e, 0, 2);
    }
    return;
  }
  if (op === Op.Answer) {
    // (x arg "<call id>.<kind>:<JSON>", y from id): late, duplicate and unasked-for answers are ignored
    const from: string = y;
    const colon = x.indexOf(":");
    const k = x.substr(0, colon).split(".");
    let v;
    try {
      v = parseJson(x.substr(colon + 1));
    } catch (e) {
      return drop(MALFORMED);
    }
    if (colon < 0 || k.length !== 2 || n36(k[0]) < 0 || !/^[012]$/.test(k[1])) return drop(MALFORMED);
    const c = calls["#" + k[0]];
    if (!c || c.tried_.indexOf(from + ",") < 0) return;
    const host = HOST_PREFIX + from;
    if (k[1] === "0") {
      delete circuits[from + "/" + c.n_];
      return finish(k[0], null, v, host);
    }
    // (a provider fails a call once: its attempt may have timed out already)
    if (c.tried_.indexOf(from + "!") < 0) {
      failed(from, c.n_);
      c.tried_ += from + "!";
    }
    // a fault: not asked again in this call; the next provider, within the deadline (if there is one); the handler's own error: the caller's
    if (k[1] === "2") {
      c.out_ += from + ",";
      if (c.left_-- > 0 && now() < c.end_) return attempt(k[0], String(v), host);
    }
    return finish(k[0], String(v), undefined, host);
  }
  // Op.List: every service with its providers, version and state (healthy, open, half-open, inactive, gone)
  const by: Record<string, string[]> = {};
  const add = (id: string, list: string, state: string) => {
    for (const s of list.split(",")) {
      const p = s.split(".");
      const n = p[0];
      (by[n] = by[n] || []).push(str({ hostname: HOST_PREFIX + id, version: parseInt(p[1], 36), state: state || ["healthy", "open", "half-open"][circuit(id, n)] }));
    }
  };
  for (const id of Object.keys(offers)) {
    const m = members[id];
    if (!m) delete offers[id];
    else add(id, offers[id], status(m) === Status.Active ? "" : status(m) === Status.Inactive ? "inactive" : "gone");
  }
  if (offer.list_) add(selfId, offer.list_, "");
  const out: string[] = [];
  for (const n in by) out.push('{"name":' + str(n) + ',"providers":[' + by[n].join(",") + "]}");
  return '{"services":[' + out.join(",") + '],"calls":' + Object.keys(calls).length + "}";
}
