// The probe's entry (test/real/probes/mac.ts): the datagram MAC as the bundle
// carries it, reachable from the console.
import { mac, macFill, macKey } from "../../../device/core/mac.ts";
import { keepInFlash } from "../../../device/platform/mac-keys.ts";

Object.assign(global, {
  MACK: (secret: string) => {
    macKey(secret, (s: string) => new Uint16Array(E.toUint8Array(s).buffer, 0, s.length >> 1), E.convolve);
    while (macFill());
  },
  // the same, the arrays then kept in Storage and read from flash as esp8266 and esp32 do
  MACKF: (secret: string) => {
    macKey(secret, (s: string) => new Uint16Array(E.toUint8Array(s).buffer, 0, s.length >> 1), E.convolve);
    while (macFill(keepInFlash));
  },
  MAC: mac,
});
