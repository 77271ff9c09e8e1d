// Where the datagram MAC's arrays live on boards with node.macFlash (esp8266,
// esp32): a Storage file read from flash, instead of 1,000 bytes of RAM.
import { StorageFile } from "../core/layout.ts";

/**
 * The MAC's arrays into Storage, written only when they differ (a new
 * secret), then read from flash: E.toArrayBuffer of a Storage file is a view
 * of the flash itself, about 90 JsVars less than the array in RAM.
 */
export function keepInFlash(u: Uint32Array): Uint32Array {
  const S = require("Storage");
  // its bytes: E.toString of the buffer (of the Uint32Array itself it gives a character per number, & 255: verified on 2v29)
  const s = E.toString(u.buffer);
  if (S.read(StorageFile.MacKeys) !== s) S.write(StorageFile.MacKeys, s);
  return new Uint32Array(E.toArrayBuffer(S.read(StorageFile.MacKeys) as string));
}
