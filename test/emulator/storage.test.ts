// Storage as measured on the Espruino 2v29 interpreter, with the boards' capacities.
import * as assert from "uvu/assert";
import { FlashStorage } from "../../host-tools/emulator/storage.ts";
import { FILE_HEADER_BYTES } from "../../host-tools/lib/storage-format.ts";
import { run } from "./harness.ts";
import { suite } from "../suite.ts";

const { test: storage } = suite("emulated Storage");

storage("a file created with a size is filled chunk by chunk; unwritten bytes read as 0xFF", () => {
  const s = new FlashStorage(16384);
  assert.ok(s.write("a", "hello", 0, 10));
  assert.is(s.read("a"), "hello\xff\xff\xff\xff\xff");
  s.write("a", "world", 5);
  assert.is(s.read("a"), "helloworld");
});

storage("a file rewritten with more data than it had holds all of it (its old content a prefix of the new is no reason to keep it)", () => {
  const s = new FlashStorage(16384);
  s.write("a", "ab");
  s.write("a", "abc");
  assert.is(s.read("a"), "abc");
  // the same content again: kept as it is, no new file
  const free = s.getFree();
  s.write("a", "abc");
  assert.is(s.getFree(), free);
});

storage("writing over written bytes throws, even the same data; writing past the end throws", () => {
  const s = new FlashStorage(16384);
  s.write("a", "hello", 0, 10);
  assert.throws(() => s.write("a", "J", 1), /File already written with different data/);
  // measured on 2v29: only erased bytes can be written (jsfWriteFile checks jsfIsErased)
  assert.throws(() => s.write("a", "e", 1), /File already written with different data/);
  assert.throws(() => s.write("a", "toolong", 6), /Too much data for file size/);
});

storage("past offset 0 the file must exist and the size is ignored; at offset 0 a partly written file of that size is replaced (measured)", () => {
  const s = new FlashStorage(16384);
  assert.throws(() => s.write("nof", "x", 3), /Unable to find or create file/);
  s.write("c", "abc", 0, 6);
  assert.ok(s.write("c", "xyz", 0, 6));
  assert.is(s.read("c"), "xyz\xff\xff\xff");
  assert.ok(s.write("c", "12", 3, 100));
  assert.is(s.read("c"), "xyz12\xff");
});

storage("a whole-file write at offset 0 replaces the file; the old one is garbage until compact()", () => {
  const s = new FlashStorage(16384);
  s.write("a", "helloworld");
  s.write("a", "X", 0);
  assert.is(s.read("a"), "X");
  const free = s.getFree();
  assert.is(free, 16384 - (FILE_HEADER_BYTES + 12) - (FILE_HEADER_BYTES + 4), "header + data rounded to 4, old copy still counted");
  assert.equal(s.getStats(), { totalBytes: 16384, freeBytes: free, fileBytes: FILE_HEADER_BYTES + 4, fileCount: 1, trashBytes: FILE_HEADER_BYTES + 12, trashCount: 1 }, "getStats: what compaction would give back is trash");
  s.compact();
  assert.is(s.getFree(), 16384 - (FILE_HEADER_BYTES + 4));
  assert.equal(s.getStats().trashBytes + s.getStats().trashCount, 0);
});

storage("names over 28 characters are cut to 28; missing files read as undefined", () => {
  const s = new FlashStorage(16384);
  s.write("a".repeat(28), "one");
  s.write("a".repeat(29), "two");
  assert.equal(s.list(), ["a".repeat(28)]);
  assert.is(s.read("a".repeat(28)), "two");
  assert.is(s.read("nope"), undefined);
  assert.is(s.readJSON("nope", true), undefined);
  s.erase("nope");
  assert.throws(() => s.write("z", ""), /zero length/);
});

storage("capacity is the board's: a file that does not fit throws, as measured (esp01, 16 KiB)", () => {
  const b = run(`var S = require("Storage"); var free = S.getFree();
    try { S.write("big", "x", 0, 20000); } catch (e) { print(e.message); }
    print(free > 0, S.read("big") === undefined);`, "esp01");
  assert.equal(b.out(), ["Unable to find or create file", "true true"]);
  assert.ok(b.device.storage.getFree() < 16384, "the bundle and config already take room");
});

storage("compaction runs by itself inside write when garbage is in the way", () => {
  const s = new FlashStorage(4096);
  s.write("a", "x".repeat(3000));
  s.erase("a");
  assert.ok(s.getFree() < 1100, "erased data is garbage");
  assert.ok(s.write("b", "y".repeat(3000)), "write compacts to make room");
  assert.is(s.read("b")!.length, 3000);
});

storage("Storage survives a reboot; RAM does not", () => {
  const b = run(`var S = require("Storage"); var n = (S.readJSON("count", true) || 0) + 1;
    S.erase("count"); S.writeJSON("count", n); print("boot", n);
    if (n < 3) setTimeout(function(){ E.reboot(); }, 100);`);
  b.cluster.runFor(10000);
  assert.equal(b.out(), ["boot 1", "boot 2", "boot 3"]);
  assert.is(b.device.counters.boots, 3);
});

storage.run();
