// The event bus: local listeners, a short history for GET /api/events, and
// cluster-wide events. A cluster event goes out as a subnet broadcast; each
// node that receives it for the first time forwards it to FANOUT random
// members, up to HOPS hops, so it reaches every live node even when the
// broadcast is lost somewhere; duplicates are dropped by origin and id.
import { host, me, now, O, str } from "./env.ts";
import { bc, drop, inc, M, pick, send } from "./members.ts";
import { b36, BAD, isId, n36, Wire } from "./wire.ts";

export type Listener = (data: any, origin: string) => void;

/** How far a cluster event is forwarded, and to how many members each time (const enum: no JsVars, see wire.ts). */
const enum K {
  Hops = 2,
  Fanout = 2,
}

/** Listeners by event name. */
const ls: Record<string, Listener[]> = {};
/**
 * The latest events, oldest first, each the JSON that GET /api/events lists
 * ({name, origin: a hostname, time: uptime ms, data}): one string costs a
 * third of the JsVars of the object it describes.
 */
export const recent: string[] = [];
/** Keys "origin.id" of cluster events already delivered, oldest first. */
const seen: string[] = [];
let eid = 0;
/** Boards with MQTT: sees the JSON of every event delivered here (it publishes them). */
let tap: ((json: string) => void) | undefined;

export function setTap(fn: (json: string) => void): void {
  tap = fn;
}

export function on(name: string, fn: Listener): void {
  (ls[name] = ls[name] || []).push(fn);
}

export function off(name: string, fn: Listener): void {
  const l = ls[name];
  const i = l ? l.indexOf(fn) : -1;
  if (i >= 0) l.splice(i, 1);
}

/**
 * Delivers an event to the local listeners and the history, from origin (a
 * hostname; this node when undefined, which is how user code fires one
 * locally); listener errors are contained.
 */
export function fire(name: string, data: any, origin?: string): void {
  origin = origin || host;
  const j = str({ name: name, origin: origin, time: now(), data: data });
  recent.push(j);
  if (recent.length > SPORE_LIMITS.eventLog) recent.shift();
  if (SPORE_LIMITS.mqtt && tap) tap(j);
  // a copy: a listener may add or remove listeners
  for (const fn of (ls[name] || []).slice()) {
    try {
      fn(data, origin);
    } catch (e) {
      O.log("event " + name + ": listener threw " + ((e as Error).message || e));
    }
  }
}

/** Event names: 1 to 32 letters, digits and / _ - . (they travel in datagrams). */
export function isEventName(name: unknown): boolean {
  return typeof name === "string" && name.length > 0 && name.length < 33 && /^[a-zA-Z0-9\/_.-]+$/.test(name);
}

/** Fires a built-in event here and logs it. */
export function note(name: string, data: any): void {
  O.log(name + " " + str(data));
  fire(name, data);
}

/** True the first time a cluster event key is seen (remembers the last 16). */
function first(key: string): boolean {
  if (seen.indexOf(key) >= 0) return false;
  seen.push(key);
  if (seen.length > 16) seen.shift();
  return true;
}

function forward(arg: string, not: string): void {
  for (const id of pick(K.Fanout, not)) send("E", arg, M[id].a);
}

/** Fires an event on every live node, this one included. Returns "" or why it cannot be sent. */
export function publish(name: string, data: any): string {
  if (!isEventName(name)) return "bad event name";
  // numbered on from this boot's incarnation: peers remember the keys of a previous boot's events
  eid = (eid || inc) + 1;
  const key = me + "." + b36(eid);
  const arg = key + "." + K.Hops + "." + name + ":" + str(data === undefined ? null : data);
  // the longest that leaves room for the header and updates
  const max = Wire.MaxDatagram - 120;
  if (arg.length > max) return "event over " + max + " bytes";
  first(key);
  fire(name, data);
  if (bc) send("E", arg, bc);
  forward(arg, "");
  return "";
}

/** A cluster event datagram from member `from`: "origin.id.hops.name:data". */
export function clusterEvent(arg: string, from: string): void {
  const colon = arg.indexOf(":");
  const f = arg.substr(0, colon).split(".");
  const hops = n36(f[2]);
  const name = f.slice(3).join(".");
  let data;
  try {
    data = JSON.parse(arg.substr(colon + 1));
  } catch (e) {
    return drop(BAD);
  }
  if (colon < 0 || !isId(f[0]) || n36(f[1]) < 0 || hops < 0 || hops > K.Hops || !isEventName(name)) return drop(BAD);
  const key = f[0] + "." + f[1];
  if (f[0] === me || !first(key)) return;
  fire(name, data, "esp_" + f[0]);
  if (hops) forward(key + "." + (hops - 1) + "." + name + arg.substr(colon), from);
}
