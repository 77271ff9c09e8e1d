// Rotating the cluster secret on a running cluster, node by node, without
// losing membership (POST /api/node/key, with the secret; host-tools secret
// rotate drives it):
//
//   add   phase=add&key=<new>: the new secret's keys are derived (a part per
//         pass of the idle loop); the node then accepts datagrams under
//         either secret and still sends under the old one
//   use   phase=use: it sends under the new one, still accepts the old, and
//         stores the new secret (spore.json): the API and the boot file take
//         only the new one from here
//   drop  phase=drop: it accepts only the new one
//
// Every node is told add before any is told use, and use before drop, so at
// every moment each node accepts what every other sends. A node that restarts
// in between knows the secret its spore.json holds (add is kept in RAM only).
import { error, json } from "./api.ts";
import { config, ports } from "./env.ts";
import { filled, Mac, macFill, macKey, otherKey } from "./mac.ts";
import type { HttpResponse } from "./env.ts";

/** The secret told with add, until use. */
let staged = "";

/** POST /api/node/key with its form (null when unreadable). */
export function rotate(f: Record<string, string> | null): HttpResponse {
  const phase = f && f.phase;
  const key = f && f.key;
  if (filled < Mac.All) return error(503, "busy: keys");
  if (phase === "add") {
    if (!key || key.length > 63 || key.indexOf("|") >= 0) return error(400, "key: 1-63, no |");
    staged = key;
    otherKey(1);
    macKey(key, ports.words_, ports.dot_);
    // derived, the new keys become the other ones: this node goes on sending under the old
    const fill = () => (macFill() ? ports.later_(fill, 0, 0) : otherKey(2));
    fill();
  } else if (phase === "use") {
    if (!staged) return error(409, "add first");
    otherKey(2);
    ports.save_(staged);
    config.key = staged;
    staged = "";
  } else if (phase === "drop") {
    otherKey(0);
    // boards that keep the arrays in flash write the new ones there
    macFill(ports.keep_);
  } else return error(400, "phase: add|use|drop");
  return json(200, { phase: phase });
}
