// The datagram MAC (device/core/mac.ts) off the chip: the 16-bit view of
// E.toArrayBuffer and E.convolve as Node computes them, for the emulator's
// Espruino globals, the tools that sign datagrams and the tests that forge
// them.
import { macFill, macKey } from "../../device/core/mac.ts";
import { decode, encode, type Message } from "../../device/core/wire.ts";

/** E.convolve (jswrap_espruino_convolve): the sum of a[i] * b[(i + offset) % b.length] over a, in doubles. */
export function convolve(a: ArrayLike<number>, b: ArrayLike<number>, offset: number): number {
  const l = b.length;
  let j = (((offset | 0) % l) + l) % l;
  let v = 0;
  for (let i = 0; i < a.length; i++, j = (j + 1) % l) v += Number(a[i]) * Number(b[j]);
  return v;
}

/** A string's bytes from `from` to its end (one per character, as Espruino's strings hold them) as 16-bit little-endian words. */
export function words(s: string, from: number): Uint16Array {
  const n = (s.length - from) >> 1;
  return new Uint16Array(new Uint8Array(Buffer.from(s.substr(from, 2 * n), "latin1")).buffer, 0, n);
}

let keyed: string | undefined;

/** Keys device/core/mac.ts (in this process) with a cluster secret. */
export function useSecret(secret: string): void {
  if (keyed !== secret) {
    macKey(secret, words, convolve);
    while (macFill());
  }
  keyed = secret;
}

/**
 * A datagram as a node would send it from ip, signed with the secret: head is
 * "<type>|<id>|<inc>|<seq>|<dv>|<heap>" (numbers in base 36).
 */
export function datagram(secret: string, cluster: string, head: string, ip: string, updates = "", arg = ""): string {
  useSecret(secret);
  return encode(cluster, head + "|" + ip, updates, arg);
}

/** A received datagram decoded and checked as a node with this secret would (a Drop reason when it would be dropped). */
export function readDatagram(secret: string, cluster: string, data: string, from: string): Message | string {
  useSecret(secret);
  return decode(data, cluster, from);
}
