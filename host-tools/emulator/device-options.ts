// What a Device (device.ts) is made with, and what it counts.
import type { Board } from "../build/boards.ts";
import type { UdpCounters } from "./espruino-dgram.ts";
import type { AccessPoint } from "./espruino-wifi.ts";
import type { Lan } from "./lan.ts";
import type { Rng } from "./rng.ts";
import type { Scheduler } from "./scheduler.ts";
import type { FlashStorage } from "./storage.ts";

/** D: the device (device.ts), as the callbacks get it. */
export interface DeviceOptions<D> {
  board: Board;
  lan: Lan;
  scheduler: Scheduler;
  rng: Rng;
  mac: string;
  accessPoint: () => AccessPoint;
  storage?: FlashStorage;
  /** Every line the device prints. */
  onPrint?: (device: D, line: string) => void;
  /** The device started listening for streams on `port` (the real-time bridge opens a real port). */
  onListen?: (device: D, port: number) => void;
}

export interface DeviceCounters extends UdpCounters {
  uncaught: number;
  boots: number;
  /** Storage compactions while firmware code loaded from Storage ran (core/flash.ts keeps the firmware from starting one). */
  compactedWhileRunning: number;
}
