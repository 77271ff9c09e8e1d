import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as assert from "uvu/assert";
import { loadBoardFile, loadBoards } from "../../host-tools/build/boards.ts";
import { loadProject } from "../../host-tools/build/project.ts";
import { suite } from "../suite.ts";

const { test: boards } = suite("board and project files");
/** Each file the tests write goes into a folder of its own (a board file's name must match its board), all removed at the end. */
const temps: string[] = [];
boards.after(() => {
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

function writeTemp(name: string, value: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), "spore-boards-"));
  temps.push(dir);
  const file = join(dir, name);
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

boards("espruino.json's MQTT broker: what is left out takes its default, and a bad field is named", () => {
  const project = loadProject();
  const minimal = writeTemp("espruino.json", { ...project, mqtt: { host: "broker.lan" } });
  assert.equal(loadProject(minimal).mqtt, { host: "broker.lan", port: 1883, prefix: "spore", period: 30, homeAssistant: false });
  /** The error for a project with this broker, after the file's name. */
  const failure = (mqtt: unknown): string => {
    const file = writeTemp("espruino.json", { ...project, mqtt });
    try {
      loadProject(file);
    } catch (e) {
      assert.ok((e as Error).message.startsWith(`${file}: `), (e as Error).message);
      return (e as Error).message.slice(file.length + 2);
    }
    assert.unreachable(`${JSON.stringify(mqtt)} was taken`);
    return "";
  };
  assert.is(failure({ port: 1883 }), '/mqtt: missing field "host"');
  assert.is(failure({ host: "broker.lan", password: "x" }), '/mqtt: unknown field "password"');
  assert.is(failure({ host: "broker.lan", period: 0, homeAssistant: "yes" }), "/mqtt/period: must be >= 1; /mqtt/homeAssistant: must be boolean");
  assert.match(failure({ host: "mqtt://broker.lan" }), /^\/mqtt\/host: must match pattern ".*" \(the broker's host name or IPv4 address\)$/);
  assert.match(failure({ host: "broker.lan", prefix: "spore/#" }), /^\/mqtt\/prefix: must match pattern ".*" \(topics are <prefix>\/<hostname>\/\.\.\.: .*no MQTT wildcards\)$/);
  assert.match(failure({ host: "broker.lan", passwordEnv: "hunter2" }), /^\/mqtt\/passwordEnv: must match pattern ".*" \(an environment variable name: the variable holding the broker's password\)$/);
});

boards.run();
