// A Spore node: wires membership, tasks, events and the HTTP API together.
import { add, endpoints, error, json, parseForm } from "./api.ts";
import type { Config } from "./config.ts";
import { C, host, me, now, O, setup, str, type Ports } from "./env.ts";
import { fire, isEventName, publish, recent } from "./events.ts";
import { macTail } from "./identity.ts";
import { announce, check, drops, inc, ip, M, online, setDetailsVersion, status, STATUS, tick, type Member } from "./members.ts";
import { busy, control, list, tasks, uptime } from "./tasks.ts";
import { b36 } from "./wire.ts";

/** "sta" on the configured network, "ap" serving its own access point, "" before either. */
export let wifi = "";
/** Member details by details version (base 36): a JSON tail, or the time a fetch failed. */
const details: Record<string, string | number> = {};
let fetching = false;

/** The station is up (ip and subnet broadcast) or down (mode "ap" or ""). */
export function network(mode: string, address: string, broadcast: string): void {
  wifi = mode;
  online(address, broadcast);
}

/** Members by status: [ACTIVE, INACTIVE, DEAD]. */
function counts(): number[] {
  const c = [0, 0, 0];
  for (const id in M) c[status(M[id])]++;
  return c;
}

/** What others keep of a node's status (its JSON without the volatile fields). */
function detailsOf(s: any): string {
  return str({ resources: { sdkVersion: s.sdkVersion, cpuFreqMHz: s.cpuFreqMHz, flashChipSize: s.flashChipSize }, api: s.api, board: s.board, version: s.version });
}

/** SPORE's node status shape, plus what tools need to tell nodes apart. */
function nodeStatus(): any {
  const c = counts();
  return {
    freeHeap: O.heap(),
    chipId: parseInt(me, 16),
    sdkVersion: O.sdk,
    cpuFreqMHz: O.mhz,
    flashChipSize: O.flash,
    hostname: host,
    ip: ip,
    board: O.board,
    version: O.version,
    uptime: uptime(),
    freeJsVars: O.jsvars(),
    wifi: wifi,
    incarnation: inc,
    members: { ACTIVE: c[0], INACTIVE: c[1], DEAD: c[2] },
    drops: drops,
    api: endpoints(),
  };
}

/** One member of /api/cluster/members as JSON (m undefined: this node). */
function memberJson(id: string, m?: Member): string {
  const tail = m ? details[b36(m.d)] : detailsOf(nodeStatus());
  const r = typeof tail === "string" ? JSON.parse(tail) : { resources: {}, api: [] };
  r.hostname = "esp_" + id;
  r.ip = m ? m.a : ip;
  r.lastSeen = m ? now() - m.t : 0;
  r.latency = m ? m.l : 0;
  r.status = STATUS[m ? status(m) : 0];
  r.resources.freeHeap = m ? m.h : O.heap();
  r.resources.chipId = parseInt(id, 16);
  return str(r);
}

/**
 * The details task: fetches /api/node/status from one member whose details
 * version is not known here (a failure is retried after 30 s). Keeps at most
 * detailTable versions, forgetting those no member has any more.
 */
function fetchDetails(): void {
  if (fetching) return;
  const t = now();
  for (const id in M) {
    const m = M[id];
    const key = b36(m.d);
    const have = details[key];
    if (typeof have === "string" || (have && t - have < 30000) || m.s) continue;
    fetching = true;
    O.get(m.a, C.http, "/api/node/status", (err, body) => {
      fetching = false;
      let d: string | number = t;
      try {
        if (!err) d = detailsOf(JSON.parse(body));
      } catch (e) {
        // a bad answer counts as a failed fetch
      }
      // forget versions no member has any more, keep at most detailTable
      for (const k of Object.keys(details)) {
        let used = 0;
        for (const id in M) if (b36(M[id].d) === k) used = 1;
        if (!used) delete details[k];
      }
      if (Object.keys(details).length < SPORE_LIMITS.detailTable) details[key] = d;
    });
    return;
  }
}

/** Registers the HTTP API and the engine's own tasks. */
export function start(ports: Ports, config: Config): void {
  setup(ports, config, macTail(ports.mac));
  add("GET", "node/status", () => json(200, nodeStatus()));
  add("GET", "cluster/members", () => {
    const ids = Object.keys(M);
    return {
      code: 200,
      body: '{"members":[' + memberJson(me),
      // one member per piece, so a large table is never one large string
      more: (i) => (i < ids.length ? (M[ids[i]] ? "," + memberJson(ids[i], M[ids[i]]) : "") : i === ids.length ? "]}" : undefined),
    };
  });
  add("POST", "node/restart", () => {
    const r = json(200, { success: true, message: "restarting" });
    r.after = O.restart;
    return r;
  });
  add("GET", "tasks/status", () => {
    const ts = [];
    let active = 0;
    for (const t of list) {
      if (t.e && t.id) active++;
      ts.push({ name: t.n, interval: t.i, enabled: t.e, running: !!t.id, runs: t.r, errors: t.x, lastMs: t.l, avgMs: +t.a.toFixed(2) });
    }
    return json(200, { summary: { totalTasks: list.length, activeTasks: active, busyMs: busy }, tasks: ts, system: { freeHeap: O.heap(), uptime: uptime() } });
  });
  add("POST", "tasks/control", (req) => {
    const f = parseForm(req.body);
    if (!f || !f.task || !(f.action || f.interval)) return error(400, "form: task=<name>&action=<action>[&interval=<ms>]");
    const action = f.action || "interval";
    const problem = control(f.task, action, f.interval || "");
    if (problem) return error(problem.substr(0, 3) === "no " ? 404 : 400, problem);
    return json(200, { success: true, message: "done", task: f.task, action: action, enabled: tasks.isTaskEnabled(f.task), interval: tasks.getTaskInterval(f.task) });
  });
  add("GET", "events", () => {
    return json(200, { events: recent });
  });
  add("POST", "events", (req) => {
    const f = parseForm(req.body);
    let data = null;
    if (!f || !isEventName(f.name) || (f.scope && f.scope !== "local" && f.scope !== "cluster")) return error(400, "form: name=<event>[&data=<JSON>][&scope=cluster]");
    try {
      if (f.data) data = JSON.parse(f.data);
    } catch (e) {
      return error(400, "data is not JSON");
    }
    const problem = f.scope === "cluster" ? publish(f.name, data) : "";
    if (problem) return error(413, problem);
    if (f.scope !== "cluster") fire(f.name, data);
    return json(200, { success: true, name: f.name, scope: f.scope || "local" });
  });
  setDetailsVersion(O.hash(detailsOf(nodeStatus())) >>> 0);
  tasks.registerTask("probe", C.prd / 2, tick);
  tasks.registerTask("discovery", 1000, announce);
  tasks.registerTask("members", 1000, check);
  tasks.registerTask("details", 2000, fetchDetails);
  tasks.registerTask("status", 60000, () => {
    O.log(host + " " + wifi + " members " + counts() + " free " + O.jsvars());
  });
}
