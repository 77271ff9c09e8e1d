// The stream capability (boards whose "capabilities" include "stream"): the
// node status and the member list sent a piece at a time, one per "drain",
// so this node's api list never exists whole. Measured on the real
// interpreter, a status request then fits in 100 fewer JsVars. The build
// leaves this module out of boards without it.
import { endpoint } from "./api.ts";
import { details, expanded, memberFields } from "./details.ts";
import { coreApi } from "./endpoints.ts";
import { ports, selfId, str } from "./env.ts";
import { detailsVersion } from "./gossip.ts";
import { members } from "./members.ts";

/** This node's details as detailsOf() makes them, the j-th piece (undefined past the last): how the status and the member list stream them on boards with the stream capability. */
export function ownPiece(j: number): string | undefined {
  if (!j) return str({ sdkVersion: ports.sdk_, cpuFreqMHz: ports.mhz_, flashChipSize: ports.flash_ }).substr(1) + ',"api":[';
  const e = endpoint(coreApi(), j - 1);
  if (e) return (j > 1 ? "," : "") + e;
  return j === 1 || endpoint(coreApi(), j - 2) ? "]," + str({ board: SPORE_BOARD, class: SPORE_CLASS, version: SPORE_VERSION }).substr(1) : undefined;
}

/**
 * The member list after its opening, a piece per call, on boards with the
 * stream capability: each member's fields, then its details as they are
 * kept; this node's own (shared by members running what it runs) streamed by
 * ownPiece(), so its api list never exists whole.
 */
export function memberPieces(ids: string[]): () => string | undefined {
  // the member being sent, and the piece of it: -1 its fields, then its details
  let k = 0;
  let j = -1;
  return () => {
    if (k >= ids.length) return k++ === ids.length ? "]}" : undefined;
    const id = ids[k];
    const m = members[id];
    const d = id === selfId || (m && m.details_ === detailsVersion) ? 1 : m && details[m.details_];
    let p: string | undefined;
    // a member gone since the list began is skipped
    if (j < 0 && (m || id === selfId)) p = (k ? "," : "") + memberFields(id, m) + (d === 1 || typeof d === "string" ? "," : '},"api":[]}');
    else if (j >= 0 && d === 1) p = ownPiece(j);
    else if (!j && typeof d === "string") p = expanded(d);
    j++;
    if (p !== undefined) return p;
    k++;
    j = -1;
    return "";
  };
}

