// The console's password is the cluster secret's first 20 characters as the
// node reads them from spore.json (device/boot.ts): the first 20 bytes of
// the secret's UTF-8, which is how flash writes spore.json. A secret whose
// password could not be typed (a line break ends a line) is refused by flash
// for boards whose console is locked.
import * as assert from "uvu/assert";
import { loadBoard } from "../../host-tools/build/boards.ts";
import { loadProject } from "../../host-tools/build/project.ts";
import { nodeConfig } from "../../host-tools/flash.ts";
import { consolePassword, PASSWORD_MAX } from "../../host-tools/lib/console.ts";
import { suite } from "../suite.ts";

const { test } = suite("console password");

test("the first 20 bytes of the secret's UTF-8, as an 8-bit string", () => {
  assert.is(PASSWORD_MAX, 20);
  assert.is(consolePassword("short"), "short");
  assert.is(consolePassword("0123456789abcdef0123456789abcdef"), "0123456789abcdef0123");
  // "é" is two bytes in UTF-8: the node sees (and the console takes) bytes
  assert.is(consolePassword("é".repeat(11)), Buffer.from("é".repeat(10), "utf8").toString("latin1"));
  assert.is(consolePassword("é".repeat(11)).length, 20);
});

test("flash refuses a secret with a line break in its first 20 characters for boards whose console is locked, not for esp01", () => {
  const project = loadProject();
  const env = { SPORE_SECRET: "line\nbreak-secret", SPORE_WIFI_PASSWORD: "pw" };
  for (const board of ["esp8266", "esp32"]) assert.throws(() => nodeConfig(project, env, loadBoard(board)), /SPORE_SECRET has a line break in its first 20 characters, the console's password on (esp8266|esp32): nobody could type it/);
  assert.is(nodeConfig(project, env, loadBoard("esp01")).key, env.SPORE_SECRET, "esp01: no console lock");
  assert.is(nodeConfig(project, { ...env, SPORE_SECRET: "0123456789abcdefghij\nafter-the-password" }, loadBoard("esp8266")).key, "0123456789abcdefghij\nafter-the-password", "past the 20 characters it does not matter");
});

test.run();
