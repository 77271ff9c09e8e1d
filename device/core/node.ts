// A Spore node: its identity, membership, tasks, events and HTTP API.
import { Api, error, json, parseForm } from "./api.ts";
import type { NodeConfig } from "./config.ts";
import { EventBus, isEventName, type Listener } from "./events.ts";
import { chipIdFromMac, macTail } from "./identity.ts";
import { ACTIVE, DEAD, INACTIVE, Membership, STATUS, type Member } from "./members.ts";
import { TaskManager } from "./tasks.ts";
import type { BoardInfo, Clock, DatagramSender, HttpGet, HttpRequest, HttpResponse, Log, Timers } from "./ports.ts";
import { isId, MAX_DATAGRAM, MSG_EVENT, num36, type Hash, type Message } from "./wire.ts";

/** Per-board limits, from boards/<board>.json (node section). */
export interface NodeLimits {
  /** members kept in the table */
  memberTable: number;
  /** distinct member details kept */
  detailTable: number;
  /** events kept for GET /api/events */
  eventLog: number;
}

export interface NodeOptions {
  config: NodeConfig;
  mac: string;
  clock: Clock;
  udp: DatagramSender;
  info: BoardInfo;
  log: Log;
  timers: Timers;
  hash: Hash;
  httpGet: HttpGet;
  limits: NodeLimits;
  /** The bundle's version (a hash of it). */
  version: string;
  /** Restarts the node (after the response went out). */
  restart: () => void;
}

/** Cluster events travel this many hops past the first broadcast. */
const EVENT_HOPS = 2;
const EVENT_FANOUT = 2;

export class SporeNode {
  readonly hostname: string;
  readonly id: string;
  readonly api: Api;
  readonly members: Membership;
  readonly tasks: TaskManager;
  readonly bus: EventBus;
  /** Member details by details version (base 36): a JSON tail, or the time a fetch failed. */
  readonly details: Record<string, string | number>;
  /** "sta" when on the configured network, "ap" when serving its own access point, "" before either. */
  wifi: string;
  private readonly o: NodeOptions;
  private readonly bootTime: number;
  private eventId: number;
  private fetching: string;

  constructor(o: NodeOptions) {
    this.o = o;
    this.id = macTail(o.mac);
    this.hostname = "esp_" + this.id;
    this.api = new Api(o.config.key);
    this.tasks = new TaskManager(o.timers, o.clock, o.log, (task, message, disabled) => {
      this.o.log("task " + task + ": " + message + (disabled ? " (disabled)" : ""));
      this.fire("task/error", { task: task, error: message, disabled: disabled });
    });
    this.bus = new EventBus(o.limits.eventLog, o.log);
    this.details = {};
    this.wifi = "";
    this.bootTime = o.clock.now();
    this.eventId = 0;
    this.fetching = "";
    this.members = new Membership({
      config: o.config,
      id: this.id,
      clock: o.clock,
      udp: o.udp,
      hash: o.hash,
      log: o.log,
      maxMembers: o.limits.memberTable,
      heap: o.info.freeHeap,
      event: (name, data) => {
        o.log(this.hostname + " " + name + " " + JSON.stringify(data));
        this.fire(name, data);
      },
      other: (msg) => this.clusterEvent(msg),
    });
  }

  /** Called when the station is up. */
  online(ip: string, broadcast: string): void {
    this.wifi = "sta";
    this.o.log(this.hostname + " online at " + ip);
    this.members.online(ip, broadcast);
  }

  /** Called when the station is down (events tell why). */
  offline(mode: string): void {
    this.wifi = mode;
    this.members.ip = "";
  }

  receive(data: string, address: string): void {
    this.members.receive(data, address);
  }

  // ---- events ----

  on(name: string, fn: Listener): void {
    this.bus.on(name, fn);
  }

  off(name: string, fn: Listener): void {
    this.bus.off(name, fn);
  }

  /** Fires an event on this node only. */
  fire(name: string, data: unknown): void {
    this.bus.deliver(name, data, this.hostname, this.o.clock.now() - this.bootTime);
  }

  /**
   * Fires an event on every live node, this one included: a subnet broadcast,
   * then each node that receives it first forwards it to EVENT_FANOUT random
   * members, up to EVENT_HOPS hops; duplicates are dropped by origin and id.
   * Returns "" or why it cannot be sent.
   */
  publish(name: string, data: unknown): string {
    if (!isEventName(name)) return "event names are 1 to 32 letters, digits or / _ - .";
    const text = JSON.stringify(data === undefined ? null : data);
    const arg = this.id + "." + (++this.eventId).toString(36) + "." + EVENT_HOPS + "." + name + ":" + text;
    if (arg.length > MAX_DATAGRAM - 120) return "event too large: " + arg.length + " bytes, at most " + (MAX_DATAGRAM - 120);
    this.bus.fresh(this.id + "." + this.eventId.toString(36));
    this.fire(name, data);
    this.members.send(MSG_EVENT, arg, this.members.bcAddress());
    this.forward(arg, "");
    return "";
  }

  private forward(arg: string, not: string): void {
    const ids = this.members.pick(EVENT_FANOUT, not);
    for (let i = 0; i < ids.length; i++) this.members.send(MSG_EVENT, arg, this.members.m[ids[i]].a);
  }

  /** A cluster event datagram: "origin.id.hops.name:data". */
  private clusterEvent(msg: Message): void {
    const colon = msg.arg.indexOf(":");
    const f = msg.arg.substr(0, colon).split(".");
    const hops = parseInt(f[2], 10);
    const name = f.slice(3).join(".");
    let data: unknown;
    try {
      data = JSON.parse(msg.arg.substr(colon + 1));
    } catch (e) {
      return this.members.drop("malformed");
    }
    if (msg.type !== MSG_EVENT || colon < 0 || !isId(f[0]) || num36(f[1]) < 0 || !(hops >= 0 && hops <= EVENT_HOPS) || !isEventName(name)) return this.members.drop("malformed");
    if (f[0] === this.id || !this.bus.fresh(f[0] + "." + f[1])) return;
    this.bus.deliver(name, data, "esp_" + f[0], this.o.clock.now() - this.bootTime);
    if (hops > 0) this.forward(f[0] + "." + f[1] + "." + (hops - 1) + "." + name + msg.arg.substr(colon), msg.id);
  }

  // ---- member details ----

  /** What others keep of a node's status: JSON with resources (less freeHeap and chipId), api, board, version. */
  private detailsOf(s: Record<string, any>): string {
    return JSON.stringify({ resources: { sdkVersion: s.sdkVersion, cpuFreqMHz: s.cpuFreqMHz, flashChipSize: s.flashChipSize }, api: s.api, board: s.board, version: s.version });
  }

  /** The details task: fetches the details of one member whose details version is unknown here. */
  fetchDetails(): void {
    if (this.fetching) return;
    const now = this.o.clock.now();
    const m = this.members.m;
    for (const id in m) {
      const key = m[id].d.toString(36);
      const have = this.details[key];
      if (typeof have === "string" || (have && now - have < 30000) || m[id].s) continue;
      this.fetching = key;
      this.o.httpGet(m[id].a, this.o.config.http, "/api/node/status", (err, body) => {
        this.fetching = "";
        let d: string | number = now;
        try {
          if (!err) d = this.detailsOf(JSON.parse(body));
        } catch (e) {
          // a bad answer counts as a failed fetch, retried later
        }
        // keep at most limits.details, forgetting versions no member has
        const used: Record<string, number> = {};
        for (const id in m) used[m[id].d.toString(36)] = 1;
        let n = 0;
        for (const k in this.details) {
          if (!used[k]) delete this.details[k];
          else n++;
        }
        if (n < this.o.limits.detailTable) this.details[key] = d;
      });
      return;
    }
  }

  // ---- HTTP ----

  handleHttp(req: HttpRequest): HttpResponse {
    return this.api.handle(req);
  }

  /** SPORE's node status shape, plus what tools need to tell nodes apart. */
  status(): Record<string, unknown> {
    const info = this.o.info;
    const c = this.counts();
    return {
      freeHeap: info.freeHeap(),
      chipId: chipIdFromMac(this.o.mac),
      sdkVersion: info.sdkVersion,
      cpuFreqMHz: info.cpuFreqMHz,
      flashChipSize: info.flashChipSize,
      hostname: this.hostname,
      ip: this.members.ip,
      board: info.board,
      version: this.o.version,
      uptime: Math.floor((this.o.clock.now() - this.bootTime) / 1000),
      freeJsVars: info.freeJsVars(),
      "wifi": this.wifi,
      incarnation: this.members.inc,
      "members": { ACTIVE: c[ACTIVE], INACTIVE: c[INACTIVE], DEAD: c[DEAD] },
      "drops": this.members.drops,
      api: this.api.list(),
    };
  }

  /** Members by status. */
  counts(): number[] {
    const c = [0, 0, 0];
    for (const id in this.members.m) c[this.members.status(this.members.m[id])]++;
    return c;
  }

  /** One member of /api/cluster/members as JSON (m null: this node). */
  memberJson(id: string, m: Member | null): string {
    const own = m ? "" : this.detailsOf(this.status());
    const tail = m ? this.details[m.d.toString(36)] : own;
    const r = typeof tail === "string" ? JSON.parse(tail) : { resources: {}, api: [] };
    r.hostname = "esp_" + id;
    r.ip = m ? m.a : this.members.ip;
    r.lastSeen = m ? Math.floor(this.o.clock.now()) - m.t : 0;
    r.latency = m ? m.l : 0;
    r.status = STATUS[m ? this.members.status(m) : ACTIVE];
    r.incarnation = m ? m.n : this.members.inc;
    r.resources.freeHeap = m ? m.h : this.o.info.freeHeap();
    r.resources.chipId = parseInt(id, 16);
    return JSON.stringify(r);
  }

  /** Registers the HTTP API and the engine's own tasks. */
  start(): void {
    this.registerApi();
    const c = this.o.config;
    const t = this.tasks;
    const m = this.members;
    t.registerTask("probe", c.prd / 2, () => m.tick());
    t.registerTask("discovery", 1000, () => m.announce());
    t.registerTask("members", 1000, () => m.check());
    t.registerTask("details", 2000, () => this.fetchDetails());
    t.registerTask("status", 60000, () => {
      const n = this.counts();
      this.o.log(this.hostname + " " + this.wifi + " members " + n.join("/") + " free " + this.o.info.freeJsVars());
    });
  }

  /** Registers the HTTP API. Endpoints register themselves: the api list is what is served. */
  private registerApi(): void {
    const api = this.api;
    api.add("GET", "/api/node/status", () => json(200, this.status()));
    api.add("GET", "/api/cluster/members", () => {
      const ids = Object.keys(this.members.m);
      return {
        code: 200,
        type: "application/json",
        body: '{"members":[' + this.memberJson(this.id, null),
        // one member per piece, so a large table is never one large string
        more: (i) => (i < ids.length ? (this.members.m[ids[i]] ? "," + this.memberJson(ids[i], this.members.m[ids[i]]) : "") : i === ids.length ? "]}" : undefined),
      };
    });
    api.add(
      "POST",
      "/api/node/restart",
      () => {
        const r = json(200, { success: true, message: "restarting" });
        r.after = this.o.restart;
        return r;
      },
      true,
    );
    api.add("GET", "/api/tasks/status", () => {
      const list = this.tasks.tasks;
      let active = 0;
      const tasks = [];
      for (let i = 0; i < list.length; i++) {
        const t = list[i];
        if (t.e && t.id) active++;
        tasks.push({ name: t.n, interval: t.i, enabled: t.e, running: !!t.id, runs: t.r, errors: t.x, lastMs: t.l, avgMs: Math.round(t.a * 100) / 100 });
      }
      return json(200, { summary: { totalTasks: list.length, activeTasks: active }, "tasks": tasks, system: { freeHeap: this.o.info.freeHeap(), uptime: Math.floor((this.o.clock.now() - this.bootTime) / 1000) } });
    });
    api.add(
      "POST",
      "/api/tasks/control",
      (req) => {
        const f = parseForm(req.body);
        if (!f || !f.task || !(f.action || f.interval)) return error(400, "form fields: task=<name>&action=enable|disable|start|stop|interval[&interval=<ms>]");
        const problem = this.tasks.control(f.task, f.action || "interval", f.interval || "");
        if (problem) return error(problem.substr(0, 3) === "no " ? 404 : 400, problem);
        return json(200, { success: true, message: "done", task: f.task, action: f.action || "interval", enabled: this.tasks.isTaskEnabled(f.task), interval: this.tasks.getTaskInterval(f.task) });
      },
      true,
    );
    api.add("GET", "/api/events", () => {
      const r = this.bus.recent;
      const events = [];
      for (let i = 0; i < r.length; i++) events.push({ name: r[i].n, origin: r[i].o, time: r[i].t, data: r[i].d });
      return json(200, { events: events });
    });
    api.add(
      "POST",
      "/api/events",
      (req) => {
        const f = parseForm(req.body);
        if (!f || !isEventName(f.name) || (f.scope && f.scope !== "local" && f.scope !== "cluster")) return error(400, "form fields: name=<event>[&data=<JSON>][&scope=local|cluster]");
        let data: unknown = null;
        try {
          data = f.data ? JSON.parse(f.data) : null;
        } catch (e) {
          return error(400, "data is not JSON");
        }
        if (f.scope === "cluster") {
          const problem = this.publish(f.name, data);
          if (problem) return error(problem.substr(0, 5) === "event" ? 413 : 400, problem);
        } else this.fire(f.name, data);
        return json(200, { success: true, name: f.name, scope: f.scope || "local" });
      },
      true,
    );
    this.members.dv = this.o.hash(this.detailsOf(this.status())) >>> 0;
  }
}
