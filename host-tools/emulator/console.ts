// An Espruino-style REPL on a stream: the Telnet console ESP8266 4 MB and
// ESP32 images serve on port 23, enough for the espruino CLI and the Web IDE
// to upload over tcp://. What it does, as the interpreter does:
// - echoes what is typed and answers "=<value>" then the prompt ">";
// - a line starting with 0x10 runs with echo off (no echo, no "=value");
// - Ctrl-C (0x03) drops the line being typed; ESC [ <n> d (the IDE's line
//   numbers) is ignored; a statement spread over lines runs once complete;
// - what the device prints appears on the console while it is connected.
import * as acorn from "acorn";
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

export class TelnetConsole {
  private line = "";
  private echoOff = false;
  private pending = "";
  private escape = "";

  constructor(
    private readonly host: ConsoleHost,
    private readonly end: StreamEnd,
  ) {
    end.onData = (d) => this.input(d);
    end.onClose = () => host.detachConsole(this);
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
        this.end.write("\r\n>");
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
    if (echo) this.end.write(`\r\n=${repl(value)}\r\n>`);
    else this.end.write(">");
  }
}

/**
 * The console a device serves over Telnet (in C on the chip: no JavaScript
 * involved): one client at a time, a new one taking over; it outlives
 * reset() and load(), not a reboot.
 */
export class TelnetService {
  private client: TelnetConsole | undefined;

  constructor(private readonly evalLine: (code: string) => unknown) {}

  /** What serves the console's port: a client's stream. */
  listener(): StreamListener {
    return (end) => {
      this.client?.close();
      const host = {
        evalLine: (code: string) => this.evalLine(code),
        detachConsole: (c: TelnetConsole) => {
          if (this.client === c) this.client = undefined;
        },
      };
      this.client = new TelnetConsole(host, end);
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
