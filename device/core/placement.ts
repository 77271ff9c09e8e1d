// The placement capability: movable tasks, each run by exactly one node of
// the cluster, placed by every node from the same gossiped view with no
// coordinator.
//
// A movable task (spore.tasks.registerTask(name, ms, fn, {movable: true}))
// exists on every node that registers it; it runs where rendezvous hashing
// puts it: of the nodes eligible for it, the one with the highest
// CRC32(name + "/" + id) (ties: the higher id). A node is eligible when, as
// this node has seen it continuously for config.pdw seconds (30), it is
// ACTIVE, its health summary says it takes movable tasks (health.ts: nodes
// with this capability) and it is not OVERLOADED; this node itself the same
// way, counted from its first round of placement. So when the node running a task
// dies (INACTIVE everywhere within the failure detection time) or becomes
// OVERLOADED (known everywhere within the gossip's convergence), every node
// places the task on the next one at the same moment, give or take that
// convergence; when it comes back it takes the task again only after pdw
// seconds of being eligible (the dwell: no flapping on a node that recovers
// and falls back). Every node notes each move (task/moved, with where it
// was, where it goes and why).
//
// The guarantee: once every node's view agrees (membership, health, the
// dwell), one node runs each movable task. Views differ for the gossip's
// convergence time after a change, and may then run it twice or not at all.
// A partition: each side places it among its own (both sides run it once);
// after the partition heals both go on until the dwell has passed for the
// members they see again. A node registering a movable task on its own runs
// it. Nodes without the capability (esp01, and esp8266 unless the project
// turns it on) refuse movable tasks and are never eligible.
import { config, now, ports, selfId, HOST_PREFIX } from "./env.ts";
import { note } from "./events.ts";
import { flags, health, HealthOp } from "./health.ts";
import { members, status, Status } from "./members.ts";
import { tasks } from "./tasks.ts";

/** A member's eligibility, as this node sees it: ms since boot it became so (-1: it is not). */
const okSince: Record<string, number> = {};

/** Why node `id` (this node's own included) is not eligible now: "" when it is. */
function unfit(id: string): string {
  const m = members[id];
  const h = id === selfId ? health(HealthOp.Packed) : m && m.health_;
  return id !== selfId && (!m || status(m) !== Status.Active) ? "not ACTIVE" : h === undefined || !(flags(h) & 1) ? "takes no movable tasks" : flags(h) & 4 ? "OVERLOADED" : !(okSince[id] >= 0) || now() - okSince[id] < config.pdw! * 1000 ? "dwell" : "";
}

/** The rendezvous score of task `name` on node `id`. */
function score(name: string, id: string): number {
  return ports.hash_(name + "/" + id) >>> 0;
}

/**
 * Where task `name` runs: the eligible node of highest score ("" none); the
 * nodes passed over on the way, with why; and whether one of those is in its
 * dwell (it will take the task once the dwell has passed: meanwhile no node
 * below it starts the task, and one already running it goes on).
 */
export function place(name: string): { at: string; passed: string[]; wait: boolean } {
  // [score, id], highest score first: the first eligible one is the place
  const ids = Object.keys(members);
  ids.push(selfId);
  const ranked = ids.map((id) => [score(name, id), id] as [number, string]);
  ranked.sort((a, b) => b[0] - a[0] || (a[1] < b[1] ? 1 : -1));
  const passed: string[] = [];
  let wait = false;
  for (const r of ranked) {
    const why = unfit(r[1]);
    if (!why) return { at: r[1], passed: passed, wait: wait };
    if (why === "dwell") wait = true;
    passed.push(HOST_PREFIX + r[1] + " " + why);
  }
  return { at: "", passed: passed, wait: false };
}

/**
 * From the probe task, each round: members' eligibility brought up to date
 * (the dwell counts from when each became so), then each movable task placed
 * (Task.place_: 2 here, 1 elsewhere), a move noted.
 */
export function placeTasks(): void {
  const t = now();
  // (this node's own dwell counted as the others': from the same first round, so that a node that has just
  // booted does not find itself the only one eligible and run every task)
  const ids = Object.keys(members);
  ids.push(selfId);
  for (const id of ids) {
    const m = members[id];
    const h = id === selfId ? health(HealthOp.Packed) : m.health_;
    const ok = (id === selfId || status(m) === Status.Active) && h !== undefined && flags(h) % 8 === 1 /* takes movable tasks, not OVERLOADED (the lead flag, 8, aside) */;
    if (!ok) delete okSince[id];
    else if (!(okSince[id] >= 0)) okSince[id] = t;
  }
  for (const k of Object.keys(okSince)) if (!members[k] && k !== selfId) delete okSince[k];
  for (const task of tasks) {
    if (!task.place_ || task.lead_) continue;
    const p = place(task.name_);
    // the place, unless a node above it is in its dwell and the task is not there already (no node starts it then)
    const at = !p.wait || p.at === task.at_ ? p.at : "";
    const here = at === selfId;
    if (at === task.at_) continue;
    note("task/moved", { task: task.name_, from: task.at_ ? HOST_PREFIX + task.at_ : "", to: at ? HOST_PREFIX + at : "", why: p.passed.join(", ") || "placed" });
    task.at_ = at;
    task.place_ = here ? 2 : 1;
  }
}

/** GET /api/cluster/placement: each movable task registered here, where it runs and why. */
export function placement(): { tasks: { task: string; node: string; here: boolean; passed: string[] }[]; dwell: number } {
  const out = [];
  for (const task of tasks) {
    if (!task.place_ || task.lead_) continue;
    // where the last round placed it, and what is passed over now
    out.push({ task: task.name_, node: task.at_ ? HOST_PREFIX + task.at_ : "", here: task.place_ === 2, passed: place(task.name_).passed });
  }
  return { tasks: out, dwell: config.pdw! };
}
