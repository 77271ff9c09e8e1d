// What a node sends, on the pure core with a fake socket: how much it
// piggybacks, and what it does when Espruino still holds unsent datagrams.
import "./limits.ts";
import * as assert from "uvu/assert";
import { readConfig } from "../../device/core/layout.ts";
import { setup, type Ports } from "../../device/core/env.ts";
import { receive } from "../../device/core/dispatch.ts";
import { drops, online, send } from "../../device/core/gossip.ts";
import { members as M } from "../../device/core/members.ts";
import { news, Wire, type Message } from "../../device/core/wire.ts";
import { datagram, readDatagram, useSecret } from "../../host-tools/lib/mac.ts";
import { suite } from "../suite.ts";

const out: { data: string; to: string }[] = [];
/** The dgram socket: "dSnd" is what Espruino has not sent yet. */
const udp = { dSnd: "", send: (data: string, _port: number, to: string) => void out.push({ data, to }) };
const { test: members } = suite("members: sending");
// the core's configuration is module state, shared with other unit test files in this process: set before each test
const configure = () => {
  useSecret("k3y");
  setup({ udp_: udp, now_: () => 1000, heap_: () => 9000, jsvars_: () => 900, log_: () => {}, later_: () => 0, uniform_: () => 0.5 } as unknown as Ports, readConfig({ key: "k3y" }, []), "a1b2c3");
};
members.before.each(configure);
members.before(() => {
  configure();
  online("sta", "10.0.0.5", "255.255.255.0");
  // a member pings this node, with news of a third: both are now gossiped
  receive(datagram("k3y", "spore", "P|a1b2c4|0|1|0|0", "10.0.0.6", "aa1b2c5/0/10.0.0.7/0", "1"), { address: "10.0.0.6" });
});
const last = () => readDatagram("k3y", "spore", out[out.length - 1].data, "10.0.0.5") as Message;

members("a ping is answered, piggybacking what this node has to gossip", () => {
  assert.equal(Object.keys(M).sort(), ["a1b2c4", "a1b2c5"]);
  assert.is(last().type_, "K");
  assert.ok(news(last().updates_).length >= 2, last().updates_);
});

members("a malformed update in a member's datagram is skipped and counted; the datagram and its other updates are taken", () => {
  const before = drops.malformed || 0;
  receive(datagram("k3y", "spore", "P|a1b2c4|0|2|0|0", "10.0.0.6", "aa1b2c6/0/10.0.0.300/0,aa1b2c7/0/10.0.0.8/0", "2"), { address: "10.0.0.6" });
  assert.is(drops.malformed, before + 1);
  assert.ok(M.a1b2c7, "the good update's member is known");
  assert.not.ok(M.a1b2c6, "the malformed one's is not");
  assert.is(last().type_, "K", "the ping is answered");
});

members("with more than the board's backlog still unsent in the socket, the next goes without updates, not held full in JsVars too", () => {
  // esp8266 (test/unit/limits.ts): backlog 0, so one waiting datagram is enough
  assert.is(SPORE_LIMITS.backlog, 0);
  udp.dSnd = "\0".repeat(8) + "x".repeat(Wire.MaxDatagram - 8);
  send("R", "8/10.0.0.7", "10.0.0.6");
  assert.equal([last().type_, last().arg_, last().updates_], ["R", "8/10.0.0.7", ""]);
  udp.dSnd = "";
  send("R", "9/10.0.0.7", "10.0.0.6");
  assert.is(last().type_, "R");
  assert.ok(news(last().updates_).length >= 1, "nothing waiting: updates again");
});

members("past the board's unsentMax bytes unsent, a message is dropped: a node starved of CPU does not pile datagrams up in JsVars until it runs out", () => {
  // esp8266: 828 bytes, three full datagrams with Espruino's 8-byte headers
  assert.is(SPORE_LIMITS.unsentMax, 3 * (Wire.MaxDatagram + 8));
  const full = "\0".repeat(8) + "x".repeat(Wire.MaxDatagram);
  const before = out.length;
  udp.dSnd = full + full + full;
  send("R", "8/10.0.0.7", "10.0.0.6");
  assert.is(out.length, before + 1, "at the limit: it still goes");
  udp.dSnd += "\0";
  send("R", "9/10.0.0.7", "10.0.0.6");
  send("P", "", "10.0.0.6");
  assert.is(out.length, before + 1, "over it: dropped");
  udp.dSnd = "";
  send("R", "a/10.0.0.7", "10.0.0.6");
  assert.is(out.length, before + 2, "sent once the socket has drained");
  assert.is(last().arg_, "a/10.0.0.7");
});

members.run();
