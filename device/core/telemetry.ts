// What a node publishes as telemetry (boards with MQTT): load as the
// fraction of time spent in tasks since the last report, tasks running, free
// JsVars and heap, members by status, uptime, version, WiFi signal and the
// MQTT messages dropped while the broker was away.
import { now, ports, str } from "./env.ts";
import { counts } from "./members.ts";
import { busy, tasks, uptime } from "./tasks.ts";
import { jobs, JobsOp } from "./jobs.ts";
import { spoolStats } from "./spool.ts";
import { drops } from "./gossip.ts";
import { health, HealthOp } from "./health.ts";
import { adapt, AdaptOp } from "./adapt.ts";

let lastBusy = 0;
let lastAt = 0;

/** One telemetry message as JSON; `rssi` in dBm (0: not known); `dropped`: MQTT messages dropped so far (the client's queue was full). */
export function telemetry(rssi: number, dropped: number): string {
  const t = now();
  const load = lastAt && t > lastAt ? (busy - lastBusy) / 1000 / (t - lastAt) : 0;
  lastBusy = busy;
  lastAt = t;
  let running = 0;
  for (const t of tasks) if (t.enabled_ && t.timer_) running++;
  const c = counts();
  const o: any = {
    load: Math.round(load * 1000) / 1000,
    tasks: running,
    freeJsVars: ports.jsvars_(),
    freeHeap: ports.heap_(),
    members: { ACTIVE: c[0], INACTIVE: c[1], DEAD: c[2] },
    uptime: uptime(),
    version: SPORE_VERSION,
    rssi: rssi,
    dropped: dropped,
  };
  // the adaptive capability: the gossip mode and its parameters
  if (SPORE_CAPS.adaptive) o.gossip = adapt(AdaptOp.Status);
  // the health capability: load over its window, OVERLOADED and why, the queue, datagrams dropped
  if (SPORE_CAPS.health) {
    o.health = health(HealthOp.Status, drops);
    o.energy = health(HealthOp.Energy);
  }
  // the jobs capability: runs, errors, skipped triggers, the queue
  if (SPORE_CAPS.jobs) o.jobs = jobs(JobsOp.Summary);
  // the spool capability: messages waiting in Storage for the broker, and dropped from it when full
  if (SPORE_CAPS.spool) o.spool = spoolStats();
  return str(o);
}
