import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as assert from "uvu/assert";
import { loadBoardFile, loadBoards } from "../../host-tools/build/boards.ts";
import { loadProject } from "../../host-tools/build/project.ts";
import { suite } from "../suite.ts";

const { test: boards } = suite("board and project files");

function writeTemp(name: string, value: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), "spore-boards-")), name);
  writeFileSync(file, typeof value === "string" ? value : JSON.stringify(value));
  return file;
}

boards("the three boards load, with the limits from espruino-platform.md", () => {
  const byName = Object.fromEntries(loadBoards().map((b) => [b.name, b]));
  assert.equal(Object.keys(byName), ["esp01", "esp32", "esp8266"]);
  assert.is(byName.esp01.limits.jsVars, 1700);
  assert.is(byName.esp01.limits.storageBytes, 16 * 1024);
  assert.is(byName.esp01.limits.udpMaxBytes, 268);
  assert.equal(byName.esp01.limits.upload, ["serial"]);
  assert.is(byName.esp8266.limits.jsVars, 1600);
  assert.is(byName.esp8266.limits.storageBytes, 192 * 1024);
  assert.is(byName.esp32.limits.storageBytes, 896 * 1024);
  assert.is(byName.esp32.limits.udpOversize, "truncate");
  assert.is(byName.esp32.limits.udpMaxBytes, 528);
  for (const b of Object.values(byName)) assert.is(b.limits.sockets, 10);
});

boards("a bad board file fails with a message naming the file and the field", () => {
  const good = loadBoards()[0];
  const file = writeTemp("esp01.json", { ...good, limits: { ...good.limits, jsVars: "lots" } });
  assert.throws(() => loadBoardFile(file), (e: Error) => e.message.includes(file) && e.message.includes("/limits/jsVars") && /integer/.test(e.message));
  const missing = writeTemp("esp01.json", { ...good, budgets: { bundleBytes: 1 } });
  assert.throws(() => loadBoardFile(missing), (e: Error) => e.message.includes("/budgets") && e.message.includes("idleJsVars"));
  const unknown = writeTemp("esp01.json", { ...good, colour: "blue" });
  assert.throws(() => loadBoardFile(unknown), /unknown field "colour"/);
  const renamed = writeTemp("other.json", good);
  assert.throws(() => loadBoardFile(renamed), /\/name: must be "other"/);
  const broken = writeTemp("esp01.json", "{ not json");
  assert.throws(() => loadBoardFile(broken), (e: Error) => e.message.includes(broken) && /not valid JSON/.test(e.message));
});

boards("espruino.json validates, and a bad one names the field", () => {
  const project = loadProject();
  assert.ok(project.boards.length >= 1);
  const file = writeTemp("espruino.json", { ...project, ports: { http: -1, udp: 4210 } });
  assert.throws(() => loadProject(file), (e: Error) => e.message.includes(file) && e.message.includes("/ports/http"));
  const unknownBoard = writeTemp("espruino.json", { ...project, boards: ["esp99"] });
  assert.throws(() => loadProject(unknownBoard), /\/boards: unknown board "esp99"/);
});

boards.run();
