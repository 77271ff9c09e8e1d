// Property names private to the device code, shortened in the bundle by
// esbuild's mangleProps: every property name costs bytes in the bundle and,
// past 4 characters, an extra JsVar per object that holds it on the chip.
// Only names that never cross the bundle's edge may be listed: not Espruino
// APIs, not JSON keys, not the TaskManager and event API that user code calls.
// The build refuses a listed name that an Espruino type declaration uses.
export const PRIVATE_PROPS = [
  // SporeNode
  "members", "tasks", "bus", "details", "wifi", "bootTime", "eventId", "fetching", "apiCount", "detailsOf", "fetchDetails",
  "memberJson", "registerApi", "handleHttp", "clusterEvent", "forward", "counts", "offline", "online", "receive", "publish",
  // Membership
  "count", "inc", "dv", "seq", "bc", "drops", "queue", "order", "oi", "probe", "phase", "relays", "nonce", "lastAnn", "bcAddress", "drop",
  "update", "enqueue", "fresh", "heard", "apply", "evict", "forget", "pick", "tick", "announce", "acked", "relay", "maxMembers", "heap",
  "event", "other",
  // TaskManager, EventBus, Api
  "busy", "timers", "clock", "onError", "control", "ls", "recent", "seen", "keep", "deliver", "errors", "endpoints", "authorized", "handler",
  // node options and ports
  "config", "info", "hash", "httpGet", "limits", "restart", "more", "after", "sender",
];
