import * as assert from "uvu/assert";
import { defaultConfig, readConfig } from "../../device/core/layout.ts";
import { suite } from "../suite.ts";

const { test: config } = suite("node config");

config("a missing file gives the defaults and says so", () => {
  const errors: string[] = [];
  assert.equal(readConfig(undefined, errors), defaultConfig());
  assert.match(errors[0], /^unreadable$/);
});

config("stored values override the defaults", () => {
  const errors: string[] = [];
  const c = readConfig({ ssid: "lan", pass: "pw", key: "s3cret", http: 8080, ann: 2000 }, errors);
  assert.equal(errors, []);
  assert.is(c.ssid, "lan");
  assert.is(c.http, 8080);
  assert.is(c.udp, 4210);
  assert.is(c.ann, 2000);
});

config("a bad field keeps its default and is reported, the rest still applies", () => {
  const errors: string[] = [];
  const c = readConfig({ ssid: 5, http: 70000, udp: 1.5, ann: 10, cl: "farm", key: "k" }, errors);
  assert.equal(errors.sort(), ["bad ann (100..3600000)", "bad http (1..65535)", "bad ssid (text, no |)", "bad udp (1..65535)"]);
  assert.is(c.ssid, "");
  assert.is(c.http, 80);
  assert.is(c.cl, "farm");
});

config("a file that is not an object gives the defaults", () => {
  const errors: string[] = [];
  assert.equal(readConfig([1, 2], errors).cl, "spore");
  assert.equal(readConfig("x", errors).http, 80);
  assert.equal(errors.filter((e) => !/no key/.test(e)).length, 1, "an array is an object; its unknown keys are ignored");
});

config("failure-detection thresholds are checked together; no secret is reported", () => {
  const errors: string[] = [];
  const c = readConfig({ ina: 30, dead: 20 }, errors);
  assert.equal([c.ina, c.dead], [10, 60]);
  assert.ok(errors.some((e) => /dead <= ina/.test(e)));
  assert.ok(errors.some((e) => /no key/.test(e)));
});

config.run();
