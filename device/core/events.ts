// The event bus: local listeners, a short history for the API, and the
// bookkeeping for cluster-wide events (deduplication by origin and id).
import type { Log } from "./ports.ts";

export type Listener = (data: unknown, origin: string) => void;

export interface EventRecord {
  /** name, origin hostname, uptime ms, data */
  n: string;
  o: string;
  t: number;
  d: unknown;
}

/** Event names: letters, digits and / _ - . (they travel in datagrams). */
export function isEventName(name: unknown): boolean {
  if (typeof name !== "string" || !name.length || name.length > 32) return false;
  for (let i = 0; i < name.length; i++) if ("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/_-.".indexOf(name[i]) < 0) return false;
  return true;
}

export class EventBus {
  /** Listeners by event name; "*" hears every event. */
  private readonly ls: Record<string, Listener[]>;
  /** The latest events, oldest first. */
  readonly recent: EventRecord[];
  /** Keys "origin.id" of cluster events already delivered, oldest first. */
  private readonly seen: string[];
  private readonly keep: number;
  private readonly log: Log;
  /** Listener exceptions caught. */
  errors: number;

  constructor(keep: number, log: Log) {
    this.ls = {};
    this.recent = [];
    this.seen = [];
    this.keep = keep;
    this.log = log;
    this.errors = 0;
  }

  on(name: string, fn: Listener): void {
    (this.ls[name] = this.ls[name] || []).push(fn);
  }

  off(name: string, fn: Listener): void {
    const l = this.ls[name];
    const i = l ? l.indexOf(fn) : -1;
    if (i >= 0) l.splice(i, 1);
  }

  /** Delivers an event to the local listeners and the history. Listener errors are contained. */
  deliver(name: string, data: unknown, origin: string, now: number): void {
    this.recent.push({ n: name, o: origin, t: Math.floor(now), d: data });
    if (this.recent.length > this.keep) this.recent.shift();
    const all = (this.ls[name] || []).concat(this.ls["*"] || []);
    for (let i = 0; i < all.length; i++) {
      try {
        all[i](data, origin);
      } catch (err) {
        this.errors++;
        this.log("event " + name + ": listener threw " + String((err as Error).message || err));
      }
    }
  }

  /** True the first time a cluster event key is seen (remembers the last 16). */
  fresh(key: string): boolean {
    if (this.seen.indexOf(key) >= 0) return false;
    this.seen.push(key);
    if (this.seen.length > 16) this.seen.shift();
    return true;
  }
}
