// Cluster-wide events. One goes out as a subnet broadcast; each node that
// receives it for the first time delivers it on its local bus (events.ts)
// and forwards it to Spread.Fanout random members, up to Spread.Hops hops,
// so it reaches every live node even when the broadcast is lost somewhere;
// duplicates are dropped by origin and id.
import { b36, HOST_PREFIX, selfId, parseJson, str } from "./env.ts";
import { fire, isEventName } from "./events.ts";
import { broadcast, drop, incarnation, send } from "./gossip.ts";
import { pick } from "./helpers.ts";
import { members } from "./members.ts";
import { Drop, isId, MessageType, n36, MALFORMED, Wire } from "./wire.ts";

/** How far a cluster event is forwarded, and to how many members each time; cluster events remembered (const enum: no JsVars). */
const enum Spread {
  Hops = 2,
  Fanout = 2,
  Remembered = 16,
}

/** Keys "origin.id" of cluster events already delivered, oldest first. */
const seen: string[] = [];
let eventId = 0;

/** True the first time a cluster event key is seen. */
function first(key: string): boolean {
  const fresh = seen.indexOf(key) < 0;
  // (push gives the new length)
  if (fresh && seen.push(key) > Spread.Remembered) seen.shift();
  return fresh;
}

function forward(arg: string, not: string): void {
  for (const id of pick(Spread.Fanout, not)) send(MessageType.ClusterEvent, arg, members[id].address_);
}

/** Fires an event on every live node, this one included. Returns "" or why it cannot be sent. */
export function publish(name: string, data: any): string {
  if (!isEventName(name)) return "bad event name";
  // numbered on from this boot's incarnation: peers remember the keys of a previous boot's events
  eventId = (eventId || incarnation) + 1;
  const key = selfId + "." + b36(eventId);
  const arg = key + "." + Spread.Hops + "." + name + ":" + str(data === undefined ? null : data);
  // the longest that leaves room for the header and updates
  const max = Wire.MaxDatagram - 120;
  if (arg.length > max) return "event > " + max + " bytes";
  first(key);
  fire(name, data);
  if (broadcast) send(MessageType.ClusterEvent, arg, broadcast);
  forward(arg, "");
  return "";
}

/** A cluster event datagram from member `from`: "origin.id.hops.name:data". */
export function clusterEvent(arg: string, from: string): void {
  const colon = arg.indexOf(":");
  const f = arg.substr(0, colon).split(".");
  const hops = n36(f[2]);
  const name = f.slice(3).join(".");
  let data;
  try {
    // (esp01, at 12,288 of its 12,288 bytes, has no room for the check: what it parses comes with the secret or a MAC)
    data = SPORE_CLASS === "minimal" ? JSON.parse(arg.substr(colon + 1)) : parseJson(arg.substr(colon + 1));
  } catch (e) {
    return drop(MALFORMED);
  }
  if (colon < 0 || !isId(f[0]) || n36(f[1]) < 0 || hops < 0 || hops > Spread.Hops || !isEventName(name)) return drop(MALFORMED);
  const key = f[0] + "." + f[1];
  if (f[0] === selfId || !first(key)) return;
  fire(name, data, HOST_PREFIX + f[0]);
  if (SPORE_CAPS.relay && hops) forward(key + "." + (hops - 1) + "." + name + arg.substr(colon), from);
}
