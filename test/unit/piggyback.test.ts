// The piggyback queue (device/core/piggyback.ts) and the member table's
// status (device/core/members.ts), table-driven on the pure core.
import "./limits.ts";
import * as assert from "uvu/assert";
import { setup, type Ports } from "../../device/core/env.ts";
import { defaultConfig } from "../../device/core/layout.ts";
import { addMember, confirm, counts, forget, memberCount, members, status, Status, type Member } from "../../device/core/members.ts";
import { enqueue, newsQueue, piggyback } from "../../device/core/piggyback.ts";
import { A, AS } from "../../device/core/adapt.ts";
import { suite } from "../suite.ts";

let clock = 0;
/** Uptime ms, as the core counts it (setup at clock 100000). */
const uptime = () => clock - 100000;
const { test } = suite("piggyback queue and member status");
const reset = () => {
  clock = 100000;
  setup({ now_: () => clock, log_: () => {}, uniform_: () => 0.5, later_: () => 0 } as unknown as Ports, defaultConfig(), "a1b2c3");
  for (const id of Object.keys(members)) forget(id);
  newsQueue.length = 0;
  // (the adaptive capability's lambda, as normal mode has it: other test files in this process may have left another)
  AS[A.Lambda] = 3;
};
test.before.each(reset);
test.after(reset);

/** A member added now (the table counts it). */
function member(id: string, ip: string, inc = 0): Member {
  return addMember(id, ip, inc, 5, true)!;
}

test("news goes newest first; news of an id again moves it to the front; the queue keeps at most memberTable ids", () => {
  for (const id of ["a", "b", "c", "b"]) enqueue(id);
  assert.equal(newsQueue, ["b", "c", "a"]);
  for (let i = 0; i < SPORE_LIMITS.memberTable + 3; i++) enqueue("x" + i);
  assert.is(newsQueue.length, SPORE_LIMITS.memberTable);
  assert.is(newsQueue[0], "x" + (SPORE_LIMITS.memberTable + 2));
});

test("this node's own news stays first while it waits (others queue after it) and is never the one that leaves a full queue", () => {
  // (a node restarted into a cluster of 200 queued news of each member it met: its own went to the back, unsent, and out)
  enqueue("a1b2c3");
  for (let i = 0; i < SPORE_LIMITS.memberTable + 3; i++) enqueue("x" + i);
  assert.is(newsQueue.length, SPORE_LIMITS.memberTable);
  assert.is(newsQueue[0], "a1b2c3");
  assert.is(newsQueue[1], "x" + (SPORE_LIMITS.memberTable + 2), "the newest of the others next");
  // own news again (a refutation): still first, once
  enqueue("x0");
  enqueue("a1b2c3");
  assert.is(newsQueue[0], "a1b2c3");
  assert.is(newsQueue.filter((id) => id === "a1b2c3").length, 1);
  assert.is(newsQueue[1], "x0");
});

test("piggyback: this node's own news, members alive and suspected, as many as fit, each counted once per datagram", () => {
  // (uptime 0 at setup: the clock moves on from there)
  member("0000aa", "10.0.0.2", 4096);
  const s = member("0000bb", "10.0.0.3", 8192);
  s.suspected_ = 1;
  // (the lifeguard capability: the tag of the member that suspected it, and the age's tenths after it)
  s.conf_ = "0aa";
  clock += 7000;
  enqueue("0000aa");
  enqueue("0000bb");
  enqueue("a1b2c3");
  const rows: [number, string][] = [
    [500, "aa1b2c3/0/10.0.0.1/1,s0000bb/6bk/7/0aa/0,a0000aa/35s/10.0.0.2/5"],
    // what does not fit is skipped for what does: 20 bytes leave no room for the 20 of the first
    [20, "s0000bb/6bk/7/0aa/0"],
    [0, ""],
  ];
  for (const [room, expected] of rows) assert.is(piggyback(room, "aa1b2c3/0/10.0.0.1/1", ""), expected, `room ${room}`);
  assert.is(piggyback(500, "own", "sX/1/0"), "sX/1/0,own,s0000bb/6bk/7/0aa/0,a0000aa/35s/10.0.0.2/5", "extra first");
});

test("piggyback: an id whose news went 3*log2(n+2) times, or that is no member any more, leaves the queue", () => {
  member("0000aa", "10.0.0.2");
  enqueue("0000aa");
  enqueue("0000cc"); // never a member
  // one member: 3 * ceil(log2(1 + 2)) = 6 times
  assert.is(memberCount, 1);
  const sent: string[] = [];
  for (let i = 0; i < 8; i++) sent.push(piggyback(500, "", ""));
  assert.equal(sent, [...Array(6).fill("a0000aa/0/10.0.0.2/5"), "", ""]);
  assert.equal(newsQueue, []);
});

test("status: ACTIVE until suspected ina s, INACTIVE until dead s, then DEAD; counts by status", () => {
  const m = member("0000aa", "10.0.0.2");
  const cfg = defaultConfig();
  const rows: [number, number, number][] = [
    // suspected, seconds since last known alive, status
    [0, 1000, Status.Active],
    [1, cfg.ina - 1, Status.Active],
    [1, cfg.ina, Status.Inactive],
    [1, cfg.dead - 1, Status.Inactive],
    [1, cfg.dead, Status.Dead],
  ];
  for (const [suspected, age, expected] of rows) {
    m.suspected_ = suspected;
    m.aliveAt_ = uptime() - age * 1000;
    assert.is(status(m), expected, `suspected ${suspected}, ${age} s`);
  }
  member("0000bb", "10.0.0.3");
  assert.equal(counts(), [1, 0, 1]);
});

test("lifeguard: a suspicion's confirmations are a union of tags (at most four), and each shortens the time to INACTIVE: ina x 9 / (7c + 2)", () => {
  const m = member("0000aa", "10.0.0.2");
  for (const id of ["0000bb", "0000cc", "0000dd", "0000ee", "0000ff"]) member(id, "10.0.0.9");
  m.suspected_ = 1;
  m.conf_ = "";
  assert.is(confirm(m, "0bb"), true);
  assert.is(confirm(m, "0bb"), false, "the same member counts once");
  assert.is(confirm(m, "0cc0bb"), true, "a union: the new tag taken, the known one not again");
  assert.is(m.conf_, "0bb0cc");
  const ina = defaultConfig().ina * 1000;
  // seconds suspected at which it turns INACTIVE, for 2 tags: 9/16 of ina
  const inactiveAt = () => {
    for (let t = 0; t <= ina; t += 100) {
      m.aliveAt_ = uptime() - t;
      if (status(m) === Status.Inactive) return t;
    }
    return -1;
  };
  assert.is(inactiveAt(), Math.ceil((ina * 9) / 16 / 100) * 100);
  confirm(m, "0dd0ee0ff");
  assert.is(m.conf_, "0bb0cc0dd0ee", "at most four");
  assert.is(inactiveAt(), (ina * 3) / 10, "four: 0.3 ina");
  m.conf_ = "";
  assert.is(inactiveAt(), ina, "none known (a board without the capability suspected it): one suspecter, ina");
});

test("a full table gives way: a DEAD member to anyone; to a member heard from itself an INACTIVE one, else one suspected that never answered a probe", () => {
  for (let i = 0; i < SPORE_LIMITS.memberTable; i++) member("0000" + (16 + i).toString(16), "10.0.1." + i).latency_ = 5;
  assert.is(addMember("00ffff", "10.0.2.1", 0, 0, true), null, "full of live, confirmed members");
  // suspected, never answered a probe of ours, still ACTIVE
  const unconfirmed = members["000011"];
  unconfirmed.suspected_ = 1;
  unconfirmed.latency_ = -1;
  assert.is(addMember("00fffe", "10.0.2.2", 0, 0, false), null, "gossip about a member displaces nothing but the DEAD");
  assert.ok(addMember("00fffe", "10.0.2.2", 0, 0, true), "heard from itself, it displaces the unconfirmed suspect");
  assert.not.ok(members["000011"]);
  const inactive = members["000012"];
  inactive.suspected_ = 1;
  inactive.aliveAt_ = uptime() - defaultConfig().ina * 1000;
  const dead = members["000010"];
  dead.suspected_ = 1;
  dead.aliveAt_ = uptime() - defaultConfig().dead * 1000;
  assert.ok(addMember("00fffd", "10.0.2.3", 0, 0, false), "a DEAD one gives way to gossip too");
  assert.not.ok(members["000010"]);
  assert.is(addMember("00fffc", "10.0.2.4", 0, 0, false), null);
  assert.ok(addMember("00fffc", "10.0.2.4", 0, 0, true), "an INACTIVE one gives way to a member heard from itself");
  assert.not.ok(members["000012"]);
});

test.run();
