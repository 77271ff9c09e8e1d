import { suite } from "uvu";
import * as assert from "uvu/assert";
import { Api, json } from "../../device/core/api.ts";
import type { HttpRequest } from "../../device/core/ports.ts";

const api = suite("api registry");
const req = (method: string, path: string): HttpRequest => ({ method, path, query: {}, headers: {}, body: "" });

api("registered endpoints are listed in SPORE's {uri, method} shape", () => {
  const a = new Api();
  a.add("GET", "/api/x", () => json(200, {}));
  a.add("POST", "/api/y", () => json(200, {}));
  assert.equal(a.list(), [
    { uri: "/api/x", method: "GET" },
    { uri: "/api/y", method: "POST" },
  ]);
});

api("unknown paths are 404 and wrong methods 405, both as JSON errors", () => {
  const a = new Api();
  a.add("GET", "/api/x", () => json(200, { ok: true }));
  assert.equal(JSON.parse(a.handle(req("GET", "/api/x")).body), { ok: true });
  const notFound = a.handle(req("GET", "/nope"));
  assert.is(notFound.code, 404);
  assert.equal(JSON.parse(notFound.body), { error: "not found" });
  assert.is(a.handle(req("DELETE", "/api/x")).code, 405);
});

api("a handler that throws answers 500 instead of crashing the node", () => {
  const a = new Api();
  a.add("GET", "/api/boom", () => {
    throw new Error("kaput");
  });
  const r = a.handle(req("GET", "/api/boom"));
  assert.is(r.code, 500);
  assert.match(JSON.parse(r.body).error, /kaput/);
});

api.run();
