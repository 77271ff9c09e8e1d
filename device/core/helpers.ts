// Members that work for this node: the helpers a ping request goes to (probe.ts)
// and the members a cluster event is forwarded to (cluster-events.ts). A
// member of a minimal board (an esp01) has no relay capability: it relays no
// ping request and forwards no event, so one chosen as a helper is a helper
// lost (at 10% loss, the false INACTIVE reports of 200 nodes grew fourfold
// when esp01 stopped relaying). Boards with the details capability know each
// member's class from its details and pass minimal ones over; an esp01
// fetches no details, and picks among all.
import { details } from "./details.ts";
import { random } from "./env.ts";
import { members } from "./members.ts";

/** Up to k random unsuspected member ids other than not, not of a minimal board where this node knows. */
export function pick(k: number, not: string): string[] {
  const ids: string[] = [];
  for (const id in members) {
    const m = members[id];
    if (id !== not && !m.suspected_ && !(SPORE_CAPS.details && ("" + details[m.details_]).indexOf('"class":"minimal"') >= 0)) ids.push(id);
  }
  while (ids.length > k) ids.splice(random(ids.length), 1);
  return ids;
}
