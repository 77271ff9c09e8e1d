// A Spore node: wires membership, tasks, events and the HTTP API together.
import { error, handle, json, parseForm } from "./api.ts";
import { publish } from "./cluster-events.ts";
import { details, expanded, fetchDetails, memberFields, ownDetails } from "./details.ts";
import { coreApi, Endpoint } from "./endpoints.ts";
import { config, hostname, now, ports, selfId, setup, parseJson, str, type HttpRequest, type HttpResponse, type Ports } from "./env.ts";
import { fire, isEventName, recent } from "./events.ts";
import { begin, detailsVersion, drops, incarnation, ownIp, wifiMode } from "./gossip.ts";
import { health, HealthOp } from "./health.ts";
import { adapt, AdaptOp } from "./adapt.ts";
import { placement } from "./placement.ts";
import { leaderStatus } from "./leader.ts";
import { macTail } from "./identity.ts";
import type { Config } from "./layout.ts";
import { macFill, macKey } from "./mac.ts";
import { counts, members } from "./members.ts";
import { beginProbes, tick } from "./probe.ts";
import { rotate } from "./rotate.ts";
import { setConfig, showConfig } from "./settings.ts";
import { Op, services } from "./services.ts";
import { jobs, JobsOp } from "./jobs.ts";
import { spoolStats } from "./spool.ts";
import { memberPieces, ownPiece } from "./stream.ts";
import { control, find, register, taskStatus, timed, uptime } from "./tasks.ts";

/**
 * SPORE's node status shape, plus what tools need to tell nodes apart, as
 * JSON: its own fields, then this node's details as top-level fields (the
 * brace that closes a member's resources taken out). Joined with its api
 * list, it is the largest string a node builds and copies on its way out: on
 * boards with the stream capability it stops before the details, which the
 * response streams with ownPiece() (measured on the real interpreter, the
 * request then fits in 100 fewer JsVars).
 */
function nodeStatus(): string {
  const c = counts();
  const s = str({
    freeHeap: ports.heap_(),
    chipId: parseInt(selfId, 16),
    hostname: hostname,
    ip: ownIp,
    uptime: uptime(),
    freeJsVars: ports.jsvars_(),
    wifi: wifiMode,
    incarnation: incarnation,
    members: { ACTIVE: c[0], INACTIVE: c[1], DEAD: c[2] },
    drops: drops,
    boot: ports.boot_,
  });
  // the jobs capability's figures written in here: a property set to undefined in the object above costs esp01 bytes
  return s.substr(0, s.length - 1) + (SPORE_CAPS.health ? ',"health":' + str(health(HealthOp.Status, drops)) + ',"energy":' + str(health(HealthOp.Energy)) : "") + (SPORE_CAPS.adaptive ? ',"gossip":' + str(adapt(AdaptOp.Status)) : "") + (SPORE_CAPS.jobs ? ',"jobs":' + str(jobs(JobsOp.Summary)) : "") + (SPORE_CAPS.spool ? ',"spool":' + str(spoolStats()) : "") + "," + (SPORE_CAPS.stream ? "" : ownDetails().replace("},", ","));
}

/** Answers one HTTP request. */
export function serve(req: HttpRequest): HttpResponse {
  // (the health capability: the time it takes counted as busy)
  return SPORE_CAPS.health ? timed(handle, coreApi(), req, answer) : handle(coreApi(), req, answer);
}

/** Answers the endpoint named `name` (a branch for each of coreApi()); undefined for a name it has no branch for. */
function answer(name: string, req: HttpRequest): HttpResponse | undefined {
  if (name === Endpoint.NodeStatus) return SPORE_CAPS.stream ? { code_: 200, body_: nodeStatus(), more_: (n) => (n ? ownPiece(n) : ownPiece(0)!.replace("},", ",")) } : { code_: 200, body_: nodeStatus() };
  if (name === Endpoint.Members) {
    const ids = Object.keys(members);
    const own = SPORE_CAPS.stream ? "" : ownDetails();
    let tail = "";
    ids.unshift(selfId);
    return {
      code_: 200,
      body_: '{"members":[',
      // two pieces per member, one per "drain": its fields, then its details
      // as they are kept (a member running what this node runs shares own;
      // others have theirs from the details table once fetched). Joined into
      // one string, copied on its way out, they run an ESP-01 out of JsVars.
      more_: SPORE_CAPS.stream ? memberPieces(ids) : (n) => {
        const k = n >> 1;
        const id = ids[k];
        const m = members[id];
        if (k >= ids.length) return n === k * 2 ? "]}" : undefined;
        if (n & 1) return tail;
        if (id !== selfId && !m) return (tail = "");
        const d = m && m.details_ !== detailsVersion ? SPORE_CAPS.details && details[m.details_] : own;
        tail = typeof d === "string" ? (SPORE_CAPS.details && d !== own ? expanded(d) : d) : "";
        return (k ? "," : "") + memberFields(id, m) + (tail ? "," : '},"api":[]}');
      },
    };
  }
  if (name === Endpoint.TaskStatus) return json(200, taskStatus());
  if (SPORE_CAPS.control && name === Endpoint.Config) return showConfig();
  if (SPORE_CAPS.services && name === Endpoint.Services) return { code_: 200, body_: services(Op.List) };
  if (SPORE_CAPS.placement && name === Endpoint.Placement) return { code_: 200, body_: str(placement()) };
  if (SPORE_CAPS.leader && name === Endpoint.Leader) return { code_: 200, body_: str(leaderStatus()) };
  if (SPORE_CAPS.jobs && (name.indexOf(" jobs") > 0 || name.indexOf(" kv") > 0)) return jobs(JobsOp.Api, name, req, req.key_ || "");
  if (name === Endpoint.Events) return { code_: 200, body_: '{"events":[' + recent.join(",") + "]}" };
  const f = parseForm(req.body_);
  if (name === Endpoint.Key) return rotate(f);
  if (SPORE_CAPS.control && name === Endpoint.TaskControl) {
    if (!f || !f.task || !(f.action || f.interval)) return error(400, "form: task, action, interval");
    const action = f.action || "interval";
    const problem = control(f.task, action, f.interval || "");
    if (problem) return error(problem.substr(0, 3) === "no " ? 404 : 400, problem);
    const t = find(f.task)!;
    return json(200, { success: true, message: "done", task: f.task, action: action, enabled: !!t.enabled_, interval: t.interval_ });
  }
  if (SPORE_CAPS.control && name === Endpoint.SetConfig) return setConfig(f);
  if (SPORE_CAPS.services && name === Endpoint.ServiceCall) return callFor(f);
  if (name !== Endpoint.PublishEvent) return undefined;
  const scope = f && (f.scope || "local");
  let data = null;
  if (!f || !isEventName(f.name) || (scope !== "local" && scope !== "cluster")) return error(400, "form: name[, data, scope]");
  try {
    // (the check as for a cluster event: not on esp01, whose requests here all come with the secret)
    if (f.data) data = SPORE_CLASS === "minimal" ? JSON.parse(f.data) : parseJson(f.data);
  } catch (e) {
    return error(400, "data is not JSON");
  }
  const problem = scope === "cluster" ? publish(f.name, data) : "";
  if (problem) return error(413, problem);
  if (scope === "local") fire(f.name, data);
  return json(200, { success: true, name: f.name, scope: scope });
}

/**
 * POST /api/services/call (form: service, args JSON, timeout, retries,
 * version): the call made from this node, answered when it ends: 200
 * {service, result, from, ms}, 400 bad input, 502 the handler's error, 503
 * no provider (or too many calls in flight), 504 no answer in time.
 */
function callFor(f: Record<string, string> | null): HttpResponse {
  let args = null;
  try {
    if (f && f.args) args = parseJson(f.args);
  } catch (e) {
    return error(400, "args are not JSON");
  }
  if (!f || !f.service) return error(400, "form: service[, args, timeout, retries, version]");
  const n = (k: string) => (f[k] ? +f[k] : undefined);
  return {
    code_: 0,
    body_: "",
    wait_: (done) => {
      const t = now();
      const why: string = services(
        Op.Call,
        f.service,
        args,
        (err: string | null, result: any, from: string) => done(err ? error(err.indexOf("no provider") === 0 ? 503 : err.indexOf("timeout:") === 0 ? 504 : 502, err) : json(200, { service: f.service, result: result, from: from, ms: now() - t })),
        { timeout: n("timeout"), retries: n("retries"), version: n("version") },
      );
      if (why) done(error(why.indexOf("busy") === 0 ? 503 : 400, why));
    },
  };
}

/** Sets the node up and registers the engine's own tasks. */
export function start(platform: Ports, stored: Config): void {
  setup(platform, stored, macTail(platform.mac_));
  // the MAC's arrays a part at a time, from the idle loop: at once, about 0.3 s under qemu
  macKey(stored.key, platform.words_, platform.dot_);
  const fill = () => macFill(ports.keep_) && ports.later_(fill, 0, 0);
  fill();
  begin(platform.boots_, ports.hash_(ownDetails()) | 0);
  beginProbes();
  register("probe", config.prd / 2, tick);
  if (SPORE_CAPS.details) register("details", 2000, fetchDetails);
}
