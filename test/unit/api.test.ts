import { suite } from "uvu";
import * as assert from "uvu/assert";
import { Api, json, parseForm } from "../../device/core/api.ts";
import type { HttpRequest } from "../../device/core/ports.ts";

const api = suite("api registry");
const req = (method: string, path: string): HttpRequest => ({ method, path, query: {}, headers: {}, body: "" });

api("registered endpoints are listed in SPORE's {uri, method} shape", () => {
  const a = new Api("s3cret");
  a.add("GET", "/api/x", () => json(200, {}));
  a.add("POST", "/api/y", () => json(200, {}));
  assert.equal(a.list(), [
    { uri: "/api/x", method: "GET" },
    { uri: "/api/y", method: "POST" },
  ]);
});

api("unknown paths are 404 and wrong methods 405, both as JSON errors", () => {
  const a = new Api("s3cret");
  a.add("GET", "/api/x", () => json(200, { ok: true }));
  assert.equal(JSON.parse(a.handle(req("GET", "/api/x")).body), { ok: true });
  const notFound = a.handle(req("GET", "/nope"));
  assert.is(notFound.code, 404);
  assert.equal(JSON.parse(notFound.body), { error: "not found" });
  assert.is(a.handle(req("DELETE", "/api/x")).code, 405);
});

api("a handler that throws answers 500 instead of crashing the node", () => {
  const a = new Api("s3cret");
  a.add("GET", "/api/boom", () => {
    throw new Error("kaput");
  });
  const r = a.handle(req("GET", "/api/boom"));
  assert.is(r.code, 500);
  assert.match(JSON.parse(r.body).error, /kaput/);
});

api("mutating endpoints need the cluster secret, as a bearer token or X-Spore-Key", () => {
  const a = new Api("s3cret");
  a.add("POST", "/api/m", () => json(200, { done: true }), true);
  const post = (headers: Record<string, string>) => a.handle({ method: "POST", path: "/api/m", query: {}, headers, body: "" });
  assert.is(post({}).code, 401);
  assert.equal(JSON.parse(post({}).body), { error: "cluster secret required" });
  assert.is(post({ Authorization: "Bearer wrong" }).code, 401);
  assert.is(post({ Authorization: "Bearer s3cret" }).code, 200);
  assert.is(post({ "x-spore-key": "s3cret" }).code, 200, "header names in any case");
  const open = new Api("");
  open.add("POST", "/api/m", () => json(200, {}), true);
  assert.is(open.handle({ method: "POST", path: "/api/m", query: {}, headers: { Authorization: "Bearer " }, body: "" }).code, 401, "no secret configured refuses everything");
});

api("form bodies decode %XX and + and refuse malformed escapes", () => {
  assert.equal(parseForm("task=probe&action=disable"), { task: "probe", action: "disable" });
  assert.equal(parseForm("name=a%2Fb&data=%7B%22x%22%3A1%7D&note=two+words"), { name: "a/b", data: '{"x":1}', note: "two words" });
  assert.equal(parseForm(""), {});
  assert.is(parseForm("a=%zz"), null);
  assert.is(parseForm("=x"), null);
});

api.run();
