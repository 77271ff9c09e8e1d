// The API's list of endpoints, its routing and request helpers.
import "./limits.ts";
import * as assert from "uvu/assert";
import { endpoint, endpoints, handle, json, parseForm } from "../../device/core/api.ts";
import { readConfig } from "../../device/core/config.ts";
import { setup, type HttpRequest, type Ports } from "../../device/core/env.ts";
import { suite } from "../suite.ts";

const LIST = "GET x|POST m|GET boom";
const answers = [() => json(200, { ok: true }), () => json(200, { done: true }), () => {
  throw new Error("kaput");
}];
const asked: number[] = [];

const { test: api } = suite("api");
// the core's configuration is module state, shared with other unit test files in this process: set before each test
api.before.each(() => setup({ now: () => 0 } as unknown as Ports, readConfig({ key: "s3cret" }, []), "a1b2c3"));
const req = (method: string, path: string, headers: Record<string, string> = {}): HttpRequest => ({ method, path, headers, body: "" });
const handleReq = (r: HttpRequest) => handle(LIST, r, (i) => (asked.push(i), answers[i]()));

api("the endpoints are listed in SPORE's {uri, method} shape, under /api/, then the platform's (the dashboard upload on a board with one)", () => {
  assert.equal(JSON.parse(endpoints(LIST)), [
    { uri: "/api/x", method: "GET" },
    { uri: "/api/m", method: "POST" },
    { uri: "/api/boom", method: "GET" },
    { uri: "/api/node/dashboard", method: "POST" },
  ]);
});

api("the list streamed an entry at a time (boards with stream) is the same list", () => {
  const pieces: string[] = [];
  for (let i = 0, e = endpoint(LIST, 0); e; e = endpoint(LIST, ++i)) pieces.push(e);
  assert.is("[" + pieces.join(",") + "]", endpoints(LIST));
  assert.is(pieces.length, 4);
  assert.is(endpoint(LIST, 4), undefined);
});

api("each endpoint gets its own answer; unknown paths are 404 and wrong methods 405, both as JSON errors", () => {
  asked.length = 0;
  assert.equal(JSON.parse(handleReq(req("GET", "/api/x")).body), { ok: true });
  assert.equal(JSON.parse(handleReq(req("POST", "/api/m", { "X-Spore-Key": "s3cret" })).body), { done: true });
  assert.equal(asked, [0, 1]);
  const notFound = handleReq(req("GET", "/nope"));
  assert.is(notFound.code, 404);
  assert.equal(JSON.parse(notFound.body), { error: "not found" });
  assert.is(handleReq(req("POST", "/api/x")).code, 405);
  assert.is(handleReq(req("GET", "/api/m")).code, 405);
  for (const path of ["/x", "/api/", "/api/GET x", "/api/x|POST m", "/api/m|GET x", "/api/x/", "/api/xx"]) assert.is(handleReq(req("GET", path)).code, 404, path);
  assert.equal(asked, [0, 1], "nothing else answered");
});

api("a handler that throws answers 500 instead of crashing the node", () => {
  const r = handleReq(req("GET", "/api/boom"));
  assert.is(r.code, 500);
  assert.match(JSON.parse(r.body).error, /kaput/);
});

api("every method but GET needs the cluster secret, as a bearer token or X-Spore-Key", () => {
  const post = (headers: Record<string, string>) => handleReq(req("POST", "/api/m", headers));
  assert.is(post({}).code, 401);
  assert.equal(JSON.parse(post({}).body), { error: "cluster secret required" });
  assert.is(post({ Authorization: "Bearer wrong" }).code, 401);
  assert.is(post({ Authorization: "Bearer s3cret" }).code, 200);
  assert.is(post({ "x-spore-key": "s3cret" }).code, 200, "header names in any case");
  setup({ now: () => 0 } as unknown as Ports, readConfig({}, []), "a1b2c3");
  assert.is(post({ Authorization: "Bearer " }).code, 401, "no secret configured refuses everything");
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
