// The benchmark's smoke run (npm run bench -- --smoke): small clusters, short
// windows, two worker processes as the full run uses, so the benchmark code
// cannot rot. The figures are the full run's business; what is checked here
// is that every part ran and says what Spore claims at this size (the
// hostile-input suite's counts all 0).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as assert from "uvu/assert";
import { loadBoard } from "../../host-tools/build/boards.ts";
import { runBench } from "./bench.ts";
import { SMOKE } from "./plan.ts";
import { markdown } from "./report.ts";
import { suite } from "../suite.ts";

const { test, seed } = suite("bench smoke", { seed: 1609 });

test("every part runs and the table says what Spore claims against SPORE's scheme", async () => {
  const lines: string[] = [];
  const r = await runBench(SMOKE, seed, (s) => lines.push(s), { jobs: 2 });
  const log = lines.join("\n");
  assert.is(r.seed, seed);
  assert.ok(r.machine.cores >= 1 && r.commit.length > 0);

  assert.equal(
    r.sizes?.map((s) => s.board),
    ["esp01", "esp8266", "esp32"],
  );
  for (const s of r.sizes ?? []) {
    assert.ok(s.bytes > 0 && s.bytes <= s.budget, `${s.board} bundle ${s.bytes} of ${s.budget}`);
    assert.equal(
      s.idle.map((i) => i.members),
      [1, 4],
    );
    assert.ok(s.idle[1].usage > s.idle[0].usage, `${s.board}: more members, more JsVars (${s.idle.map((i) => i.usage)})`);
    assert.is(s.idleBudget, loadBoard(s.board).budgets.idleJsVars);
  }

  const m = r.membership ?? [];
  assert.is(m.length, SMOKE.sizes.length * 2);
  for (const x of m) {
    assert.ok(x.convergeMs > 0 && x.convergeMs < 30000, `${x.scheme} n=${x.nodes} converged in ${x.convergeMs} ms\n${log}`);
    // SPORE's scheme: ACTIVE below 10 s of silence, INACTIVE to 60 s, DEAD after; Spore (the lifeguard capability):
    // INACTIVE 0.3 to 1 times ina after the first failed probe, within 10 s here, DEAD after 60 s
    if (x.scheme === "baseline") assert.ok(x.inactiveMs >= 10000 && x.inactiveMs < 30000, `${x.scheme} n=${x.nodes}: INACTIVE after ${x.inactiveMs} ms`);
    else assert.ok(x.inactiveMs >= 2000 && x.inactiveMs <= 10000, `${x.scheme} n=${x.nodes}: INACTIVE after ${x.inactiveMs} ms`);
    assert.ok(x.deadMs >= 60000 && x.deadMs < 90000, `${x.scheme} n=${x.nodes}: DEAD after ${x.deadMs} ms`);
    assert.equal(
      x.falseInactive.map((f) => f.loss),
      SMOKE.losses,
    );
  }
  for (const n of SMOKE.sizes) {
    const spore = m.find((x) => x.scheme === "spore" && x.nodes === n)!;
    const base = m.find((x) => x.scheme === "baseline" && x.nodes === n)!;
    assert.ok(spore.load.largestDatagram > 0 && spore.load.largestDatagram <= 268, `largest datagram ${spore.load.largestDatagram}`);
    assert.is(spore.falseInactive[0].reports, 0, "no false INACTIVE without loss");
    // SPORE's scheme asks every member every second: it sends more than Spore's gossip
    assert.ok(base.load.bytes > spore.load.bytes * 2, `n=${n}: ${base.load.bytes.toFixed(0)} B/s against ${spore.load.bytes.toFixed(0)} B/s`);
    assert.ok(base.load.connections > n / 2, `n=${n}: SPORE's scheme opens ${base.load.connections.toFixed(1)} connections per node per second`);
    assert.is(spore.load.connections, 0, "Spore's nodes open no connections in steady state");
  }
  // SPORE's scheme's load grows with the cluster; Spore's datagrams per node do not
  const [small, large] = SMOKE.sizes.map((n) => m.find((x) => x.scheme === "spore" && x.nodes === n)!);
  assert.ok(large.load.datagrams <= small.load.datagrams * 1.5, `${small.load.datagrams.toFixed(2)} then ${large.load.datagrams.toFixed(2)} datagrams/s`);

  for (const o of r.ota ?? []) {
    assert.is(o.code, 0, `ota all over ${o.nodes} nodes, ${o.concurrency} at a time\n${log}`);
    assert.is(o.updated, o.nodes);
    assert.ok(o.bytes > o.nodes * 10000, `${o.bytes} B sent`);
  }
  assert.is(r.ota?.length, SMOKE.ota.sizes.length * SMOKE.ota.concurrency.length);
  assert.ok(r.speed && r.speed.wallSeconds > 0 && r.speed.nodes === SMOKE.speed.nodes);

  // the hostile-input suite's campaigns, counted: every case run, nothing found
  assert.equal(
    r.hostile?.map((h) => h.cases),
    [SMOKE.hostile.http, SMOKE.hostile.forged, SMOKE.hostile.mqtt],
  );
  for (const h of r.hostile ?? []) assert.equal([h.crashes, h.leaks, h.wrong], [0, 0, 0], `${h.campaign}: crashes, leaks, wrong results\n${h.findings.join("\n")}`);
  // the MAC: its bytes on every board, its arrays in RAM on esp01 only (flash elsewhere)
  const mac = r.mac?.boards ?? [];
  assert.equal(
    mac.map((b) => [b.board, b.arraysIn]),
    [["esp01", "RAM"], ["esp8266", "flash"], ["esp32", "flash"]],
  );
  for (const b of mac) {
    assert.ok(b.moduleBytes > 0, `${b.board}: ${JSON.stringify(b)}`);
    assert.ok(b.arraysIn === "RAM" ? b.arraysJsVars > 50 && b.storageBytes === 0 && b.flashKeepingBytes === 0 : b.arraysJsVars < 10 && b.storageBytes > 1000 && b.flashKeepingBytes > 0, `${b.board}: ${JSON.stringify(b)}`);
  }
  // the real interpreter's times where ESPRUINO_BIN is set, else a note that they were skipped
  assert.ok(mac.some((b) => b.real) ? !r.mac?.skipped && mac.filter((b) => b.real).every((b) => b.real!.sizes.length === 4 && b.real!.tags.every((t) => t.interpreter === t.node)) : /ESPRUINO_BIN is not set/.test(r.mac?.skipped ?? ""), JSON.stringify(r.mac));

  // services: every latency figure at each loss with 1 and 3 providers, calls answered through loss, the failover in time
  const v = r.services!;
  assert.equal(
    v.latency.map((x) => [x.providers, x.loss]),
    [1, 3].flatMap((p) => SMOKE.losses.map((l) => [p, l])),
  );
  for (const x of v.latency) assert.ok(x.ok >= x.calls - 1 && x.p50 > 0 && x.p99 >= x.p50, JSON.stringify(x));
  assert.ok(v.failover.length === SMOKE.services.failovers && v.failover.every((t) => t > 0 && t < 3000), `failover ${v.failover}`);
  for (const mm of v.memory) assert.ok(mm.inFlight > mm.idle, JSON.stringify(mm));

  // balance: the movable task moved after each death and overload, the leader re-elected, within their bounds
  const bal = r.balance!.sizes;
  assert.equal(bal.map((s) => s.nodes), SMOKE.balance.sizes);
  for (const s of bal) {
    assert.equal([s.afterDeath.length, s.afterOverload.length, s.reelection.length], [SMOKE.balance.runs, SMOKE.balance.runs, SMOKE.balance.runs], JSON.stringify(s));
    for (const t of s.afterDeath) assert.ok(t >= 2000 && t <= 15000, `moved ${t} ms after a death (INACTIVE within 10 s: the lifeguard capability)`);
    for (const t of s.afterOverload) assert.ok(t >= 10000 && t <= 25000, `moved ${t} ms after the load went up (a whole window first)`);
    for (const t of s.reelection) assert.ok(t > 0 && t <= 4000, `re-elected in ${t} ms`);
  }

  // detection: every size and seed run, a death INACTIVE everywhere within 10 s; each gossip mode sends less the calmer it is
  const det = r.detection!;
  assert.equal(det.runs.map((x) => [x.nodes, x.seed]).sort(), SMOKE.detection.sizes.flatMap((n) => Array.from({ length: SMOKE.detection.seeds }, (_, i) => [n, i + 1])).sort());
  for (const x of det.runs) assert.ok(x.inactiveMs > 0 && x.inactiveMs <= 10000 && x.falseInactive === 0, JSON.stringify(x));
  const sent = Object.fromEntries(det.modes.map((m) => [m.mode, m.datagrams]));
  assert.ok(sent.aggressive > sent.normal && sent.normal > sent.conservative && sent.conservative > sent.emergency, JSON.stringify(det.modes));
  for (const m of det.modes) assert.ok(m.inactiveMs > 0 && m.inactiveMs < 20000, JSON.stringify(m));

  const md = markdown(r);
  for (const h of ["## Services", "## A cluster that balances itself", "## Failure detection over seeds", "## Size and memory per board", "## Membership at scale", "### Side by side", "## Cluster update", "## The emulator's speed", "## Hostile input", "## The datagram MAC's cost per board", `seed ${seed}`]) assert.ok(md.includes(h), h);
});

test("npm run bench writes results.json and BENCHMARKS.md; bad arguments are refused", async () => {
  const { main } = await import("./bench.ts");
  const dir = mkdtempSync(join(tmpdir(), "spore-bench-"));
  const err = process.stderr.write.bind(process.stderr);
  let said = "";
  process.stderr.write = ((s: string) => {
    said += s;
    return true;
  }) as typeof process.stderr.write;
  try {
    assert.is(await main(["--smoke", "--only", "speed", "--out", dir, "--seed", "7"]), 0);
    assert.is(await main(["--only", "nothing"]), 2);
    assert.is(await main(["--jobs", "0"]), 2);
    assert.is(await main(["--bogus"]), 2);
  } finally {
    process.stderr.write = err;
  }
  const r = JSON.parse(readFileSync(join(dir, "results.json"), "utf8")) as { seed: number; speed: { nodes: number } };
  assert.is(r.seed, 7);
  assert.is(r.speed.nodes, SMOKE.speed.nodes);
  assert.match(readFileSync(join(dir, "BENCHMARKS.md"), "utf8"), /The emulator's speed/);
  assert.match(said, /--only takes sizes, membership, ota, speed, hostile, mac/);
  assert.match(said, /--jobs takes 1 to 64/);
  assert.match(said, /unknown argument --bogus/);
  rmSync(dir, { recursive: true, force: true });
});

test.run();
