// The host tools' small parts: arguments, addresses, .env, progress output, the Storage image.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as assert from "uvu/assert";
import { loadBoard } from "../../host-tools/build/boards.ts";
import { CONFIG_MAX_BYTES, configMaxBytes, crc32Of, flashImage, MQ_TEXT_MAX, stateMaxBytes, storageLayout } from "../../host-tools/build/image.ts";
import { ApiError, BUSY_RETRIES, NodeApi } from "../../host-tools/lib/api.ts";
import { parseArgs } from "../../host-tools/lib/args.ts";
import { loadEnv } from "../../host-tools/lib/env.ts";
import { Progress } from "../../host-tools/lib/output.ts";
import { type HttpReply, type HttpRequest, parseAddress, type Transport, UsageError } from "../../host-tools/lib/transport.ts";
import { suite } from "../suite.ts";

const { test: t } = suite("host-tools parts");

t("arguments: positionals, values, flags, = form; unknown options and bad numbers are errors", () => {
  const spec = { concurrency: { value: true, int: { min: 1, max: 64 } }, json: {}, bundle: { value: true } };
  assert.equal(parseArgs(["all", "--concurrency", "3", "--json", "--bundle=x.js"], spec), { positional: ["all"], options: { concurrency: "3", json: true, bundle: "x.js" } });
  assert.throws(() => parseArgs(["--nope"], spec), (e: Error) => e instanceof UsageError && /unknown option --nope/.test(e.message));
  assert.throws(() => parseArgs(["--concurrency", "0"], spec), /from 1 to 64/);
  assert.throws(() => parseArgs(["--concurrency", "2.5"], spec), /whole number/);
  assert.throws(() => parseArgs(["--bundle"], spec), /needs a value/);
  assert.throws(() => parseArgs(["--json=1"], spec), /takes no value/);
  assert.throws(() => parseArgs(["-x"], spec), /unknown option -x/);
  assert.equal(parseArgs(["-h"], spec).options, { help: true });
});

t("addresses: host or host:port, port 80 by default", () => {
  assert.equal(parseAddress("10.0.0.5"), { host: "10.0.0.5", port: 80 });
  assert.equal(parseAddress("127.0.0.11:8080"), { host: "127.0.0.11", port: 8080 });
  assert.equal(parseAddress("esp-node.local"), { host: "esp-node.local", port: 80 });
  for (const bad of ["", "a b", "host:99999", "host:0", "http://x"]) assert.throws(() => parseAddress(bad), /not a node address/, bad);
});

t(".env: KEY=VALUE lines, comments, quotes; the environment wins", () => {
  const dir = mkdtempSync(join(tmpdir(), "spore-env-"));
  try {
    writeFileSync(join(dir, ".env"), '# comment\nAPI_NODE=10.0.0.5:80\nexport SPORE_SECRET="s e c"\nOTHER = x \n');
    assert.equal(loadEnv({ env: {}, cwd: dir }), { API_NODE: "10.0.0.5:80", SPORE_SECRET: "s e c", OTHER: "x" });
    assert.is(loadEnv({ env: { API_NODE: "1.2.3.4" }, cwd: dir }).API_NODE, "1.2.3.4");
    assert.equal(loadEnv({ env: {}, cwd: join(dir, "none") }), {});
  } finally {
    rmSync(dir, { recursive: true });
  }
});

t("progress: a line per quarter off a terminal; bars redrawn in place on one", () => {
  let out = "";
  const p = new Progress((s) => (out += s), false);
  for (let sent = 0; sent <= 12000; sent += 1000) p.update("esp_a", sent, 12000);
  assert.equal(out.trim().split("\n"), ["esp_a upload   0% (0.0 of 11.7 KB)", "esp_a upload  25% (2.9 of 11.7 KB)", "esp_a upload  50% (5.9 of 11.7 KB)", "esp_a upload  75% (8.8 of 11.7 KB)", "esp_a upload 100% (11.7 of 11.7 KB)"]);
  out = "";
  const tty = new Progress((s) => (out += s), true);
  tty.update("esp_a", 6000, 12000);
  tty.update("esp_b", 3000, 12000);
  assert.match(out, /esp_a\s+\[#{15}-{15}\]  50%/);
  assert.match(out, /\x1b\[1A/, "moves up to redraw");
});

t("the Storage image: config, firmware, state, boot file last; the state names slot a with the firmware's CRC32", () => {
  const files = flashImage({ firmware: "FW", boot: "BOOT", config: { key: "k" } });
  assert.equal(
    files.map((f) => f.name),
    ["spore.json", "spore.a", "spore.s1", ".bootcde"],
  );
  assert.equal(JSON.parse(files[2].data), { g: 1, a: "a", t: 0, m: 0, ca: crc32Of("FW") });
  // the largest state and config fit what the layout reserves
  assert.ok(JSON.stringify({ g: 99999, a: "b", t: 2, m: 64, ca: 4294967295, cb: 4294967295 }).length <= stateMaxBytes(loadBoard("esp32")));
  assert.ok(JSON.stringify({ g: 99999, a: "a", t: 2, m: 12, ca: 4294967295 }).length <= stateMaxBytes(loadBoard("esp01")));
  const big = { ssid: "s".repeat(32), pass: "p".repeat(63), cl: "c".repeat(63), key: "k".repeat(63), http: 65535, udp: 65535, ann: 3600000, apw: 3600000, prd: 60000, ina: 3600, dead: 86400, fgt: 604800, hold: 3600000, trial: 3600000 };
  assert.ok(JSON.stringify(big).length <= CONFIG_MAX_BYTES, `${JSON.stringify(big).length} bytes`);
  // with the broker at its largest (flash writes it on boards with MQTT only)
  const text = "t".repeat(MQ_TEXT_MAX);
  const withBroker = JSON.stringify({ ...big, mq: { host: text, port: 65535, prefix: text, period: 32767, user: text, pass: text, ha: false } });
  assert.ok(withBroker.length <= configMaxBytes(loadBoard("esp8266")), `${withBroker.length} bytes`);
  assert.is(configMaxBytes(loadBoard("esp01")), CONFIG_MAX_BYTES, "esp01: no broker");
  const esp01 = storageLayout(loadBoard("esp01"), 3500);
  assert.is(esp01.rows.filter((r) => r.file.startsWith("spore.a") || r.file === "spore.b").length, 1, "one slot on esp01");
  assert.is(storageLayout(loadBoard("esp8266"), 3500).rows.filter((r) => /^spore\.[ab]$/.test(r.file)).length, 2);
});

t("a GET answered 503 busy is asked again with growing pauses; a POST, or another 503, is not", async () => {
  const busy: HttpReply = { status: 503, headers: {}, body: '{"error":"busy: memory"}' };
  const ok: HttpReply = { status: 200, headers: {}, body: '{"hostname":"esp_a"}' };
  const fake = (replies: HttpReply[]) => {
    const sent: HttpRequest[] = [];
    const slept: number[] = [];
    const transport: Transport = { request: async (r) => (sent.push(r), replies.shift() ?? busy), sleep: async (ms) => void slept.push(ms), now: () => 0 };
    return { api: new NodeApi(transport, "s3cret"), sent, slept };
  };
  const a = fake([busy, busy, ok]);
  assert.equal(await a.api.status({ host: "10.0.0.2", port: 80 }), { hostname: "esp_a" });
  assert.is(a.sent.length, 3);
  assert.equal(a.slept, [500, 1000]);
  const failure = async (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as Error);
  const b = fake([]);
  const e = await failure(b.api.status({ host: "10.0.0.2", port: 80 }));
  assert.ok(e instanceof ApiError && /busy: memory/.test(e.message), String(e));
  assert.is(b.sent.length, 1 + BUSY_RETRIES, "gives up after its retries");
  const c = fake([busy, ok]);
  assert.ok(await failure(c.api.restart({ host: "10.0.0.2", port: 80 })));
  assert.is(c.sent.length, 1, "a POST is never repeated");
  const d = fake([{ status: 503, headers: {}, body: '{"error":"recovery mode"}' }, ok]);
  assert.ok(await failure(d.api.status({ host: "10.0.0.2", port: 80 })));
  assert.is(d.sent.length, 1, "only busy answers are retried");
});

t.run();
