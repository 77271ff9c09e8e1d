// The dashboard: stored gzipped in Storage, served at GET / by boards with
// room for it, and used in a real browser (Debian's chromium, driven by
// playwright-core; never a downloaded browser) against an emulated cluster
// in real time.
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { chromium } from "playwright-core";
import * as assert from "uvu/assert";
import { buildDashboard, dashboardHtml } from "../../host-tools/build/dashboard.ts";
import { type Io, runCli } from "../../host-tools/cli.ts";
import { drive, EmulatorTransport } from "../../host-tools/emulator/transport.ts";
import { waitConverged } from "./helpers.ts";
import { REPO_ROOT } from "../../host-tools/build/paths.ts";
import { Cluster } from "../../host-tools/emulator/cluster.ts";
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
  const bad = c.http(d, "POST", "/api/node/dashboard", { auth: true, body: page, headers: { "X-Spore-CRC32": "12345678" } });
  assert.is(bad.status, 400);
  assert.match(bad.body, /bad checksum/);
  assert.is(d.storage.read("spore.html"), undefined, "a bad upload is erased");
  assert.is(c.http(d, "POST", "/api/node/dashboard", { body: page, headers: { "X-Spore-CRC32": "12345678" } }).status, 401);
  const status = c.getJson(d, "/api/node/status") as { api: { uri: string }[] };
  assert.ok(status.api.some((x) => x.uri === "/api/node/dashboard"), "listed in the api");
});

test("in a real browser: lists the cluster, shows a killed node turning INACTIVE, and disables a task on the node", async () => {
  if (!CHROMIUM) {
    assert.unreachable("chromium is not installed (.ci/run installs Debian's chromium)");
    return;
  }
  const c = new Cluster({ seed, boards: ["esp32", "esp8266", "esp01"], realtime: true, lan: { firstIp: "127.0.0.91" }, privilegedPortOffset: 9400 });
  c.startRealtime();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  try {
    await until(() => c.devices.every((d) => !!d.stationIp), 15000, "every node joined WiFi");
    const page = await browser.newPage();
    const node = c.devices[0];
    const { host, port } = c.realAddress(node, 80);
    await served(c, node, 80);
    await page.goto(`http://${host}:${port}/`);
    const statusOf = async (d: (typeof c.devices)[0]) => (await page.locator("#members tr", { hasText: d.hostname }).locator("td").nth(2).textContent({ timeout: 1000 }).catch(() => ""))?.trim();
    const shown = async () => ((await page.locator("#members").textContent({ timeout: 1000 }).catch(() => "")) ?? "").replace(/\s+/g, " ");
    let members = "";
    await until(async () => ((members = await shown()), (await statusOf(c.devices[1])) === "ACTIVE" && (await statusOf(c.devices[2])) === "ACTIVE"), 20000, () => `the page lists the cluster (it shows: ${members})`);
    const out = join(REPO_ROOT, "test", "output");
    mkdirSync(out, { recursive: true });
    await page.screenshot({ path: join(out, "dashboard.png"), fullPage: true });
    // a node killed: INACTIVE on the page after about 10 s
    c.kill(c.devices[2]);
    await until(async () => (await statusOf(c.devices[2])) === "INACTIVE", 25000, "the killed node turns INACTIVE on the page");
    await page.screenshot({ path: join(out, "dashboard-inactive.png"), fullPage: true });
    // disabling a task through the page (it asks for the cluster secret) takes effect on the node
    page.once("dialog", (d) => void d.accept(c.secret));
    await page.locator('#tasks button[data-task="details"]').click();
    await until(() => node.eval('spore.tasks.isTaskEnabled("details")') === false, 10000, "the task is disabled on the node");
    await until(async () => (await page.locator('#tasks button[data-task="details"]').textContent())?.trim() === "enable", 10000, "the page shows the task disabled");
  } finally {
    await browser.close();
    await c.stop();
  }
});

test.run();
