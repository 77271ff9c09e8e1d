// spore.json is described twice, for the chip (device/core/layout.ts) and for
// users and tools (host-tools/schema/spore.schema.json): the two must agree,
// and what flash writes must be valid.
import "./limits.ts";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as assert from "uvu/assert";
import { Ajv } from "ajv";
import { defaultConfig, readConfig } from "../../device/core/layout.ts";
import { loadBoard } from "../../host-tools/build/boards.ts";
import { REPO_ROOT } from "../../host-tools/build/paths.ts";
import { loadProject } from "../../host-tools/build/project.ts";
import { nodeConfig } from "../../host-tools/flash.ts";
import { suite } from "../suite.ts";

const schema = JSON.parse(readFileSync(join(REPO_ROOT, "host-tools", "schema", "spore.schema.json"), "utf8"));
const props = schema.properties as Record<string, { default?: unknown; minimum?: number; maximum?: number; $ref?: string }>;
const validate = new Ajv({ strict: false }).compile(schema);
const { test } = suite("layout: spore.json");

test("the schema names every key the firmware reads, and the boot file's hold, trial and the broker", () => {
  assert.equal(Object.keys(props).sort(), [...Object.keys(defaultConfig()), "hold", "trial", "mq"].sort());
});

test("the schema's defaults are the firmware's", () => {
  const d = defaultConfig() as unknown as Record<string, unknown>;
  for (const k of Object.keys(d)) assert.equal(props[k].default, d[k], k);
});

test("the schema's bounds are the firmware's: a number just outside is refused by both, at the bound taken by both", () => {
  for (const [k, p] of Object.entries(props)) {
    if (p.minimum === undefined || p.maximum === undefined) continue;
    // dead must stay above ina, pmn <= prd <= pmx and bmn < bmx: try each key alone against settings that allow it
    const bases: Record<string, Record<string, number>> = { ina: { dead: 86400 }, dead: { ina: 2 }, pmn: { prd: 60000, pmx: 60000 }, pmx: { prd: 200, pmn: 200 }, prd: { pmn: 200, pmx: 60000 }, bmn: { bmx: 60000 }, bmx: { bmn: 0 } };
    const base = bases[k] ?? {};
    for (const [v, ok] of [[p.minimum - 1, false], [p.minimum, true], [p.maximum, true], [p.maximum + 1, false]] as [number, boolean][]) {
      const errors: string[] = [];
      const c = readConfig({ ...base, [k]: v }, errors) as unknown as Record<string, unknown>;
      assert.is(c[k] === v, ok, `firmware ${k}=${v}: ${errors.join("; ")}`);
      assert.is(validate({ ...base, [k]: v }), ok, `schema ${k}=${v}`);
    }
  }
  assert.not.ok(validate({ cl: "a|b" }), "no '|' in texts");
  assert.not.ok(validate({ nope: 1 }), "unknown keys are refused");
});

test("what flash writes is valid, with the broker on a board with MQTT", () => {
  const project = { ...loadProject(), mqtt: { host: "broker.lan", port: 1883, prefix: "spore", period: 30, homeAssistant: true } };
  for (const board of ["esp01", "esp8266"]) {
    const config = nodeConfig(project, { SPORE_SECRET: "s3cret", SPORE_WIFI_PASSWORD: "pw" }, loadBoard(board));
    assert.ok(validate(config), `${board}: ${JSON.stringify(validate.errors)}`);
    assert.is("mq" in config, board === "esp8266");
  }
});

test.run();
