// The endpoint registry and request helpers. The registry is module state, as
// on the chip (one node per interpreter), so the tests share one registry.
import "./limits.ts";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { add, endpoint, endpoints, handle, json, parseForm } from "../../device/core/api.ts";
import { readConfig } from "../../device/core/config.ts";
import { setup, type HttpRequest, type Ports } from "../../device/core/env.ts";

setup({ now: () => 0 } as unknown as Ports, readConfig({ key: "s3cret" }, []), "a1b2c3");
add("GET", "x", () => json(200, { ok: true }));
add("POST", "m", () => json(200, { done: true }));
add("GET", "boom", () => {
  throw new Error("kaput");
});

const api = suite("api registry");
const req = (method: string, path: string, headers: Record<string, string> = {}): HttpRequest => ({ method, path, headers, body: "" });

api("registered endpoints are listed in SPORE's {uri, method} shape, under /api/, then the platform's (the dashboard upload on a board with one)", () => {
  assert.equal(JSON.parse(endpoints()), [
    { uri: "/api/x", method: "GET" },
    { uri: "/api/m", method: "POST" },
    { uri: "/api/boom", method: "GET" },
    { uri: "/api/node/dashboard", method: "POST" },
  ]);
});

api("the list streamed an entry at a time (boards with stream) is the same list", () => {
  const pieces: string[] = [];
  for (let i = 0, e = endpoint(0); e; e = endpoint(++i)) pieces.push(e);
  assert.is("[" + pieces.join(",") + "]", endpoints());
  assert.is(pieces.length, 4);
  assert.is(endpoint(4), undefined);
});

api("unknown paths are 404 and wrong methods 405, both as JSON errors", () => {
  assert.equal(JSON.parse(handle(req("GET", "/api/x")).body), { ok: true });
  const notFound = handle(req("GET", "/nope"));
  assert.is(notFound.code, 404);
  assert.equal(JSON.parse(notFound.body), { error: "not found" });
  assert.is(handle(req("POST", "/api/x")).code, 405);
});

api("a handler that throws answers 500 instead of crashing the node", () => {
  const r = handle(req("GET", "/api/boom"));
  assert.is(r.code, 500);
  assert.match(JSON.parse(r.body).error, /kaput/);
});

api("every method but GET needs the cluster secret, as a bearer token or X-Spore-Key", () => {
  const post = (headers: Record<string, string>) => handle(req("POST", "/api/m", headers));
  assert.is(post({}).code, 401);
  assert.equal(JSON.parse(post({}).body), { error: "cluster secret required" });
  assert.is(post({ Authorization: "Bearer wrong" }).code, 401);
  assert.is(post({ Authorization: "Bearer s3cret" }).code, 200);
  assert.is(post({ "x-spore-key": "s3cret" }).code, 200, "header names in any case");
  setup({ now: () => 0 } as unknown as Ports, readConfig({}, []), "a1b2c3");
  assert.is(post({ Authorization: "Bearer " }).code, 401, "no secret configured refuses everything");
  setup({ now: () => 0 } as unknown as Ports, readConfig({ key: "s3cret" }, []), "a1b2c3");
});

api("form bodies decode %XX and + and refuse malformed escapes", () => {
  assert.equal(parseForm("task=probe&action=disable"), { task: "probe", action: "disable" });
  assert.equal(parseForm("name=a%2Fb&data=%7B%22x%22%3A1%7D&note=two+words"), { name: "a/b", data: '{"x":1}', note: "two words" });
  assert.equal(parseForm(""), {});
  assert.is(parseForm("a=%zz"), null);
  assert.is(parseForm("=x"), null);
  assert.is(parseForm("a=b=c"), null);
});

api.run();
