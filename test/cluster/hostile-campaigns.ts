// The hostile-input suite's campaigns (issue 18): each builds an emulated
// cluster, sends it a seeded batch of what hostile-cases.ts makes, and after
// every batch checks every node. What does not hold is reported as a finding:
//   crash  a node threw, restarted, stopped answering, lost a member, or lost
//          (or kept reconnecting to) its broker
//   wrong  something was accepted or changed without the secret: a request
//          answered 200 to anything but GET, Storage or a task changed, a
//          forged member, address, suspicion or event taken, a command taken
//   leak   JsVars in use at the end above idle by more than the same cluster
//          left alone grew by (task totals and uptimes take more as they grow)
// The tests fail on the first finding (hostile.test.ts, hostile-mqtt.test.ts,
// forged.test.ts); `npm run bench` counts them.
import { lanBroker, runAsync } from "../../host-tools/emulator/broker.ts";
import { Cluster } from "../../host-tools/emulator/cluster.ts";
import type { Device } from "../../host-tools/emulator/device.ts";
import { Rng } from "../../host-tools/emulator/rng.ts";
import { api, converged, waitConverged } from "./helpers.ts";
import { ATTACKER, forge, httpCase, mqttCase, udpCase } from "./hostile-cases.ts";

export type FindingKind = "crash" | "wrong" | "leak";

export interface Finding {
  kind: FindingKind;
  /** What did not hold, where, and the seed. */
  what: string;
}

export interface Campaign {
  seed: number;
  cases: number;
  report(f: Finding): void;
}

export interface CampaignResult {
  cases: number;
  /** Cases by what they were. */
  kinds: Record<string, number>;
  /** A line saying what was sent, and JsVars at idle before and after. */
  summary: string;
}

/** Every Storage file of a node and its bytes. */
function storage(d: Device): Map<string, string> {
  return new Map(d.storage.list().map((f) => [f, d.storage.read(f)!] as [string, string]));
}

const count = (kinds: Record<string, number>, k: string) => (kinds[k] = (kinds[k] ?? 0) + 1);

/** A node threw, restarted or does not answer: a crash. */
function alive(c: Cluster, x: Device, where: string, report: Campaign["report"]): boolean {
  if (x.counters.uncaught) report({ kind: "crash", what: `${where}: ${x.counters.uncaught} uncaught: ${x.console.slice(-5).join("\n")}` });
  else if (x.counters.boots !== 1) report({ kind: "crash", what: `${where}: restarted (${x.counters.boots} boots)` });
  else {
    const st = c.http(x, "GET", "/api/node/status", { timeoutMs: 30000 });
    if (st.status === 200 || st.status === 503) return true;
    report({ kind: "crash", what: `${where}: GET /api/node/status answered ${st.status}` });
  }
  return false;
}

/** The node lists exactly the cluster's nodes, each ACTIVE at its own address. */
function membersHold(c: Cluster, x: Device, where: string, report: Campaign["report"]): void {
  const members = c.getJson<{ members: { hostname: string; ip: string; status: string }[] }>(x, "/api/cluster/members").members;
  const real = new Map(c.devices.map((o) => [o.hostname, o.ip]));
  const forged = members.filter((m) => real.get(m.hostname) !== m.ip);
  if (forged.length || members.length !== real.size) report({ kind: "wrong", what: `${where}: ${members.length} members listed, ${forged.length} not in the cluster or at another address: ${forged.map((m) => `${m.hostname} ${m.ip}`).join(", ")}` });
  const lost = c.devices.filter((o) => !members.some((m) => m.hostname === o.hostname && m.status === "ACTIVE"));
  if (lost.length) report({ kind: "crash", what: `${where}: ${lost.map((o) => o.hostname).join(", ")} not listed ACTIVE (${members.map((m) => `${m.hostname} ${m.status}`).join(", ")})` });
}

function storageHolds(x: Device, before: Map<string, string>, where: string, report: Campaign["report"]): void {
  const now = storage(x);
  const changed = [...new Set([...before.keys(), ...now.keys()])].filter((f) => before.get(f) !== now.get(f));
  if (changed.length) report({ kind: "wrong", what: `${where}: Storage changed: ${changed.join(", ")}` });
}

/**
 * After a batch (the last case `n`): every node alive, listing its members,
 * its Storage as `before`; then `more` for each node alive.
 */
function checkNodes(c: Cluster, n: number, seed: number, before: Map<string, string>[], report: Campaign["report"], more: (x: Device, i: number, where: string) => void = () => {}): void {
  for (const [i, x] of c.devices.entries()) {
    const where = `after case ${n} (seed ${seed}), ${x.board.name}`;
    if (!alive(c, x, where, report)) continue;
    membersHold(c, x, where, report);
    storageHolds(x, before[i], where, report);
    more(x, i, where);
  }
}

/** JsVars in use at idle, and when it was read. */
interface Idle {
  usage: number[];
  at: number;
}

const idleOf = (c: Cluster): Idle => ({ usage: c.devices.map((d) => d.memory().usage), at: c.scheduler.now() });

/**
 * Leaks: after the campaign and a minute of quiet, JsVars in use against idle,
 * beside what the same cluster left alone grew by over the same stretch
 * (`growth`, by node); a node more than 3 above both is a leak.
 */
function leaks(c: Cluster, idle: Idle, after: number[], growth: number[], seed: number, report: Campaign["report"]): string {
  for (const [i, d] of c.devices.entries())
    if (after[i] - idle.usage[i] > growth[i] + 3) report({ kind: "leak", what: `${d.board.name}: ${idle.usage[i]} JsVars used at idle before, ${after[i]} after, ${growth[i]} more left alone (seed ${seed})` });
  return `JsVars used at idle before and after (growth of the same cluster left alone): ${c.devices.map((d, i) => `${d.board.name} ${idle.usage[i]}/${after[i]} (${growth[i]})`).join(", ")}`;
}

/** What the same cluster, left alone, grows by in JsVars from `idle.at` to `end` (virtual ms). */
function growthAlone(seed: number, boards: string[], idle: Idle, end: number): number[] {
  const quiet = new Cluster({ seed, boards });
  quiet.runFor(idle.at);
  const before = quiet.devices.map((d) => d.memory().usage);
  quiet.runFor(end - idle.at);
  return quiet.devices.map((d, i) => d.memory().usage - before[i]);
}

/** The attacker's ear on the LAN: the latest `keep` broadcasts it heard. */
function listen(c: Cluster, keep: number, which: (data: string) => boolean = () => true): string[] {
  const heard: string[] = [];
  c.lan.attach(ATTACKER, { deliverDatagram: (data) => void (which(data) && heard.push(data), heard.length > keep && heard.shift()), streamListener: () => undefined });
  return heard;
}

/**
 * Random, mutated, oversized, truncated and slow HTTP requests to every
 * endpoint with wrong secrets; random, mutated, oversized, wrongly signed
 * and truncated datagrams; genuine broadcasts replayed from the attacker's
 * address. Nodes of every board.
 */
export function httpUdpCampaign(o: Campaign): CampaignResult {
  const { seed, report } = o;
  const boards = ["esp01", "esp8266", "esp32"];
  const c = new Cluster({ seed, boards });
  waitConverged(c, 60000, seed);
  c.runFor(30000);
  // the attacker hears every broadcast (announces, cluster events) and keeps the latest few to replay
  const heard = listen(c, 20);
  const r = new Rng(seed);
  // warm-up: a few bad datagrams to each node, so that its drop counters (one per reason, a fixed set) exist before idle is read
  c.runFor(10000);
  for (let i = 0; i < 300; i++) for (const d of c.devices) c.lan.sendDatagram(ATTACKER, 4210, d.ip, 4210, i % 4 ? udpCase(r, c.secret) : heard[i % heard.length]);
  c.runFor(10000);
  const before = c.devices.map(storage);
  const idle = idleOf(c);
  const kinds: Record<string, number> = {};
  /** GETs answered 200, and requests of other methods (none expected). */
  let answered = 0;
  let accepted = 0;
  for (let n = 0; n < o.cases; n++) {
    const d = c.devices[r.int(c.devices.length)];
    if (r.int(2)) {
      const { raw, cut } = httpCase(r, c.secret, d.ip);
      let answer = "";
      let closed = false;
      c.lan.connect(ATTACKER, d.ip, 80, (err, s) => {
        if (!s) return void (closed = true);
        s.onData = (x) => (answer += x);
        s.onClose = () => (closed = true);
        s.write(cut ? raw.slice(0, r.int(raw.length)) : raw);
        if (cut) c.scheduler.after(200, () => s.close());
      });
      c.runFor(cut ? 1000 : 300);
      for (let t = 0; t < 30000 && !closed; t += 500) c.runFor(500);
      if (!closed) report({ kind: "crash", what: `case ${n} (seed ${seed}): ${d.board.name} never closed ${JSON.stringify(raw.slice(0, 120))}` });
      const status = +(/^HTTP\/1\.[01] (\d+)/.exec(answer)?.[1] ?? 0);
      const method = raw.slice(0, raw.indexOf(" "));
      // without the secret nothing that changes a node is accepted
      if (status === 200 && method !== "GET") report({ kind: "wrong", what: `case ${n} (seed ${seed}): ${d.board.name} accepted ${JSON.stringify(raw.slice(0, 200))}: ${answer.slice(0, 200)}` });
      if (status === 200 && method === "GET") answered++;
      else if (status === 200) accepted++;
      count(kinds, cut ? "HTTP requests cut short" : "HTTP requests");
    } else if (heard.length && r.int(4) === 0) {
      // a genuine datagram heard earlier, sent again from the attacker's address
      c.lan.sendDatagram(ATTACKER, 4210, d.ip, 4210, heard[r.int(heard.length)]);
      c.runFor(50);
      count(kinds, "datagrams replayed");
    } else {
      c.lan.sendDatagram(ATTACKER, 4210, d.ip, 4210, udpCase(r, c.secret));
      c.runFor(50);
      count(kinds, "datagrams");
    }
    if ((n + 1) % 40 === 0 || n + 1 === o.cases) {
      c.runFor(3000);
      checkNodes(c, n, seed, before, report);
    }
  }
  // settled: memory back at idle
  c.runFor(60000);
  const after = c.devices.map((d) => d.memory().usage);
  const memory = leaks(c, idle, after, growthAlone(seed, boards, idle, c.scheduler.now()), seed, report);
  const sent = Object.entries(kinds).map(([k, v]) => `${v} ${k}`).join(", ");
  return { cases: o.cases, kinds, summary: `${o.cases} cases (seed ${seed}): ${sent}; ${answered} GETs and ${accepted} other requests answered 200; ${memory}` };
}

type Status = { incarnation: number; drops: Record<string, number> };
const status = (c: Cluster, d: Device) => api<Status>(c, d, "/api/node/status", "node-status");
const alarms = (c: Cluster, d: Device) => api<{ events: { name: string }[] }>(c, d, "/api/events", "events").events.filter((e) => e.name === "alarm");

/** sendDatagram's arguments for a forgery (forge()) sent to a node's gossip port. */
const send = ([data, from]: [string, string, string], d: Device): [string, number, string, number, string] => [from, 4210, d.ip, 4210, data];

/**
 * Datagrams forged from heard ones by an attacker who heard every broadcast
 * (forge() in hostile-cases.ts): suspicions, hijacks, forged members and
 * events, spliced and random tags, S2 signed with CRC32, replays. Returns
 * also the drops the nodes counted, by reason.
 */
export function forgedCampaign(o: Campaign): CampaignResult & { drops: Record<string, number> } {
  const { seed, report } = o;
  const boards = ["esp01", "esp8266", "esp32", "esp8266"];
  const c = new Cluster({ seed, boards });
  waitConverged(c, 60000, seed);
  c.runFor(20000);
  const heard = listen(c, 30);
  c.runFor(20000);
  if (heard.length <= 5) throw new Error(`the attacker heard ${heard.length} broadcasts (seed ${seed})`);
  const inc = c.devices.map((d) => status(c, d).incarnation);
  const before = c.devices.map(storage);
  // warm-up (its own stream: the cases stay those of the seed): forgeries to each node, so that its drop
  // counters (one per reason, a fixed set) exist before idle is read
  const warm = new Rng(seed + 1);
  for (let i = 0; i < 40; i++) for (const d of c.devices) c.lan.sendDatagram(...send(forge(warm, heard, c), d));
  c.runFor(10000);
  const idle = idleOf(c);
  const r = new Rng(seed);
  const kinds: Record<string, number> = {};
  for (let n = 0; n < o.cases; n++) {
    const forged = forge(r, heard, c);
    count(kinds, forged[2]);
    c.lan.sendDatagram(...send(forged, c.devices[r.int(c.devices.length)]));
    c.runFor(20);
    if ((n + 1) % 200 === 0 || n + 1 === o.cases) {
      c.runFor(3000);
      checkNodes(c, n, seed, before, report, (x, i, where) => {
        const now = status(c, x).incarnation;
        if (now !== inc[i]) report({ kind: "wrong", what: `${where}: incarnation ${inc[i]} then ${now}: it refuted a forged suspicion` });
        if (alarms(c, x).length) report({ kind: "wrong", what: `${where}: a forged event fired` });
      });
    }
  }
  c.runFor(60000);
  const after = c.devices.map((d) => d.memory().usage);
  const memory = leaks(c, idle, after, growthAlone(seed, boards, idle, c.scheduler.now()), seed, report);
  const drops: Record<string, number> = {};
  for (const d of c.devices) for (const [k, v] of Object.entries(status(c, d).drops)) drops[k] = (drops[k] ?? 0) + v;
  const sent = Object.entries(kinds).map(([k, v]) => `${v} ${k}`).join(", ");
  return { cases: o.cases, kinds, drops, summary: `${o.cases} forged datagrams (seed ${seed}): ${sent}; dropped: check ${drops.check}, address ${drops.address}, replay ${drops.replay}, version ${drops.version}; ${memory}` };
}

/** The broker's address on the emulated LAN (the attacker is another host). */
const BROKER = "10.42.0.251";
const MQTT_BOARDS = ["esp8266", "esp32"];

/** A cluster of the boards that carry the MQTT client, with its broker (aedes); converged, connected. */
async function mqttCluster(seed: number) {
  const c = new Cluster({ seed, boards: MQTT_BOARDS, config: { mq: { host: BROKER, period: 10 } } });
  const broker = await lanBroker(c, BROKER);
  /** Connections each node made to the broker, by client id (the node's hostname). */
  const connections = new Map<string, number>();
  broker.aedes.on("client", (client) => connections.set(client.id, (connections.get(client.id) ?? 0) + 1));
  const ready = () => c.devices.every((d) => d.stationIp && d.eval("spore.mqtt.up") === 1) && converged(c);
  for (let t = 0; t < 60000 && !ready(); t += 1000) await runAsync(c, 1000);
  if (!ready()) {
    await broker.close();
    throw new Error(`the MQTT cluster did not converge and connect within 60 s (seed ${seed})`);
  }
  return { c, broker, connections };
}

/**
 * Random, mutated, oversized (over 512 bytes), truncated, non-JSON,
 * wrong-key and replayed commands (mqttCase() in hostile-cases.ts) published
 * through the broker to each node's command topic. After each batch every
 * node is still connected (the same connection: no reconnection), answers,
 * lists its members, refused exactly the commands it was sent
 * (spore.mqtt.refused), and its tasks and Storage are as they were.
 */
export async function mqttCampaign(o: Campaign): Promise<CampaignResult> {
  const { seed, report } = o;
  const { c, broker, connections } = await mqttCluster(seed);
  const cmd = (d: Device) => `spore/${d.hostname}/cmd`;
  const publish = (topic: string, payload: string, qos: number, retain: boolean) =>
    new Promise<void>((done) => broker.aedes.publish({ cmd: "publish", topic, payload: Buffer.from(payload, "latin1"), qos: qos as 0 | 1, retain, dup: false }, () => done()));
  const refused = (d: Device) => d.eval("spore.mqtt.refused") as number;
  const tasks = (d: Device) => JSON.stringify(c.getJson<{ tasks: { name: string; interval: number; enabled: boolean; running: boolean }[] }>(d, "/api/tasks/status").tasks.map((t) => [t.name, t.interval, t.enabled, t.running]));
  try {
    const udp = listen(c, 10);
    const own: string[] = [];
    const r = new Rng(seed);
    /** What the attacker can replay: the nodes' broadcasts, what they published on the broker, its own earlier cases. */
    const heard = () => [...udp, ...broker.seen.slice(-20).map((m) => m.payload), ...own.slice(-10)];
    // warm-up: the refusal counter and its once-a-minute report exist before idle is read
    for (const d of c.devices) await publish(cmd(d), "{nope", 0, false);
    await runAsync(c, 70000);
    const before = c.devices.map(storage);
    const taskState = c.devices.map(tasks);
    const links = c.devices.map((d) => connections.get(d.hostname) ?? 0);
    /** Refusals counted before the cases, and cases sent to each node. */
    const start = c.devices.map(refused);
    const sent = c.devices.map(() => 0);
    const idle = idleOf(c);
    const kinds: Record<string, number> = {};
    for (let n = 0; n < o.cases; n++) {
      const i = r.int(c.devices.length);
      const m = mqttCase(r, c.secret, heard());
      count(kinds, m.what);
      own.push(m.payload);
      await publish(cmd(c.devices[i]), m.payload, m.qos, m.retain);
      sent[i]++;
      // the LAN carries 40 bytes a millisecond
      await runAsync(c, 100 + m.payload.length / 40);
      if ((n + 1) % 40 === 0 || n + 1 === o.cases) {
        await runAsync(c, 3000);
        checkNodes(c, n, seed, before, report, (x, i, where) => {
          if (x.eval("spore.mqtt.up") !== 1 || connections.get(x.hostname) !== links[i])
            report({ kind: "crash", what: `${where}: connected ${x.eval("spore.mqtt.up")}, ${(connections.get(x.hostname) ?? 0) - links[i]} connections since the start` });
          const got = refused(x);
          if (got !== start[i] + sent[i]) report({ kind: got < start[i] + sent[i] ? "wrong" : "crash", what: `${where}: refused ${got - start[i]} commands, ${sent[i]} sent to it` });
          if (tasks(x) !== taskState[i]) report({ kind: "wrong", what: `${where}: tasks ${taskState[i]} then ${tasks(x)}` });
        });
      }
    }
    const refusals = c.devices.reduce((sum, d, i) => sum + refused(d) - start[i], 0);
    const reconnections = c.devices.reduce((sum, d, i) => sum + (connections.get(d.hostname) ?? 0) - links[i], 0);
    // the retained ones cleared, as the owner would (an empty retained message)
    for (const d of c.devices) await publish(cmd(d), "", 0, true);
    await runAsync(c, 60000);
    const flushAt = c.scheduler.now();
    flushEvents(c);
    await runAsync(c, 1000);
    const after = c.devices.map((d) => d.memory().usage);
    const growth = await mqttGrowthAlone(seed, idle, flushAt, c.scheduler.now());
    const memory = leaks(c, idle, after, growth, seed, report);
    const what = Object.entries(kinds).map(([k, v]) => `${v} ${k}`).join(", ");
    return { cases: o.cases, kinds, summary: `${o.cases} commands (seed ${seed}): ${what}; ${refusals} refused, ${reconnections} reconnections; ${memory}` };
  } finally {
    await broker.close();
  }
}

/**
 * Refused commands are reported as events (once a minute), which the event
 * log keeps up to its bound (SPORE_LIMITS.eventLog, 32 on esp32): the same
 * events on every node of both clusters at the same time put the same in it.
 */
function flushEvents(c: Cluster): void {
  for (const d of c.devices) d.eval('(function () { for (var i = 0; i < 40; i++) spore.fire("hostile/flush", 0); })()');
}

/** mqttCampaign's cluster left alone (its warm-up command, the same events at `flushAt`): what its JsVars grow by from `idle.at` to `end`. */
async function mqttGrowthAlone(seed: number, idle: Idle, flushAt: number, end: number): Promise<number[]> {
  const { c, broker } = await mqttCluster(seed);
  try {
    for (const d of c.devices) await new Promise<void>((done) => broker.aedes.publish({ cmd: "publish", topic: `spore/${d.hostname}/cmd`, payload: Buffer.from("{nope"), qos: 0, retain: false, dup: false }, () => done()));
    await runAsync(c, idle.at - c.scheduler.now());
    const before = c.devices.map((d) => d.memory().usage);
    await runAsync(c, flushAt - c.scheduler.now());
    flushEvents(c);
    await runAsync(c, end - c.scheduler.now());
    return c.devices.map((d, i) => d.memory().usage - before[i]);
  } finally {
    await broker.close();
  }
}
