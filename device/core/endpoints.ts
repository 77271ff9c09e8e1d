// Every HTTP endpoint a node serves, by name ("METHOD path", paths under
// /api/), declared once. The core's API (node.ts) answers its own; the boot
// file (device/boot.ts) answers Update and Restart before the firmware sees
// the request; the dashboard capability takes its upload in
// device/platform/http-server.ts. main.ts passes the core the endpoints
// served outside it, so the node's api list names exactly what it serves.
// Const enum: the strings are written where they are used, never kept.
export const enum Endpoint {
  NodeStatus = "GET node/status",
  Members = "GET cluster/members",
  TaskStatus = "GET tasks/status",
  TaskControl = "POST tasks/control",
  Config = "GET node/config",
  SetConfig = "POST node/config",
  Events = "GET events",
  PublishEvent = "POST events",
  Update = "POST node/update",
  Restart = "POST node/restart",
  DashboardUpload = "POST node/dashboard",
  Key = "POST node/key",
  Services = "GET services",
  ServiceCall = "POST services/call",
  Jobs = "GET jobs",
  DeployJobs = "POST jobs",
  RemoveJobs = "DELETE jobs",
  Kv = "GET kv",
  KvGet = "GET kv/*",
  KvPut = "PUT kv/*",
  KvDelete = "DELETE kv/*",
  Placement = "GET cluster/placement",
  Leader = "GET cluster/leader",
}

/** The path of an endpoint (after its method). */
export const enum EndpointPath {
  Update = "/api/node/update",
  Restart = "/api/node/restart",
  NodeStatus = "/api/node/status",
  DashboardUpload = "/api/node/dashboard",
}

/** The core's own endpoints (node.ts answers each by name), in the api list in this order. */
export function coreApi(): string {
  // joined at run time: a constant string would be written out at each call (terser inlines it), twice in the bundle
  const a = [Endpoint.NodeStatus, Endpoint.Members, Endpoint.TaskStatus, Endpoint.Events, Endpoint.PublishEvent, Endpoint.Key];
  if (SPORE_CAPS.control) a.push(Endpoint.TaskControl, Endpoint.Config, Endpoint.SetConfig);
  if (SPORE_CAPS.services) a.push(Endpoint.Services, Endpoint.ServiceCall);
  if (SPORE_CAPS.placement) a.push(Endpoint.Placement);
  if (SPORE_CAPS.leader) a.push(Endpoint.Leader);
  if (SPORE_CAPS.jobs) a.push(Endpoint.Jobs, Endpoint.DeployJobs, Endpoint.RemoveJobs, Endpoint.Kv, Endpoint.KvGet, Endpoint.KvPut, Endpoint.KvDelete);
  return a.join("|");
}
