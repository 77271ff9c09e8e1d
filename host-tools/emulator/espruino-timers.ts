// Espruino's timers, as measured on the 2v29 interpreter: ids are numbers,
// one more than the highest in use (so they are reused); clearTimeout() with
// no argument clears every timer while clearTimeout(undefined) throws and an
// unknown id is ignored; an exception inside an interval does not stop it;
// changeInterval resets the phase and turns a timeout into an interval.
import type { DeviceRuntime } from "./runtime.ts";

interface Timer {
  fn: unknown;
  args: unknown[];
  interval: number; // 0 for a timeout
  due: number;
  version: number;
}

export class EspruinoTimers {
  private timers = new Map<number, Timer>();

  constructor(
    private readonly rt: DeviceRuntime,
    private readonly now: () => number,
  ) {}

  private arm(id: number, t: Timer): void {
    const version = t.version;
    this.rt.later(t.due - this.now(), () => {
      const current = this.timers.get(id);
      if (current !== t || t.version !== version) return;
      if (t.interval) {
        t.due += t.interval;
        this.arm(id, t);
        this.rt.invoke(t.fn, ...t.args);
      } else {
        // the running timeout is removed only after its callback (its id is still taken)
        this.rt.invoke(t.fn, ...t.args);
        if (this.timers.get(id) === t && t.version === version) this.timers.delete(id);
      }
    });
  }

  private add(fn: unknown, ms: unknown, args: unknown[], repeat: boolean): number {
    if (typeof fn !== "function") throw new Error("Function or String not supplied!");
    // Espruino runs a 0 ms interval as often as it can; one virtual ms keeps time moving.
    const delay = Math.max(repeat ? 1 : 0, Number(ms) || 0);
    let id = 1;
    for (const k of this.timers.keys()) if (k >= id) id = k + 1;
    const t: Timer = { fn, args, interval: repeat ? delay : 0, due: this.now() + delay, version: 0 };
    this.timers.set(id, t);
    this.arm(id, t);
    return id;
  }

  setTimeout = (fn: unknown, ms?: unknown, ...args: unknown[]): number => this.add(fn, ms, args, false);
  setInterval = (fn: unknown, ms?: unknown, ...args: unknown[]): number => this.add(fn, ms, args, true);

  private clear(kind: string, ids: unknown[]): void {
    if (ids.length === 0) {
      this.timers.clear();
      return;
    }
    if (ids[0] === undefined) throw new Error(`clear${kind}(undefined) not allowed. Use clear${kind}() instead`);
    if (typeof ids[0] === "number") this.timers.delete(ids[0]);
  }

  clearTimeout = (...ids: unknown[]): void => this.clear("Timeout", ids);
  clearInterval = (...ids: unknown[]): void => this.clear("Interval", ids);

  changeInterval = (id: unknown, ms: unknown): void => {
    const t = typeof id === "number" ? this.timers.get(id) : undefined;
    if (!t) throw new Error("Unknown Interval");
    const delay = Math.max(1, Number(ms) || 0);
    t.version++;
    t.interval = delay;
    t.due = this.now() + delay;
    this.arm(id as number, t);
  };

  count(): number {
    return this.timers.size;
  }

  /** What each pending timer holds, for the JsVar count. */
  pending(): { fn: unknown; args: unknown[]; interval: boolean }[] {
    return [...this.timers.values()].map((t) => ({ fn: t.fn, args: t.args, interval: t.interval > 0 }));
  }

  reset(): void {
    this.timers.clear();
  }
}
