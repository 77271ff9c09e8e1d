// The MQTT spool (device/core/spool.ts) on the emulator's Storage: order,
// bounds, batches, erasing, restarts, segments of another size or format,
// torn records, refused appends, a full Storage and binary records. A restart
// is a fresh instance of the module (imported again under another URL) on the
// same Storage (spool-helpers.ts). Power cuts, corrupt files and a long random
// run against a model are in spool-cuts.test.ts.
import "./limits.ts";
import * as assert from "uvu/assert";
import { FlashStorage } from "../../host-tools/emulator/storage.ts";
import { footprint } from "../../host-tools/lib/storage-format.ts";
import { suite } from "../suite.ts";
import { all, boot, files, ids, msg, push, range, size, type Msg } from "./spool-helpers.ts";

const { test } = suite("MQTT spool", { seed: 2020 });

test("records come back in the order pushed, across segments", async () => {
  const fs = new FlashStorage(64 * 1024);
  const s = await boot(fs, 64, 2048);
  const msgs = range(20).map(msg);
  for (const m of msgs) assert.ok(push(s, m), "pushed");
  assert.ok(files(fs).length >= 3, `${files(fs).length} segment files: the records span several`);
  assert.equal(all(s), msgs, "in order, as pushed");
  const id = ids(s);
  assert.ok(
    id.every((x, i) => !i || x > id[i - 1]),
    "ids increase",
  );
  assert.equal(s.spoolStats(), { pending: 20, bytes: files(fs).length * 512, dropped: 0 });
  // in batches, each after the last one's id
  const got: Msg[] = [];
  for (let after = -1; ; ) {
    const b = s.spoolTake(3, after);
    if (!b.length) break;
    assert.ok(b.length <= 3, "at most the batch size");
    for (const r of b) got.push([r[1], r[2], r[3], r[4]]);
    after = b[b.length - 1][0];
  }
  assert.equal(got, msgs, "batches after a cursor give every record once, in order");
});

test("at spoolCount pending records the oldest is dropped and counted", async () => {
  const fs = new FlashStorage(64 * 1024);
  const s = await boot(fs, 5, 8192);
  const msgs = range(12).map(msg);
  for (const m of msgs) assert.ok(push(s, m), "the new record is kept");
  assert.equal(all(s), msgs.slice(7), "the newest 5");
  assert.equal(s.spoolStats(), { pending: 5, bytes: 1024, dropped: 7 });
  const one = await boot(new FlashStorage(64 * 1024), 1, 2048);
  for (const m of msgs) push(one, m);
  assert.equal(all(one), [msgs[11]], "spoolCount 1 keeps the newest");
  assert.is(one.spoolStats().dropped, 11);
});

test("at spoolBytes the oldest segment goes with what is pending in it, counted; files never take more", async () => {
  const fs = new FlashStorage(64 * 1024);
  const s = await boot(fs, 1000, 1024);
  const msgs = range(60).map(msg);
  for (const m of msgs) {
    assert.ok(push(s, m), "the new record is kept");
    assert.ok(files(fs).length <= 4, `${files(fs).length} segment files of 256 bytes: at most 1024 bytes`);
    assert.is(fs.getStats().fileBytes, files(fs).length * footprint(256), "only segment files in Storage");
  }
  const st = s.spoolStats();
  assert.ok(st.dropped > 0, "some dropped");
  assert.is(st.pending + st.dropped, 60, "every record kept or counted");
  assert.is(st.bytes, files(fs).length * 256);
  assert.equal(all(s), msgs.slice(60 - st.pending), "the newest kept, in order");
  // three full segments and the last: each full one has no room for the next record
  const kept = msgs.slice(60 - st.pending).reduce((n, m) => n + size(m), 0);
  const largest = Math.max(...msgs.map(size));
  assert.ok(kept > 3 * (256 - largest), `${kept} bytes kept (records of ${largest} bytes at most)`);
});

test("a record larger than a segment is refused and counted; one that fits exactly is kept", async () => {
  const s = await boot(new FlashStorage(64 * 1024), 16, 2048);
  assert.is(s.spoolPush("t", "x".repeat(505), 0, 0), false, "512 bytes: over the 512-byte segment and its format byte");
  assert.equal(s.spoolStats(), { pending: 0, bytes: 0, dropped: 1 });
  assert.is(s.spoolPush("t", "x".repeat(504), 1, 1), true, "511 bytes fit");
  assert.is(s.spoolPush("u", "", 0, 0), true, "the next goes to a new segment");
  assert.equal(all(s), [["t", "x".repeat(504), 1, 1], ["u", "", 0, 0]]);
  assert.equal(s.spoolStats(), { pending: 2, bytes: 1024, dropped: 1 });
});

test("a batch: QoS 0 done once sent, QoS 1 pending until its PUBACK; done is idempotent", async () => {
  const s = await boot(new FlashStorage(64 * 1024), 16, 2048);
  const msgs = range(6).map(msg);
  for (const m of msgs) push(s, m);
  const b = s.spoolTake(3, -1);
  assert.equal(
    b.map((r) => [r[1], r[2], r[3], r[4]]),
    msgs.slice(0, 3),
    "the first 3",
  );
  // sent: QoS 0 done at once (0 and 2), QoS 1 (1) waits for its PUBACK
  for (const r of b) if (!r[3]) s.spoolDone(r[0]);
  assert.equal(
    s.spoolTake(3, b[2][0]).map((r) => r[1]),
    msgs.slice(3).map((m) => m[0]),
    "the next batch, after the last id",
  );
  assert.equal(all(s), [msgs[1], msgs[3], msgs[4], msgs[5]], "the QoS 1 record is still pending");
  s.spoolDone(b[1][0]);
  assert.equal(all(s), msgs.slice(3), "acknowledged: done");
  s.spoolDone(b[1][0]);
  s.spoolDone(b[0][0]);
  s.spoolDone(123456789);
  s.spoolDone(7 * 65536 + 3);
  assert.equal(all(s), msgs.slice(3), "done again, or an unknown id: nothing changes");
  assert.equal(s.spoolStats(), { pending: 3, bytes: 512, dropped: 0 });
  assert.equal(s.spoolTake(0, -1), [], "a batch of 0");
});

test("a segment with every record done is erased (the last one is kept for appends); compaction gives the space back", async () => {
  const fs = new FlashStorage(16 * 1024);
  const empty = fs.getFree();
  const s = await boot(fs, 64, 2048);
  const msgs = range(20).map(msg);
  for (const m of msgs) push(s, m);
  const names = files(fs);
  assert.ok(names.length >= 3, "several segments");
  // the first segment's records done: it goes at once
  const n0 = Math.floor(ids(s)[0] / 65536);
  const first = s.spoolTake(100, -1).filter((r) => Math.floor(r[0] / 65536) === n0);
  for (const r of first) s.spoolDone(r[0]);
  assert.equal(files(fs), names.slice(1), "the first segment erased");
  for (const r of s.spoolTake(100, -1)) s.spoolDone(r[0]);
  assert.equal(files(fs), names.slice(-1), "all done: only the last segment is left");
  assert.equal(s.spoolStats(), { pending: 0, bytes: 512, dropped: 0 });
  fs.compact();
  assert.is(fs.getFree(), empty - footprint(512), "after compaction only the last segment takes room");
  push(s, msg(99));
  assert.equal(files(fs), names.slice(-1), "the next record goes into the last segment");
  assert.equal(all(s), [msg(99)]);
});

test("a restart keeps the pending records in order and forgets the done ones; a record taken and not done comes back", async () => {
  const fs = new FlashStorage(64 * 1024);
  let s = await boot(fs, 64, 2048);
  const msgs = range(12).map(msg);
  for (const m of msgs) push(s, m);
  const id = ids(s);
  for (const i of [0, 4, 7]) s.spoolDone(id[i]);
  s.spoolTake(3, -1); // taken, never done
  const left = msgs.filter((_, i) => ![0, 4, 7].includes(i));
  s = await boot(fs, 64, 2048);
  assert.equal(all(s), left, "pending records, in order");
  assert.equal(ids(s), id.filter((_, i) => ![0, 4, 7].includes(i)), "same ids");
  assert.equal(s.spoolStats(), { pending: 9, bytes: files(fs).length * 512, dropped: 0 });
  const more = range(3).map((i) => msg(20 + i));
  for (const m of more) push(s, m);
  s = await boot(fs, 64, 2048);
  assert.equal(all(s), [...left, ...more], "records pushed after a restart follow");
  for (const r of s.spoolTake(100, -1)) s.spoolDone(r[0]);
  const last = files(fs);
  assert.is(last.length, 1, "drained: one segment");
  s = await boot(fs, 64, 2048);
  assert.equal(all(s), []);
  push(s, msg(30));
  assert.equal(files(fs), last, "after a restart the drained last segment still takes appends");
  s = await boot(fs, 64, 2048);
  assert.equal(all(s), [msg(30)]);
});

test("a segment of another size (spoolBytes changed) is read, never appended to", async () => {
  const fs = new FlashStorage(64 * 1024);
  let s = await boot(fs, 64, 1024);
  push(s, msg(1));
  s = await boot(fs, 64, 2048);
  push(s, msg(2));
  assert.is(files(fs).length, 2, "a new 512-byte segment after the 256-byte one");
  assert.equal(all(s), [msg(1), msg(2)]);
  s.spoolDone(ids(s)[0]);
  assert.is(files(fs).length, 1, "the old one erased once done");
});

test("a segment of another format is not read, and goes", async () => {
  const fs = new FlashStorage(64 * 1024);
  let s = await boot(fs, 64, 2048);
  push(s, msg(1));
  const bytes = fs.read("spore.q0")!;
  fs.erase("spore.q0");
  fs.write("spore.q0", "\x02" + bytes.slice(1));
  s = await boot(fs, 64, 2048);
  assert.equal(all(s), [], "a record after another format byte is not the spool's to read");
  assert.equal(files(fs), [], "the segment erased: nothing pending in it");
  fs.write("spore.q0", bytes);
  s = await boot(fs, 64, 2048);
  assert.equal(all(s), [msg(1)], "with the format byte it is read");
});

test("a record that does not match its check byte (a flash page half programmed) ends its segment's records", async () => {
  const fs = new FlashStorage(64 * 1024);
  let s = await boot(fs, 64, 2048);
  for (const i of [1, 2, 3]) push(s, msg(i));
  const last = ids(s)[2] % 65536;
  // a bit of the last record's payload never programmed: 0 where it should be 1 cannot happen, 1 where it should be 0 can
  const data = fs.readBytes("spore.q0")!;
  data[last + 10] |= 0x10;
  s = await boot(fs, 64, 2048);
  assert.equal(all(s), [msg(1), msg(2)], "the torn record is not handed out");
  push(s, msg(4));
  assert.equal(files(fs), ["spore.q0", "spore.q1"], "nothing is appended after it: a new segment");
  s = await boot(fs, 64, 2048);
  assert.equal(all(s), [msg(1), msg(2), msg(4)]);
});

test("an append Storage refuses (bytes after the records not 0xFF) is counted and closes the segment", async () => {
  const fs = new FlashStorage(64 * 1024);
  let s = await boot(fs, 64, 2048);
  push(s, msg(1));
  fs.write("spore.q0", "x", 1 + size(msg(1)) + 8);
  s = await boot(fs, 64, 2048);
  assert.is(push(s, msg(2)), false, "refused");
  assert.equal(s.spoolStats(), { pending: 1, bytes: 512, dropped: 1 });
  assert.ok(push(s, msg(3)), "the next goes to a new segment");
  assert.equal(files(fs), ["spore.q0", "spore.q1"]);
  assert.equal(all(s), [msg(1), msg(3)]);
});

test("a push Storage has no room for is dropped and counted; the spool goes on when there is room", async () => {
  // room for one segment with the 4,096 bytes core/flash.ts keeps free
  const fs = new FlashStorage(footprint(512) + 32 + 4096 + 100);
  const s = await boot(fs, 64, 2048);
  const msgs = range(20).map(msg);
  let kept = 0;
  while (push(s, msgs[kept])) kept++;
  assert.ok(kept > 3, `${kept} records in the one segment Storage has room for`);
  assert.equal(s.spoolStats(), { pending: kept, bytes: 512, dropped: 1 });
  for (const r of s.spoolTake(100, -1)) s.spoolDone(r[0]);
  // drained: its segment is erased, but its space is trash until a compaction, which the spool never starts
  // (it would move the firmware's code: core/flash.ts); the boot file compacts at the next boot
  assert.not.ok(push(s, msg(98)), "no room without a compaction");
  assert.equal(fs.getStats().trashBytes, footprint(512));
  fs.compact();
  assert.ok(push(s, msg(99)), "after the compaction its segment gives way to a new one");
  assert.equal(all(s), [msg(99)]);
  assert.equal(files(fs), ["spore.q1"]);
});

test("records with every byte value in topic and payload round-trip, across a restart", async () => {
  const fs = new FlashStorage(64 * 1024);
  let s = await boot(fs, 64, 8192);
  const every = range(256)
    .map((i) => String.fromCharCode(i))
    .join("");
  const rev = every.split("").reverse().join("");
  const msgs: Msg[] = [
    [every, rev, 1, 1],
    ["", every, 0, 0],
    [rev, "", 1, 0],
    ["\xff\xff\xff", "\xff\xff\xff\xff", 0, 1],
    ["\0", "\0", 1, 1],
  ];
  for (const m of msgs) assert.ok(push(s, m));
  assert.equal(all(s), msgs, "as pushed");
  s = await boot(fs, 64, 8192);
  assert.equal(all(s), msgs, "after a restart");
});

test.run();
