// The console of a node whose board has a Telnet console (esp8266, esp32) is
// locked by its boot file from boot on (device/boot.ts): the password is the
// cluster secret's first 20 characters, and the lock holds for its serial
// port too. What a host tool needs to reach it as the espruino CLI does:
// - ConsoleProxy: a local TCP port; each connection the CLI makes is
//   forwarded to the node's Telnet console, unlocked first, and the console
//   is locked again when the CLI hangs up (Espruino leaves it unlocked for
//   whoever connects next);
// - the same unlock on a serial port before each run of the CLI, which then
//   opens the port itself (serialConsole).
// What a locked console does (Espruino 2v29, test/real/probes/console-lock.ts):
// it shows "password>", runs nothing typed, and answers a line with
// "Invalid password" or, when the line is the password, "Logged in.".
import { createRequire } from "node:module";
import net from "node:net";
import type { Duplex } from "node:stream";

/** Characters of a line a locked console keeps: a password is at most this long. */
export const PASSWORD_MAX = 20;

/**
 * The console's password for a cluster secret, as the bytes to type (an
 * 8-bit string): device/boot.ts takes the first 20 characters of the secret
 * as the node reads it from spore.json, which flash writes as UTF-8, so the
 * first 20 bytes of its UTF-8.
 */
export function consolePassword(secret: string): string {
  return Buffer.from(secret, "utf8").subarray(0, PASSWORD_MAX).toString("latin1");
}

/**
 * The console could not be used: `refused` (no password given unlocked it),
 * `silent` (it did not answer in time), `closed` (the connection ended),
 * `unreachable` (no connection).
 */
export class ConsoleError extends Error {
  constructor(
    readonly kind: "refused" | "silent" | "closed" | "unreachable",
    message: string,
  ) {
    super(message);
  }
}

// Run on an open console it prints the mark (echo off: the line itself is not
// shown); a locked one takes it as a wrong password.
const OPEN_MARK = "SPORE_CONSOLE_OPEN";
const PROBE = `\x10print("SPORE_CONSOLE"+"_OPEN")\n`;
const REFUSED = /Invalid password/;
const LOGGED_IN = /Logged in\.\r?\n/;
const OPENED = new RegExp(`${OPEN_MARK}\r?\n`);

/** The line that locks the console again with `password` (echo off: it is not shown), then prints a mark. */
export function lockLine(password: string): string {
  return `\x10E.setPassword(${JSON.stringify(password)});E.lockConsole();print("SPORE_CONSOLE"+"_LOCKED")\n`;
}
const LOCKED = /SPORE_CONSOLE_LOCKED/;
/** How long the proxy waits for a console it locks again to say so. */
const RELOCK_MS = 3000;

/** Locks the console on `stream` again with `password`; resolves once it said so (or did not within `ms`: the caller hangs up either way). */
export async function lockConsole(stream: Duplex, password: string, where: string, ms = 10000): Promise<void> {
  const reader = new Reader(stream);
  try {
    stream.write(Buffer.from(lockLine(password), "latin1"));
    await reader.wait([LOCKED], 0, ms, where);
  } catch {
    // a console that went away (a reboot) or says nothing is left as it is
  } finally {
    reader.detach();
  }
}

/** What a console says, with waits for what it will say. */
class Reader {
  text = "";
  private ended = false;
  private check: () => void = () => {};
  private readonly onData = (d: Buffer) => {
    this.text += d.toString("latin1");
    this.check();
  };
  private readonly onClose = () => {
    this.ended = true;
    this.check();
  };

  constructor(private readonly stream: Duplex) {
    stream.on("data", this.onData);
    stream.on("close", this.onClose);
  }

  /** Stops listening: what comes next is someone else's. */
  detach(): void {
    this.stream.off("data", this.onData);
    this.stream.off("close", this.onClose);
  }

  /** The first of `patterns` to match what came from `from` on: its index and where the match ends. */
  wait(patterns: RegExp[], from: number, ms: number, where: string): Promise<{ which: number; end: number }> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new ConsoleError("silent", `the console at ${where} did not answer within ${ms / 1000} s`)), ms);
      const done = (e?: Error, r?: { which: number; end: number }) => {
        clearTimeout(timer);
        this.check = () => {};
        if (e) reject(e);
        else resolve(r!);
      };
      this.check = () => {
        const rest = this.text.slice(from);
        for (const [which, p] of patterns.entries()) {
          const m = p.exec(rest);
          if (m) return done(undefined, { which, end: from + m.index + m[0].length });
        }
        if (this.ended) done(new ConsoleError("closed", `the console at ${where} closed the connection`));
      };
      this.check();
    });
  }
}

export interface Unlocked {
  /** The password that unlocked it; undefined when the console was open. */
  password: string | undefined;
  /** What the console said after the unlock (its prompt), for whoever uses it next. */
  after: string;
  /** Stops listening (what comes next is the caller's). */
  release(): void;
}

/**
 * Unlocks the console on `stream`: a line that prints a mark on an open
 * console (a locked one refuses it, which also ends whatever a previous
 * client left typed), then each of `passwords` in turn. Rejects with a
 * ConsoleError when none unlocks it, or it stops answering for `ms`.
 */
export async function unlockConsole(stream: Duplex, passwords: string[], where: string, ms = 10000): Promise<Unlocked> {
  const reader = new Reader(stream);
  const release = () => reader.detach();
  try {
    stream.write(Buffer.from(PROBE, "latin1"));
    let r = await reader.wait([OPENED, REFUSED], 0, ms, where);
    if (r.which === 0) return { password: undefined, after: reader.text.slice(r.end), release };
    for (const password of passwords) {
      const from = reader.text.length;
      stream.write(Buffer.from(password + "\n", "latin1"));
      r = await reader.wait([LOGGED_IN, REFUSED], from, ms, where);
      if (r.which === 0) return { password, after: reader.text.slice(r.end), release };
    }
  } catch (e) {
    release();
    throw e;
  }
  release();
  throw new ConsoleError("refused", `the console at ${where} refused the password`);
}

/**
 * A local port for the espruino CLI (tcp://127.0.0.1:<port>) that forwards
 * each connection to a node's Telnet console, unlocked with the first of
 * `passwords` that works, and locks the console again when the CLI hangs up
 * (with the password that unlocked it; an open console with the first).
 * When a connection's unlock fails, the failure is kept and `signal` aborts
 * with it: the run of the CLI can be stopped at once.
 */
export class ConsoleProxy {
  failure: ConsoleError | undefined;
  private readonly abort = new AbortController();
  private readonly sockets = new Set<net.Socket>();
  /** Sessions not yet over (the console locked again and the connection to it closed). */
  private readonly running = new Set<Promise<void>>();

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
    private readonly target: { host: string; port: number },
    private readonly passwords: string[],
    private readonly ms: number,
  ) {}

  static async open(target: { host: string; port: number }, passwords: string[], ms = 10000): Promise<ConsoleProxy> {
    let proxy: ConsoleProxy | undefined;
    const server = net.createServer((cli) => {
      const session = proxy!.session(cli).finally(() => proxy!.running.delete(session));
      proxy!.running.add(session);
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    proxy = new ConsoleProxy(server, (server.address() as net.AddressInfo).port, target, passwords, ms);
    return proxy;
  }

  /** What the espruino CLI is given as its port. */
  get url(): string {
    return `tcp://127.0.0.1:${this.port}`;
  }

  get where(): string {
    return `${this.target.host}:${this.target.port}`;
  }

  /** Aborts when a connection could not be unlocked (reason: the ConsoleError). */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** A session of its own, as a CLI's would go: connects, unlocks, locks again, hangs up. Resolves whether the console was locked. */
  async check(): Promise<boolean> {
    const node = await this.connect();
    try {
      const u = await unlockConsole(node, this.passwords, this.where, this.ms);
      u.release();
      await this.relock(node, u.password);
      return u.password !== undefined;
    } finally {
      node.end();
    }
  }

  /** Resolves once every session so far is over: its console locked again and the connection to it closed. */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.all(this.running);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private connect(): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      const node = net.connect(this.target);
      this.sockets.add(node);
      node.on("close", () => this.sockets.delete(node));
      node.once("connect", () => {
        node.removeAllListeners("error");
        node.on("error", () => node.destroy());
        resolve(node);
      });
      node.once("error", (e) => reject(new ConsoleError("unreachable", `cannot connect to ${this.where}: ${e.message}`)));
    });
  }

  private relock(node: net.Socket, password: string | undefined): Promise<void> {
    // a console that rebooted meanwhile never says it locked: a short wait
    return lockConsole(node, password ?? this.passwords[0], this.where, Math.min(this.ms, RELOCK_MS));
  }

  private async session(cli: net.Socket): Promise<void> {
    this.sockets.add(cli);
    cli.on("close", () => this.sockets.delete(cli));
    cli.on("error", () => cli.destroy());
    cli.pause();
    let node: net.Socket;
    let u: Unlocked;
    try {
      node = await this.connect();
      u = await unlockConsole(node, this.passwords, this.where, this.ms);
    } catch (e) {
      this.fail(e as ConsoleError);
      cli.destroy();
      return;
    }
    u.release();
    if (cli.destroyed) {
      await this.relock(node, u.password);
      node.end();
      return;
    }
    if (u.after) cli.write(Buffer.from(u.after, "latin1"));
    node.on("data", (d) => cli.write(d));
    cli.on("data", (d) => node.write(d));
    cli.resume();
    // over when either end hangs up: the node's (a reboot) ends the CLI's; the CLI's, once the console is locked again
    const nodeGone = new Promise<void>((resolve) => node.on("close", () => resolve()));
    const cliGone = new Promise<void>((resolve) => cli.on("close", () => resolve()));
    if ((await Promise.race([nodeGone.then(() => "node"), cliGone.then(() => "cli")])) === "node") {
      cli.end();
      return;
    }
    node.removeAllListeners("data");
    await this.relock(node, u.password);
    node.end();
  }

  private fail(e: ConsoleError): void {
    this.failure ??= e;
    this.abort.abort(e);
  }
}

/** A port opened for a moment: its stream, and how to close it. */
export interface OpenPort {
  stream: Duplex;
  close(): Promise<void>;
}

/**
 * A node's serial port: unlock() before each run of the CLI (which opens the
 * port itself), lock() once done. The port is opened with the serialport
 * package the espruino CLI opens it with (`open` stands in for it in tests).
 */
export function serialConsole(path: string, baud: number, passwords: string[], ms = 10000, open: (path: string, baud: number) => Promise<OpenPort> = openSerial): { unlock(): Promise<void>; lock(): Promise<void> } {
  let password: string | undefined;
  const use = async (fn: (port: Duplex) => Promise<void>) => {
    const port = await open(path, baud);
    try {
      await fn(port.stream);
    } finally {
      await port.close();
    }
  };
  return {
    unlock: () =>
      use(async (port) => {
        const u = await unlockConsole(port, passwords, path, ms);
        u.release();
        password = u.password ?? password;
      }),
    lock: () => use((port) => lockConsole(port, password ?? passwords[0], path, ms)),
  };
}

function openSerial(path: string, baudRate: number): Promise<OpenPort> {
  // the espruino CLI's own dependency: the port is opened as the CLI opens it
  const cliRequire = createRequire(createRequire(import.meta.url).resolve("espruino/package.json"));
  type Port = Duplex & { close(cb: () => void): void };
  let SerialPort: new (o: { path: string; baudRate: number }, cb: (e: Error | null) => void) => Port;
  try {
    SerialPort = (cliRequire("serialport") as { SerialPort: typeof SerialPort }).SerialPort;
  } catch (e) {
    return Promise.reject(new ConsoleError("unreachable", `cannot open ${path}: the serialport package (the espruino CLI's) is not installed: ${(e as Error).message}`));
  }
  return new Promise((resolve, reject) => {
    const port = new SerialPort({ path, baudRate }, (e) =>
      e ? reject(new ConsoleError("unreachable", `cannot open ${path}: ${e.message}`)) : resolve({ stream: port, close: () => new Promise((done) => port.close(() => done())) }),
    );
  });
}
