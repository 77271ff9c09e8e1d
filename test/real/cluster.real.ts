// The built bundles on the real interpreter: Espruino 2v29 built for Linux,
// named by ESPRUINO_BIN (README, "The real interpreter"). Optional: run by
// `npm run test:real`, never by `npm test` or CI; without ESPRUINO_BIN it
// prints why it skipped and passes. Each board boots three nodes through
// the boot file from their own Storage (test/real/harness/), one where the
// machine has no network namespaces.
import { request } from "node:http";
import { join } from "node:path";
import * as assert from "uvu/assert";
import { loadBoard } from "../../host-tools/build/boards.ts";
import { readJsonFile, validateJson } from "../../host-tools/build/json-schema.ts";
import { DIST_DIR } from "../../host-tools/build/paths.ts";
import { schema } from "../cluster/helpers.ts";
import { suite } from "../suite.ts";
import { RealCluster, SECRET } from "./harness/cluster.ts";
import { ESPRUINO_ENV, espruinoCommand, shimCost, until } from "./harness/interpreter.ts";
import { HTTP_PORT } from "./harness/node.ts";

/** The configuration's ina, seconds (device/core/layout.ts default). */
const INA = 10;

interface Status {
  hostname: string;
  board: string;
  version: string;
  incarnation: number;
  members: { ACTIVE: number; INACTIVE: number; DEAD: number };
}

/** A POST with the cluster secret and no body; its status, 0 for none. */
function post(host: string, path: string): Promise<number> {
  return new Promise((done) => {
    const req = request({ host, port: HTTP_PORT, path, method: "POST", agent: false, headers: { Authorization: `Bearer ${SECRET}`, "Content-Length": 0 } }, (res) => {
      res.resume();
      res.on("end", () => done(res.statusCode ?? 0));
    });
    req.setTimeout(10000, () => req.destroy());
    req.on("error", () => done(0));
    req.end();
  });
}

if (!espruinoCommand()) console.log(`test/real: skipped, ${ESPRUINO_ENV} is not set (README, "The real interpreter", says how to build one)`);
else
  for (const name of ["esp01", "esp8266"]) {
    const board = loadBoard(name);
    const version = (readJsonFile(join(DIST_DIR, `${name}.json`)) as { version: string }).version;
    // real processes, under qemu on a slow machine: generous limits
    const { test: t } = suite(`${name} on the real interpreter`, { limit: 600 });
    let c: RealCluster;

    t.before(async () => {
      c = await RealCluster.create({ board: name, nodes: 3 });
      if (!c.lan.namespaces) console.log(`    ${name}: one node on loopback, no network namespaces (${c.lan.why}): the cluster test is skipped`);
      c.startAll();
    });
    t.after(async () => {
      await c?.close();
    });

    t("Spore boots through the boot file and prints its hostname and version", async () => {
      for (const n of c.nodes) {
        await n.waitFor(new RegExp(`boot: a\r?\n`), 60000);
        await n.waitFor(new RegExp(`${n.hostname} ${version}\r?\n`), 60000);
      }
    });

    t("GET /api/node/status answers 200 with a status valid against its schema", async () => {
      for (const n of c.nodes) {
        const r = await n.get("/api/node/status");
        assert.is(r.status, 200, `GET /api/node/status on ${n.hostname}: ${r.error ?? r.body}\n${n.tail()}`);
        const s = validateJson<Status>(schema("node-status"), JSON.parse(r.body), `GET /api/node/status on ${n.hostname}`);
        assert.equal([s.hostname, s.board, s.version], [n.hostname, name, version], "its hostname, board and version");
      }
    });

    t("spore.n counts boots and the incarnation starts at the boot number times 4096", async () => {
      const n = c.nodes[0];
      assert.is(await n.repl<string>('require("Storage").read("spore.n")'), "1", "a freshly flashed node's first boot is boot 1");
      await n.kill();
      n.start();
      await n.waitFor(new RegExp(`${n.hostname} ${version}\r?\n`), 60000, n.out.lastIndexOf("\n---- start "));
      assert.is(await n.repl<string>('require("Storage").read("spore.n")'), "2", "after a power cut: boot 2");
      const s = await until("GET /api/node/status after the restart", 30000, () => n.json<Status>("/api/node/status"), () => n.tail());
      assert.ok(s.incarnation >= 2 * 4096 && s.incarnation < 3 * 4096, `incarnation ${s.incarnation} in boot 2's range`);
    });

    t("POST /api/node/restart with the secret restarts the node through E.reboot() (boot 3)", async () => {
      const n = c.nodes[0];
      const r = await post(n.ip, "/api/node/restart");
      assert.is(r, 200, "POST /api/node/restart answered");
      await n.waitFor(/---- exit 1 \(E\.reboot\)/, 20000);
      await n.waitFor(new RegExp(`${n.hostname} ${version}\r?\n`), 60000, n.out.lastIndexOf("\n---- start "));
      assert.is(await n.repl<string>('require("Storage").read("spore.n")'), "3", "boot 3 after a power cut and a restart");
    });

    t("the nodes converge; a node away until its peers list it INACTIVE is ACTIVE everywhere within ina of its restart", async () => {
      if (!c.lan.namespaces) return;
      await c.waitConverged(120000);
      const node = c.nodes[2];
      const peers = c.nodes.filter((n) => n !== node);
      await node.kill();
      await until(`${node.hostname} no longer ACTIVE on its peers after its power cut`, 60000, async () => ((await c.entries(node, peers)).every((x) => x && x.status !== "ACTIVE") ? true : undefined), () => c.report(), 1000);
      node.start();
      await until(`${node.hostname} ACTIVE on every peer after its restart`, 60000, async () => ((await c.back(node)) ? true : undefined), () => c.report());
      const took = (Date.now() - node.startedAt) / 1000;
      console.log(`    ${name}: a node back after its peers listed it INACTIVE: ACTIVE on its ${peers.length} peers (and they on it) ${took.toFixed(1)} s after its start`);
      assert.ok(took <= INA, `ACTIVE everywhere ${took.toFixed(1)} s after its start, within ina (${INA} s)`);
    });

    t("free JsVars at idle are within the board's budget, and no node ran out of memory", async () => {
      const budget = board.budgets.idleJsVars;
      const total = c.nodes[0].jsVars;
      const shims = await shimCost(espruinoCommand(board)!, board);
      // the board's JsVars, or those plus what the shims hold ({jsvars+57})
      if (total !== board.limits.jsVars && total !== board.limits.jsVars + shims) {
        console.log(`    ${name}: the interpreter has ${total} JsVars, the board ${board.limits.jsVars}: the budget is not checked ("{jsvars}" or "{jsvars+57}" in ${ESPRUINO_ENV} picks the binary per board)`);
      } else {
        for (const n of c.nodes) {
          const m = await n.memory();
          assert.ok(m.usage - shims <= budget, `${n.hostname}: ${m.usage} JsVars used, ${shims} of them the Linux shims; budget ${budget} (boards/${name}.json idleJsVars)`);
        }
      }
      assert.equal(c.trouble(), [], "no node printed an out-of-memory or interpreter error");
    });

    t.run();
  }
