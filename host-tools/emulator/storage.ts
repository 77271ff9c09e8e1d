// Espruino's Storage: a flash file system of fixed capacity. Each file takes
// a 32-byte header plus its data rounded up to 4 bytes. Bytes are written
// once (erased flash is 0xFF); erased or replaced files stay as garbage until
// compaction, which write() runs by itself when short of room. Behaviour and
// messages as measured on the 2v29 interpreter (names over 28 characters are
// cut to 28, missing files read as undefined).
import { footprint } from "../lib/storage-format.ts";

export const MAX_NAME_LENGTH = 28;

interface StoredFile {
  data: Uint8Array;
  /** its place in flash: files are written one after another, a file rewritten goes after all the others */
  seq: number;
}

/** Espruino strings are 8-bit: a string, typed array, ArrayBuffer or array of bytes as bytes. */
export function toBytes(data: unknown): Uint8Array {
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  // ArrayBuffers may come from a device's realm, where instanceof fails
  if (Object.prototype.toString.call(data) === "[object ArrayBuffer]") return new Uint8Array(data as ArrayBuffer);
  if (Array.isArray(data)) return Uint8Array.from(data as number[]);
  return Buffer.from(String(data), "latin1");
}

export function bytesToString(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return s;
}

export class FlashStorage {
  private files = new Map<string, StoredFile>();
  private garbage = 0;
  private garbageFiles = 0;
  private seq = 0;
  /** The place of the first trash in flash (Infinity: none): compaction moves every file after it. */
  private firstTrash = Infinity;

  constructor(readonly capacity: number) {}

  private used(): number {
    let n = this.garbage;
    for (const f of this.files.values()) n += footprint(f.data.length);
    return n;
  }

  getFree(): number {
    return this.capacity - this.used();
  }

  /** Called with the files a compaction moves (those after the first trash): code running from a moved file is garbled on the chip. */
  onCompact: ((moved: string[]) => void) | undefined;

  compact(): void {
    if (this.garbage) this.onCompact?.([...this.files].filter(([, f]) => f.seq > this.firstTrash).map(([n]) => n));
    this.garbage = 0;
    this.garbageFiles = 0;
    this.firstTrash = Infinity;
  }

  /** Storage.getStats(): free bytes, and the bytes of erased files that compaction would give back. */
  getStats(): { totalBytes: number; freeBytes: number; fileBytes: number; fileCount: number; trashBytes: number; trashCount: number } {
    const fileBytes = this.used() - this.garbage;
    return { totalBytes: this.capacity, freeBytes: this.getFree(), fileBytes, fileCount: this.files.size, trashBytes: this.garbage, trashCount: this.garbageFiles };
  }

  list(pattern?: RegExp): string[] {
    const names = [...this.files.keys()].sort();
    return pattern ? names.filter((n) => pattern.test(n)) : names;
  }

  readBytes(name: string): Uint8Array | undefined {
    return this.files.get(FlashStorage.fileName(name))?.data;
  }

  read(name: string, offset?: number, length?: number): string | undefined {
    const f = this.files.get(FlashStorage.fileName(name));
    if (!f) return undefined;
    const start = offset ?? 0;
    const end = length === undefined ? f.data.length : start + length;
    return bytesToString(f.data.subarray(start, end));
  }

  readJSON(name: string, noExceptions?: boolean): unknown {
    const text = this.read(name);
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text);
    } catch (e) {
      if (noExceptions) return undefined;
      throw e;
    }
  }

  erase(fileName: string): void {
    const name = FlashStorage.fileName(fileName);
    const f = this.files.get(name);
    if (!f) return;
    this.garbage += footprint(f.data.length);
    this.garbageFiles++;
    this.firstTrash = Math.min(this.firstTrash, f.seq);
    this.files.delete(name);
  }

  eraseAll(): void {
    this.files.clear();
    this.garbage = 0;
    this.garbageFiles = 0;
    this.firstTrash = Infinity;
  }

  private static fileName(name: unknown): string {
    return String(name).slice(0, MAX_NAME_LENGTH);
  }

  /** Compacts when short of room; false when even that is not enough. */
  private makeRoom(size: number): boolean {
    if (this.getFree() >= footprint(size)) return true;
    this.compact();
    return this.getFree() >= footprint(size);
  }

  /**
   * Espruino's Storage.write(name, data, offset, size) (jsfWriteFile): at
   * offset 0 it creates a file of `size` bytes (default the data's length;
   * unwritten bytes are 0xFF), replacing an existing one unless that has the
   * same size and is still all erased; at a later offset it fills the existing
   * file and ignores `size`. Writing over bytes already written throws, as on
   * the chip; so does a file too small for the data.
   */
  write(fileName: string, data: unknown, offset?: number, size?: number): boolean {
    const name = FlashStorage.fileName(fileName);
    const bytes = toBytes(data);
    const at = offset ?? 0;
    let file = this.files.get(name);
    if (at === 0) {
      const total = size || bytes.length;
      if (total === 0) throw new Error("Can't create zero length file");
      const reusable = file && file.data.length === total && file.data.every((b) => b === 0xff);
      if (file && !reusable && bytes.length === total && file.data.length === total && file.data.every((b, i) => b === bytes[i])) return true;
      if (!reusable) {
        // the old file is erased first: if the new one does not fit, both are gone
        if (file) this.erase(name);
        if (!this.makeRoom(total)) throw new Error("Unable to find or create file");
        file = { data: new Uint8Array(total).fill(0xff), seq: this.seq++ };
        this.files.set(name, file);
      }
    }
    if (!file) throw new Error("Unable to find or create file");
    if (at + bytes.length > file.data.length) throw new Error("Too much data for file size");
    for (let i = 0; i < bytes.length; i++) if (file.data[at + i] !== 0xff) throw new Error("File already written with different data");
    file!.data.set(bytes, at);
    return true;
  }

  writeJSON(name: string, value: unknown): boolean {
    return this.write(name, JSON.stringify(value));
  }
}
