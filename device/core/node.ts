// A Spore node: wires membership, tasks, events and the HTTP API together.
import { endpoint, endpoints, error, handle, json, parseForm } from "./api.ts";
import type { Config } from "./config.ts";
import { C, host, me, now, O, setup, str, type HttpRequest, type HttpResponse, type Ports } from "./env.ts";
import { fire, isEventName, publish, recent } from "./events.ts";
import { macTail } from "./identity.ts";
import { begin, drops, dv, inc, ip, M, status, STATUS, tick, wifi, type Member } from "./members.ts";
import { busy, control, find, list, register, uptime } from "./tasks.ts";
import { b36 } from "./wire.ts";

/** Member details by details version: a JSON tail, or the time a fetch failed. */
const details: Record<string, string | number> = {};
let fetching = false;

/** Members by status: [ACTIVE, INACTIVE, DEAD]. */
export function counts(): number[] {
  const c = [0, 0, 0];
  for (const id in M) c[status(M[id])]++;
  return c;
}

/**
 * What others keep of a node's status: the JSON of its resources after
 * freeHeap and chipId, then api, board and version, so a member's entry is
 * built by concatenation ("...,"chipId":1,' + tail), never parsed. api is JSON.
 */
function detailsOf(s: any, api: string): string {
  return str({ sdkVersion: s.sdkVersion, cpuFreqMHz: s.cpuFreqMHz, flashChipSize: s.flashChipSize }).substr(1) + ',"api":' + api + "," + str({ board: s.board, version: s.version }).substr(1);
}

function ownDetails(): string {
  return detailsOf({ sdkVersion: O.sdk, cpuFreqMHz: O.mhz, flashChipSize: O.flash, board: SPORE_BOARD, version: SPORE_VERSION }, endpoints(api()));
}

/**
 * SPORE's node status shape, plus what tools need to tell nodes apart, as
 * JSON: its own fields, then this node's details as top-level fields (the
 * brace that closes a member's resources taken out). Joined with its api
 * list, it is the largest string a node builds and copies on its way out: on
 * boards with SPORE_LIMITS.stream it stops before the details, which the
 * response streams with ownPiece() (measured on the real interpreter, the
 * request then fits in 100 fewer JsVars).
 */
function nodeStatus(): string {
  const c = counts();
  const s = str({
    freeHeap: O.heap(),
    chipId: parseInt(me, 16),
    hostname: host,
    ip: ip,
    uptime: uptime(),
    freeJsVars: O.jsvars(),
    wifi: wifi,
    incarnation: inc,
    members: { ACTIVE: c[0], INACTIVE: c[1], DEAD: c[2] },
    drops: drops,
    boot: O.boot,
  });
  return s.substr(0, s.length - 1) + "," + (SPORE_LIMITS.stream ? "" : ownDetails().replace("},", ","));
}

/** This node's details as detailsOf() makes them, the j-th piece (undefined past the last): how the status and the member list stream them on boards with SPORE_LIMITS.stream. */
function ownPiece(j: number): string | undefined {
  if (!j) return str({ sdkVersion: O.sdk, cpuFreqMHz: O.mhz, flashChipSize: O.flash }).substr(1) + ',"api":[';
  const e = endpoint(api(), j - 1);
  if (e) return (j > 1 ? "," : "") + e;
  return j === 1 || endpoint(api(), j - 2) ? "]," + str({ board: SPORE_BOARD, version: SPORE_VERSION }).substr(1) : undefined;
}

/**
 * The member list after its opening, a piece per call, on boards with
 * SPORE_LIMITS.stream: each member's fields, then its details as they are
 * kept; this node's own (shared by members running what it runs) streamed by
 * ownPiece(), so its api list never exists whole.
 */
function memberPieces(ids: string[]): () => string | undefined {
  // the member being sent, and the piece of it: -1 its fields, then its details
  let k = 0;
  let j = -1;
  return () => {
    if (k >= ids.length) return k++ === ids.length ? "]}" : undefined;
    const id = ids[k];
    const m = M[id];
    const d = id === me || (m && m.d === dv) ? 1 : m && details[m.d];
    let p: string | undefined;
    // a member gone since the list began is skipped
    if (j < 0 && (m || id === me)) p = (k ? "," : "") + memberFields(id, m) + (d === 1 || typeof d === "string" ? "," : '},"api":[]}');
    else if (j >= 0 && d === 1) p = ownPiece(j);
    else if (!j && typeof d === "string") p = d;
    j++;
    if (p !== undefined) return p;
    k++;
    j = -1;
    return "";
  };
}

/** A member's own fields in /api/cluster/members (m undefined: this node), its resources left open for its details. */
function memberFields(id: string, m: Member | undefined): string {
  const j = str({
    hostname: "esp_" + id,
    ip: m ? m.a : ip,
    lastSeen: m ? now() - m.t : 0,
    latency: m ? m.l : 0,
    status: STATUS[m ? status(m) : 0],
    resources: { freeHeap: m ? m.h : O.heap(), chipId: parseInt(id, 16) },
  });
  return j.substr(0, j.length - 2);
}

/**
 * The details task: fetches /api/node/status from one member whose details
 * version is not known here (a failure is retried after 30 s). Keeps at most
 * detailTable versions, forgetting those no member has any more; while the
 * table is full of versions in use, a version not in it is not fetched (its
 * answer would have nowhere to go, and it was fetched again every run).
 */
function fetchDetails(): void {
  if (fetching) return;
  const t = now();
  for (const k of Object.keys(details)) {
    let used = 0;
    for (const id in M) if (M[id].d === +k) used = 1;
    if (!used) delete details[k];
  }
  for (const id in M) {
    const m = M[id];
    const key = m.d;
    const have = details[key];
    if (m.d === dv || typeof have === "string" || (have && t - have < 30000) || m.s || (!have && Object.keys(details).length >= SPORE_LIMITS.detailTable)) continue;
    // a fetch (a status answer received and parsed) needs room besides a request being served: it waits for it
    if (O.jsvars() < SPORE_LIMITS.minFree + 100) return;
    fetching = true;
    O.get(m.a, C.http, "/api/node/status", (err, body) => {
      fetching = false;
      let d: string | number = t;
      try {
        const s = err ? 0 : JSON.parse(body);
        if (s) d = detailsOf(s, str(s.api || []));
      } catch (e) {
        // a bad answer counts as a failed fetch
      }
      details[key] = d;
    });
    return;
  }
}

/** The node's API (see api.ts): answer() takes them in this order. */
function api(): string {
  return "GET node/status|GET cluster/members|GET tasks/status|POST tasks/control|GET events|POST events";
}

/** Answers one HTTP request. */
export function serve(req: HttpRequest): HttpResponse {
  return handle(api(), req, answer);
}

/** Answers the i-th endpoint of api(). */
function answer(i: number, req: HttpRequest): HttpResponse {
  // GET node/status
  if (!i) return SPORE_LIMITS.stream ? { code: 200, body: nodeStatus(), more: (n) => (n ? ownPiece(n) : ownPiece(0)!.replace("},", ",")) } : { code: 200, body: nodeStatus() };
  // GET cluster/members
  if (i === 1) {
    const ids = Object.keys(M);
    const own = SPORE_LIMITS.stream ? "" : ownDetails();
    let tail = "";
    ids.unshift(me);
    return {
      code: 200,
      body: '{"members":[',
      // two pieces per member, one per "drain": its fields, then its details
      // as they are kept (a member running what this node runs shares own;
      // others have theirs from the details table once fetched). Joined into
      // one string, copied on its way out, they run an ESP-01 out of JsVars.
      more: SPORE_LIMITS.stream ? memberPieces(ids) : (n) => {
        const k = n >> 1;
        const id = ids[k];
        const m = M[id];
        if (k >= ids.length) return n === k * 2 ? "]}" : undefined;
        if (n & 1) return tail;
        if (id !== me && !m) return (tail = "");
        const d = m && m.d !== dv ? details[m.d] : own;
        tail = typeof d === "string" ? d : "";
        return (k ? "," : "") + memberFields(id, m) + (tail ? "," : '},"api":[]}');
      },
    };
  }
  // GET tasks/status
  if (i === 2) {
    const ts = [];
    let active = 0;
    for (const t of list) {
      if (t.e && t.id) active++;
      ts.push({ name: t.n, interval: t.i, enabled: !!t.e, running: !!t.id, runs: t.r, errors: t.x, lastMs: t.l / 1000, avgMs: +(t.a / (t.r || 1) / 1000).toFixed(2) });
    }
    return json(200, { summary: { totalTasks: list.length, activeTasks: active, busyMs: busy / 1000 }, tasks: ts, system: { freeHeap: O.heap(), uptime: uptime() } });
  }
  // GET events
  if (i === 4) return { code: 200, body: '{"events":[' + recent.join(",") + "]}" };
  const f = parseForm(req.body);
  // POST tasks/control
  if (i === 3) {
    if (!f || !f.task || !(f.action || f.interval)) return error(400, "form: task, action, interval");
    const action = f.action || "interval";
    const problem = control(f.task, action, f.interval || "");
    if (problem) return error(problem.substr(0, 3) === "no " ? 404 : 400, problem);
    const t = find(f.task)!;
    return json(200, { success: true, message: "done", task: f.task, action: action, enabled: !!t.e, interval: t.i });
  }
  // POST events
  const scope = f && (f.scope || "local");
  let data = null;
  if (!f || !isEventName(f.name) || (scope !== "local" && scope !== "cluster")) return error(400, "form: name[, data, scope]");
  try {
    if (f.data) data = JSON.parse(f.data);
  } catch (e) {
    return error(400, "data is not JSON");
  }
  const problem = scope === "cluster" ? publish(f.name, data) : "";
  if (problem) return error(413, problem);
  if (scope === "local") fire(f.name, data);
  return json(200, { success: true, name: f.name, scope: scope });
}

/** Sets the node up and registers the engine's own tasks. */
export function start(ports: Ports, config: Config): void {
  setup(ports, config, macTail(ports.mac));
  begin(ports.boots, O.hash(ownDetails()) | 0);
  register("probe", C.prd / 2, tick);
  register("details", 2000, fetchDetails);
}
