// The local event bus: listeners, a short history for GET /api/events, and a
// tap the MQTT capability publishes from. It depends on nothing but the
// ports: cluster-wide events are cluster-events.ts.
import { hostname, now, ports, str } from "./env.ts";

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
 * locally); listener errors are contained.
 */
export function fire(name: string, data: any, origin?: string): void {
  origin = origin || hostname;
  const json = str({ name: name, origin: origin, time: now(), data: data });
  recent.push(json);
  if (recent.length > SPORE_LIMITS.eventLog) recent.shift();
  if (SPORE_CAPS.mqtt && tap) tap(json);
  // a copy: a listener may add or remove listeners
  for (const fn of (listeners[name] || []).slice()) {
    try {
      fn(data, origin);
    } catch (e) {
      ports.log_("event " + name + ": listener threw " + ((e as Error).message || e));
    }
  }
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
