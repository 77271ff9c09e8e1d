// Facts about the chip. The board is fixed at build time (SPORE_BOARD), never sniffed.
import type { BoardInfo } from "../core/ports.ts";

function freeJsVars(): number {
  // false: do not run a garbage collection just to report memory
  return process.memory(false).free;
}

export function boardInfo(): BoardInfo {
  if (SPORE_BOARD === "esp32") {
    const s = ESP32.getState();
    return {
      board: SPORE_BOARD,
      freeHeap: () => ESP32.getState().freeHeap,
      freeJsVars: freeJsVars,
      sdkVersion: s.sdkVersion,
      cpuFreqMHz: 240,
      flashChipSize: 4194304,
    };
  }
  const s = ESP8266.getState();
  return {
    board: SPORE_BOARD,
    freeHeap: () => ESP8266.getState().freeHeap,
    freeJsVars: freeJsVars,
    sdkVersion: s.sdkVersion,
    cpuFreqMHz: s.cpuFrequency,
    flashChipSize: s.flashKB * 1024,
  };
}
