// A cooperative task manager with SPORE's interface, built on setInterval.
// A task is "enabled" (its function runs on each tick) and "running" (its
// interval timer exists). A throwing task never stops the node; one that
// throws K.MaxErrors (5) times in a row is disabled and a task/error event says so.
import { now, O } from "./env.ts";
import { note } from "./events.ts";

/** Errors in a row that disable a task (const enum: no JsVar, see wire.ts). */
const enum K {
  MaxErrors = 5,
}

export interface Task {
  /** name, interval ms, function */
  n: string;
  i: number;
  f: () => void;
  /**
   * 0 disabled; enabled, 1 plus its errors in a row (one property, not two:
   * each costs a JsVar per task on the chip)
   */
  e: number;
  /** timer id, 0 when stopped */
  id: number;
  /** runs, errors */
  r: number;
  x: number;
  /** last and total run time, microseconds: whole numbers, which cost a JsVar less than fractions */
  l: number;
  a: number;
}

export const list: Task[] = [];
/** Microseconds spent in tasks since boot. */
export let busy = 0;

export function find(name: string): Task | undefined {
  for (const t of list) if (t.n === name) return t;
  return undefined;
}

/** The interval callback: setInterval passes the task, so no closure per task. */
function run(t: Task): void {
  if (!t.e) return;
  const start = O.now();
  try {
    t.f();
    if (t.e) t.e = 1;
  } catch (err) {
    t.x++;
    // a task that disabled itself stays so
    const off = t.e > 0 && ++t.e > K.MaxErrors;
    if (off) t.e = 0;
    note("task/error", { task: t.n, error: String((err as Error).message || err), disabled: off });
  }
  t.l = Math.round((O.now() - start) * 1000);
  t.a += t.l;
  t.r++;
  busy += t.l;
}

/** Applies enable (0), disable, start or stop (3) to a task; false if there is no such task. */
function act(name: string, what: number): boolean {
  const t = find(name);
  if (!t) return false;
  if (what < 2) t.e = what ? 0 : 1;
  else if (what < 3) t.id = t.id || O.every(run, t.i, t);
  else {
    if (t.id) O.clear(t.id);
    t.id = 0;
  }
  return true;
}

/** registerTask(name, intervalMs, fn, enabled = true, autoStart = true): false if the name is taken or the interval is not positive. */
export function register(name: string, ms: number, fn: () => void, enabled?: boolean, autoStart?: boolean): boolean {
  if (find(name) || !(ms > 0)) return false;
  list.push({ n: name, i: ms, f: fn, e: enabled === false ? 0 : 1, id: 0, r: 0, x: 0, l: 0, a: 0 });
  return autoStart === false || act(name, 2);
}

function setTaskInterval(name: string, ms: number): boolean {
  const t = find(name);
  if (!t || !(ms > 0)) return false;
  t.i = ms;
  if (t.id) O.change(t.id, ms);
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
    enableTask: (name: string) => act(name, 0),
    disableTask: (name: string) => act(name, 1),
    startTask: (name: string) => act(name, 2),
    stopTask: (name: string) => act(name, 3),
    setTaskInterval: setTaskInterval,
    isTaskEnabled: (name: string): boolean => !!(find(name) || ({} as Task)).e,
    getTaskInterval: (name: string): number => (find(name) || ({ i: 0 } as Task)).i,
    printTaskStatus: (): void => {
      O.log("task ms on running runs errors avg");
      for (const t of list) O.log([t.n, t.i, !!t.e, !!t.id, t.r, t.x, (t.a / (t.r || 1) / 1000).toFixed(1)].join(" "));
    },
  };
}

/** POST /api/tasks/control: "" when done, else what was wrong. */
export function control(name: string, action: string, interval: string): string {
  // split here, not kept in a module-level array: it is garbage once answered
  const names = "enable|disable|start|stop";
  const what = names.split("|").indexOf(action);
  if (!find(name)) return "no task " + name;
  if (action !== "interval" && what < 0) return "action: " + names + "|interval";
  const ms = parseInt(interval, 10);
  if ((interval || what < 0) && !(ms >= 10 && ms <= 86400000 && String(ms) === interval)) return "interval: 10..86400000 ms";
  act(name, what);
  if (interval) setTaskInterval(name, ms);
  return "";
}

/** Uptime in seconds, for status answers. */
export function uptime(): number {
  return (now() / 1000) | 0;
}
