// The MQTT spool (the spool capability): messages published while the broker
// is away, kept in Storage in order, bounded, across restarts, and handed
// back in batches once it is back.
//
// Segment files "spore.q" + b36(n), n counting up, each created at a fixed
// size (Segment below) all 0xFF by its first record, the next records
// appended at offsets: a write only ever goes over 0xFF bytes, as Storage
// requires, so flash is written once per record (and once more for its
// status byte) and a segment's space is given back whole, by erasing it.
// A segment begins with a format byte (Spool.Format), never rewritten:
// Storage.write at offset 0 makes a new file, so no status byte can be there.
// Then its records; a record at offset o:
//   o        status: 0xFF pending, 0x00 done (any other value: done, a cut-short status write)
//   o+1..2   L, big-endian: the bytes from o+3 up to the check byte (4 + L in all)
//   o+3..4   qos << 15 | retain << 14 | topic length
//   o+5      topic, then payload (byte strings, any byte values)
//   o+3+L    check: CRC32 (ports.hash_) of bytes o+1 .. o+2+L, & 127 (never 0xFF)
// The records of a segment end where status and L read 0xFF, 0xFFFF (L is
// below a segment's size, so never 0xFFFF). The check byte is the record's
// last: a power cut during an append leaves it 0xFF (the bytes written so far,
// the rest erased) or, if the flash page was left half programmed, most
// likely wrong: such a torn record is found at open, where the segment's
// records end for good (the segment is closed: nothing is appended after it).
//
// In RAM only three numbers per segment (segs below); records are read back
// from flash when taken. A record's id is n * Spool.Id + its offset.
// The last segment takes the appends; a segment that is not the last and has
// nothing pending is erased, so the last one stays when the spool drains
// (a drained spool holds one segment file) and a broker that comes and goes
// fills it up rather than making a segment file per outage: space in Storage
// is used at the rate records are spooled, and Storage's compaction (its only
// page erases) comes once per Storage's free bytes spooled.
import { b36, ports } from "./env.ts";
import { room } from "./flash.ts";

const enum Spool {
  Prefix = "spore.q",
  /** a segment's first byte: the format of its records (a segment without it has none the spool can read) */
  Format = "\x01",
  /** a record id is n * Id + offset (offsets are below a segment's size, at most 1024) */
  Id = 65536,
  /** per segment in segs: its n, where its next record goes (Segment: closed), its pending records */
  N = 0,
  End = 1,
  Live = 2,
  Stride = 3,
}

/**
 * A segment's size in bytes: a quarter of spoolBytes, at most 1024. A quarter
 * (not a half): space is given back a segment at a time, so when the bytes are
 * full the oldest segment's pending records are dropped at once, a quarter of
 * the spool at most. A record (topic and payload plus 6 bytes) must fit in one
 * after its format byte: topic and payload of Segment - 7 bytes at most.
 */
const Segment = SPORE_LIMITS.spoolBytes >> 2 < 1024 ? SPORE_LIMITS.spoolBytes >> 2 : 1024;

/** Storage (ports.fs_), from spoolOpen on. */
let fs: any;
/** Per segment, oldest first: n, end, pending (Spool.Stride numbers each); made by spoolOpen. */
let segs: number[] | undefined;
/** The next segment's n; records pending in all; records dropped since boot. */
let seq: number;
let pending: number;
let dropped: number;

/** Erases segment i (an index into segs): what was pending in it is dropped. */
function erase(i: number): void {
  const s = segs!;
  dropped += s[i + Spool.Live];
  pending -= s[i + Spool.Live];
  fs.erase(Spool.Prefix + b36(s[i + Spool.N]));
  s.splice(i, Spool.Stride);
}

/**
 * At boot (the other functions call it on first use): finds the segments in
 * Storage and counts their pending records; all the spool's RAM state is made
 * here. A torn record ends its segment's records and closes it; a segment with
 * nothing pending that takes no appends is erased; a file that is not a
 * segment's is left alone. Nothing here throws on what a file holds.
 */
export function spoolOpen(): void {
  fs = (ports as any).fs_;
  const ns: number[] = [];
  segs = [];
  seq = 0;
  pending = 0;
  dropped = 0;
  for (const f of fs.list(/^spore\.q/)) {
    const n = parseInt(f.substr(7), 36);
    if (n >= 0 && b36(n) === f.substr(7)) ns.push(n);
  }
  ns.sort((a, b) => a - b);
  for (const n of ns) {
    // the one before is not the last: erased if nothing in it is pending
    if (segs.length && !segs[segs.length - 1]) erase(segs.length - Spool.Stride);
    const name = Spool.Prefix + b36(n);
    // past the format byte; a segment of another format is read as full (no records)
    let o = fs.read(name, 0, 1) === Spool.Format ? 1 : Segment;
    let live = 0;
    let end = Segment;
    for (;;) {
      const h = fs.read(name, o, 3);
      // the end of the file: full
      if (h.length < 3) break;
      const len = (h.charCodeAt(1) << 8) | h.charCodeAt(2);
      if (h.charCodeAt(0) === 255) {
        if (len === 65535) {
          end = o;
          break;
        }
        const r = fs.read(name, o + 1, len + 3);
        if (len < 2 || r.length < len + 3 || r.charCodeAt(len + 2) !== (ports.hash_(r.substr(0, len + 2)) & 127)) break;
        live++;
      }
      o += len + 4;
    }
    segs.push(n, end, live);
    pending += live;
    seq = n + 1;
  }
  const last = segs.length - Spool.Stride;
  if (last < 0) return;
  // appended to only if it has this firmware's segment size (spoolBytes may have changed)
  if (fs.read(Spool.Prefix + b36(segs[last]), Segment - 1, 2).length !== 1) segs[last + Spool.End] = Segment;
  if (!segs[last + Spool.Live] && segs[last + Spool.End] === Segment) erase(last);
}

/**
 * Appends a message (topic and payload byte strings, qos 0 or 1, retain)
 * after all the others. At SPORE_LIMITS.spoolCount pending records the
 * oldest pending one is dropped; when a new segment would take the files over
 * spoolBytes the oldest segment is erased with what is pending in it. A
 * message too large for a segment, or that Storage cannot take (full), is
 * dropped. Every drop is counted. Returns whether it was kept.
 */
export function spoolPush(topic: string, payload: string, qos: number, retain: boolean | number): boolean {
  if (!segs) spoolOpen();
  const s = segs!;
  const len = topic.length + payload.length + 2;
  if (len + 5 > Segment) {
    dropped++;
    return false;
  }
  while (pending && pending >= SPORE_LIMITS.spoolCount) {
    const oldest = spoolTake(1, -1)[0];
    if (!oldest) break;
    spoolDone(oldest[0]);
    dropped++;
  }
  const body = String.fromCharCode(len >> 8, len & 255, (qos ? 128 : 0) | (retain ? 64 : 0) | (topic.length >> 8), topic.length & 255) + topic + payload;
  const record = "\xff" + body + String.fromCharCode(ports.hash_(body) & 127);
  let last = s.length - Spool.Stride;
  try {
    if (last >= 0 && s[last + Spool.End] + len + 4 <= Segment) fs.write(Spool.Prefix + b36(s[last + Spool.N]), record, s[last + Spool.End]);
    else {
      // a new segment: the last one, no longer last, goes if nothing in it is pending; the oldest make room
      if (last >= 0 && !s[last + Spool.Live]) erase(last);
      while (s.length >= ((SPORE_LIMITS.spoolBytes / Segment) | 0) * Spool.Stride) erase(0);
      // no room without a compaction (flash.ts): dropped, counted
      if (!room(Segment)) throw 0;
      fs.write(Spool.Prefix + b36(seq), Spool.Format + record, 0, Segment);
      last = s.length;
      s.push(seq++, 1, 0);
    }
  } catch (e) {
    // Storage full; or, at an offset, bytes there not 0xFF (a flash fault): the last segment takes no more appends
    if (s.length) s[s.length - Spool.Stride + Spool.End] = Segment;
    dropped++;
    return false;
  }
  s[last + Spool.End] += len + 4;
  s[last + Spool.Live]++;
  pending++;
  return true;
}

/**
 * Up to max pending records, oldest first, with ids above `after` (-1: from
 * the oldest), each [id, topic, payload, qos 0/1, retain 0/1]. They stay
 * pending until spoolDone(id): after a restart a record taken and not done
 * comes back (a QoS 1 message may then be delivered twice). A flush takes a
 * batch, then the next after its last id; after a reconnection, from -1.
 */
export function spoolTake(max: number, after: number): [number, string, string, number, number][] {
  if (!segs) spoolOpen();
  const s = segs!;
  const out: [number, string, string, number, number][] = [];
  for (let i = 0; i < s.length && out.length < max; i += Spool.Stride) {
    const n = s[i + Spool.N];
    // every id of this segment is below (n + 1) * Id
    if ((n + 1) * Spool.Id <= after) continue;
    const name = Spool.Prefix + b36(n);
    let o = 1;
    // the pending records counted: none after them to look for
    let seen = 0;
    while (seen < s[i + Spool.Live] && out.length < max) {
      const h = fs.read(name, o, 3);
      if (h.length < 3) break;
      const len = (h.charCodeAt(1) << 8) | h.charCodeAt(2);
      if (h.charCodeAt(0) === 255) {
        seen++;
        if (n * Spool.Id + o > after) {
          const r = fs.read(name, o + 3, len);
          const f = r.charCodeAt(0);
          const t = ((f & 63) << 8) | r.charCodeAt(1);
          out.push([n * Spool.Id + o, r.substr(2, t), r.substr(2 + t), f >> 7, (f >> 6) & 1]);
        }
      }
      o += len + 4;
    }
  }
  return out;
}

/**
 * Marks a taken record done (its status byte written to 0); its segment is
 * erased when nothing in it is pending and it is not the last. An id already
 * done or dropped is ignored. Ids are spoolTake's, good until a restart.
 */
export function spoolDone(id: number): void {
  if (!segs) spoolOpen();
  const s = segs!;
  const n = Math.floor(id / Spool.Id);
  const o = id - n * Spool.Id;
  for (let i = 0; i < s.length; i += Spool.Stride) {
    if (s[i + Spool.N] !== n) continue;
    const name = Spool.Prefix + b36(n);
    if (fs.read(name, o, 1).charCodeAt(0) !== 255) return;
    fs.write(name, "\0", o);
    pending--;
    if (!--s[i + Spool.Live] && i < s.length - Spool.Stride) erase(i);
    return;
  }
}

/** Records pending, bytes of the segment files, records dropped since boot. */
export function spoolStats(): { pending: number; bytes: number; dropped: number } {
  if (!segs) spoolOpen();
  return { pending: pending, bytes: (segs!.length / Spool.Stride) * Segment, dropped: dropped };
}
