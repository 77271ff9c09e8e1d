// The local event bus: listeners, a short history for GET /api/events, and a
// tap the MQTT capability publishes from. It depends on nothing but the
// ports: cluster-wide events are cluster-events.ts.
import { config, hostname, now, ports, str } from "./env.ts";

export type Listener = (data: any, origin: string) => void;

/** Listeners by event name (user code adds and removes them with spore.on and spore.off: main.ts). */
export const listeners: Record<string, Listener[]> = {};
/**
 * The latest events, oldest first, each the JSON that GET /api/events lists
 * ({name, origin: a hostname, time: uptime ms, data}): one string costs a
 * third of the JsVars of the object it describes.
 */
export const recent: string[] = [];
/** Boards with MQTT: sees the JSON of every event delivered here (it publishes them). */
let tap: ((json: string) => void) | undefined;

export function setTap(fn: (json: string) => void): void {
  tap = fn;
}

/**
 * Delivers an event to the local listeners and the history, from origin (a
 * hostname; this node when undefined, which is how user code fires one
 * locally); listener errors are contained. With the jobs capability the
 * listeners and the jobs get it from the queue (enqueue below), a moment
 * later; the history and MQTT at once.
 */
export function fire(name: string, data: any, origin?: string): void {
  origin = origin || hostname;
  const json = str({ name: name, origin: origin, time: now(), data: data });
  recent.push(json);
  if (recent.length > SPORE_LIMITS.eventLog) recent.shift();
  if (SPORE_CAPS.mqtt && tap) tap(json);
  if (SPORE_CAPS.jobs && SPORE_LIMITS.queue) return enqueue("e", name, data, origin);
  // a copy: a listener may add or remove listeners
  for (const fn of (listeners[name] || []).slice()) {
    try {
      fn(data, origin);
    } catch (e) {
      ports.log_("event " + name + ": listener threw " + ((e as Error).message || e));
    }
  }
  // a board without a queue (node.queue 0): the jobs it triggers at once (their runs start from the idle loop)
  if (SPORE_CAPS.jobs && ports.trig_) ports.trig_(["e", name, data, origin]);
}

/**
 * The jobs capability's bounded queue: events for listeners, and what
 * triggers jobs (MQTT messages, pin edges), each [kind ("e" event, "m" MQTT,
 * "p" pin), name (event name, topic, job), data, origin], delivered a few at
 * a time from the idle loop. At most SPORE_LIMITS.queue wait: one more drops
 * the oldest (config.qp 0, drop_oldest), or (qp 1, coalesce_latest) replaces
 * the waiting one from the same source (kind and name) and drops the oldest
 * only when every source differs. Each drop and replacement is counted.
 * A board with node.queue 0 keeps none: each goes to the jobs at once
 * (ports.trig_), after its listeners (an esp8266 has no room for the entries
 * waiting), and what a job's concurrency cannot take is skipped and counted.
 */
export const queue: any[][] = [];
/** Events dropped or replaced by the queue's overflow policy since boot. */
export let queueDrops = 0;
let draining = 0;

export function enqueue(kind: string, name: string, data: any, origin: string): void {
  let i = -1;
  if (config.qp) for (let k = 0; k < queue.length; k++) if (queue[k][0] === kind && queue[k][1] === name) i = k;
  if (i < 0 && queue.length >= SPORE_LIMITS.queue) i = 0;
  if (i >= 0) {
    queue.splice(i, 1);
    queueDrops++;
  }
  queue.push([kind, name, data, origin]);
  if (!draining) draining = ports.later_(drain, 0, 0);
}

/** Delivers up to four waiting entries, then yields to the idle loop while more wait. */
function drain(): void {
  // the next pass first: nothing delivered here can keep the rest waiting
  draining = queue.length > 4 ? ports.later_(drain, 0, 0) : 0;
  for (let n = 0; n < 4 && queue.length; n++) {
    const e = queue.shift()!;
    // an event's listeners (a copy of the list: a listener may add or remove listeners), its own ("on",
    // "constructor" and the like are every object's on Espruino: no listeners)
    if (e[0] === "e")
      for (const fn of (Object.prototype.hasOwnProperty.call(listeners, e[1]) ? listeners[e[1]] : []).slice()) {
        try {
          fn(e[2], e[3]);
        } catch (x) {
          ports.log_("event " + e[1] + ": listener threw " + ((x as Error).message || x));
        }
      }
    try {
      if (ports.trig_) ports.trig_(e);
    } catch (x) {
      ports.log_("jobs: " + ((x as Error).message || x));
    }
  }
  if (queue.length && !draining) draining = ports.later_(drain, 0, 0);
}

/** Event names: 1 to 32 letters, digits and / _ - . (they travel in datagrams). */
export function isEventName(name: unknown): boolean {
  return typeof name === "string" && name.length > 0 && name.length < 33 && /^[a-zA-Z0-9\/_.-]+$/.test(name);
}

/** Fires a built-in event here and logs it. */
export function note(name: string, data: any): void {
  ports.log_(name + " " + str(data));
  fire(name, data);
}
