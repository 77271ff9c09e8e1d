// The API's list of endpoints, its routing and request helpers.
import "./limits.ts";
import * as assert from "uvu/assert";
import { endpoint, endpoints, handle, json, parseForm } from "../../device/core/api.ts";
import { readConfig } from "../../device/core/layout.ts";
import { setup, type HttpRequest, type Ports } from "../../device/core/env.ts";
import { suite } from "../suite.ts";

const LIST = "GET x|POST m|GET boom|GET nobranch";
/** Answers by name; "GET nobranch" is listed and has none. */
const answers: Record<string, () => ReturnType<typeof json>> = {
  "GET x": () => json(200, { ok: true }),
  "POST m": () => json(200, { done: true }),
  "GET boom": () => {
    throw new Error("kaput");
  },
};
const asked: string[] = [];
/** What main.ts passes in: the endpoints served outside the core (here the dashboard upload, as on a board with one). */
const ports = { now_: () => 0, served_: () => "|POST node/dashboard" } as unknown as Ports;

const { test: api } = suite("api");
// the core's configuration is module state, shared with other unit test files in this process: set before each test
api.before.each(() => setup(ports, readConfig({ key: "s3cret" }, []), "a1b2c3"));
const req = (method: string, path: string, headers: Record<string, string> = {}): HttpRequest => ({ method_: method, path_: path, headers_: headers, body_: "" });
const handleReq = (r: HttpRequest) => handle(LIST, r, (name) => (asked.push(name), answers[name] && answers[name]()));

api("the endpoints are listed in SPORE's {uri, method} shape, under /api/, then the platform's (the dashboard upload on a board with one)", () => {
  assert.equal(JSON.parse(endpoints(LIST)), [
    { uri: "/api/x", method: "GET" },
    { uri: "/api/m", method: "POST" },
    { uri: "/api/boom", method: "GET" },
    { uri: "/api/nobranch", method: "GET" },
    { uri: "/api/node/dashboard", method: "POST" },
  ]);
});

api("the list streamed an entry at a time (boards with stream) is the same list", () => {
  const pieces: string[] = [];
  for (let i = 0, e = endpoint(LIST, 0); e; e = endpoint(LIST, ++i)) pieces.push(e);
  assert.is("[" + pieces.join(",") + "]", endpoints(LIST));
  assert.is(pieces.length, 5);
  assert.is(endpoint(LIST, 5), undefined);
});

api("each endpoint gets its own answer; unknown paths are 404 and wrong methods 405, both as JSON errors", () => {
  asked.length = 0;
  assert.equal(JSON.parse(handleReq(req("GET", "/api/x")).body_), { ok: true });
  assert.equal(JSON.parse(handleReq(req("POST", "/api/m", { "X-Spore-Key": "s3cret" })).body_), { done: true });
  assert.equal(asked, ["GET x", "POST m"]);
  const notFound = handleReq(req("GET", "/nope"));
  assert.is(notFound.code_, 404);
  assert.equal(JSON.parse(notFound.body_), { error: "not found" });
  assert.is(handleReq(req("POST", "/api/x")).code_, 405);
  assert.is(handleReq(req("GET", "/api/m")).code_, 405);
  for (const path of ["/x", "/api/", "/api/GET x", "/api/x|POST m", "/api/m|GET x", "/api/x/", "/api/xx"]) assert.is(handleReq(req("GET", path)).code_, 404, path);
  assert.equal(asked, ["GET x", "POST m"], "nothing else answered");
});

api("an endpoint listed without a branch of its own answers 500, never another endpoint's answer", () => {
  asked.length = 0;
  const r = handleReq(req("GET", "/api/nobranch"));
  assert.is(r.code_, 500);
  assert.equal(JSON.parse(r.body_), { error: "no answer for GET nobranch" });
  assert.equal(asked, ["GET nobranch"]);
});

api("a handler that throws answers 500 instead of crashing the node", () => {
  const r = handleReq(req("GET", "/api/boom"));
  assert.is(r.code_, 500);
  assert.match(JSON.parse(r.body_).error, /kaput/);
});

api("every method but GET needs the cluster secret, as a bearer token or X-Spore-Key", () => {
  const post = (headers: Record<string, string>) => handleReq(req("POST", "/api/m", headers));
  assert.is(post({}).code_, 401);
  assert.equal(JSON.parse(post({}).body_), { error: "cluster secret required" });
  assert.is(post({ Authorization: "Bearer wrong" }).code_, 401);
  assert.is(post({ Authorization: "Bearer s3cret" }).code_, 200);
  assert.is(post({ "x-spore-key": "s3cret" }).code_, 200, "header names in any case");
  setup(ports, readConfig({}, []), "a1b2c3");
  assert.is(post({ Authorization: "Bearer " }).code_, 401, "no secret configured refuses everything");
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
