// The dashboard: stored gzipped in Storage, served at GET / by boards with
// room for it, and used in a real browser (Debian's chromium, driven by
// playwright-core; never a downloaded browser) against an emulated cluster
// in real time.
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import net from "node:net";
import { type Browser, chromium, type Page } from "playwright-core";
import * as assert from "uvu/assert";
import { buildDashboard, dashboardHtml } from "../../host-tools/build/dashboard.ts";
import { crc32Of } from "../../host-tools/build/image.ts";
import { type Io, runCli } from "../../host-tools/cli.ts";
import { drive, EmulatorTransport } from "../../host-tools/emulator/transport.ts";
import { loopbackNet, waitConverged } from "./helpers.ts";
import { REPO_ROOT } from "../../host-tools/build/paths.ts";
import { Cluster } from "../../host-tools/emulator/cluster.ts";
import type { LanOptions } from "../../host-tools/emulator/lan.ts";
import { suite } from "../suite.ts";
import { runUntil, served, until } from "../wait.ts";

const { test, seed } = suite("dashboard", { seed: 1608 });
const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p));

test("a node streams the gzipped page from Storage at GET /; an esp01 has none", () => {
  const c = new Cluster({ seed, boards: ["esp8266", "esp01"] });
  runUntil(c, () => c.devices.every((d) => !!d.stationIp), 30000, "both joined WiFi");
  c.runFor(1000);
  const r = c.http(c.devices[0], "GET", "/");
  assert.is(r.status, 200);
  assert.is(r.headers["Content-Encoding"], "gzip");
  assert.is(gunzipSync(Buffer.from(r.body, "latin1")).toString(), dashboardHtml());
  assert.is(c.http(c.devices[1], "GET", "/").status, 404);
  c.devices[0].storage.erase("spore.html");
  const none = c.http(c.devices[0], "GET", "/");
  assert.is(none.status, 404);
  assert.match(none.body, /no dashboard installed/);
});

test("host-tools dashboard install puts the page on every node with room; a node refuses a bad upload and an unauthenticated one", async () => {
  const c = new Cluster({ seed, boards: ["esp8266", "esp32", "esp01"] });
  waitConverged(c, 30000, seed);
  c.runFor(20000);
  for (const d of c.devices) d.storage.erase("spore.html");
  let out = "";
  const io: Io = { out: (x) => (out += x), err: (x) => (out += x), tty: false, env: { SPORE_SECRET: c.secret }, cwd: process.cwd(), transport: new EmulatorTransport(c) };
  const code = await drive(c, runCli(["dashboard", "install", "all", "--api-node", c.devices[0].ip], io), 120000);
  assert.is(code, 0, out);
  assert.is((out.match(/installed/g) ?? []).length, 2, out);
  for (const d of c.devices.slice(0, 2)) assert.is(c.http(d, "GET", "/").status, 200);
  assert.is(c.devices[2].storage.read("spore.html"), undefined, "esp01: no room, not sent");
  const d = c.devices[0];
  const page = buildDashboard(false).data;
  const installed = d.storage.read("spore.html");
  assert.ok(installed);
  const bad = c.http(d, "POST", "/api/node/dashboard", { auth: true, body: page.slice(0, -1) + String.fromCharCode((page.charCodeAt(page.length - 1) + 1) & 255), headers: { "X-Spore-CRC32": crc32Of(page).toString(16).padStart(8, "0") } });
  assert.is(bad.status, 400);
  assert.match(bad.body, /bad checksum/);
  assert.is(d.storage.read("spore.html"), installed, "a bad upload leaves the page installed");
  assert.is(d.storage.read("spore.up"), undefined, "and is erased");
  // cut short: the connection closes half way; stalled: it stays open, silent, for 20 s
  for (const how of ["cut", "stall"]) {
    let answer = "";
    c.lan.connect(c.lan.gateway(), d.ip, 80, (err, s) => {
      assert.ok(s, String(err));
      s!.onData = (x) => (answer += x);
      s!.write(`POST /api/node/dashboard HTTP/1.1\r\nAuthorization: Bearer ${c.secret}\r\nX-Spore-CRC32: ${crc32Of(page).toString(16).padStart(8, "0")}\r\nContent-Length: ${page.length}\r\n\r\n` + page.slice(0, 500));
      if (how === "cut") c.scheduler.after(1000, () => s!.close());
    });
    c.runFor(25000);
    if (how === "stall") assert.match(answer, /400[\s\S]*stalled/, answer);
    assert.is(d.storage.read("spore.html"), installed, `${how}: the page installed stays`);
    assert.is(d.storage.read("spore.up"), undefined, `${how}: the upload is erased`);
    assert.is(c.http(d, "GET", "/").status, 200);
  }
  // a good one replaces it, and the upload file is gone
  const next = page + "\0";
  const good = c.http(d, "POST", "/api/node/dashboard", { auth: true, body: next, headers: { "X-Spore-CRC32": crc32Of(next).toString(16).padStart(8, "0") } });
  assert.is(good.status, 200, good.body);
  assert.equal([d.storage.read("spore.html") === next, d.storage.read("spore.up")], [true, undefined]);
  assert.is(c.http(d, "POST", "/api/node/dashboard", { body: page, headers: { "X-Spore-CRC32": "12345678" } }).status, 401);
  const status = c.getJson(d, "/api/node/status") as { api: { uri: string }[] };
  assert.ok(status.api.some((x) => x.uri === "/api/node/dashboard"), "listed in the api");
});

/**
 * Takes `n` of a node's HTTP connections, as other clients would (another
 * tab, a member fetching details): each sends the head of a POST whose body
 * never comes, so the node counts it as open until the socket is destroyed.
 */
function holdConnections(host: string, port: number, n: number): net.Socket[] {
  return Array.from({ length: n }, () => {
    const s = net.connect(port, host);
    s.on("error", () => {});
    s.write("POST /api/tasks/control HTTP/1.1\r\nContent-Length: 64\r\n\r\n");
    return s;
  });
}

/** Polls GET /api/node/status until it answers `status` (bounded), so the node is known to count the held connections. */
async function nodeAnswers(url: string, status: number): Promise<void> {
  await until(async () => (await fetch(url)).status === status, 10000, () => `GET ${url} answered ${status}`);
}

/** A real-time cluster of `boards` with every node on WiFi, and chromium; `fn` runs with both, which are stopped after it. */
async function inBrowser(boards: string[], lan: Partial<LanOptions>, fn: (c: Cluster, browser: Browser) => Promise<void>): Promise<void> {
  if (!CHROMIUM) {
    assert.unreachable("chromium is not installed (.ci/run installs Debian's chromium)");
    return;
  }
  const c = new Cluster({ seed, boards, realtime: true, lan: { firstIp: `${loopbackNet()}.91`, ...lan }, privilegedPortOffset: 9400 });
  c.startRealtime();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  try {
    await until(() => c.devices.every((d) => !!d.stationIp), 15000, "every node joined WiFi");
    await served(c, c.devices[0], 80);
    await fn(c, browser);
  } finally {
    await browser.close();
    await c.stop();
  }
}

/** What the page asked and got: every response's status, and the most requests it had open at once. */
function watch(page: Page) {
  const seen = { responses: [] as { url: string; status: number; at: number }[], inFlight: 0, most: 0 };
  page.on("request", () => (seen.most = Math.max(seen.most, ++seen.inFlight)));
  page.on("requestfinished", () => seen.inFlight--);
  page.on("requestfailed", () => seen.inFlight--);
  page.on("response", (r) => seen.responses.push({ url: new URL(r.url()).pathname, status: r.status(), at: Date.now() }));
  return seen;
}

/** Every section of the page has something: the node line, the members (all `members` of them), tasks and events. */
async function filled(page: Page, members: number): Promise<boolean> {
  const node = (await page.locator("#node").textContent())?.trim();
  return !!node && (await page.locator("#members tr").count()) === members && (await page.locator("#tasks tr").count()) > 0 && (await page.locator("#events tr").count()) > 0;
}

test("in a real browser: from an esp8266 with one connection left for it and a slow link, the page fills every section, one request at a time, no 503", async () => {
  // 1 byte per ms: a refresh (four answers, about 3 KB) takes longer than the 2 s between refreshes
  await inBrowser(["esp8266", "esp8266", "esp01"], { streamBytesPerMs: 1 }, async (c, browser) => {
    const node = c.devices[0];
    const { host, port } = c.realAddress(node, 80);
    // all but one of the node's connections taken: the page's own, then one request at a time, fit
    const held = holdConnections(host, port, node.board.node.conns);
    try {
      await nodeAnswers(`http://${host}:${port}/api/node/status`, 503);
      held.pop()!.destroy();
      await nodeAnswers(`http://${host}:${port}/api/node/status`, 200);
      const page = await browser.newPage();
      const seen = watch(page);
      await page.goto(`http://${host}:${port}/`);
      const api = () => seen.responses.filter((r) => r.url.startsWith("/api/"));
      // filled, and then a second whole refresh: a page whose refreshes overlapped would have shown it by then
      await until(async () => (await filled(page, 3)) && api().length >= 8, 30000, () => `every section filled (${JSON.stringify(seen.responses)})`);
      assert.equal(seen.responses.filter((r) => r.status !== 200), [], "no request answered other than 200");
      assert.is(seen.most, 1, "one request open at a time, the page's own included");
      assert.equal(
        api().slice(0, 4).map((r) => r.url),
        // (an esp8266 carries no services by default: the page does not ask)
        ["/api/node/status", "/api/cluster/members", "/api/tasks/status", "/api/events"],
        "each endpoint asked once per refresh",
      );
      assert.is(await page.locator("#err").textContent(), "");
    } finally {
      for (const s of held) s.destroy();
    }
  });
});

test("in a real browser: a node answering 503 (every connection taken) makes the page say busy, retrying, with growing pauses, then fill in; an unanswered request does not stop it", async () => {
  await inBrowser(["esp8266", "esp32"], {}, async (c, browser) => {
    const node = c.devices[0];
    const { host, port } = c.realAddress(node, 80);
    const held = holdConnections(host, port, node.board.node.conns);
    try {
      await nodeAnswers(`http://${host}:${port}/api/node/status`, 503);
      const page = await browser.newPage();
      const seen = watch(page);
      // the page itself is served (GET / is never refused for connections); every API request gets 503
      await page.goto(`http://${host}:${port}/`);
      const busy = () => seen.responses.filter((r) => r.status === 503);
      await until(async () => (await page.locator("#err").textContent()) === "busy, retrying" && busy().length >= 3, 15000, () => `the page says it is retrying (${JSON.stringify(seen.responses)})`);
      assert.is(await page.locator("#members tr").count(), 0, "nothing to show yet");
      const [first, second, third] = busy().map((r) => r.at);
      assert.ok(third - second > second - first, `the pauses grow (${second - first} ms, then ${third - second} ms)`);
      assert.ok(busy().every((r) => r.url === "/api/node/status"), "the same request asked again, nothing else meanwhile");
      // the other clients go: the page fills in and stops saying it is busy
      for (const s of held.splice(0)) s.destroy();
      await until(async () => (await filled(page, 2)) && (await page.locator("#err").textContent()) === "", 20000, () => `filled in once the node had room (${JSON.stringify(seen.responses)})`);
      assert.is(seen.most, 1, "one request open at a time");
      // a request that is never answered (a connection lost on the way) is given up after 10 s, and the refreshes go on
      let lost = true;
      await page.route("**/api/node/status", (route) => (lost ? void (lost = false) : route.continue()));
      await until(async () => /timed out/.test((await page.locator("#err").textContent()) ?? ""), 20000, "the page says the request timed out");
      const before = seen.responses.length;
      await until(async () => seen.responses.length >= before + 4 && (await page.locator("#err").textContent()) === "", 10000, () => `and refreshes again (${JSON.stringify(seen.responses.slice(before))})`);
    } finally {
      for (const s of held) s.destroy();
    }
  });
});

test("in a real browser: lists the cluster, shows a killed node turning INACTIVE, and disables a task on the node", async () => {
  await inBrowser(["esp32", "esp8266", "esp01"], {}, async (c, browser) => {
    const page = await browser.newPage();
    const node = c.devices[0];
    const { host, port } = c.realAddress(node, 80);
    await page.goto(`http://${host}:${port}/`);
    const statusOf = async (d: (typeof c.devices)[0]) => (await page.locator("#members tr", { hasText: d.hostname }).locator("td").nth(2).textContent({ timeout: 1000 }).catch(() => ""))?.trim();
    const shown = async () => ((await page.locator("#members").textContent({ timeout: 1000 }).catch(() => "")) ?? "").replace(/\s+/g, " ");
    let members = "";
    await until(async () => ((members = await shown()), (await statusOf(c.devices[1])) === "ACTIVE" && (await statusOf(c.devices[2])) === "ACTIVE"), 20000, () => `the page lists the cluster (it shows: ${members})`);
    // a service offered on the esp32: listed with its provider, version and state
    assert.is(node.eval('spore.provide("temp", 3, function (args, reply) { reply(null, 21); })'), "");
    const services = async () => ((await page.locator("#services").textContent({ timeout: 1000 }).catch(() => "")) ?? "").replace(/\s+/g, " ").trim();
    let listed = "";
    await until(async () => (listed = await services()) === `temp${node.hostname}3healthy`, 20000, () => `the page lists the service (it shows: ${listed})`);
    // a job deployed on the esp32: listed with its trigger, runs and errors (the node answers over the real socket)
    const doc = JSON.stringify({ version: 1, jobs: [{ name: "beat", trigger: { type: "interval", every_ms: 1000 }, steps: [{ "kv.incr": { key: "beats" } }] }] });
    const res = await fetch(`http://${host}:${port}/api/jobs`, { method: "POST", body: doc, headers: { authorization: `Bearer ${c.secret}` } });
    assert.is(res.status, 200, await res.text());
    const jobs = async () => ((await page.locator("#jobs tr").first().textContent({ timeout: 1000 }).catch(() => "")) ?? "").replace(/\s+/g, " ").trim();
    let row = "";
    await until(async () => /^beatinterval[1-9][0-9]*0$/.test((row = await jobs())), 20000, () => `the page lists the job with its runs (it shows: ${row})`);
    const out = join(REPO_ROOT, "test", "output");
    mkdirSync(out, { recursive: true });
    await page.screenshot({ path: join(out, "dashboard.png"), fullPage: true });
    // a node killed: INACTIVE on the page after about 10 s
    c.kill(c.devices[2]);
    await until(async () => (await statusOf(c.devices[2])) === "INACTIVE", 25000, "the killed node turns INACTIVE");
    await page.screenshot({ path: join(out, "dashboard-inactive.png"), fullPage: true });
    // disabling a task through the page (it asks for the cluster secret) takes effect on the node
    page.once("dialog", (d) => void d.accept(c.secret));
    await page.locator('#tasks button[data-task="details"]').click();
    await until(() => node.eval('spore.tasks.isTaskEnabled("details")') === false, 10000, "the task is disabled on the node");
    await until(async () => (await page.locator('#tasks button[data-task="details"]').textContent())?.trim() === "enable", 10000, "and the page shows it");
  });
});

test.run();
