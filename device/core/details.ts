// Member details: what a node tells of itself beyond membership (its chip,
// api list, board, class and version), served in its status and fetched by
// the others when a member's details version is new to them, then kept per
// version (a member running what this node runs shares its own).
import { endpoints, expand } from "./api.ts";
import { coreApi } from "./endpoints.ts";
import { config, now, ports, parseJson, str, HOST_PREFIX } from "./env.ts";
import { health, HealthOp } from "./health.ts";
import { leader } from "./leader.ts";
import { detailsVersion, ownIp } from "./gossip.ts";
import { members, status, statusName, type Member } from "./members.ts";

/**
 * Member details by details version: a JSON tail, or the time a fetch
 * failed. The tail's api list is kept as the node's own list is written,
 * "METHOD path|..." between two \x01 (about half the JSON's length: on an
 * esp8266 holding an esp32's details, 50 JsVars less), and written out as
 * JSON when it is served (expanded()).
 */
export const details: Record<string, string | number> = {};
let fetching = false;

/**
 * What others keep of a node's status: the JSON of its resources after
 * freeHeap and chipId, then api, board, class and version, so a member's
 * entry is built by concatenation ("...,"chipId":1,' + tail), never parsed.
 * r is {sdkVersion, cpuFreqMHz, flashChipSize}, api JSON, b {board, class,
 * version} (three parameters, not seven: each costs a JsVar for good).
 */
function detailsOf(r: object, api: string, b: object): string {
  return str(r).substr(1) + ',"api":' + api + "," + str(b).substr(1);
}

/** A kept details tail as served: its api list written out as JSON. */
export function expanded(d: string): string {
  const i = d.indexOf("\x01");
  const j = d.indexOf("\x01", i + 1);
  return i < 0 ? d : d.substr(0, i) + expand(d.substring(i + 1, j)) + d.substr(j + 1);
}

export function ownDetails(): string {
  return detailsOf({ sdkVersion: ports.sdk_, cpuFreqMHz: ports.mhz_, flashChipSize: ports.flash_ }, endpoints(coreApi()), { board: SPORE_BOARD, class: SPORE_CLASS, version: SPORE_VERSION });
}

/** A member's own fields in /api/cluster/members (m undefined: this node), its resources left open for its details. */
export function memberFields(id: string, m: Member | undefined): string {
  const j = str({
    hostname: HOST_PREFIX + id,
    ip: m ? m.address_ : ownIp,
    lastSeen: m ? now() - m.aliveAt_ : 0,
    latency: m ? m.latency_ : 0,
    status: statusName(m ? status(m) : 0),
    resources: { freeHeap: m ? m.heap_ : ports.heap_(), chipId: parseInt(id, 16) },
  });
  // the health capability: its summary as gossip brought it (this node's own now), null until known; before
  // resources, which the caller goes on writing (written in here: a property of undefined costs esp01 bytes)
  // (and, with the leader capability, "leader": true on the leader's entry)
  if (SPORE_CAPS.health) return j.replace('"resources"', (SPORE_CAPS.leader && leader() === id ? '"leader":true,' : "") + '"health":' + str(!m ? health(HealthOp.Unpack, health(HealthOp.Packed)) : m.health_! >= 0 ? health(HealthOp.Unpack, m.health_!) : null) + ',"resources"').slice(0, -2);
  return j.substr(0, j.length - 2);
}

/**
 * The details task: fetches /api/node/status from one member whose details
 * version is not known here (a failure is retried after 30 s). Keeps at most
 * detailTable versions, forgetting those no member has any more; while the
 * table is full of versions in use, a version not in it is not fetched (its
 * answer would have nowhere to go, and it was fetched again every run).
 */
export function fetchDetails(): void {
  if (fetching) return;
  const t = now();
  for (const k of Object.keys(details)) {
    let used = 0;
    for (const id in members) if (members[id].details_ === +k) used = 1;
    if (!used) delete details[k];
  }
  for (const id in members) {
    const m = members[id];
    const key = m.details_;
    const have = details[key];
    if (key === detailsVersion || typeof have === "string" || (have && t - have < 30000) || m.suspected_ || (!have && Object.keys(details).length >= SPORE_LIMITS.detailTable)) continue;
    // a fetch (a status answer received and parsed) needs room besides a request being served: it waits for it
    if (ports.jsvars_() < SPORE_LIMITS.minFree + 100) return;
    fetching = true;
    ports.get_!(m.address_, config.http, "/api/node/status", (err, body) => {
      fetching = false;
      let d: string | number = t;
      try {
        const s = err ? 0 : parseJson(body);
        // (the api list's entries "/api/<path>" and a method, as "METHOD path"; others left out)
        let api = "";
        for (const e of s ? s.api || [] : []) if (e && typeof e.method === "string" && typeof e.uri === "string" && e.uri.substr(0, 5) === "/api/" && /^[^|\x01"\\ ]+$/.test(e.method + e.uri)) api += (api ? "|" : "") + e.method + " " + e.uri.substr(5);
        if (s) d = detailsOf({ sdkVersion: s.sdkVersion, cpuFreqMHz: s.cpuFreqMHz, flashChipSize: s.flashChipSize }, "\x01" + api + "\x01", { board: s.board, class: s.class, version: s.version });
        // more than a member's details take (565 characters on an esp8266, 882 on an esp32 with the services and jobs APIs) counts as a failed fetch: kept, it would hold JsVars
        if ((d as string).length > 1024) d = t;
      } catch (e) {
        // a bad answer counts as a failed fetch
      }
      details[key] = d;
    });
    return;
  }
}

