// The parse step's codecs (the codecs capability): a value taken as bytes
// (raw, hex or base64) and read as JSON, checked by a CRC16, CRC32 or
// Adler-32, cut out of a length-prefixed frame, or read as TLV records or
// protobuf wire format into an object of named fields.
//
// Bytes are a byte string (chars 0..255: Espruino's strings are 8-bit).
// Numbers are read with arithmetic, not bit operations, so 64-bit values
// stay exact up to 2^53 and nothing depends on how the chip wraps doubles
// into 32-bit integers. No tables: CRC16 is computed a byte at a time
// without one (a table would cost hundreds of JsVars for good).
import { parseJson, ports } from "./env.ts";

// Espruino has both (SAVE_ON_FLASH builds aside); declared here, as the core's types have no DOM.
declare function atob(s: string): string;
declare function btoa(s: string): string;

/** Where the TLV and pb readers are in the bytes: one binding, not a reader object per call. */
let at = 0;

/** The next n bytes at `at` (codec c names the error when there are fewer). */
function take(s: string, n: number, c: string): string {
  if (at + n > s.length) throw new Error(c + ": short");
  at += n;
  return s.substr(at - n, n);
}

/** The bytes of b as a whole number, big-endian unless le, two's complement when signed; exact while within 2^53. */
function int(b: string, le: any, signed: any): number {
  let v = 0;
  // most significant byte first, its sign included: every partial sum stays within the result's magnitude
  for (let k = 0; k < b.length; k++) {
    const x = b.charCodeAt(le ? b.length - 1 - k : k);
    v = v * 256 + (k || !signed || x < 128 ? x : x - 256);
  }
  return v;
}

/** The checksum of s: crc16 (CCITT-FALSE), crc32 (as zlib) or adler32. */
export function checksum(s: string, c: string): number {
  if (c == "crc32") return ports.hash_(s) >>> 0;
  let a = 1;
  let b = 0;
  let r = 0xffff;
  for (let i = 0; i < s.length; i++) {
    const x = s.charCodeAt(i);
    if (c == "adler32") {
      a = (a + x) % 65521;
      b = (b + a) % 65521;
    } else {
      // the table-less byte step of poly 0x1021, MSB first
      let y = ((r >> 8) ^ x) & 255;
      y ^= y >> 4;
      r = ((r << 8) ^ (y << 12) ^ (y << 5) ^ y) & 0xffff;
    }
  }
  return c == "adler32" ? b * 65536 + a : r;
}

/**
 * One protobuf value of wire type w at `at`, read as type t (a field's type;
 * "" for lengths, keys and unknown fields: unsigned). Wire type 0 is a
 * varint: "varint" as int64 (negative int32/int64 come as ten bytes), "sint"
 * zigzag, "bool"; 1 and 5 are 8 and 4 little-endian bytes: fixed64/fixed32,
 * sfixed64/sfixed32, double/float; 2 is length-delimited: bytes, or string
 * (its UTF-8 bytes as they are, undecoded: a byte string like every other).
 */
function item(s: string, w: number, t: string): any {
  if (w == 2) return take(s, item(s, 0, ""), "pb");
  if (w == 1 || w == 5) {
    const b = take(s, w == 1 ? 8 : 4, "pb");
    if (t == "float" || t == "double") {
      const u = new Uint8Array(b.length);
      for (let k = 0; k < b.length; k++) u[k] = b.charCodeAt(k);
      const d = new DataView(u.buffer);
      return w == 1 ? d.getFloat64(0, true) : d.getFloat32(0, true);
    }
    return int(b, 1, t[0] == "s");
  }
  if (w) throw new Error(w == 3 || w == 4 ? "pb: groups unsupported" : "pb: bad wire type " + w);
  // 7 bits at a time into the low and high 32 bits, each exact
  let lo = 0;
  let hi = 0;
  let m = 1;
  let x;
  do {
    if (at >= s.length) throw new Error("pb: short");
    if (m > 1e21) throw new Error("pb: bad varint"); // an eleventh byte
    x = s.charCodeAt(at++);
    const v = (x & 127) * m;
    const low = v % 4294967296;
    lo += low;
    hi += (v - low) / 4294967296;
    m *= 128;
  } while (x & 128);
  hi %= 4294967296;
  if (t == "bool") return lo + hi > 0;
  if (t == "sint") return lo % 2 ? -(hi * 2147483648 + (lo + 1) / 2) : hi * 2147483648 + lo / 2;
  return (t == "varint" && hi > 2147483647 ? hi - 4294967296 : hi) * 4294967296 + lo;
}

/**
 * The parse step's work: value (String(value)) taken as bytes by o.encoding,
 * then read by o.codec (see codecCheck for the options). Throws
 * Error("<codec>: <reason>") ("crc16 mismatch" for a check that fails).
 */
export function decode(value: any, o: any): any {
  let s = String(value);
  const e = o.encoding;
  const c = o.codec;
  const le = o.endian == "le";
  if (e == "hex") {
    if (s.length % 2 || !/^[0-9a-fA-F]*$/.test(s)) throw new Error("hex: bad input");
    let b = "";
    for (let i = 0; i < s.length; i += 2) b += String.fromCharCode(parseInt(s.substr(i, 2), 16));
    s = b;
  } else if (e == "base64") {
    // Espruino's atob skips what is not base64 and Node's throws: a round trip rejects the same on both
    try {
      const b = atob(s);
      if (btoa(b) != s) throw 0;
      s = b;
    } catch {
      throw new Error("base64: bad input");
    }
  }
  if (c == "json") {
    try {
      return parseJson(s);
    } catch (x) {
      throw new Error("json: " + (x as Error).message);
    }
  }
  at = 0;
  const size = (o.length || "u8").substr(1) / 8;
  if (c == "frame") return take(s, int(take(s, size, c), le, 0), c);
  if (c == "tlv" || c == "pb") {
    const r: any = {};
    const tag = (o.tag || "u8").substr(1) / 8;
    while (at < s.length) {
      let f;
      let v;
      if (c == "tlv") {
        f = o.fields[int(take(s, tag, c), le, 0)];
        v = take(s, int(take(s, size, c), le, 0), c);
        if (f) {
          const n = f.type.substr(1) / 8; // u8..i32: 1, 2, 4; bytes, text: NaN
          if (n > v.length) throw new Error("tlv: short");
          if (n) v = int(v.substr(0, n), le, f.type[0] == "i");
        }
      } else {
        const key = item(s, 0, "");
        const w = key % 8;
        f = o.fields[Math.floor(key / 8)];
        const t = f ? f.type : "";
        const want = t == "float" || t.indexOf("32") > 0 ? 5 : t == "double" || t.indexOf("64") > 0 ? 1 : t == "bytes" || t == "string" ? 2 : 0;
        if (f && w == 2 && want != 2 && f.repeated) {
          // a packed run of scalars
          const b = take(s, item(s, 0, ""), c);
          const back = at;
          v = [];
          at = 0;
          while (at < b.length) v.push(item(b, want, t));
          at = back;
        } else {
          // a known field on another wire type is an unknown field, as protobuf's own parsers take it
          if (w != want) f = 0;
          v = item(s, w, t);
        }
      }
      if (f) r[f.name] = f.repeated ? (r[f.name] || []).concat(v) : v;
    }
    return r;
  }
  // crc16, crc32, adler32: the check's bytes off the front or the back, checked over the rest
  const n = c == "crc16" ? 2 : 4;
  if (s.length < n) throw new Error(c + ": short");
  const p = o.at == "prefix";
  const check = int(p ? s.substr(0, n) : s.substr(s.length - n), le, 0);
  s = p ? s.substr(n) : s.substr(0, s.length - n);
  if (check != checksum(s, c)) throw new Error(c + " mismatch");
  return s;
}

/**
 * "" when o is a parse step's options this module can follow, else
 * "<option>: <reason>" (the job check puts the step's path in front):
 * codec json|crc16|crc32|adler32|frame|tlv|pb; encoding raw|hex|base64;
 * endian be|le; at suffix|prefix (checks); length u8|u16|u32 (frame) or
 * u8|u16 (tlv); tag u8|u16 (tlv); fields (tlv, pb) {"<tag or field
 * number>": {name: 1..32 chars, type, repeated?: boolean}}. A repeated
 * field reads as an array of every value (TLV's too); otherwise the last wins.
 */
export function codecCheck(o: any): string {
  const c = o.codec;
  const pb = c == "pb";
  const options = [
    "codec", c, "json, crc16, crc32, adler32, frame, tlv, pb",
    "encoding", o.encoding || "raw", "raw, hex, base64",
    "endian", o.endian || "be", "be, le",
    "at", o.at || "suffix", "suffix, prefix",
    "length", o.length || "u8", c == "tlv" ? "u8, u16" : "u8, u16, u32",
    "tag", o.tag || "u8", "u8, u16",
  ];
  for (let i = 0; i < options.length; i += 3) {
    if (options[i + 2].split(", ").indexOf(options[i + 1]) < 0) return options[i] + ": must be one of " + options[i + 2];
  }
  if (c == "tlv" || pb) {
    const f = o.fields;
    if (!f || typeof f != "object" || Array.isArray(f)) return "fields: must be an object";
    const types = pb ? "varint, sint, bool, fixed32, sfixed32, float, fixed64, sfixed64, double, bytes, string" : "u8, u16, u32, i8, i16, i32, bytes, text";
    const low = pb ? 1 : 0;
    const high = pb ? 536870911 : o.tag == "u16" ? 65535 : 255;
    for (const k of Object.keys(f)) {
      const d = f[k];
      const p = "fields." + k;
      if (String(+k) !== k || +k % 1 || +k < low || +k > high) return p + ": must be a whole number " + low + ".." + high;
      if (!d || typeof d.name != "string" || !d.name || d.name.length > 32) return p + ".name: must be a string of 1 to 32 characters";
      if (types.split(", ").indexOf(d.type) < 0) return p + ".type: must be one of " + types;
      if (d.repeated != null && typeof d.repeated != "boolean") return p + ".repeated: must be true or false";
    }
  }
  return "";
}
