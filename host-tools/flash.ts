// npm run flash: builds the bundle and boot file for a board and writes them,
// with the configuration and the boot state, into the board's Storage through
// the real `espruino` CLI (serial, or tcp:// to a Telnet console), then checks
// the node booted. --dry-run writes what would be sent to a file instead;
// --ide writes the board's Web IDE file (build/ide.ts) with the configuration in it.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type Board, loadBoards } from "./build/boards.ts";
import { BOOT_ENTRY, bundleBoard } from "./build/bundle.ts";
import { ESPRUINO_BUILTIN_MODULES } from "./build/espruino-subset.ts";
import { buildDashboard } from "./build/dashboard.ts";
import { ideFile, ideSettings } from "./build/ide.ts";
import { crc32Of, flashImage, type ImageFile, MQ_TEXT_MAX } from "./build/image.ts";
import { REPO_ROOT } from "./build/paths.ts";
import { loadProject, type Project } from "./build/project.ts";
import type { Parsed } from "./lib/args.ts";
import { ConsoleError, ConsoleProxy, consolePassword, PASSWORD_MAX, serialConsole } from "./lib/console.ts";
import { loadEnv } from "./lib/env.ts";
import type { Io } from "./lib/io.ts";
import { UsageError } from "./lib/transport.ts";

const ESPRUINO_CLI = join(REPO_ROOT, "node_modules", "espruino", "bin", "espruino-cli.js");

/** One run of the espruino CLI; resolves with everything it printed. `stop` ends it at once (the console it talks to failed). */
export function espruino(args: string[], timeoutMs: number, stop?: AbortSignal): Promise<{ code: number; out: string }> {
  return new Promise((done) => {
    const p = spawn(process.execPath, [ESPRUINO_CLI, "--no-ble", ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (out += d));
    const kill = () => p.kill("SIGKILL");
    const timer = setTimeout(kill, timeoutMs);
    if (stop?.aborted) kill();
    stop?.addEventListener("abort", kill);
    p.on("close", (code) => {
      clearTimeout(timer);
      stop?.removeEventListener("abort", kill);
      done({ code: code ?? 1, out });
    });
  });
}

/** The value the device printed after `tag` (print("TAG " + JSON.stringify(...))), or undefined. */
function printed(out: string, tag: string): string | undefined {
  const line = out.split(/\r?\n/).find((l) => l.includes(tag + " "));
  return line ? line.slice(line.indexOf(tag + " ") + tag.length + 1).trim() : undefined;
}

/**
 * spore.json for a node: the project's settings with secrets from the
 * environment, and the broker ("mq") on boards with an MQTT client when
 * espruino.json names one.
 */
export function nodeConfig(project: Project, env: Record<string, string | undefined>, board: Board): Record<string, unknown> {
  const key = env[project.cluster.secretEnv];
  if (!key) throw new UsageError(`the cluster secret is not set: export ${project.cluster.secretEnv} (or put it in .env); espruino.json names it in cluster.secretEnv`);
  // a line break ends what is typed at the console: a password with one could never be typed
  if (board.limits.upload.includes("telnet") && /[\r\n]/.test(consolePassword(key))) throw new UsageError(`the cluster secret in ${project.cluster.secretEnv} has a line break in its first ${PASSWORD_MAX} characters, the console's password on ${board.name}: nobody could type it`);
  const config: Record<string, unknown> = { ssid: project.wifi.ssid, pass: env[project.wifi.passwordEnv] ?? "", cl: project.cluster.name, key, http: project.ports.http, udp: project.ports.udp };
  const m = project.mqtt;
  if (m && board.capabilities.mqtt) {
    const mq: Record<string, unknown> = { host: m.host, port: m.port, prefix: m.prefix, period: m.period, ha: m.homeAssistant };
    if (m.userEnv) mq.user = brokerCredential(env, m.userEnv, "user name", "userEnv");
    if (m.passwordEnv) mq.pass = brokerCredential(env, m.passwordEnv, "password", "passwordEnv");
    config.mq = mq;
  }
  const j = project.jobs;
  if (j && board.capabilities.jobs) {
    if (j.overflow === "coalesce_latest") config.qp = 1;
    if (j.kvFlushSeconds) config.kvf = j.kvFlushSeconds;
  }
  const h = project.health;
  if (h && board.capabilities.health) {
    if (h.overloadPercent) config.ovl = h.overloadPercent;
    if (h.overloadSeconds) config.ovs = h.overloadSeconds;
    if (h.gridIntensity !== undefined) config.ci = h.gridIntensity;
  }
  const pl = project.placement;
  if (pl && pl.dwellSeconds !== undefined && board.capabilities.placement) config.pdw = pl.dwellSeconds;
  const g = project.gossip;
  if (g && board.capabilities.adaptive) {
    if (g.mode) config.gm = GOSSIP_MODES.indexOf(g.mode);
    if (g.shortestPeriodMs) config.pmn = g.shortestPeriodMs;
    if (g.longestPeriodMs) config.pmx = g.longestPeriodMs;
    if (g.calmSeconds) config.cq = g.calmSeconds;
  }
  const b = project.battery;
  if (b && board.capabilities.adaptive) {
    config.bpn = b.pin;
    if (b.fullScaleMv) config.bfs = b.fullScaleMv;
    if (b.emptyMv !== undefined) config.bmn = b.emptyMv;
    if (b.fullMv) config.bmx = b.fullMv;
    if (b.lowPercent !== undefined) config.blw = b.lowPercent;
  }
  return config;
}

/** espruino.json's gossip.mode as spore.json's gm: 0 adapts, then the modes in adapt.ts's order. */
export const GOSSIP_MODES = ["auto", "aggressive", "normal", "conservative", "emergency"];

/** The broker's user name or password from the environment variable espruino.json names (never printed). */
function brokerCredential(env: Record<string, string | undefined>, name: string, what: string, field: string): string {
  const value = env[name];
  if (!value) throw new UsageError(`the MQTT broker's ${what} is not set: export ${name} (or put it in .env); espruino.json names it in mqtt.${field}`);
  if (value.length > MQ_TEXT_MAX) throw new UsageError(`the MQTT broker's ${what} in ${name} has ${value.length} characters: a node takes at most ${MQ_TEXT_MAX}`);
  return value;
}

/** The board's description for the CLI (so it does not look it up on espruino.com), written to `file`. */
export function writeCliBoard(board: Board, file: string): void {
  writeFileSync(file, JSON.stringify({ BOARD: board.espruino.cliBoard, VERSION: board.espruino.version, info: { builtin_modules: ESPRUINO_BUILTIN_MODULES, binary_version: board.espruino.version } }));
}

const VERIFY = (files: ImageFile[]) =>
  `print("SPORE_FILES "+JSON.stringify(${JSON.stringify(files.map((f) => f.name))}.map(function(f){var d=require("Storage").read(f);return d===undefined?-1:E.CRC32(d)})))`;

export async function flash(p: Parsed, io: Io): Promise<number> {
  const env = loadEnv(io);
  const project = loadProject(p.options.project ? resolve(io.cwd, p.options.project as string) : undefined);
  const boards = loadBoards();
  const boardName = (p.options.board as string | undefined) ?? project.boards[0];
  const board: Board | undefined = boards.find((b) => b.name === boardName);
  if (!board) throw new UsageError(`--board: unknown board "${boardName}" (known: ${boards.map((b) => b.name).join(", ")})`);
  const port = p.options.port as string | undefined;
  const dry = p.options["dry-run"] as string | undefined;
  const ide = p.options.ide as string | undefined;
  if (ide && (port || dry)) throw new UsageError("--ide writes a file for the Espruino Web IDE: give it without --port and --dry-run");
  if (!port && !dry && !ide) throw new UsageError("--port is missing: the serial device (e.g. /dev/ttyUSB0) or tcp://host:port of a Telnet console");
  if (port?.startsWith("tcp://") && !board.limits.upload.includes("telnet")) throw new UsageError(`${board.name} has no Telnet console (Espruino ${board.espruino.version}): flash it over serial`);
  const baud = String(p.options.baud ?? 115200);
  const t0 = Date.now();
  const say = (s: string) => io.err(`[${((Date.now() - t0) / 1000).toFixed(1)} s] ${s}\n`);

  const config = nodeConfig(project, env, board);
  if (project.mqtt) say(config.mq ? `MQTT broker: ${project.mqtt.host}:${project.mqtt.port}, topics under ${project.mqtt.prefix}/` : `${board.name} has no MQTT client: the broker espruino.json names is not written`);
  say(`building ${board.name}...`);
  const [fw, boot] = await Promise.all([bundleBoard(board), bundleBoard(board, { entry: BOOT_ENTRY, suffix: ".boot" })]);
  if (fw.bytes > fw.budget) throw new Error(`${board.name}: bundle ${fw.bytes} B over its budget of ${fw.budget} B`);
  const dashboard = board.capabilities.dashboard ? buildDashboard(false).data : undefined;
  if (ide) {
    const file = ideFile({ board, firmware: fw.code, version: fw.version, boot: boot.code, bootPlain: boot.plain, dashboard, config });
    const out = resolve(io.cwd, ide);
    writeFileSync(out, file.code, { encoding: "latin1", mode: 0o600 });
    say(`wrote ${out} (${file.bytes} B, with spore.json: it holds the cluster secret, keep it private); send it from the Espruino Web IDE with ${ideSettings(board)}`);
    io.out(JSON.stringify({ board: board.name, version: fw.version, file: out, bytes: file.bytes, settings: ideSettings(board) }, null, 2) + "\n");
    return 0;
  }
  const files = flashImage({ firmware: fw.code, boot: boot.code, config, dashboard });
  const dir = mkdtempSync(join(tmpdir(), "spore-flash-"));
  try {
    // the boot file goes first on the command line: the CLI sends the files in reverse, so it is written last
    const storageArgs: string[] = [];
    for (const f of [...files].reverse()) {
      const path = join(dir, f.name.replace(/^\./, "_"));
      writeFileSync(path, f.data, "latin1");
      storageArgs.push("--storage", `${f.name}:${path}`);
    }
    // the board's description for the CLI, so it does not look it up on espruino.com
    const boardJson = join(dir, "board.json");
    writeCliBoard(board, boardJson);
    const common = ["--board", boardJson, "-b", baud];
    if (dry) {
      const out = resolve(io.cwd, dry);
      const r = await espruino([...common, ...storageArgs, "-n", "-o", out, "-e", VERIFY(files)], 60000);
      if (r.code !== 0) throw new Error(`espruino CLI failed:\n${r.out.trim()}`);
      say(`dry run: what would be sent to the board is in ${out} (${readFileSync(out).length} bytes; it holds the cluster secret: keep it private)`);
      io.out(JSON.stringify({ board: board.name, version: fw.version, files: files.map((f) => ({ name: f.name, bytes: f.data.length })) }, null, 2) + "\n");
      return 0;
    }
    say(`connecting to ${port}...`);
    const link = await consoleLink(port!, board, Number(baud), project, env, config.key as string);
    try {
      await flashThrough(link, { common, storageArgs, files, version: fw.version, board, boards, port: port!, say, io });
    } finally {
      await link.close();
    }
    return 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * How the espruino CLI reaches the node's console. Boards with a Telnet
 * console have it locked (device/boot.ts): over tcp:// the CLI goes through
 * a local proxy that unlocks each of its connections (and locks the console
 * again after it), over serial the port is unlocked before each run. The
 * password is the first 20 characters of the cluster secret, or of the one
 * in the variable cluster.oldSecretEnv names (a node flashed with another).
 */
interface ConsoleLink {
  /** The port the CLI is given. */
  port: string;
  /** Aborts when the console failed: the CLI's run is stopped. */
  stop?: AbortSignal;
  /** Before each run of the CLI; throws what failed. */
  ready(): Promise<void>;
  close(): Promise<void>;
}

async function consoleLink(port: string, board: Board, baud: number, project: Project, env: Record<string, string | undefined>, secret: string): Promise<ConsoleLink> {
  const oldEnv = project.cluster.oldSecretEnv;
  const old = oldEnv ? env[oldEnv] : undefined;
  const passwords = [...new Set([secret, ...(old ? [old] : [])].map(consolePassword))];
  const failed = (e: unknown): Error => {
    if (!(e instanceof ConsoleError)) return e as Error;
    if (e.kind !== "refused") return new Error(`no Espruino answered on ${port} (${e.message})`);
    const held = [project.cluster.secretEnv, ...(old ? [oldEnv] : [])].join(" or ");
    const next = oldEnv ? `put the secret it was flashed with in ${oldEnv}` : "name a variable for the secret it was flashed with in espruino.json (cluster.oldSecretEnv) and put that secret in it";
    return new Error(`the console on ${port} refused the password (a cluster secret's first ${PASSWORD_MAX} characters): the node was flashed with another secret than ${held} holds; ${next}. A node whose secret is lost can be erased and flashed again over serial (README, Security)`);
  };
  if (!board.limits.upload.includes("telnet")) return { port, ready: async () => {}, close: async () => {} };
  if (port.startsWith("tcp://")) {
    const u = new URL(port.replace(/^tcp:/, "http:"));
    const proxy = await ConsoleProxy.open({ host: u.hostname, port: Number(u.port || 23) }, passwords);
    try {
      // a session of its own first: a wrong secret is said at once
      await proxy.check();
    } catch (e) {
      await proxy.close();
      throw failed(e);
    }
    return {
      port: proxy.url,
      stop: proxy.signal,
      ready: async () => {
        // the last run's session over: the console locked again before the next connects
        await proxy.idle();
        if (proxy.failure) throw failed(proxy.failure);
      },
      close: () => proxy.close(),
    };
  }
  const serial = serialConsole(port, baud, passwords);
  return {
    port,
    ready: () => serial.unlock().catch((e) => Promise.reject(failed(e))),
    // (the last run left it unlocked: a serial console stays so)
    close: () => serial.lock().catch(() => {}),
  };
}

/** What flash writes, through the console link: the board checked, old files erased, the new ones written and checked, the node restarted and checked. */
async function flashThrough(link: ConsoleLink, w: { common: string[]; storageArgs: string[]; files: ImageFile[]; version: string; board: Board; boards: Board[]; port: string; say: (s: string) => void; io: Io }): Promise<void> {
  const { common, storageArgs, files, version, board, boards, port, say, io } = w;
  const target = ["-p", link.port, ...common];
  const run = async (args: string[], timeoutMs: number) => {
    await link.ready();
    const r = await espruino(args, timeoutMs, link.stop);
    await link.ready();
    return r;
  };
  const probe = await run([...target, "-e", 'print("SPORE_BOARD "+process.env.BOARD)'], 30000);
  const found = printed(probe.out, "SPORE_BOARD");
  if (!found) throw new Error(`no Espruino answered on ${port}${/rror/.test(probe.out) ? ":\n" + probe.out.trim().split("\n").slice(-3).join("\n") : " (check the port, the baud rate and that nothing else holds it)"}`);
  if (found !== board.espruino.envBoard) {
    const other = boards.find((b) => b.espruino.envBoard === found);
    throw new UsageError(`the device runs Espruino for ${found}${other ? ` (board ${other.name})` : ""}, not ${board.espruino.envBoard} (${board.name})${other ? `: use --board ${other.name}` : ""}`);
  }
  say("stopping what runs and erasing the previous Spore files...");
  // every boot file, firmware slot and boot state copy goes: an old state copy would outrank the new one;
  // the boot number (spore.n) stays, so the node's next boot is a new incarnation to peers that remember it
  // (and the CLI never finishes a write of 19 bytes or less: this one is longer)
  await run([...target, "-e", 'var S=require("Storage");S.list().forEach(function(f){if((f.indexOf("spore.")==0&&f!="spore.n")||f.indexOf(".boot")==0)S.erase(f)});print("SPORE_RESET");reset()'], 30000);
  say(`writing ${files.map((f) => `${f.name} (${f.data.length} B)`).join(", ")}...`);
  const up = await run([...target, ...storageArgs, "-e", VERIFY(files)], 300000);
  const got = printed(up.out, "SPORE_FILES");
  const want = JSON.stringify(files.map((f) => crc32Of(f.data)));
  if (got !== want) throw new Error(`the upload did not land intact (CRC32 on the device ${got ?? "not printed"}, expected ${want})${up.code ? ":\n" + up.out.trim().split("\n").slice(-3).join("\n") : ""}`);
  say("written and verified; restarting the node...");
  await run([...target, "-e", "E.reboot()"], 30000);
  // a node needs a second or two to boot and load its firmware from Storage
  let state: string | undefined;
  for (let i = 0; i < 10 && !state; i++) {
    await new Promise((r) => setTimeout(r, 2000));
    const check = await run([...target, "-e", 'print("SPORE_BOOT "+JSON.stringify([typeof SBS=="object"?SBS:null,typeof spore=="object"]))'], 30000);
    state = printed(check.out, "SPORE_BOOT");
  }
  if (!state) throw new Error(`the node did not answer after restarting`);
  const [sbs, up2] = JSON.parse(state) as [{ slot: string; state: string } | null, boolean];
  if (!sbs || !up2 || sbs.slot !== "a" || sbs.state !== "ok") throw new Error(`the node restarted but Spore is not running from slot a (boot state ${JSON.stringify(sbs)})`);
  say(`${board.name} flashed: Spore ${version} runs from slot ${sbs.slot}`);
  io.out(JSON.stringify({ board: board.name, version, boot: sbs }) + "\n");
}
