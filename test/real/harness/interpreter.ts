// The interpreter: Espruino built for Linux (named by ESPRUINO_BIN), run
// once to write a node's Storage (espruino.flash in its folder) or to
// evaluate a line, and what it needs to idle.
//
// Once it has a socket the Linux build never sleeps: each node would take a
// CPU core. idle-select.c, compiled for i386 and preloaded, makes an empty
// socket poll wait up to 4 ms instead (see there; SPORE_REAL_SPIN=1 turns
// it off). Even so a node under qemu needs about what a chip has to itself:
// where the machine cannot give it, ClusterOptions.slow stretches the
// membership periods, and the probes print the CPU the nodes got.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Board } from "../../../host-tools/build/boards.ts";
import { crc32Of, type ImageFile } from "../../../host-tools/build/image.ts";
import { chipShim, wifiShim } from "./shims.ts";

/** The environment variable naming the interpreter: a path, or a command with arguments. */
export const ESPRUINO_ENV = "ESPRUINO_BIN";
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

const IDLE_SOURCE = join(dirname(fileURLToPath(import.meta.url)), "..", "idle-select.c");
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
  return (idleLib = { env, note: `an empty socket poll waits up to ${process.env.SPORE_IDLE_WAIT_US ?? 4000} us (${basename(IDLE_SOURCE)})` });
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

/**
 * Runs `script` once on the interpreter with `files` in a fresh Storage (in
 * a temporary folder, removed after) and returns what it printed; killed
 * after `ms`. Code loaded from Storage is held as a node holds its firmware.
 */
export async function runOnce(cmd: string[], files: ImageFile[], script: string, ms: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "spore-real-once-"));
  let out = "";
  try {
    await writeStorage(cmd, dir, files);
    const p = spawn(cmd[0], [...cmd.slice(1), "-e", script], { cwd: dir, stdio: ["pipe", "pipe", "pipe"] });
    p.stdout.on("data", (d) => (out += d));
    const t = setTimeout(() => p.kill("SIGKILL"), ms);
    await new Promise((r) => p.on("close", r));
    clearTimeout(t);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}
