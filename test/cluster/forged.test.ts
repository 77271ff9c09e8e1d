// The hostile-input suite, second part (issue 18): an attacker on the LAN who
// hears every broadcast but does not know the cluster secret, against the
// keyed MAC (S3). With S2's CRC32 one heard datagram was enough to sign any
// other: a suspicion at a huge incarnation declared a healthy node dead, a
// sequence number far ahead hijacked a member, forged members filled the
// tables and a forged event with a spoofed origin fired on every node. Each
// case here is such a forgery made from heard datagrams: a field changed under
// the old tag, tags spliced from other datagrams, random tags, the S2 format
// signed as S2 could be, and genuine datagrams replayed from the attacker's
// address or from their sender's (spoofed) to nodes that already had them.
// The forgeries and the checks after each batch are forge() in
// hostile-cases.ts and forgedCampaign() in hostile-campaigns.ts (npm run
// bench runs them too). Then a cluster event replayed to a node after it
// restarted.
import * as assert from "uvu/assert";
import { Cluster } from "../../host-tools/emulator/cluster.ts";
import type { Device } from "../../host-tools/emulator/device.ts";
import { api, waitConverged } from "./helpers.ts";
import { type Finding, forgedCampaign } from "./hostile-campaigns.ts";
import { ATTACKER } from "./hostile-cases.ts";
import { suite } from "../suite.ts";

const { test, seed } = suite("forged datagrams", { seed: 1621, limit: 600 });
const CASES = process.env.SPORE_FUZZ ? 10000 : 2000;

type Status = { incarnation: number; drops: Record<string, number> };
const status = (c: Cluster, d: Device) => api<Status>(c, d, "/api/node/status", "node-status");

test("datagrams forged from heard ones are all dropped: no node moves, suspects, adds or fires anything", () => {
  const r = forgedCampaign({ seed, cases: CASES, report: (f: Finding) => assert.unreachable(`${f.kind}: ${f.what}`) });
  console.log(`    ${r.summary}`);
  assert.is(r.cases, CASES);
  assert.ok(r.drops.check > 0 && r.drops.address > 0 && r.drops.replay > 0 && r.drops.version > 0, JSON.stringify(r.drops));
});

test("a genuine cluster event replayed to a node after it restarted, or after 16 other events, is not fired again", () => {
  const c = new Cluster({ seed, boards: ["esp8266", "esp8266", "esp32"] });
  waitConverged(c, 60000, seed);
  c.runFor(20000);
  const [a, b, x] = c.devices;
  // the attacker keeps the broadcast that carries the event
  const captured: string[] = [];
  c.lan.attach(ATTACKER, { deliverDatagram: (data) => void (data.split("|")[3] === "E" && captured.push(data)), streamListener: () => undefined });
  const publish = (name: string) => assert.is(c.http(a, "POST", "/api/events", { body: `name=${name}&scope=cluster`, auth: true }).status, 200);
  // user code counting the event (the event log keeps only the last few)
  const listen = (d: Device) => d.eval('global.doors = 0; spore.on("door/open", function () { doors++; })');
  const fired = (d: Device) => d.eval("doors") as number;
  listen(b);
  listen(x);
  publish("door/open");
  c.runFor(2000);
  assert.ok(captured.length >= 1, "the attacker heard the event's broadcast");
  assert.equal([fired(b), fired(x)], [1, 1]);
  c.restart(b);
  c.runUntil(() => !!b.stationIp, 30000);
  listen(b);
  // before b has heard from a again, and after: it does not take the old datagram, spoofed from a's address
  for (const wait of [0, 30000]) {
    c.runFor(wait);
    for (const data of captured) c.lan.sendDatagram(a.ip, 4210, b.ip, 4210, data);
    c.runFor(1000);
    assert.is(fired(b), 0, `b restarted ${wait / 1000} s ago: the replayed event is not fired (seed ${seed})`);
  }
  // 17 more events from a: x forgets the first one's key, but not the datagram's place in a's sequence
  for (let i = 0; i < 17; i++) publish(`tick/${i}`), c.runFor(500);
  for (const data of captured) c.lan.sendDatagram(a.ip, 4210, x.ip, 4210, data);
  c.runFor(1000);
  assert.is(fired(x), 1, `x fired door/open once (seed ${seed})`);
  assert.ok((status(c, b).drops.unconfirmed ?? 0) + (status(c, b).drops.replay ?? 0) >= 1);
});

test.run();
