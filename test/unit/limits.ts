// Unit tests run the pure core in Node, where the build's constants
// (SPORE_LIMITS, SPORE_CAPS, the board facts) do not exist: this defines
// them as an esp8266's (with every capability it may carry).
import { loadBoard } from "../../host-tools/build/boards.ts";

const board = loadBoard("esp8266");
// with the services, jobs, codecs, spool, health, placement, leader and adaptive capabilities turned on (off by default on esp8266), so the core is tested whole
const caps = Object.fromEntries(Object.entries({ ...board.capabilities, services: true, jobs: true, codecs: true, spool: true, health: true, placement: true, leader: true, adaptive: true }).map(([k, v]) => [k, +v]));
Object.assign(globalThis, {
  // and with the queue and durable KV keys the full engine has (esp8266 delivers events at once and keeps its store in RAM)
  SPORE_LIMITS: { ...board.node, queue: 8, kvDurable: 1 },
  SPORE_CAPS: caps,
  SPORE_BOARD: "esp8266",
  SPORE_CLASS: board.class.name,
  SPORE_CHIP: board.limits.chip,
  SPORE_SLOTS: board.limits.slots,
  SPORE_TELNET: board.limits.upload.includes("telnet"),
  SPORE_CPU_MHZ: board.limits.cpuFreqMHz,
  SPORE_FLASH_BYTES: board.limits.flashChipBytes,
  SPORE_POWER_MV: Math.round(board.power.volts * 1000),
  SPORE_IDLE_MA: board.power.idleMa,
  SPORE_ACTIVE_MA: board.power.activeMa,
  SPORE_TX_MA: board.power.txMa,
  SPORE_AIRTIME_US: Math.round(board.power.airtimeMs * 1000),
  SPORE_VERSION: "0123abcd",
});
