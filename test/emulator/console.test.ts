// The Telnet console, eval of Storage code, and what erasing a running file does.
import * as assert from "uvu/assert";
import { Cluster } from "../../host-tools/emulator/cluster.ts";
import { TELNET_PORT } from "../../host-tools/emulator/device.ts";
import { suite } from "../suite.ts";
import { runUntil } from "../wait.ts";
import { telnet } from "./harness.ts";

const { test: t } = suite("emulated console and code in Storage");

function node(board: string, code: string) {
  const c = new Cluster({ seed: 3, boards: [] });
  const d = c.addNode(board, `var W = require("Wifi"); W.connect("spore-lan", {password: "spore-pass"}); ${code}`, { bare: true });
  runUntil(c, () => !!d.stationIp, 10000, "the node joined WiFi");
  return { c, d };
}

t("a client is shown the prompt; the REPL answers a newline with =undefined and a prompt, as the espruino CLI expects; echo off with 0x10", () => {
  const { c, d } = node("esp8266", "");
  const s = telnet(c, d.ip);
  assert.is(s.out(), ">", "the prompt, as the interpreter shows a client that connects");
  s.send("\n");
  assert.is(s.out(), ">\r\n=undefined\r\n>");
  s.send("1+2\n");
  assert.ok(s.out().endsWith("1+2\r\n=3\r\n>"), JSON.stringify(s.out()));
  const before = s.out().length;
  s.send('\x10print("<","<<",JSON.stringify(process.env.BOARD),">>",">")\n');
  assert.is(s.out().slice(before), '< << "ESP8266_4MB" >> >\r\n>', "no echo, no =value");
});

t("Ctrl-C drops the line; a statement over several lines runs once complete; line-number escapes are ignored", () => {
  const { c, d } = node("esp32", "");
  const s = telnet(c, d.ip);
  s.send("var x = \x03");
  s.send("\x10function f(a) {\n\x10\x1b[12d  return a * 2;\n\x10}\n");
  s.send('\x10print("F", f(21))\n');
  assert.match(s.out(), /F 42\r\n/);
  assert.is(d.counters.uncaught, 0);
});

t("reset() clears RAM and runs no boot code, but WiFi and the console stay", () => {
  const { c, d } = node("esp8266", 'var kept = 1; print("booted");');
  const s = telnet(c, d.ip);
  s.send("\x10reset()\n");
  s.send('\x10print("after", typeof kept, require("Wifi").getIP().ip)\n');
  assert.match(s.out(), new RegExp(`after undefined ${d.ip.replace(/\./g, "\\.")}`));
  assert.is(d.console.filter((l) => l === "booted").length, 1, "the boot code did not run again");
});

t("load() resets as reset() does and runs the file: WiFi and the console stay, so the CLI that sent it sees what it prints", () => {
  const { c, d } = node("esp8266", 'var kept = 1;');
  d.storage.write("app", 'print("app", typeof kept, require("Wifi").getIP().ip); require("Wifi").connect("spore-lan", {password: "spore-pass"});');
  const s = telnet(c, d.ip);
  s.send('\x10load("app")\n');
  assert.match(s.out(), new RegExp(`app undefined ${d.ip.replace(/\./g, "\\.")}`));
  // a join the loaded code asks for completes on the radio it kept
  assert.ok(c.runUntil(() => d.stationIp === d.ip, 5000), "back on WiFi");
  assert.is(d.counters.uncaught, 0);
});

t("esp01 has no Telnet console", () => {
  const { c, d } = node("esp01", "");
  let err: string | null = null;
  c.lan.connect(c.lan.gateway(), d.ip, TELNET_PORT, (e) => (err = e));
  c.runFor(200);
  assert.is(err, "refused");
});

t("eval of code read from Storage defines globals, as a loaded file's; erasing that file nulls its functions", () => {
  const c = new Cluster({ seed: 4, boards: [] });
  const d = c.addNode("esp8266", 'eval(require("Storage").read("app")); setInterval(tick, 100);', { bare: true });
  d.storage.write("app", 'var n = 0; function tick() { n++; }');
  runUntil(c, () => d.running, 5000, "booted");
  c.runFor(500);
  assert.ok((d.eval("n") as number) >= 4, "the evaluated code runs");
  d.eval('require("Storage").erase("app")');
  c.runFor(300);
  assert.ok(d.console.some((l) => /erased while code loaded from it runs/.test(l)));
  assert.ok(d.console.some((l) => l === "Uncaught Error: Function code is null"), d.console.join("\n"));
});

t.run();
