// A cooperative task manager with SPORE's interface, built on setInterval.
// A task is "enabled" (its function runs on each tick) and "running" (its
// interval timer exists). A throwing task never stops the node; one that
// throws MAX_ERRORS times in a row is disabled and reported.
import type { Clock, Log, Timers } from "./ports.ts";

export const MAX_ERRORS = 5;

export interface Task {
  /** name */
  n: string;
  /** interval, ms */
  i: number;
  f: () => void;
  /** enabled */
  e: boolean;
  /** timer id, 0 when stopped */
  id: number;
  /** runs, errors, errors in a row */
  r: number;
  x: number;
  c: number;
  /** last and average run time, ms */
  l: number;
  a: number;
}

/** Called for every task error; disabled tells whether the task was turned off. */
export type TaskErrorHandler = (task: string, message: string, disabled: boolean) => void;

export class TaskManager {
  readonly tasks: Task[];
  /** Milliseconds spent in tasks since boot. */
  busy: number;
  private readonly timers: Timers;
  private readonly clock: Clock;
  private readonly log: Log;
  private readonly onError: TaskErrorHandler;

  constructor(timers: Timers, clock: Clock, log: Log, onError: TaskErrorHandler) {
    this.tasks = [];
    this.busy = 0;
    this.timers = timers;
    this.clock = clock;
    this.log = log;
    this.onError = onError;
  }

  /** SPORE's registerTask(name, interval, fn, enabled = true, autoStart = true). False if the name is taken. */
  registerTask(name: string, intervalMs: number, fn: () => void, enabled?: boolean, autoStart?: boolean): boolean {
    if (this.find(name) || !(intervalMs > 0)) return false;
    const t: Task = { n: name, i: intervalMs, f: fn, e: enabled !== false, id: 0, r: 0, x: 0, c: 0, l: 0, a: 0 };
    this.tasks.push(t);
    if (autoStart !== false) this.startTask(name);
    return true;
  }

  find(name: string): Task | undefined {
    for (let i = 0; i < this.tasks.length; i++) if (this.tasks[i].n === name) return this.tasks[i];
    return undefined;
  }

  private run(t: Task): void {
    if (!t.e) return;
    const start = this.clock.now();
    try {
      t.f();
      t.c = 0;
    } catch (err) {
      t.x++;
      t.c++;
      const off = t.c >= MAX_ERRORS;
      if (off) t.e = false;
      this.onError(t.n, String((err as Error).message || err), off);
    }
    t.l = this.clock.now() - start;
    t.r++;
    t.a += (t.l - t.a) / t.r;
    this.busy += t.l;
  }

  enableTask(name: string): boolean {
    const t = this.find(name);
    if (t) {
      t.e = true;
      t.c = 0;
    }
    return !!t;
  }

  disableTask(name: string): boolean {
    const t = this.find(name);
    if (t) t.e = false;
    return !!t;
  }

  startTask(name: string): boolean {
    const t = this.find(name);
    if (t && !t.id) {
      // a closure per task: `let` in loops is shared on Espruino, so never create these in a loop
      t.id = this.timers.setInterval(() => this.run(t), t.i);
    }
    return !!t;
  }

  stopTask(name: string): boolean {
    const t = this.find(name);
    if (t && t.id) {
      this.timers.clearInterval(t.id);
      t.id = 0;
    }
    return !!t;
  }

  setTaskInterval(name: string, ms: number): boolean {
    const t = this.find(name);
    if (!t || !(ms > 0)) return false;
    t.i = ms;
    if (t.id) this.timers.changeInterval(t.id, ms);
    return true;
  }

  isTaskEnabled(name: string): boolean {
    const t = this.find(name);
    return !!t && t.e;
  }

  getTaskInterval(name: string): number {
    const t = this.find(name);
    return t ? t.i : 0;
  }

  printTaskStatus(): void {
    this.log("task            interval enabled running runs errors avg-ms");
    for (let i = 0; i < this.tasks.length; i++) {
      const t = this.tasks[i];
      this.log((t.n + "                ").substr(0, 16) + t.i + " " + t.e + " " + !!t.id + " " + t.r + " " + t.x + " " + t.a.toFixed(1));
    }
  }

  /** The API's task control: "" when done, else what was wrong. */
  control(name: string, action: string, interval: string): string {
    if (!this.find(name)) return "no task " + name;
    if (action === "enable") this.enableTask(name);
    else if (action === "disable") this.disableTask(name);
    else if (action === "start") this.startTask(name);
    else if (action === "stop") this.stopTask(name);
    else if (action !== "interval" && action) return "action must be enable, disable, start, stop or interval";
    if (interval || action === "interval") {
      const ms = parseInt(interval, 10);
      if (!(ms >= 10 && ms <= 86400000) || String(ms) !== interval) return "interval must be whole milliseconds from 10 to 86400000";
      this.setTaskInterval(name, ms);
    }
    return "";
  }
}
