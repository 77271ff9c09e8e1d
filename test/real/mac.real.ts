// The datagram MAC on the real interpreter gives Node's tags, with its arrays
// in RAM (esp01) and kept in Storage and read from flash (esp8266, esp32): a
// board that computed other tags would be cut off from the others, and a
// cluster of one board alone would not show it (it did not: E.toString of a
// Uint32Array is a character per number on 2v29, and the flash copy was
// wrong on every esp8266 and esp32 alike). Skipped without ESPRUINO_BIN.
import * as assert from "uvu/assert";
import { loadBoard } from "../../host-tools/build/boards.ts";
import { suite } from "../suite.ts";
import { ESPRUINO_ENV, espruinoCommand } from "./harness/interpreter.ts";
import { macCost } from "./harness/mac-cost.ts";

const { test } = suite("the MAC on the real interpreter", { limit: 600 });

if (!espruinoCommand()) console.log(`test/real/mac: skipped, ${ESPRUINO_ENV} is not set`);
else
  test("tags agree with Node's for bodies of 64 to 250 bytes, arrays in RAM and in flash", async () => {
    const m = (await macCost(loadBoard("esp8266"), 1))!;
    assert.ok(m.tags.length === 4 && m.flashTags.length === 4 && m.offsetTags.length === 8, JSON.stringify(m).slice(0, 2000));
    for (const t of [...m.tags, ...m.flashTags, ...m.offsetTags]) assert.is(t.interpreter, t.node, `${t.bytes} bytes`);
  });

test.run();
