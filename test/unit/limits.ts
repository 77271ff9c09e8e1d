// Unit tests run the pure core in Node, where the build's SPORE_LIMITS
// constants do not exist: this defines them as an esp8266's.
import { loadBoard } from "../../host-tools/build/boards.ts";

(globalThis as { SPORE_LIMITS?: unknown }).SPORE_LIMITS = loadBoard("esp8266").node;
Object.assign(globalThis, { SPORE_BOARD: "esp8266", SPORE_VERSION: "0123abcd" });
