// An Espruino-style REPL on a stream: the Telnet console ESP8266 4 MB and
// ESP32 images serve on port 23, enough for the espruino CLI and the Web IDE
// to upload over tcp://. What it does, as the interpreter does:
// - echoes what is typed and answers "=<value>" then the prompt ">";
// - a line starting with 0x10 runs with echo off (no echo, no "=value");
// - Ctrl-C (0x03) drops the line being typed; ESC [ <n> d (the IDE's line
//   numbers) is ignored; a statement spread over lines runs once complete;
// - what the device prints appears on the console while it is connected;
// - a client that connects is shown the prompt (one that takes the console
//   over from another is shown nothing);
// - locked (E.setPassword, E.lockConsole: ConsoleLock below), it runs
//   nothing typed: see ConsoleLock.
import * as acorn from "acorn";
import { jsVarModel, stringBlocks } from "./jsvars.ts";
import type { StreamEnd, StreamListener } from "./lan.ts";

export interface ConsoleHost {
  /** Runs a line of code at the top level of the device; throws what it throws. */
  evalLine(code: string): unknown;
  detachConsole(c: TelnetConsole): void;
}

function complete(code: string): boolean {
  try {
    acorn.parse(code, { ecmaVersion: "latest", sourceType: "script" });
    return true;
  } catch (e) {
    // an error at the very end means the statement goes on in the next line; others are reported when it runs
    return ((e as { pos?: number }).pos ?? 0) < code.trimEnd().length;
  }
}

/** The interpreter's way of showing a value after "=". */
export function repl(v: unknown): string {
  if (v === undefined) return "undefined";
  if (typeof v === "function") return "function () { [native code] }";
  if (typeof v === "string") return JSON.stringify(v);
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/** Typed characters a locked console keeps of a line (jsinteractive.c: the rest are dropped). */
export const PASSWORD_MAX = 20;

/**
 * The console's lock as jsinteractive.c keeps it (measured on Espruino 2v29,
 * test/real/probes/console-lock.ts): a flag in the interpreter's status that
 * reset() and load() keep, and the password, a variable of the interpreter
 * that they clear with every other; a power cycle clears both.
 * E.setPassword(p) sets the password (no argument removes it), and
 * E.lockConsole() locks when there is one. Locked, the console runs nothing:
 * every character but CR and LF, Ctrl-C, ESC and 0x10 included, goes into the
 * line (at most PASSWORD_MAX of them, nothing echoed), and CR or LF compares
 * the line with the password: "Logged in." and the prompt, or "Invalid
 * password" and "password>". Unlocked, it stays so for whoever connects next,
 * until something locks it again. There is one console however many
 * connections come and go, so the line being typed is the device's: a new
 * client goes on with what the last left of it.
 */
export class ConsoleLock {
  password: string | undefined;
  locked = false;
  /** What has been typed at the locked console since the last CR or LF. */
  typed = "";

  /** E.setPassword(p): kept as a string (jsvAsString); undefined removes it. */
  setPassword(p: unknown): void {
    this.password = p === undefined ? undefined : String(p);
  }

  /** E.lockConsole(): locks only when there is a password. */
  lock(): void {
    if (this.password !== undefined) this.locked = true;
  }

  /** reset() and load(): the interpreter's variables go, the password with them; the lock stays. */
  interpreterReset(): void {
    this.password = undefined;
    this.typed = "";
  }

  /** A power cycle or a hard reset. */
  powerOn(): void {
    this.password = undefined;
    this.locked = false;
    this.typed = "";
  }

  /** A character typed while locked; what the console answers. */
  input(ch: string): string {
    if (ch !== "\r" && ch !== "\n") {
      if (this.typed.length < PASSWORD_MAX) this.typed += ch;
      return "";
    }
    if (this.password !== undefined && this.typed === this.password) this.locked = false;
    this.typed = "";
    return this.locked ? "\r\n  Invalid password\r\npassword>" : "\r\n  Logged in.\r\n>";
  }

  /**
   * JsVars the password holds, a variable of the interpreter's hidden root:
   * measured on 2v29 with 12-byte blocks, 6 for 20 characters, 4 for 5 (its
   * name and string, and 2 more).
   */
  jsVars(bytesPerJsVar: number): number {
    if (this.password === undefined) return 0;
    const m = jsVarModel(bytesPerJsVar);
    return 3 + stringBlocks(this.password.length, m.stringChars, m.extChars);
  }

  /** The prompt the console shows. */
  prompt(): string {
    return this.locked ? "password>" : ">";
  }
}

export class TelnetConsole {
  private line = "";
  private echoOff = false;
  private pending = "";
  private escape = "";

  /** `takeover`: the client took the console from another, so it did not move: nothing is shown. */
  constructor(
    private readonly host: ConsoleHost,
    private readonly end: StreamEnd,
    private readonly lock: ConsoleLock,
    takeover = false,
  ) {
    end.onData = (d) => this.input(d);
    end.onClose = () => host.detachConsole(this);
    // the console moved to this client: it is shown the prompt, and what the
    // last client left typed at a locked console, the cursor back at its start
    if (!takeover) end.write(lock.prompt() + (lock.locked ? lock.typed + "\x1b[D".repeat(lock.typed.length) : ""));
  }

  /** Device output: one printed line. */
  printLine(text: string): void {
    this.end.write(text + "\r\n");
  }

  close(): void {
    this.end.close();
  }

  private input(data: string): void {
    for (const ch of data) {
      if (this.lock.locked) {
        const answer = this.lock.input(ch);
        if (answer) this.end.write(answer);
        continue;
      }
      if (this.escape) {
        this.escape += ch;
        // ESC [ digits letter
        if (this.escape.length > 1 && /[A-Za-z~]/.test(ch)) this.escape = "";
        continue;
      }
      if (ch === "\x1b") this.escape = ch;
      else if (ch === "\x03") {
        this.line = "";
        this.pending = "";
        this.end.write("\r\n" + this.lock.prompt());
      } else if (ch === "\x10" && this.line === "") this.echoOff = true;
      else if (ch === "\n") this.enter();
      else if (ch === "\r") continue;
      else {
        this.line += ch;
        if (!this.echoOff) this.end.write(ch);
      }
    }
  }

  private enter(): void {
    const code = this.pending + this.line;
    const echo = !this.echoOff;
    this.line = "";
    this.echoOff = false;
    if (code.trim() && !complete(code)) {
      this.pending = code + "\n";
      return;
    }
    this.pending = "";
    let value: unknown;
    try {
      value = code.trim() ? this.host.evalLine(code) : undefined;
    } catch (e) {
      const err = e as { message?: string };
      this.end.write(`Uncaught ${err && err.message !== undefined ? "Error: " + err.message : String(e)}\r\n`);
    }
    // (password> when the line locked the console)
    if (echo) this.end.write(`\r\n=${repl(value)}\r\n${this.lock.prompt()}`);
    else this.end.write(this.lock.prompt());
  }
}

/**
 * The console a device serves over Telnet (in C on the chip: no JavaScript
 * involved): one client at a time, a new one taking over; it outlives
 * reset() and load(), not a reboot.
 */
export class TelnetService {
  private client: TelnetConsole | undefined;

  constructor(
    private readonly evalLine: (code: string) => unknown,
    private readonly lock: ConsoleLock,
  ) {}

  /** E.getConsole(): "Telnet" while a client is connected, else the serial port it goes back to. */
  get device(): string {
    return this.client ? "Telnet" : "Serial1";
  }

  /** What serves the console's port: a client's stream. */
  listener(): StreamListener {
    return (end) => {
      const takeover = this.client !== undefined;
      this.client?.close();
      const host = {
        evalLine: (code: string) => this.evalLine(code),
        detachConsole: (c: TelnetConsole) => {
          if (this.client === c) this.client = undefined;
        },
      };
      this.client = new TelnetConsole(host, end, this.lock, takeover);
    };
  }

  /** Device output: one printed line, to the client if there is one. */
  printLine(line: string): void {
    this.client?.printLine(line);
  }

  /** Drops the client. */
  close(): void {
    this.client?.close();
    this.client = undefined;
  }
}
