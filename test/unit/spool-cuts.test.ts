// The MQTT spool (device/core/spool.ts) against the worst: a power cut at
// every byte of every write, corrupt or foreign spore.q files, and a long
// random run checked against a model (spool-helpers.ts). A restart is a fresh
// instance of the module (imported again under another URL) on the same
// Storage; the power-cut test, with a thousand of them, opens one instance
// again instead (spoolOpen makes all of the module's RAM state). Order,
// bounds, batches and restarts are in spool.test.ts.
import "./limits.ts";
import * as assert from "uvu/assert";
import { FlashStorage } from "../../host-tools/emulator/storage.ts";
import { Rng } from "../../host-tools/emulator/rng.ts";
import { suite } from "../suite.ts";
import { all, boot, bytesOf, CutStorage, files, ids, Model, msg, push, size, type Msg, type Spool } from "./spool-helpers.ts";

const { test, seed } = suite("MQTT spool: power cuts and a random run", { seed: 2021 });

test("a power cut at any byte of any write loses no earlier record and never gives a torn one", async () => {
  // a script over several 128-byte segments: pushes (some binary, some ending in 0xFF bytes), done records, drained segments erased
  const script: (Msg | number)[] = [];
  for (let i = 0; i < 16; i++) {
    script.push([`t/${i}`, i % 4 === 1 ? "\xff".repeat(i * 2) : "p" + "\0\x01\xfe".repeat(i), i % 2, i % 3 ? 1 : 0]);
    if (i % 2) script.push(0);
    if (i % 5 === 4) script.push(1);
  }
  const count = 64;
  const bytes = 512;
  let total = 0;
  {
    const cut = new CutStorage(new FlashStorage(16 * 1024), Infinity, false);
    const s = await boot(cut, count, bytes);
    const model = new Model(count, bytes);
    for (const op of script) {
      if (typeof op === "number") {
        s.spoolDone(ids(s)[op]);
        model.done(op);
      } else assert.is(push(s, op), model.push(op));
    }
    assert.equal(all(s), model.list(), "the whole script, without a cut");
    assert.is(model.dropped, 0, "no drops in the script");
    assert.ok(cut.created >= 4 && cut.erased >= 2, `${cut.created} segments made, ${cut.erased} erased`);
    total = cut.written;
  }
  let runs = 0;
  for (let k = 0; k < total; k++) {
    for (const made of [false, true]) {
      const fs = new FlashStorage(16 * 1024);
      const cut = new CutStorage(fs, k, made);
      // restarts here open the module again (all its RAM state made anew): a fresh instance for each of a thousand would take seconds
      let s = await boot(cut, count, bytes, false);
      const model = new Model(count, bytes);
      let before: Msg[] = [];
      let after: Msg[] = [];
      for (const op of script) {
        before = model.list();
        try {
          if (typeof op === "number") {
            const id = ids(s)[op];
            model.done(op);
            s.spoolDone(id);
          } else {
            model.push(op);
            push(s, op);
          }
        } catch (e) {
          assert.ok(cut.dead, `only the power cut throws: ${e}`);
        }
        after = model.list();
        if (cut.dead) break;
      }
      assert.ok(cut.dead, `the power went after ${k} of ${total} bytes`);
      runs++;
      s = await boot(fs, count, bytes, false);
      const got = all(s);
      const what = `cut after ${k} bytes${cut.cutCreating ? (made ? ", the new file made" : ", the new file not made") : ""}`;
      assert.ok(JSON.stringify(got) === JSON.stringify(before) || JSON.stringify(got) === JSON.stringify(after), `${what}: ${JSON.stringify(got)} is the state before or after the write`);
      assert.is(s.spoolStats().pending, got.length, what);
      // the spool goes on: a record pushed now follows (a segment closed by a torn record may make the oldest give way, counted), and all of it survives another restart
      assert.ok(push(s, ["next", "\xff", 1, 0]), what);
      const dropped = s.spoolStats().dropped;
      s = await boot(fs, count, bytes, false);
      assert.equal(all(s), [...got.slice(dropped), ["next", "\xff", 1, 0]], `${what}: then a push and a restart`);
      // the variant where the new file was made matters only for a cut at a file's first byte
      if (!cut.cutCreating) break;
    }
  }
  assert.ok(runs >= total + 4, `${runs} power cuts over ${total} bytes (twice at each segment's first byte)`);
});

test("a corrupt or foreign spore.q file never throws at open, and the spool goes on", async () => {
  const r = new Rng(seed);
  for (let round = 0; round < 50; round++) {
    const fs = new FlashStorage(64 * 1024);
    fs.write("spore.q0", bytesOf(r, 1 + r.int(600)));
    fs.write("spore.q1", bytesOf(r, 3) + "\xff".repeat(r.int(40)));
    fs.write("spore.q2", "\xff\x00\x02\x00\x00");
    fs.write("spore.q", "x");
    fs.write("spore.q01", "\xff\x00");
    fs.write("spore.q-1", "\xff");
    const what = `round ${round} (seed ${seed})`;
    let s: Spool | undefined;
    try {
      s = await boot(fs, 16, 2048);
      all(s);
      s.spoolStats();
    } catch (e) {
      assert.unreachable(`${what}: threw ${e}`);
    }
    const before = all(s!);
    assert.ok(push(s!, msg(1)), what);
    assert.equal(all(s!), [...before, msg(1)], `${what}: a push follows what was read`);
    for (const x of s!.spoolTake(100, -1)) s!.spoolDone(x[0]);
    assert.is(s!.spoolStats().pending, 0, what);
    for (const f of ["spore.q", "spore.q01", "spore.q-1"]) assert.ok(fs.read(f) !== undefined, `${what}: ${f} is not the spool's: left alone`);
  }
});

test("a long random run of push, take, done and restart agrees with the model", async () => {
  const r = new Rng(seed);
  const seen = { dropped: 0, refused: 0, restarts: 0, erased: 0 };
  for (let round = 0; round < 12; round++) {
    const count = [1, 3, 8, 16, 64][r.int(5)];
    const bytes = [256, 512, 1024, 2048, 8192][r.int(5)];
    const fs = new FlashStorage(64 * 1024);
    let s = await boot(fs, count, bytes);
    const model = new Model(count, bytes);
    const done: number[] = [];
    for (let op = 0; op < 300; op++) {
      const what = `seed ${seed}, round ${round} (count ${count}, bytes ${bytes}), op ${op}`;
      const x = r.next();
      const pending = s.spoolTake(1e9, -1);
      if (x < 0.45) {
        const m: Msg = [bytesOf(r, r.int(30)), bytesOf(r, r.next() < 0.1 ? r.int(1100) : r.int(80)), r.int(2), r.int(2)];
        const before = model.dropped;
        const kept = model.push(m);
        assert.is(push(s, m), kept, `${what}: push of ${size(m)} bytes`);
        seen.dropped += model.dropped - before;
        if (!kept) seen.refused++;
      } else if (x < 0.65) {
        const i = r.int(pending.length + 1) - 1;
        const max = 1 + r.int(5);
        const after = i < 0 ? -1 : pending[i][0];
        assert.equal(
          s.spoolTake(max, after).map((p) => p[0]),
          pending.slice(i + 1, i + 1 + max).map((p) => p[0]),
          `${what}: take ${max} after ${after}`,
        );
      } else if (x < 0.95) {
        if (pending.length && r.next() < 0.8) {
          const i = r.int(pending.length);
          const segments = model.segs.length;
          s.spoolDone(pending[i][0]);
          model.done(i);
          if (model.segs.length < segments) seen.erased++;
          done.push(pending[i][0]);
        } else if (done.length) s.spoolDone(done[r.int(done.length)]);
      } else {
        s = await boot(fs, count, bytes);
        model.restart();
        seen.restarts++;
        // ids are the boot's: a done one may name a new record after a restart
        done.length = 0;
      }
      assert.equal(all(s), model.list(), `${what}: the pending records`);
      assert.equal(s.spoolStats(), { pending: model.list().length, bytes: model.segs.length * model.seg, dropped: model.dropped }, `${what}: stats`);
      assert.is(files(fs).length, model.segs.length, `${what}: segment files`);
    }
  }
  assert.ok(seen.dropped > 50 && seen.refused > 5 && seen.restarts > 50 && seen.erased > 50, `the run covers drops, refusals, restarts and erases: ${JSON.stringify(seen)} (seed ${seed})`);
});

test.run();
