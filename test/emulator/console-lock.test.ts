// The console's lock (E.setPassword, E.lockConsole) as Espruino 2v29 keeps
// it, measured on the interpreter built for Linux (test/real/probes/console-lock.ts):
// what a locked console shows and refuses, what unlocks it, what reset(),
// load() and a power cycle do to it, and E.getConsole().
import * as assert from "uvu/assert";
import { Cluster } from "../../host-tools/emulator/cluster.ts";
import { suite } from "../suite.ts";
import { runUntil } from "../wait.ts";
import { telnet } from "./harness.ts";

const { test: t } = suite("emulated console lock");

const PASSWORD = "abcdefghijklmnopqrst"; // 20 characters, the most the console takes

/** A bare esp8266 on WiFi whose boot code sets the password and locks the console, as Spore's boot file does. */
function locked(extra = "") {
  const c = new Cluster({ seed: 5, boards: [] });
  const d = c.addNode("esp8266", `require("Wifi").connect("spore-lan", {password: "spore-pass"}); E.setPassword(${JSON.stringify(PASSWORD)}); E.lockConsole(); ${extra}`, { bare: true });
  runUntil(c, () => !!d.stationIp, 10000, "the node joined WiFi");
  return { c, d };
}

t("locked: a client is shown password>, nothing typed runs or is echoed, and each line is answered Invalid password", () => {
  const { c, d } = locked();
  const s = telnet(c, d.ip);
  assert.is(s.since(), "password>");
  s.send('print("SEC"+"RET"); global.ran = 1\n');
  assert.is(s.since(), "\r\n  Invalid password\r\npassword>", "no echo, no output");
  s.send('\x10print("SEC"+"RET")\n');
  assert.is(s.since(), "\r\n  Invalid password\r\npassword>", "an echo-off line is refused too");
  assert.not.ok(s.out().includes("SECRET"), "nothing ran");
  assert.is(d.eval("global.ran"), undefined, "nothing ran");
});

t("the password unlocks; Ctrl-C is a character of the line, not a way out; only the first 20 characters typed count", () => {
  const { c, d } = locked();
  const s = telnet(c, d.ip);
  s.since();
  s.send("\x03");
  assert.is(s.since(), "", "Ctrl-C says nothing");
  s.send(PASSWORD + "\n");
  assert.is(s.since(), "\r\n  Invalid password\r\npassword>", "the Ctrl-C before it was part of the line");
  s.send(PASSWORD + "uvwxyz\r\n");
  assert.is(s.since(), "\r\n  Logged in.\r\n>\r\n=undefined\r\n>", "26 characters typed, the first 20 matched; the LF after the CR is an empty line");
  s.send('print("A"+1)\n');
  assert.match(s.since(), /A1\r\n/);
});

t("unlocked, the console stays so for the next client until E.lockConsole(); the line being typed at a locked console is the device's, not the connection's", () => {
  const { c, d } = locked();
  const a = telnet(c, d.ip);
  a.send(PASSWORD + "\n");
  a.close();
  const b = telnet(c, d.ip);
  assert.is(b.since(), ">", "the next client finds it open");
  b.send("E.lockConsole()\n");
  assert.match(b.since(), /password>$/);
  // a client leaves a part of a line; the next one is shown it (the cursor back at its start), and its line goes on from it
  b.send("abc");
  b.close();
  const e = telnet(c, d.ip);
  assert.is(e.since(), "password>abc\x1b[D\x1b[D\x1b[D");
  e.send(PASSWORD + "\n");
  assert.is(e.since(), "\r\n  Invalid password\r\npassword>", "abc + the password is not the password");
  e.send(PASSWORD + "\n");
  assert.match(e.since(), /Logged in\./);
});

t("a client that takes the console over from another is shown nothing, and finds it as it was", () => {
  const { c, d } = locked();
  const a = telnet(c, d.ip);
  a.send(PASSWORD + "\n");
  const b = telnet(c, d.ip);
  assert.ok(a.end.closed, "the first client was dropped");
  assert.is(b.since(), "", "no prompt: the console did not move");
  b.send("1+1\n");
  assert.is(b.since(), "1+1\r\n=2\r\n>", "unlocked, as the first client left it");
});

t("reset() keeps the lock and drops the password: unlocked, E.lockConsole() then does nothing; locked by code before it, no password opens it until a power cycle", () => {
  const { c, d } = locked();
  const s = telnet(c, d.ip);
  s.send(PASSWORD + "\n");
  s.send("reset()\n");
  s.send("E.lockConsole()\n");
  assert.match(s.since(), /=undefined\r\n>$/, "no password left to lock with");
  s.send("E.setPassword(" + JSON.stringify(PASSWORD) + "); E.lockConsole(); reset()\n");
  s.send(PASSWORD + "\n");
  assert.match(s.since(), /Invalid password\r\npassword>$/, "locked, and the password went with the reset");
  c.restart(d);
  runUntil(c, () => !!d.stationIp, 10000, "back on WiFi");
  const after = telnet(c, d.ip);
  assert.is(after.since(), "password>", "the boot code locked it again");
  after.send(PASSWORD + "\n");
  assert.match(after.since(), /Logged in\./);
});

t("load() keeps the lock too, and the code it loads sets the password again", () => {
  const { c, d } = locked();
  const s = telnet(c, d.ip);
  s.send(PASSWORD + "\n");
  s.send("E.lockConsole(); load()\n");
  runUntil(c, () => !!d.stationIp, 10000, "back on WiFi after load()");
  s.since();
  s.send(PASSWORD + "\n");
  assert.match(s.since(), /Logged in\./, "the boot code that load() ran set the password");
});

t("what the device prints reaches a locked client", () => {
  const { c, d } = locked('setInterval(function () { print("tick"); }, 1000);');
  const s = telnet(c, d.ip);
  c.runFor(1000);
  assert.match(s.out(), /^password>(tick\r\n)+$/);
});

t("E.getConsole() is Telnet while a client is connected, else Serial1", () => {
  const { c, d } = locked();
  assert.is(d.eval("E.getConsole()"), "Serial1");
  const s = telnet(c, d.ip);
  assert.is(d.eval("E.getConsole()"), "Telnet");
  s.close();
  assert.is(d.eval("E.getConsole()"), "Serial1");
});

t("E.setPassword() with no argument removes the password: E.lockConsole() then does nothing", () => {
  const { c, d } = locked();
  const s = telnet(c, d.ip);
  s.send(PASSWORD + "\n");
  s.send("E.setPassword(); E.lockConsole()\n");
  assert.match(s.since(), /=undefined\r\n>$/);
});

t("the password counts in the device's JsVars as measured: 6 for 20 characters, 4 for 5, none once removed", () => {
  const { d } = locked();
  const used = () => d.jsVarsUsed();
  const with20 = used();
  d.eval('E.setPassword("short")');
  assert.is(used(), with20 - 2);
  d.eval("E.setPassword()");
  assert.is(used(), with20 - 6);
});

t.run();
