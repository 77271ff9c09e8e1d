// The host tools' way into a locked console (host-tools/lib/console.ts),
// against an emulated esp8266's Telnet console served for real: through the
// proxy a client finds the console unlocked and reads Storage, and the
// console is locked again once it hangs up; a wrong password is said at
// once, never a hang; the same unlock and lock on a serial port (a TCP
// connection stands in for it). Real time, bounded waits.
import net from "node:net";
import * as assert from "uvu/assert";
import { Cluster } from "../../host-tools/emulator/cluster.ts";
import type { Device } from "../../host-tools/emulator/device.ts";
import { ConsoleError, ConsoleProxy, consolePassword, type OpenPort, serialConsole } from "../../host-tools/lib/console.ts";
import { loopbackNet } from "./helpers.ts";
import { suite } from "../suite.ts";
import { served, Transcript, until } from "../wait.ts";

const { test } = suite("console proxy");
const OFFSET = 9300;
const LAN = loopbackNet();
const SECRET = "console-proxy-secret-of-32-chars";

interface Client {
  said: Transcript;
  type(s: string): void;
  hangUp(): Promise<void>;
  /** The other end closed the connection. */
  closed: boolean;
}

/** A raw Telnet client: what it was told, and a way to type. */
function client(host: string, port: number): Promise<Client> {
  return new Promise((resolve, reject) => {
    const said = new Transcript();
    const s = net.connect(port, host, () => resolve(c));
    const c: Client = { said, type: (x) => s.write(x), hangUp: () => new Promise((r) => (s.end(), s.on("close", () => r()))), closed: false };
    s.on("data", (d) => said.add(d.toString("latin1")));
    s.on("close", () => (c.closed = true));
    s.on("error", reject);
  });
}

/** A client without the password: the console refuses what it types, and it never sees the secret. */
async function refuses(at: { host: string; port: number }): Promise<void> {
  const after = await client(at.host, at.port);
  after.type('print("KEY "+require("Storage").readJSON("spore.json").key)\n');
  await after.said.waitFor(/Invalid password/, 1, 5000);
  assert.not.ok(after.said.text.includes(SECRET), "the secret never reaches a client without the password");
  await after.hangUp();
}

async function node(ip: string, options: { secret?: string; config?: Record<string, unknown> } = {}): Promise<{ c: Cluster; d: Device; at: { host: string; port: number } }> {
  const c = new Cluster({ seed: 31, boards: ["esp8266"], realtime: true, lan: { firstIp: ip }, privilegedPortOffset: OFFSET, secret: options.secret ?? SECRET, config: options.config });
  c.startRealtime();
  const d = c.devices[0];
  await until(() => !!d.stationIp && d.running, 10000, "the node joined WiFi");
  await served(c, d, 23);
  return { c, d, at: c.realAddress(d, 23) };
}

test("through the proxy a client finds the console unlocked and reads Storage; once it hangs up the console is locked again", async () => {
  const { c, at } = await node(`${LAN}.81`);
  const proxy = await ConsoleProxy.open(at, [consolePassword("a-wrong-secret"), consolePassword(SECRET)]);
  try {
    // an attacker left part of a line typed at the locked console: the proxy's first line ends it
    const junk = await client(at.host, at.port);
    await junk.said.waitFor(/password>/, 1, 5000);
    junk.type("abc");
    await junk.hangUp();
    assert.is(await proxy.check(), true, "the console was locked");
    const cli = await client("127.0.0.1", proxy.port);
    cli.type('print("KEY "+require("Storage").readJSON("spore.json").key)\n');
    await cli.said.waitFor(new RegExp(`KEY ${SECRET}\r\n`), 1, 5000);
    assert.not.match(cli.said.text, /password|Invalid|Logged in/, `the client sees the console as an open one:\n${cli.said.text}`);
    await cli.hangUp();
    await proxy.idle();
    // the next client without the proxy finds it locked
    await refuses(at);
    assert.is(proxy.failure, undefined);
  } finally {
    await proxy.close();
    await c.stop();
  }
});

test("a wrong password: check() says so at once, a client's connection is closed and the proxy's signal aborts; nothing ran", async () => {
  const { c, d, at } = await node(`${LAN}.82`);
  const proxy = await ConsoleProxy.open(at, [consolePassword("not-the-secret")]);
  try {
    const t0 = Date.now();
    const e = await proxy.check().then(
      () => undefined,
      (x: unknown) => x,
    );
    assert.instance(e, ConsoleError);
    assert.is((e as ConsoleError).kind, "refused");
    assert.match((e as Error).message, new RegExp(`the console at ${at.host}:${at.port} refused the password`));
    const cli = await client("127.0.0.1", proxy.port);
    cli.type('global.ran = 1\n');
    await new Promise<void>((r) => (proxy.signal.aborted ? r() : proxy.signal.addEventListener("abort", () => r())));
    assert.is((proxy.failure as ConsoleError).kind, "refused");
    await until(() => cli.closed, 5000, "the proxy closed the client's connection");
    assert.is(cli.said.text, "", "the client was told nothing");
    assert.ok(Date.now() - t0 < 10000, `said within seconds (${Date.now() - t0} ms)`);
    assert.is(d.eval("global.ran"), undefined, "nothing the client typed ran");
  } finally {
    await proxy.close();
    await c.stop();
  }
});

test("an open console (a node without a secret): used as it is, and locked with the first password after the session", async () => {
  const { c, at } = await node(`${LAN}.83`, { config: { key: "" } });
  const proxy = await ConsoleProxy.open(at, [consolePassword(SECRET)]);
  try {
    assert.is(await proxy.check(), false, "the console was open");
    // locked with that password: a line is refused, the password logs in
    await refuses(at);
    const after = await client(at.host, at.port);
    after.type(consolePassword(SECRET) + "\n");
    await after.said.waitFor(/Logged in\./, 1, 5000);
    await after.hangUp();
  } finally {
    await proxy.close();
    await c.stop();
  }
});

test("a serial port (a TCP connection to the console stands in for it): unlock() before each use leaves the console open for whoever opens the port next, lock() locks it again", async () => {
  const { c, at } = await node(`${LAN}.85`);
  // each open is a new connection, as each run of the CLI opens the serial port anew
  const open = () =>
    new Promise<OpenPort>((resolve, reject) => {
      const s = net.connect(at.port, at.host, () => resolve({ stream: s, close: () => new Promise((r) => (s.end(), s.on("close", () => r()))) }));
      s.on("error", reject);
    });
  const port = serialConsole("/dev/ttyFAKE", 115200, [consolePassword("not-the-secret"), consolePassword(SECRET)], 5000, open);
  try {
    await port.unlock();
    const user = await client(at.host, at.port);
    user.type('print("KEY "+require("Storage").readJSON("spore.json").key)\n');
    await user.said.waitFor(new RegExp(`KEY ${SECRET}\r\n`), 1, 5000);
    await user.hangUp();
    await port.unlock();
    await port.lock();
    await refuses(at);
    const wrong = serialConsole("/dev/ttyFAKE", 115200, [consolePassword("not-the-secret")], 5000, open);
    const e = await wrong.unlock().then(
      () => undefined,
      (x: unknown) => x,
    );
    assert.is((e as ConsoleError).kind, "refused", String(e));
    assert.match((e as Error).message, /the console at \/dev\/ttyFAKE refused the password/);
  } finally {
    await c.stop();
  }
});

test("nothing listening: unreachable, at once", async () => {
  const proxy = await ConsoleProxy.open({ host: `${LAN}.84`, port: 9999 }, ["x"]);
  try {
    const e = await proxy.check().then(
      () => undefined,
      (x: unknown) => x,
    );
    assert.is((e as ConsoleError).kind, "unreachable", String(e));
  } finally {
    await proxy.close();
  }
});

test.run();
