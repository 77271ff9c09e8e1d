// The Web IDE files (host-tools/build/ide.ts): what the build writes to dist/,
// the checks they pass, Storage with one installed, and flash --ide.
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as assert from "uvu/assert";
import * as acorn from "acorn";
import * as walk from "acorn-walk";
import { loadBoards } from "../../host-tools/build/boards.ts";
import { checkIdeFile, ideLayout, ideMode, type IdeFile } from "../../host-tools/build/ide.ts";
import { footprint } from "../../host-tools/lib/storage-format.ts";
import { DIST_DIR } from "../../host-tools/build/paths.ts";
import { type Io, runCli } from "../../host-tools/cli.ts";
import { nodeTransport } from "../../host-tools/lib/transport.ts";
import { suite } from "../suite.ts";

const { test: t } = suite("Web IDE files");

function distIde(board: string): IdeFile {
  const code = readFileSync(join(DIST_DIR, `${board}.ide.js`), "latin1");
  const board_ = loadBoards().find((b) => b.name === board)!;
  return { board, mode: ideMode(board_), code, bytes: code.length, mark: /"(spore-ide:[0-9a-f]{8})"/.exec(code)![1] };
}

/** The Storage writes the file makes: [file name, bytes] per S.write(name, atob(...)). */
function writes(code: string): [string, string][] {
  const out: [string, string][] = [];
  walk.simple(acorn.parse(code, { ecmaVersion: 2020 }), {
    CallExpression(n: any) {
      const arg = n.arguments[1];
      if (n.callee.type === "MemberExpression" && n.callee.property.name === "write" && arg?.type === "CallExpression" && arg.callee.name === "atob")
        out.push([n.arguments[0].value, Buffer.from(arg.arguments[0].value, "base64").toString("latin1")]);
    },
  });
  return out;
}

t("each board's file in dist/ is printable ASCII, a script the IDE's parser reads, in the Espruino subset, with no string over 1,024 characters and no spore.json", () => {
  for (const board of loadBoards()) {
    const ide = distIde(board.name);
    checkIdeFile(board.name, ide.code);
    walk.simple(acorn.parse(ide.code, { ecmaVersion: 2020 }), {
      Literal(n: any) {
        if (typeof n.value === "string") assert.ok(n.value.length <= 1024, `${board.name}: a string of ${n.value.length} characters`);
      },
    });
    const names = writes(ide.code).map((w) => w[0]);
    assert.not.ok(names.includes("spore.json"), `${board.name}: dist/ holds no configuration, so no secret`);
    const expected = ide.mode === "flash" ? ["spore.a", ...(board.capabilities.dashboard ? ["spore.html"] : [])] : [".bootcde"];
    assert.equal([...new Set(names)], expected, `${board.name}: what the installer writes`);
    // what it writes is the build's output, byte for byte
    const bundle = readFileSync(join(DIST_DIR, ide.mode === "flash" ? `${board.name}.js` : `${board.name}.boot.js`), "latin1");
    assert.is(writes(ide.code).filter((w) => w[0] === expected[0]).map((w) => w[1]).join(""), bundle, `${board.name}: ${expected[0]}`);
  }
});

t("the checks refuse a byte outside ASCII, code the IDE cannot parse, and what Espruino does not run", () => {
  assert.throws(() => checkIdeFile("x", 'print("caf\u00e9");'), /outside printable ASCII \(code 233\)/);
  assert.throws(() => checkIdeFile("x", "print((1);"), /does not parse/);
  assert.throws(() => checkIdeFile("x", "const { a } = b;"), /Espruino 2v29 does not run/);
});

t("Storage with the file installed: esp8266 and esp32 keep room for both slots at their budget and the dashboard; esp01's installer leaves room for the boot file", () => {
  for (const board of loadBoards()) {
    const ide = distIde(board.name);
    const boot = readFileSync(join(DIST_DIR, `${board.name}.boot.js`)).length;
    const l = ideLayout(board, ide, boot);
    assert.ok(l.free >= 0, `${board.name}: ${l.free} B free`);
    const row = (f: string) => l.rows.find((r) => r.file === f)?.bytes;
    if (ide.mode === "flash") {
      assert.is(row(".bootcde"), footprint(ide.bytes), "the IDE file is the boot code");
      for (const slot of ["spore.a", "spore.b"]) assert.is(row(slot), footprint(board.budgets.bundleBytes), `${board.name}: ${slot} at its budget`);
      assert.is(row("spore.html"), footprint(board.budgets.dashboardBytes!));
      assert.ok(row("spore.i"));
    } else {
      assert.is(row("spore.a"), footprint(ide.bytes), "the installer waits in slot a");
      assert.is(row(".bootcde"), footprint(boot));
    }
  }
});

async function flash(argv: string[], env: Record<string, string>) {
  let out = "";
  let err = "";
  const io: Io = { out: (s) => (out += s), err: (s) => (err += s), tty: false, env, cwd: process.cwd(), transport: nodeTransport };
  return { code: await runCli(["flash", ...argv], io), out, err };
}

t("flash --ide writes the file with spore.json from espruino.json and the environment (readable by its owner only), says it holds the secret, never prints it", async () => {
  const dir = mkdtempSync(join(tmpdir(), "spore-ide-"));
  try {
    const file = join(dir, "node.ide.js");
    const r = await flash(["--ide", file, "--board", "esp8266"], { SPORE_SECRET: "ide-test-secret", SPORE_WIFI_PASSWORD: "wifi-pass" });
    assert.is(r.code, 0, r.err);
    assert.match(r.err, /holds the cluster secret, keep it private/);
    assert.match(r.err, /Save on Send: "Direct to Flash/);
    assert.not.ok((r.out + r.err).includes("ide-test-secret"), "the secret is never printed");
    assert.is(statSync(file).mode & 0o777, 0o600);
    const code = readFileSync(file, "latin1");
    checkIdeFile("esp8266", code);
    const config = writes(code).filter((w) => w[0] === "spore.json");
    assert.is(config.length, 1);
    assert.equal(JSON.parse(config[0][1]), { ssid: "spore-lan", pass: "wifi-pass", cl: "spore", key: "ide-test-secret", http: 80, udp: 4210 });
    assert.equal(JSON.parse(r.out).board, "esp8266");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

t("flash --ide: clear errors with --port or --dry-run, and without the secret", async () => {
  let r = await flash(["--ide", "x.js", "--port", "/dev/ttyUSB0"], { SPORE_SECRET: "s" });
  assert.is(r.code, 2);
  assert.match(r.err, /--ide writes a file for the Espruino Web IDE: give it without --port and --dry-run/);
  r = await flash(["--ide", "x.js", "--dry-run", "y.js"], { SPORE_SECRET: "s" });
  assert.is(r.code, 2);
  r = await flash(["--ide", join(tmpdir(), "never-written.js"), "--board", "esp01"], { SPORE_SECRET: "" });
  assert.is(r.code, 2);
  assert.match(r.err, /the cluster secret is not set: export SPORE_SECRET/);
  r = await flash(["--help"], {});
  assert.match(r.out, /--ide <file>/);
});

t.run();
