// The probe's entry (test/real/probes/mac.ts): the datagram MAC as the bundle
// carries it, reachable from the console.
import { mac, macFill, macKey } from "../../../device/core/mac.ts";
import { keepInFlash } from "../../../device/platform/mac-keys.ts";

// as device/main.ts gives it: a view of the string from a byte offset, no copy
const words = (s: string, from: number) => new Uint16Array(E.toArrayBuffer(s), from);

Object.assign(global, {
  MACK: (secret: string) => {
    macKey(secret, words, E.convolve);
    while (macFill());
  },
  // the same, the arrays then kept in Storage and read from flash as esp8266 and esp32 do
  MACKF: (secret: string) => {
    macKey(secret, words, E.convolve);
    while (macFill(keepInFlash));
  },
  MAC: mac,
});
