// Capabilities and board facts: a board carries only the capabilities its
// board file (and espruino.json) name, the firmware asks for board facts
// rather than board names, and a new board is a new JSON file and nothing else.
import { join } from "node:path";
import * as assert from "uvu/assert";
import { BOARDS_DIR, loadBoard, loadBoards } from "../../host-tools/build/boards.ts";
import { overBudget } from "../../host-tools/build/build.ts";
import { BOOT_ENTRY, bundleBoard } from "../../host-tools/build/bundle.ts";
import { CAPABILITIES, CAPABILITY_NAMES } from "../../host-tools/build/capabilities.ts";
import { REPO_ROOT } from "../../host-tools/build/paths.ts";
import { suite } from "../suite.ts";

const FIXTURES = join(REPO_ROOT, "test", "fixtures", "boards");
const { test } = suite("capabilities and board facts");

/** A string only each capability's code has (the stream capability has none of its own: it is checked by size). */
const MARK: Record<string, string> = { mqtt: "homeassistant/sensor/", dashboard: "no dashboard installed", details: "/api/node/status" };
const marked = CAPABILITY_NAMES.filter((c) => MARK[c]);

test("every capability is described, and each board file says which it carries", () => {
  for (const c of CAPABILITY_NAMES) assert.ok(CAPABILITIES[c].modules.length && CAPABILITIES[c].summary, c);
  for (const b of loadBoards(BOARDS_DIR, {})) assert.equal(Object.keys(b.capabilities).sort(), [...CAPABILITY_NAMES].sort(), b.name);
  assert.equal(loadBoard("esp01", BOARDS_DIR, {}).capabilities, { mqtt: false, dashboard: false, stream: false, details: false, relay: false, control: false, services: false, jobs: false, codecs: false, spool: false, health: false, placement: false, leader: false, lifeguard: false, adaptive: false });
});

test("a board carries the code of its capabilities and none of the others'", async () => {
  for (const name of ["esp01", "esp8266"]) {
    const board = loadBoard(name, BOARDS_DIR, {});
    const { plain } = await bundleBoard(board, { write: false });
    for (const c of marked) assert.is(plain.includes(MARK[c]), board.capabilities[c], `${name} ${c}`);
  }
  const streamOff = await bundleBoard(loadBoard("esp8266", BOARDS_DIR, { "*": { stream: false } }), { write: false });
  const own = await bundleBoard(loadBoard("esp8266", BOARDS_DIR, {}), { write: false });
  assert.ok(streamOff.bytes < own.bytes - 100, `stream: ${streamOff.bytes} B without it, ${own.bytes} B with it`);
});

test("espruino.json turns a capability off (for every board or one), and the bundle loses its bytes", async () => {
  const own = await bundleBoard(loadBoard("esp8266", BOARDS_DIR, {}), { write: false });
  const off = loadBoard("esp8266", BOARDS_DIR, { "*": { mqtt: false }, esp8266: { dashboard: false } });
  assert.equal(off.capabilities, { mqtt: false, dashboard: false, stream: true, details: true, relay: true, control: true, services: false, jobs: false, codecs: false, spool: false, health: false, placement: false, leader: false, lifeguard: true, adaptive: false });
  // a capability's parts follow it: the spool goes with MQTT, the codecs with jobs (asked for by name, refused)
  assert.equal(loadBoard("esp32", BOARDS_DIR, { "*": { mqtt: false } }).capabilities.spool, false);
  assert.equal(loadBoard("esp32", BOARDS_DIR, { esp32: { jobs: false } }).capabilities.codecs, false);
  assert.throws(() => loadBoard("esp32", BOARDS_DIR, { esp32: { mqtt: false, spool: true } }), /the spool capability needs mqtt/);
  // placement goes with health (eligibility rides on the health summary)
  assert.equal(loadBoard("esp32", BOARDS_DIR, { esp32: { health: false } }).capabilities.placement, false);
  assert.throws(() => loadBoard("esp32", BOARDS_DIR, { esp32: { health: false, placement: true } }), /the placement capability needs health/);
  const built = await bundleBoard(off, { write: false });
  assert.not.ok(built.plain.includes(MARK.mqtt));
  assert.not.ok(built.plain.includes(MARK.dashboard));
  assert.ok(built.bytes < own.bytes - 3000, `${built.bytes} B against ${own.bytes} B`);
  assert.equal(loadBoard("esp01", BOARDS_DIR, { esp8266: { mqtt: false } }).capabilities.mqtt, false, "another board's entry does not apply");
});

test("a capability turned on where the budget has no room is refused, naming what to drop", async () => {
  const board = loadBoard("esp01", BOARDS_DIR, { esp01: { mqtt: true } });
  const r = await bundleBoard(board, { write: false });
  assert.ok(r.bytes > r.budget, `${r.bytes} B`);
  const message = await overBudget(board, r);
  assert.match(message, /^esp01: \d+ B, over its budget of 12288 B/);
  assert.match(message, /mqtt \(\d+ B without it, fits\)/);
});

test("a new board is a JSON file and nothing else: its chip, slots, clock, flash and class reach the firmware", async () => {
  const board = loadBoard("testboard", FIXTURES, {});
  assert.equal([board.limits.chip, board.limits.slots, board.class.name], ["ESP32", 1, "full"]);
  const { plain } = await bundleBoard(board, { write: false });
  assert.ok(plain.includes("ESP32.getState"), "the ESP32's state object");
  assert.not.ok(plain.includes("ESP8266"), "nothing of the ESP8266's");
  assert.ok(plain.includes('"full"'), "its class, gossiped with its details");
  assert.ok(plain.includes("2097152") && plain.includes("160"), "flash size and clock from the board file");
  for (const c of marked) assert.is(plain.includes(MARK[c]), board.capabilities[c], c);
  // one slot: an update goes through recovery mode, as on an esp01, and the boot file never names a slot b;
  // a Telnet console (its upload list): the boot file locks it, which the esp01's (no Telnet) does not
  const boot = await bundleBoard(board, { entry: BOOT_ENTRY, write: false });
  const esp01Boot = await bundleBoard(loadBoard("esp01", BOARDS_DIR, {}), { entry: BOOT_ENTRY, write: false });
  assert.ok(boot.plain.includes("recovery mode: send again"));
  assert.ok(boot.plain.includes("E.lockConsole()") && !esp01Boot.plain.includes("lockConsole"), "the console locked where the board has Telnet");
  const serialOnly = await bundleBoard({ ...board, limits: { ...board.limits, upload: ["serial"] } }, { entry: BOOT_ENTRY, write: false });
  assert.is(serialOnly.plain.replace(/"esp01"|"testboard"/g, ""), esp01Boot.plain.replace(/"esp01"|"testboard"/g, ""), "without Telnet, the same boot file as the one-slot esp01's");
});

test.run();
