// The probe's entry (test/real/probes/mac.ts): the datagram MAC as the bundle
// carries it, reachable from the console.
import { mac, macFill, macKey } from "../../../device/core/mac.ts";

declare const E: { toUint8Array(s: string): Uint8Array; convolve(a: ArrayLike<number>, b: ArrayLike<number>, o: number): number };

Object.assign(global, {
  MACK: (secret: string) => {
    macKey(secret, (s: string) => new Uint16Array(E.toUint8Array(s).buffer, 0, s.length >> 1), E.convolve);
    while (macFill());
  },
  MAC: mac,
});
