// The probe's entry (test/real/probes/decode-need.ts): a datagram's decoding
// and MAC check as the bundle carries them, reachable from the console.
import { macFill, macKey } from "../../../device/core/mac.ts";
import { decode, news, update } from "../../../device/core/wire.ts";

// as device/main.ts gives it: a view of the string from a byte offset, no copy
const words = (s: string, from: number) => new Uint16Array(E.toArrayBuffer(s), from);

Object.assign(global, {
  MACK: (secret: string) => {
    macKey(secret, words, E.convolve);
    while (macFill());
  },
  // decodes a datagram and reads its updates one at a time, as dispatch.ts and gossip.ts do: "ok" or why it was dropped
  DEC: (data: string, cluster: string, from: string) => {
    const m = decode(data, cluster, from);
    if (typeof m === "string") return m;
    let n = 0;
    for (const s of news(m.updates_)) if (update(s)) n++;
    return "ok " + n;
  },
});
