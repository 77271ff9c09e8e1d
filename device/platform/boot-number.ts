// What differs from one boot to the next.
import { StorageFile } from "../core/layout.ts";

/**
 * Counts this boot and seeds Math.random; returns the boot number, one more
 * than the last boot's. It is kept in the Storage file StorageFile.Boots ("spore.n") (a file of
 * its own: any node has one, whatever the age of its boot file, and flash
 * keeps it).
 *
 * Espruino's generator starts from the same constants at every boot on every
 * chip (2v29 never seeds it): unseeded, every node draws the same "random"
 * delays and orders after every boot. The seed mixes what differs per node
 * (the MAC), per boot (the boot number, the time since power-on) and, where
 * the chip has one, its hardware random register. (E.srand takes an int: the
 * CRC32, up to 2^32, wraps to 32 bits.)
 */
export function newBoot(): number {
  const storage = require("Storage");
  const n = ((storage.read(StorageFile.Boots) as any) | 0) + 1;
  storage.write(StorageFile.Boots, "" + n);
  E.srand(E.CRC32(getSerial() + n + (SPORE_LIMITS.hwRandom ? peek32(SPORE_LIMITS.hwRandom) : "") + getTime()));
  return n;
}
