// Espruino's Storage, as far as room goes: each file takes a 32-byte header
// plus its data rounded up to 4 bytes (as measured on the 2v29 interpreter).
// One definition for the build, which counts a node's Storage with it
// (build/image.ts, build/ide.ts), and the emulator, whose Storage fills up by
// it (emulator/storage.ts).

export const FILE_HEADER_BYTES = 32;

/** Bytes a file of `size` takes in Storage: a 32-byte header and the data rounded up to 4. */
export function footprint(size: number): number {
  return FILE_HEADER_BYTES + Math.ceil(size / 4) * 4;
}
