// The Telnet console of a node running Spore (esp8266, esp32) is locked from
// its boot file on: a client on the LAN without the password (the cluster
// secret's first 20 characters) can run nothing, so it cannot read
// spore.json and the secret in it; with it, it can. Also in recovery mode,
// when the firmware fails, and again once a client that unlocked it has gone.
// esp01 has no Telnet console, and its boot file carries none of this.
import * as assert from "uvu/assert";
import { Cluster, readBundle } from "../../host-tools/emulator/cluster.ts";
import type { Device } from "../../host-tools/emulator/device.ts";
import { suite } from "../suite.ts";
import { runUntil } from "../wait.ts";
import { telnet } from "../emulator/harness.ts";
import { cli } from "./cli.ts";

const { test, seed } = suite("console lock on a node", { seed: 1823 });

const SECRET = "a-cluster-secret-longer-than-twenty";
const PASSWORD = SECRET.slice(0, 20);
const READ_KEY = 'print("KEY " + require("Storage").readJSON("spore.json").key)\n';

function booted(c: Cluster, d: Device, line = /^esp_[0-9a-f]{6} [0-9a-f]{8}$/): void {
  runUntil(c, () => !!d.stationIp && d.console.some((l) => line.test(l)), 30000, () => `${d.hostname} booted (${d.console.join(" | ")})`);
}

/** A client without the password: shown password>, refused every line, never shown the secret. */
function refused(c: Cluster, d: Device): void {
  const s = telnet(c, d.ip);
  assert.is(s.since(), "password>", `${d.board.name}: the console is locked`);
  s.send(READ_KEY);
  s.send("\x10" + READ_KEY);
  s.send("\x03" + READ_KEY);
  assert.is(s.since(), "\r\n  Invalid password\r\npassword>".repeat(3), "every line refused, nothing echoed or run");
  assert.not.ok(s.out().includes(SECRET.slice(0, 8)), "the secret never appears");
  s.close();
}

for (const board of ["esp8266", "esp32"])
  test(`${board}: without the password a Telnet client cannot read Storage; with the secret's first 20 characters it can`, () => {
    const c = new Cluster({ seed, boards: [board], secret: SECRET });
    const d = c.devices[0];
    booted(c, d);
    refused(c, d);
    const s = telnet(c, d.ip);
    s.send(PASSWORD + "\n");
    assert.match(s.since(), /Logged in\.\r\n>$/);
    s.send(READ_KEY);
    assert.match(s.since(), new RegExp(`KEY ${SECRET}\\r\\n`), "unlocked, the console reads Storage");
  });

test("after secret rotate the console's password is the new secret's first 20 characters, before any restart", async () => {
  const c = new Cluster({ seed, boards: ["esp8266", "esp32"], secret: SECRET });
  for (const d of c.devices) booted(c, d);
  c.runFor(30000);
  const NEW = "the-next-secret-also-longer-than-twenty";
  const r = await cli(c, ["secret", "rotate", "--api-node", c.devices[0].ip], { env: { SPORE_NEW_SECRET: NEW } });
  assert.is(r.code, 0, r.out + r.err);
  for (const d of c.devices) {
    const old = telnet(c, d.ip);
    old.send(PASSWORD + "\n");
    assert.match(old.since(), /Invalid password/, `${d.board.name}: the old password no longer unlocks`);
    old.close();
    c.runFor(2000);
    const s = telnet(c, d.ip);
    s.send(NEW.slice(0, 20) + "\n");
    assert.match(s.since(), /Logged in\./, `${d.board.name}: the new one does`);
    s.close();
  }
});

test("typing the whole secret unlocks it too (the console keeps the first 20 characters of a line)", () => {
  const c = new Cluster({ seed, boards: ["esp8266"], secret: SECRET });
  const d = c.devices[0];
  booted(c, d);
  const s = telnet(c, d.ip);
  s.send(SECRET + "\n");
  assert.match(s.since(), /Logged in\./);
});

test("the console locks itself again within a second of the Telnet client that unlocked it going", () => {
  const c = new Cluster({ seed, boards: ["esp8266"], secret: SECRET });
  const d = c.devices[0];
  booted(c, d);
  const s = telnet(c, d.ip);
  s.send(PASSWORD + "\n");
  // the firmware's probe task has the boot file look at the console's device every half second: a session it saw
  c.runFor(1000);
  s.close();
  c.runFor(1000);
  refused(c, d);
  // while the client stays, its console stays unlocked
  const t = telnet(c, d.ip);
  t.send(PASSWORD + "\n");
  c.runFor(3000);
  t.since();
  t.send("\x10print(E.getConsole())\n");
  assert.is(t.since(), "Telnet\r\n>");
});

test("in recovery mode (slot a missing) and after the firmware fails to load, the console is locked", () => {
  const c = new Cluster({ seed, boards: ["esp8266"], secret: SECRET });
  const d = c.devices[0];
  d.storage.erase("spore.a");
  booted(c, d, /^boot: recovery/);
  refused(c, d);
  // no firmware calls the watch in recovery mode: the boot file's own interval locks it again
  const u = telnet(c, d.ip);
  u.send(PASSWORD + "\n");
  assert.match(u.since(), /Logged in\./);
  c.runFor(1000);
  u.close();
  c.runFor(1000);
  refused(c, d);
  const f = new Cluster({ seed, boards: ["esp32"], secret: SECRET, bundles: { esp32: 'throw new Error("broken firmware")' } });
  const e = f.devices[0];
  runUntil(f, () => e.console.includes("boot: load failed"), 30000, () => `the firmware failed (${e.console.join(" | ")})`);
  booted(f, e, /^boot: recovery/);
  refused(f, e);
});

test("a node without a cluster secret has nothing to lock with: its console stays open (it takes no update either)", () => {
  const c = new Cluster({ seed, boards: ["esp8266"], config: { key: "" } });
  const d = c.devices[0];
  booted(c, d);
  const s = telnet(c, d.ip);
  assert.is(s.since(), ">");
});

test("esp01 has no Telnet console, and its boot file carries no lock", () => {
  assert.not.ok(readBundle("esp01.boot").includes("lockConsole"), "esp01: no lock in the boot file (its Storage has no byte to spare)");
  for (const board of ["esp8266", "esp32"]) assert.ok(readBundle(`${board}.boot`).includes("lockConsole"), `${board}: the boot file locks`);
  const c = new Cluster({ seed, boards: ["esp01"], secret: SECRET });
  const d = c.devices[0];
  booted(c, d);
  let err: string | null = null;
  c.lan.connect(c.lan.gateway(), d.ip, 23, (e) => (err = e));
  c.runFor(200);
  assert.is(err, "refused");
});

test.run();
