// Spore nodes on the real interpreter: Espruino built for Linux (named by
// ESPRUINO_BIN), one process per node, each in its own working directory
// with its own Storage (espruino.flash there) holding what the flash tool
// writes (host-tools/build/image.ts), and, where this machine allows network
// namespaces, each with its own IP on one bridged LAN, so nodes find each
// other by UDP broadcast as boards on one WiFi network do.
//
// What the Linux build lacks is stood in for by two Storage files, kept
// small (they cost JsVars the chip does not spend: measure them with
// shimCost()):
//   "Wifi"   require("Wifi") finds a Storage file of a module's name when no
//            built-in has it (src/jswrap_modules.c); this one reports the
//            node's IP and fires "connected" once asked to connect.
//   ".boot0" runs before the boot file (src/jsflash.c): ESP8266.getState()
//            with the board's figures, getSerial() with the node's own MAC,
//            and peek32() reading 0 at the hardware random register (the
//            Linux build has no such register: a real peek32 of that
//            address crashes it). On the chip the seed also gets the
//            register's noise; here it rests on the MAC, the boot number
//            and the time. (Built-ins are shadowed through `global.`: a
//            plain assignment throws "Unable to assign value to
//            non-reference Function".)
// A node that calls E.reboot() (Linux: prints "Not implemented", exits 1)
// is started again from the same Storage, as the chip would boot.
//
// Once it has a socket the Linux build never sleeps: each node would take a
// CPU core. idle-select.c, compiled for i386 and preloaded, makes an empty
// socket poll wait up to 1 ms instead (see there; SPORE_REAL_SPIN=1 turns
// it off). Even so a node under qemu needs about what a chip has to itself:
// where the machine cannot give it, ClusterOptions.slow stretches the
// membership periods, and the probes print the CPU the nodes got.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Board, loadBoard } from "../../host-tools/build/boards.ts";
import { crc32Of, flashImage, type ImageFile } from "../../host-tools/build/image.ts";
import { DIST_DIR } from "../../host-tools/build/paths.ts";
import { testBroker, type TestBroker } from "../cluster/broker.ts";

/** The environment variable naming the interpreter: a path, or a command with arguments. */
export const ESPRUINO_ENV = "ESPRUINO_BIN";
/** The UDP port Spore gossips on and the HTTP port nodes serve here (no root needed on loopback). */
export const UDP_PORT = 4210;
export const HTTP_PORT = 8080;
/** Lines that mean the interpreter ran out of memory or broke inside. */
export const TROUBLE = /Out of Memory|Out of memory|New interpreter error|MEMORY_BUSY|Too much recursion|ASSERT|Segmentation fault|core dumped|Recv \d+ too long/i;

/**
 * The interpreter command from ESPRUINO_BIN, split on spaces (for instance
 * "qemu-i386 /work/espruino/bin/espruino-1600"); "{jsvars}" in it becomes the
 * board's JsVars, so one setting serves boards of 1700 and 1600
 * ("qemu-i386 /work/espruino/bin/espruino-{jsvars}"), and "{jsvars+57}" the
 * board's JsVars plus 57: binaries built with what the shims hold on top,
 * so the firmware has the memory it has on the chip. Undefined when unset.
 */
export function espruinoCommand(board?: Board, env: NodeJS.ProcessEnv = process.env): string[] | undefined {
  const v = env[ESPRUINO_ENV]?.trim();
  if (!v) return undefined;
  return v.split(/\s+/).map((a) => (board ? a.replace(/\{jsvars(?:\+(\d+))?\}/, (_, more) => String(board.limits.jsVars + Number(more ?? 0))) : a));
}

const IDLE_SOURCE = join(dirname(fileURLToPath(import.meta.url)), "idle-select.c");
let idleLib: { env: Record<string, string>; note: string } | undefined;

/**
 * The environment that preloads idle-select.c into the interpreter (built
 * once per run with gcc -m32 into the temporary folder), and a note saying
 * whether it is in use. Through qemu's QEMU_SET_ENV when the command is
 * qemu (the guest's loader reads it, not qemu's own), else LD_PRELOAD.
 */
export function idlePreload(cmd: string[]): { env: Record<string, string>; note: string } {
  if (idleLib) return idleLib;
  if (process.env.SPORE_REAL_SPIN === "1") return (idleLib = { env: {}, note: "nodes spin (SPORE_REAL_SPIN=1): each takes a CPU core" });
  const so = join(mkdtempSync(join(tmpdir(), "spore-real-idle-")), "idle-select.so");
  const r = spawnSync("gcc", ["-m32", "-O2", "-shared", "-fPIC", "-o", so, IDLE_SOURCE, "-ldl"], { encoding: "utf8" });
  if (r.status !== 0) return (idleLib = { env: {}, note: `nodes spin (each takes a CPU core): gcc -m32 could not build ${basename(IDLE_SOURCE)}: ${(r.stderr || String(r.error)).trim().split("\n")[0]}` });
  const env: Record<string, string> = basename(cmd[0]).startsWith("qemu-") ? { QEMU_SET_ENV: `LD_PRELOAD=${so}` } : { LD_PRELOAD: so };
  return (idleLib = { env, note: `an empty socket poll waits up to ${process.env.SPORE_IDLE_WAIT_US ?? 1000} us (${basename(IDLE_SOURCE)})` });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Polls `check` every `everyMs` until it returns something other than undefined, or throws `what` with `detail()` once `ms` have passed. */
export async function until<T>(what: string, ms: number, check: () => Promise<T | undefined> | T | undefined, detail: () => string = () => "", everyMs = 500): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`${what}: not within ${(ms / 1000).toFixed(0)} s${detail() ? "\n" + detail() : ""}`);
    await sleep(everyMs);
  }
}

// ---- the LAN

function ip(args: string[]): { ok: boolean; err: string } {
  const r = spawnSync("ip", args, { encoding: "utf8" });
  return { ok: r.status === 0, err: (r.stderr ?? "") + (r.error ? String(r.error) : "") };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * The nodes' network: a bridge in this machine's namespace (its address is
 * where tools and a broker reach the nodes) and a network namespace per node
 * joined to it by a veth pair, on a /24 no route here uses. Without
 * namespaces (not root, no iproute2, no bridge or veth in the kernel): one
 * node on loopback. Names carry this process's id, so a run that died
 * without cleaning up is swept by the next.
 */
export class Lan {
  readonly namespaces: boolean;
  readonly hostIp: string;
  readonly netmask: string;
  /** Why there are no namespaces ("" when there are). */
  readonly why: string;
  private readonly prefix: string;
  private readonly net: string;
  private readonly made: string[] = [];

  private constructor(namespaces: boolean, net: string, why: string) {
    this.namespaces = namespaces;
    this.net = net;
    this.why = why;
    this.prefix = `spore-${process.pid}`;
    this.hostIp = namespaces ? `${net}.1` : "127.0.0.1";
    this.netmask = namespaces ? "255.255.255.0" : "255.0.0.0";
  }

  /** A LAN for up to 200 nodes, or loopback with the reason namespaces are unavailable. */
  static open(): Lan {
    Lan.sweep();
    const routes = spawnSync("ip", ["-4", "route"], { encoding: "utf8" }).stdout ?? "";
    let net = "";
    for (let k = 0; k < 256 && !net; k++) if (!routes.includes(`10.247.${k}.`)) net = `10.247.${k}`;
    const lan = new Lan(true, net, "");
    const why = lan.build();
    if (!why) return lan;
    lan.close();
    return new Lan(false, "", why);
  }

  /** Removes namespaces and bridges left by runs whose process is gone. */
  private static sweep(): void {
    const list = spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout ?? "";
    for (const m of list.matchAll(/^spore-(\d+)-n\d+/gm)) if (!alive(Number(m[1]))) ip(["netns", "del", m[0]]);
    const links = spawnSync("ip", ["-o", "link"], { encoding: "utf8" }).stdout ?? "";
    for (const m of links.matchAll(/\d+: (spb(\d+))[:@]/g)) if (!alive(Number(m[2]))) ip(["link", "del", m[1]]);
  }

  private bridge(): string {
    return `spb${process.pid}`;
  }

  private build(): string {
    if (process.getuid?.() !== 0) return "not root";
    const b = this.bridge();
    const steps = [
      ["link", "add", b, "type", "bridge"],
      ["addr", "add", `${this.hostIp}/24`, "dev", b],
      ["link", "set", b, "up"],
    ];
    for (const s of steps) {
      const r = ip(s);
      if (!r.ok) return `ip ${s.join(" ")}: ${r.err.trim()}`;
      if (s[1] === "add" && s[0] === "link") this.made.push(b);
    }
    return "";
  }

  /** The namespace of node `i` (0-based), made on first use; the command prefix that runs a program in it. */
  join(i: number): { ip: string; exec: string[] } {
    if (!this.namespaces) {
      if (i > 0) throw new Error(`no network namespaces (${this.why}): one node only, on loopback`);
      return { ip: "127.0.0.1", exec: [] };
    }
    const ns = `${this.prefix}-n${i}`;
    const addr = `${this.net}.${10 + i}`;
    if (!this.made.includes(ns)) {
      const veth = `spv${process.pid}x${i}`;
      const steps = [
        ["netns", "add", ns],
        ["link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns],
        ["link", "set", veth, "master", this.bridge()],
        ["link", "set", veth, "up"],
        ["-n", ns, "addr", "add", `${addr}/24`, "dev", "eth0"],
        ["-n", ns, "link", "set", "eth0", "up"],
        ["-n", ns, "link", "set", "lo", "up"],
      ];
      for (const s of steps) {
        const r = ip(s);
        if (!r.ok) throw new Error(`ip ${s.join(" ")}: ${r.err.trim()}`);
        if (s[0] === "netns") this.made.push(ns);
      }
    }
    return { ip: addr, exec: ["ip", "netns", "exec", ns] };
  }

  /** Removes every namespace and the bridge (their veth pairs go with them). */
  close(): void {
    for (const n of this.made.splice(0).reverse()) ip(n.startsWith("spb") ? ["link", "del", n] : ["netns", "del", n]);
  }
}

// ---- one node

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
}

/**
 * The Wifi module for the Linux build: the node is on the LAN 100 ms after
 * it asks to connect. Only what the firmware and the boot file call, each
 * function as small as it can be (every one costs JsVars): getIP and
 * getDetails answer at once and through their callback; setHostname,
 * startAP and stopAP do nothing (these nodes never need their access point).
 */
export function wifiShim(ipAddr: string, netmask: string, mac: string): string {
  const gw = ipAddr.replace(/\.\d+$/, ".1");
  const info = `{ip:"${ipAddr}",netmask:"${netmask}",gw:"${gw}",mac:"${mac.replace(/(..)(?!$)/g, "$1:")}"}`;
  return [
    `exports.connect=function(s,o,c){var w=this;setTimeout(function(){if(c)c(null);w.emit("connected",{ip:"${ipAddr}"})},100)};`,
    `exports.getIP=function(c){var i=${info};if(c)setTimeout(c,0,null,i);return i};`,
    `exports.getDetails=function(c){var d={status:"connected",rssi:-60};if(c)setTimeout(c,0,d);return d};`,
    `exports.setHostname=exports.startAP=exports.stopAP=function(){};`,
  ].join("\n");
}

/**
 * .boot0 for the Linux build: the chip's state with the board's figures, its
 * MAC as getSerial() gives it on the chip ("5ccf7fa1-b2c3", measured), and
 * peek32, which reads 0 (at the random register, the only address Spore
 * reads: the Linux build has no such register).
 */
export function chipShim(board: Board, mac: string): string {
  const state = {
    sdkVersion: board.limits.sdkVersion,
    cpuFrequency: board.limits.cpuFreqMHz,
    freeHeap: board.limits.freeHeapBytes,
    maxCon: board.limits.sockets,
    flashKB: board.limits.flashChipBytes / 1024,
    flashChip: "0xe0 0x4016",
  };
  return [
    `global.ESP8266={getState:function(){return ${JSON.stringify(state)}}};`,
    `global.getSerial=function(){return "${mac.slice(0, 8)}-${mac.slice(8)}"};`,
    `global.peek32=function(){return 0};`,
  ].join("\n");
}

/**
 * Writes `files` into a fresh Storage (espruino.flash in `dir`) by running
 * the interpreter once on a script that copies each from disk in 512-byte
 * chunks (Storage.write with the file's size first, then offsets, as the
 * espruino CLI uploads), then checks every file's CRC32 as the interpreter
 * reads it back. Returns the interpreter's JsVars (process.memory().total).
 */
export async function writeStorage(cmd: string[], dir: string, files: ImageFile[]): Promise<number> {
  rmSync(join(dir, "espruino.flash"), { force: true });
  mkdirSync(join(dir, "image"), { recursive: true });
  const list = files.map((f, i) => {
    writeFileSync(join(dir, "image", String(i)), f.data, "latin1");
    return [f.name, `image/${i}`, Buffer.byteLength(f.data, "latin1")];
  });
  writeFileSync(
    join(dir, "setup.js"),
    `var S=require("Storage"),L=${JSON.stringify(list)};
L.forEach(function(e){var f=E.openFile(e[1],"r"),o=0,d;while((d=f.read(512))!==undefined&&d.length){S.write(e[0],d,o,e[2]);o+=d.length}f.close()});
print("SPORE_IMAGE "+JSON.stringify({total:process.memory().total,crc:L.map(function(e){var d=S.read(e[0]);return d===undefined?-1:E.CRC32(d)})}));\n`,
  );
  const p = spawn(cmd[0], [...cmd.slice(1), "setup.js"], { cwd: dir, stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  p.stdout.on("data", (d) => (out += d));
  p.stderr.on("data", (d) => (out += d));
  const code = await new Promise<number | null>((done) => {
    const t = setTimeout(() => p.kill("SIGKILL"), 120000);
    p.on("error", (e) => ((out += String(e)), done(-1)));
    p.on("exit", (c) => (clearTimeout(t), done(c)));
  });
  const line = out.split(/\r?\n/).find((l) => l.startsWith("SPORE_IMAGE "));
  if (!line) throw new Error(`${cmd.join(" ")} setup.js in ${dir} (exit ${code}) printed no SPORE_IMAGE line:\n${out.slice(-2000)}`);
  const got = JSON.parse(line.slice(12)) as { total: number; crc: number[] };
  const want = files.map((f) => crc32Of(f.data));
  if (JSON.stringify(got.crc) !== JSON.stringify(want)) throw new Error(`Storage in ${dir}: CRC32 ${JSON.stringify(got.crc)}, expected ${JSON.stringify(want)} (${files.map((f) => f.name).join(", ")})`);
  return got.total;
}

/** Runs `code` with -e in a fresh, empty folder (no Storage, nothing autoloaded); what it printed. */
export async function evalFresh(cmd: string[], code: string, ms = 30000): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "spore-real-eval-"));
  try {
    // stdin stays open (at EOF the Linux build reads garbage into its console)
    const p = spawn(cmd[0], [...cmd.slice(1), "-e", code], { cwd: dir, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    const t = setTimeout(() => p.kill("SIGKILL"), ms);
    await new Promise((r) => p.on("close", r));
    clearTimeout(t);
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Boots the interpreter from the Storage in `dir`, types `line` at its console, and returns the first match of `re` in what it prints; then kills it. */
async function consoleOnce(cmd: string[], dir: string, line: string, re: RegExp, ms = 30000): Promise<RegExpMatchArray> {
  const p = spawn(cmd[0], cmd.slice(1), { cwd: dir, stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  p.stdout.on("data", (d) => (out += d));
  p.stderr.on("data", (d) => (out += d));
  try {
    // once it has booted: the prompt
    await until(`${cmd.join(" ")} in ${dir}: a prompt`, ms, () => (out.includes(">") ? true : undefined), () => out, 50);
    p.stdin.write(line + "\n");
    return await until(`${cmd.join(" ")} in ${dir}: ${re}`, ms, () => out.match(re) ?? undefined, () => out, 50);
  } finally {
    p.kill("SIGKILL");
  }
}

/**
 * JsVars the shims hold on this interpreter, used as the firmware uses them
 * (Wifi required, listened to, connected, its IP read): Storage with the
 * shims and such a boot file, against one with an empty object in their
 * place. The chip's built-in Wifi costs a few JsVars too (its entry in the
 * module list): this is an upper bound by those.
 */
export async function shimCost(cmd: string[], board: Board): Promise<number> {
  const root = mkdtempSync(join(tmpdir(), "spore-real-shims-"));
  const usage = async (name: string, files: ImageFile[]) => {
    const dir = join(root, name);
    mkdirSync(dir);
    await writeStorage(cmd, dir, files);
    // read once connect has called back (both runs pay for the timer alike)
    return Number((await consoleOnce(cmd, dir, `\x10setTimeout(function(){print("USAGE "+process.memory().usage)},500)`, /USAGE (\d+)/))[1]);
  };
  try {
    const mac = "5ccf7fa00001";
    const shims = await usage("shims", [
      { name: "Wifi", data: wifiShim("10.0.0.2", "255.255.255.0", mac) },
      { name: ".boot0", data: chipShim(board, mac) },
      { name: ".bootcde", data: 'var W=require("Wifi");W.on("connected",print);W.connect("x",{},print);W.getIP(print);' },
    ]);
    const none = await usage("none", [{ name: ".bootcde", data: 'var W={};W.on("connected",print);' }]);
    return shims - none;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
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
    const dashboard = o.board.node.dash && existsSync(join(o.dist, "dashboard.html.gz")) ? read("dashboard.html.gz") : undefined;
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
    const argv = [...this.options.exec, ...this.cmd];
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
   * Evaluates `expr` at the node's console (as typed on its serial port; the
   * leading ^P turns off the echo) and returns what it printed, JSON.
   */
  async repl<T>(expr: string, ms = 15000): Promise<T> {
    if (!this.proc) throw new Error(`${this.hostname} is not running`);
    const tag = `R${++this.replCount}:${this.hostname}`;
    const from = this.out.length;
    this.proc.stdin!.write(`\x10print("${tag} "+JSON.stringify(${expr}))\n`);
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

// ---- a cluster

export interface ClusterOptions {
  board: string;
  nodes: number;
  /** Merged into every node's spore.json. */
  config?: Record<string, unknown>;
  boot0?: string;
  /** The build to boot: a dist/ folder (default this repository's, as npm run build leaves it). */
  dist?: string;
  /** An MQTT broker on the LAN's host address, every node's "mq" pointed at it, telemetry every 5 s (boards with MQTT). */
  broker?: boolean;
  /**
   * Every membership period (prd, ann, ina, dead, fgt in spore.json) this
   * many times its default: for a machine that cannot run the nodes at a
   * chip's pace (1, the default: the firmware's own periods).
   */
  slow?: number;
  /** Keep the nodes' folders after close() (they are printed). */
  keep?: boolean;
}

export const SECRET = "real-interpreter-test-secret";

/** The membership periods (device/core/config.ts defaults) times `k`; none for 1. */
export function slowed(k: number): Record<string, number> {
  return k === 1 ? {} : { prd: 1000 * k, ann: 5000 * k, ina: 10 * k, dead: 60 * k, fgt: 300 * k };
}

/** Nodes of one board on one LAN, flashed and ready to start. */
export class RealCluster {
  readonly lan: Lan;
  readonly nodes: RealNode[] = [];
  readonly board: Board;
  readonly root: string;
  broker: TestBroker | undefined;
  /** The factor on the membership periods (ClusterOptions.slow). */
  readonly slow: number;
  private readonly keep: boolean;

  private constructor(lan: Lan, board: Board, root: string, o: ClusterOptions) {
    this.lan = lan;
    this.board = board;
    this.root = root;
    this.keep = !!o.keep;
    this.slow = o.slow ?? 1;
  }

  /**
   * Makes the LAN and the nodes' Storage. Without namespaces there is one
   * node whatever was asked (the LAN's `why` says why). Throws when
   * ESPRUINO_BIN is not set or the bundles are not built.
   */
  static async create(o: ClusterOptions): Promise<RealCluster> {
    const board = loadBoard(o.board);
    const cmd = espruinoCommand(board);
    if (!cmd) throw new Error(`${ESPRUINO_ENV} is not set: name an Espruino binary built for Linux (see README, "The real interpreter")`);
    const dist = o.dist ?? DIST_DIR;
    for (const f of [`${board.name}.js`, `${board.name}.boot.js`]) if (!existsSync(join(dist, f))) throw new Error(`${join(dist, f)} is missing: run "npm run build" first`);
    const lan = Lan.open();
    const c = new RealCluster(lan, board, mkdtempSync(join(tmpdir(), `spore-real-${board.name}-`)), o);
    live.add(c);
    try {
      let mq: Record<string, unknown> | undefined;
      if (o.broker) {
        c.broker = await testBroker(lan.hostIp);
        mq = { host: lan.hostIp, port: Number(new URL(c.broker.url).port), prefix: "spore", period: 5 };
      }
      const n = lan.namespaces ? o.nodes : 1;
      for (let i = 0; i < n; i++) {
        const at = lan.join(i);
        const dir = join(c.root, `n${i}`);
        mkdirSync(dir);
        const mac = "5ccf7f" + (0xa00000 + i * 0x1111 + (process.pid & 0xff)).toString(16).padStart(6, "0");
        const config = { ssid: "spore-lan", pass: "", cl: "spore", key: SECRET, http: HTTP_PORT, udp: UDP_PORT, ...slowed(o.slow ?? 1), ...(mq ? { mq } : {}), ...o.config };
        c.nodes.push(new RealNode(cmd, { board, dir, ip: at.ip, netmask: lan.netmask, exec: at.exec, mac, config, boot0: o.boot0, dist }));
      }
      // two at a time: the machine has two cores
      for (let i = 0; i < c.nodes.length; i += 2) await Promise.all(c.nodes.slice(i, i + 2).map((nd) => nd.flash()));
    } catch (e) {
      await c.close();
      throw e;
    }
    return c;
  }

  /** Starts every node in the same moment (as a power cut ending). */
  startAll(): void {
    for (const n of this.nodes) n.start();
  }

  /** Waits until every node has printed "esp_xxxxxx <version>" since its last start. */
  async booted(ms = 60000): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.waitFor(new RegExp(`${n.hostname} [0-9a-f]{8}\r?\n`), ms, n.out.lastIndexOf("\n---- start "))));
  }

  /** Member counts as `node` reports them (GET /api/node/status), or undefined. */
  async counts(node: RealNode): Promise<{ ACTIVE: number; INACTIVE: number; DEAD: number } | undefined> {
    return (await node.json<{ members: { ACTIVE: number; INACTIVE: number; DEAD: number } }>("/api/node/status"))?.members;
  }

  /** The status `node` lists `other` with (GET /api/cluster/members), or undefined. */
  async statusOf(node: RealNode, other: RealNode): Promise<string | undefined> {
    const m = await node.json<{ members: { hostname: string; status: string }[] }>("/api/cluster/members");
    return m?.members.find((x) => x.hostname === other.hostname)?.status;
  }

  /** How each of `peers` lists `node`: its entry, undefined when it does not list it, null when it did not answer. */
  async entries(node: RealNode, peers: RealNode[]): Promise<({ status: string; lastSeen: number } | undefined | null)[]> {
    return Promise.all(
      peers.map(async (p) => {
        const m = await p.json<{ members: { hostname: string; status: string; lastSeen: number }[] }>("/api/cluster/members");
        return m ? m.members.find((x) => x.hostname === node.hostname) : null;
      }),
    );
  }

  /** `node`, restarted, is back: every other node lists it ACTIVE and has heard from it since its start, and it lists them all ACTIVE. */
  async back(node: RealNode): Promise<boolean> {
    const since = Date.now() - node.startedAt;
    const peers = this.nodes.filter((n) => n !== node);
    const [own, views] = await Promise.all([this.counts(node), this.entries(node, peers)]);
    return own?.ACTIVE === peers.length && views.every((x) => x?.status === "ACTIVE" && x.lastSeen < since);
  }

  /** Every node (of `nodes`) lists every other as ACTIVE and none INACTIVE or DEAD. */
  async converged(nodes = this.nodes): Promise<boolean> {
    const all = await Promise.all(nodes.map((n) => this.counts(n)));
    return all.every((m) => !!m && m.ACTIVE === nodes.length - 1 && m.INACTIVE === 0 && m.DEAD === 0);
  }

  /** Waits for convergence; the ms it took from now. */
  async waitConverged(ms: number): Promise<number> {
    const t0 = Date.now();
    await until("every node lists every other ACTIVE", ms, async () => ((await this.converged()) ? true : undefined), () => this.report());
    return Date.now() - t0;
  }

  /** Lines of every node's output that mean trouble (out of memory, interpreter errors, crashes). */
  trouble(): string[] {
    return this.nodes.flatMap((n) =>
      n.out
        .split(/\r?\n/)
        .filter((l) => TROUBLE.test(l))
        .map((l) => `${n.hostname}: ${l.trim()}`),
    );
  }

  /** Every node's output tail, for failure messages. */
  report(): string {
    return this.nodes.map((n) => n.tail()).join("\n");
  }

  async close(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.kill()));
    await this.broker?.close();
    this.lan.close();
    live.delete(this);
    if (this.keep) console.log(`nodes' folders kept in ${this.root}`);
    else rmSync(this.root, { recursive: true, force: true });
  }
}

// a run that ends early (an assertion, Ctrl-C) leaves no process or namespace behind
const live = new Set<RealCluster>();
function cleanup(): void {
  for (const c of live) {
    for (const n of c.nodes) n.killNow();
    c.lan.close();
  }
  live.clear();
}
process.on("exit", cleanup);
for (const s of ["SIGINT", "SIGTERM", "SIGHUP"] as const)
  process.on(s, () => {
    cleanup();
    process.exit(130);
  });
