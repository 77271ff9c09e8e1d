// A cooperative task manager with SPORE's interface, built on setInterval.
// A task is "enabled" (its function runs on each tick) and "running" (its
// interval timer exists). A throwing task never stops the node; one that
// throws TaskLimit.MaxErrors (5) times in a row is disabled and a task/error event says so.
import { now, ports, str } from "./env.ts";
import { note } from "./events.ts";

/** Errors in a row that disable a task (const enum: no JsVar, see wire.ts). */
const enum TaskLimit {
  MaxErrors = 5,
}

/** What act() does to a task; POST /api/tasks/control's actions, in this order. */
export const enum TaskAction {
  Enable = 0,
  Disable = 1,
  Start = 2,
  Stop = 3,
}

export interface Task {
  name_: string;
  /** interval, ms */
  interval_: number;
  fn_: () => void;
  /**
   * 0 disabled; enabled, 1 plus its errors in a row (one property, not two:
   * each costs a JsVar per task on the chip)
   */
  enabled_: number;
  /** timer id, 0 when stopped */
  timer_: number;
  runs_: number;
  errors_: number;
  /** last and total run time, microseconds: whole numbers, which cost a JsVar less than fractions */
  lastUs_: number;
  totalUs_: number;
  /** movable tasks (placement) and singletons (leader) only: 2 placed here, 1 elsewhere (it does not run here); the node it runs on ("" none) */
  place_?: number;
  at_?: string;
  /** a singleton: it runs on the leader (leader.ts) */
  lead_?: number;
}

export const tasks: Task[] = [];
/** Microseconds spent in tasks since boot (and, with the health capability, in runs, datagrams and requests: charge()). */
export let busy = 0;

/** The health capability: fn(a, b, c), its time counted as busy (a datagram, a request, a run's steps, what the idle loop calls back). */
export function timed(fn: (a: any, b: any, c: any) => any, a?: any, b?: any, c?: any): any;
export function timed(): any {
  // (its arguments read from `arguments`: on the chip each declared parameter holds a JsVar for good)
  const start = ports.now_();
  try {
    return arguments[0](arguments[1], arguments[2], arguments[3]);
  } finally {
    busy += Math.round((ports.now_() - start) * 1000);
  }
}

export function find(name: string): Task | undefined {
  for (const t of tasks) if (t.name_ === name) return t;
  return undefined;
}

/** The interval callback: setInterval passes the task, so no closure per task. */
function run(t: Task): void {
  // (a movable task placed on another node does not run here: placement.ts)
  if (!t.enabled_ || (SPORE_CAPS.placement && t.place_ === 1)) return;
  const start = ports.now_();
  try {
    t.fn_();
    if (t.enabled_) t.enabled_ = 1;
  } catch (err) {
    t.errors_++;
    // a task that disabled itself stays so
    const off = t.enabled_ > 0 && ++t.enabled_ > TaskLimit.MaxErrors;
    if (off) t.enabled_ = 0;
    note("task/error", { task: t.name_, error: String((err as Error).message || err), disabled: off });
  }
  t.lastUs_ = Math.round((ports.now_() - start) * 1000);
  t.totalUs_ += t.lastUs_;
  t.runs_++;
  busy += t.lastUs_;
}

/** Applies a TaskAction to a task; false if there is no such task. */
function act(name: string, what: TaskAction): boolean {
  const t = find(name);
  if (!t) return false;
  if (what < TaskAction.Start) t.enabled_ = what ? 0 : 1; // Enable, Disable
  else if (what < TaskAction.Stop) t.timer_ = t.timer_ || ports.every_(run, t.interval_, t);
  else {
    if (t.timer_) ports.clear_(t.timer_);
    t.timer_ = 0;
  }
  return true;
}

/**
 * registerTask(name, intervalMs, fn, enabled = true, autoStart = true), or
 * registerTask(name, intervalMs, fn, {movable: true}): one node of the
 * cluster runs it (placement.ts), or {singleton: true}: the leader runs it
 * (leader.ts); a board without the capability registers it disabled. False if the name is taken or the interval is not positive.
 */
export function register(name: string, ms: number, fn: () => void, enabled?: boolean | { movable?: boolean; singleton?: boolean }, autoStart?: boolean): boolean {
  if (find(name) || !(ms > 0)) return false;
  // enabled when `enabled` is undefined or true: its text is "undefined" or "true", after "s", where "false" and
  // options' "[object Object]" come before (options, {movable: true}, leave it disabled: on a board that cannot
  // place it, it would run on every node, so it never runs; the shortest test: esp01 has no byte to spare)
  tasks.push({ name_: name, interval_: ms, fn_: fn, enabled_: +(enabled + "" > "s"), timer_: 0, runs_: 0, errors_: 0, lastUs_: 0, totalUs_: 0 });
  // the placement capability ({movable: true}) or the leader capability ({singleton: true}): enabled, placed on no
  // node until the next round of the probe task
  const o = enabled as { movable?: boolean; singleton?: boolean };
  if ((SPORE_CAPS.placement && o && o.movable) || (SPORE_CAPS.leader && o && o.singleton)) {
    const t = tasks[tasks.length - 1];
    t.enabled_ = 1;
    t.place_ = 1;
    t.at_ = "";
    if (SPORE_CAPS.leader && o.singleton) t.lead_ = 1;
  }
  return autoStart === false || act(name, TaskAction.Start);
}

export function setTaskInterval(name: string, ms: number): boolean {
  const t = find(name);
  if (!t || !(ms > 0)) return false;
  t.interval_ = ms;
  if (t.timer_) ports.change_(t.timer_, ms);
  return true;
}

/**
 * SPORE's TaskManager; the calls taking a name return false for an unknown
 * task. Built each time it is asked for (spore.tasks is a getter): kept, its
 * nine methods and their long names would cost about 70 JsVars on an ESP-01.
 */
export function taskManager() {
  return {
    registerTask: register,
    enableTask: (name: string) => act(name, TaskAction.Enable),
    disableTask: (name: string) => act(name, TaskAction.Disable),
    startTask: (name: string) => act(name, TaskAction.Start),
    stopTask: (name: string) => act(name, TaskAction.Stop),
    setTaskInterval: setTaskInterval,
    isTaskEnabled: (name: string): boolean => !!(find(name) || ({} as Task)).enabled_,
    getTaskInterval: (name: string): number => (find(name) || ({ interval_: 0 } as Task)).interval_,
    // a line per task, as GET /api/tasks/status gives it (boards with the control capability: tasks inspected and controlled by hand)
    printTaskStatus: SPORE_CAPS.control
      ? (): void => {
          for (const t of taskStatus().tasks) ports.log_(str(t));
        }
      : undefined,
  };
}

/** GET /api/tasks/status: the tasks, their counters and the node's. */
export function taskStatus() {
  const ts = [];
  let active = 0;
  for (const t of tasks) {
    if (t.enabled_ && t.timer_) active++;
    ts.push({ name: t.name_, interval: t.interval_, enabled: !!t.enabled_, running: !!t.timer_, runs: t.runs_, errors: t.errors_, lastMs: t.lastUs_ / 1000, avgMs: +(t.totalUs_ / (t.runs_ || 1) / 1000).toFixed(2) });
  }
  return { summary: { totalTasks: tasks.length, activeTasks: active, busyMs: busy / 1000 }, tasks: ts, system: { freeHeap: ports.heap_(), uptime: uptime() } };
}

/** POST /api/tasks/control: "" when done, else what was wrong. */
export function control(name: string, action: string, interval: string): string {
  // split here, not kept in a module-level array: it is garbage once answered (in TaskAction's order)
  const names = "enable|disable|start|stop";
  const what = names.split("|").indexOf(action);
  if (!find(name)) return "no task " + name;
  if (action !== "interval" && what < 0) return "action: " + names + "|interval";
  const ms = parseInt(interval, 10);
  if ((interval || what < 0) && !(ms >= 10 && ms <= 86400000 && String(ms) === interval)) return "interval: 10..86400000 ms";
  // "interval" is no TaskAction (what -1): it changes the interval only
  if (what >= 0) act(name, what);
  if (interval) setTaskInterval(name, ms);
  return "";
}

/** Uptime in seconds, for status answers. */
export function uptime(): number {
  return (now() / 1000) | 0;
}
