// One Spore node on the real interpreter: one process, in its own working
// directory with its own Storage (espruino.flash there) holding what the
// flash tool writes (host-tools/build/image.ts) and the shims. A node that
// calls E.reboot() (Linux: prints "Not implemented", exits 1) is started
// again from the same Storage, as the chip would boot.
import { type ChildProcess, spawn } from "node:child_process";
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import http from "node:http";
import { join } from "node:path";
import type { Board } from "../../../host-tools/build/boards.ts";
import { flashImage, type ImageFile } from "../../../host-tools/build/image.ts";
import { consolePassword } from "../../../host-tools/lib/console.ts";
import { idlePreload, until, writeStorage } from "./interpreter.ts";
import { chipShim, wifiShim } from "./shims.ts";

/** The UDP port Spore gossips on and the HTTP port nodes serve here (no root needed on loopback). */
export const UDP_PORT = 4210;
export const HTTP_PORT = 8080;

export interface HttpAnswer {
  status: number;
  body: string;
  /** Set when there was no answer: a refused or reset connection, or the time limit. */
  error?: string;
}

/** One GET with a time limit; never throws. */
export function get(host: string, port: number, path: string, ms = 10000): Promise<HttpAnswer> {
  return new Promise((done) => {
    const req = http.get({ host, port, path, agent: false, timeout: ms }, (res) => {
      let body = "";
      res.setEncoding("latin1");
      res.on("data", (d) => (body += d));
      res.on("end", () => done({ status: res.statusCode ?? 0, body }));
      res.on("error", (e) => done({ status: 0, body, error: e.message }));
    });
    req.on("timeout", () => req.destroy(new Error(`no answer in ${ms} ms`)));
    req.on("error", (e) => done({ status: 0, body: "", error: e.message }));
  });
}

export interface NodeOptions {
  board: Board;
  /** The node's working directory (its Storage, espruino.flash, is made there). */
  dir: string;
  ip: string;
  netmask: string;
  /** Command prefix that puts the process in the node's network (namespace), [] for none. */
  exec: string[];
  /** 12 hex digits. */
  mac: string;
  /** spore.json. */
  config: Record<string, unknown>;
  /** More code for .boot0 (a probe's instrument), after the shims. */
  boot0?: string;
  /** The build to boot: a dist/ folder (default this repository's). */
  dist: string;
  /** More arguments for the interpreter when it boots (--telnet: its console on port 2323). */
  args?: string[];
}

/** A Spore node: one interpreter process; started again whenever it exits through E.reboot(). */
export class RealNode {
  readonly board: Board;
  readonly dir: string;
  readonly ip: string;
  readonly mac: string;
  readonly hostname: string;
  /** Everything it printed, over all its boots (boots are marked "---- start N"); also in console.log in its folder. */
  private text = "";
  /** Processes started (boots, counting restarts after E.reboot()). */
  starts = 0;
  /** When the current process started (Date.now()). */
  startedAt = 0;
  /** The interpreter's JsVars, from the Storage setup run. */
  jsVars = 0;
  private readonly options: NodeOptions;
  private proc: ChildProcess | undefined;
  private cmd: string[];
  private replCount = 0;

  constructor(cmd: string[], options: NodeOptions) {
    this.cmd = cmd;
    this.options = options;
    this.board = options.board;
    this.dir = options.dir;
    this.ip = options.ip;
    this.mac = options.mac;
    this.hostname = `esp_${options.mac.slice(-6)}`;
  }

  /** What the flash tool writes, and the shims: the files of this node's Storage in the order they are written. */
  image(): ImageFile[] {
    const o = this.options;
    const read = (f: string) => readFileSync(join(o.dist, f), "latin1");
    const dashboard = o.board.capabilities.dashboard && existsSync(join(o.dist, "dashboard.html.gz")) ? read("dashboard.html.gz") : undefined;
    return [
      { name: "Wifi", data: wifiShim(o.ip, o.netmask, o.mac) },
      { name: ".boot0", data: chipShim(o.board, o.mac) + (o.boot0 ? "\n" + o.boot0 : "") },
      ...flashImage({ firmware: read(`${o.board.name}.js`), boot: read(`${o.board.name}.boot.js`), config: o.config, dashboard }),
    ];
  }

  /** A fresh Storage with this node's image. */
  async flash(): Promise<void> {
    this.jsVars = await writeStorage(this.cmd, this.dir, this.image());
  }

  get out(): string {
    return this.text;
  }

  private log(s: string): void {
    this.text += s;
    appendFileSync(join(this.dir, "console.log"), s, "latin1");
  }

  /** The interpreter's process id while it runs. */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  get running(): boolean {
    return !!this.proc;
  }

  /** Powers the node on: the interpreter, interactive (it boots from Storage), its console on stdin/stdout. */
  start(): void {
    if (this.proc) throw new Error(`${this.hostname} is already running`);
    this.starts++;
    this.startedAt = Date.now();
    this.log(`\n---- start ${this.starts} at ${new Date(this.startedAt).toISOString()}\n`);
    const argv = [...this.options.exec, ...this.cmd, ...(this.options.args ?? [])];
    // stdin stays open: at EOF the Linux build reads garbage into its console (BUILD-NOTES)
    const env = { ...process.env, ...idlePreload(this.cmd).env };
    const p = spawn(argv[0], argv.slice(1), { cwd: this.dir, stdio: ["pipe", "pipe", "pipe"], env });
    this.proc = p;
    p.stdout!.setEncoding("latin1");
    p.stderr!.setEncoding("latin1");
    p.stdout!.on("data", (d) => this.log(d));
    p.stderr!.on("data", (d) => this.log(d));
    p.stdin!.on("error", () => {});
    // "close": after the last output, which tells an E.reboot() from a crash
    p.on("close", (code, signal) => {
      // E.reboot() on Linux: "Not implemented", exit status 1; the chip would boot again
      const rebooted = code === 1 && /Not implemented\s*$/.test(this.out.slice(-100));
      this.log(`\n---- exit ${code ?? signal}${rebooted ? " (E.reboot)" : ""}\n`);
      this.proc = undefined;
      if (rebooted) this.start();
    });
  }

  /** SIGKILL at once, for a harness that is ending. */
  killNow(): void {
    this.proc?.kill("SIGKILL");
  }

  /** Cuts the power (SIGKILL: the Linux build ignores SIGTERM). */
  async kill(): Promise<void> {
    const p = this.proc;
    if (!p) return;
    p.removeAllListeners("close");
    const gone = new Promise<void>((r) => p.on("close", (code, signal) => (this.log(`\n---- killed (${code ?? signal})\n`), r())));
    p.kill("SIGKILL");
    await gone;
    this.proc = undefined;
  }

  /** What this node printed since its last start. */
  lastBoot(): string {
    return this.out.slice(this.out.lastIndexOf("\n---- start "));
  }

  /** The node's output since `from`, for failure messages (the last 3000 characters). */
  tail(from = 0): string {
    const s = this.out.slice(from);
    return `---- ${this.hostname} (${this.board.name}, ${this.ip}, ${this.dir}):\n${s.length > 3000 ? "..." + s.slice(-3000) : s}`;
  }

  /** Waits until the output since `from` matches `re`; the match. */
  waitFor(re: RegExp, ms: number, from = 0): Promise<RegExpMatchArray> {
    return until(`${this.hostname}: ${re}`, ms, () => this.out.slice(from).match(re) ?? undefined, () => this.tail(from), 100);
  }

  /**
   * The console's password where the boot file locks it (boards with a
   * Telnet console: the lock holds for the serial console too), else
   * undefined.
   */
  get password(): string | undefined {
    const key = this.options.config.key;
    return this.board.limits.upload.includes("telnet") && typeof key === "string" && key ? consolePassword(key) : undefined;
  }

  /**
   * Evaluates `expr` at the node's console (as typed on its serial port; the
   * leading ^P turns off the echo) and returns what it printed, JSON. A
   * locked console is unlocked first and locked again by the same line.
   */
  async repl<T>(expr: string, ms = 15000): Promise<T> {
    if (!this.proc) throw new Error(`${this.hostname} is not running`);
    const tag = `R${++this.replCount}:${this.hostname}`;
    const from = this.out.length;
    const pw = this.password;
    this.proc.stdin!.write(`${pw ? `${pw}\n\x10E.lockConsole();` : "\x10"}print("${tag} "+JSON.stringify(${expr}))\n`);
    const m = await this.waitFor(new RegExp(`${tag} (.*)\r?\n`), ms, from);
    return JSON.parse(m[1]) as T;
  }

  /** process.memory() read at the console (its collection first; the figures include the console line). */
  memory(): Promise<{ free: number; usage: number; total: number }> {
    return this.repl("process.memory()");
  }

  get(path: string, ms = 10000): Promise<HttpAnswer> {
    return get(this.ip, HTTP_PORT, path, ms);
  }

  /** A JSON GET answered 200, or undefined. */
  async json<T>(path: string, ms = 10000): Promise<T | undefined> {
    const r = await this.get(path, ms);
    if (r.status !== 200) return undefined;
    try {
      return JSON.parse(r.body) as T;
    } catch {
      return undefined;
    }
  }
}
