// The emulator's CPU model. The emulator runs device code in no time, but
// for code that waits on the clock (a busy loop on getTime(), a task that
// works for 300 ms): in one call from the idle loop each getTime() read past
// the first FREE_READS costs READ_MS, and the device takes nothing else
// (timers, datagrams, requests) until that time has passed, as a chip's
// single interpreter does. The device's getTime() and Device.invoke() use it.

import type { Scheduler } from "./scheduler.ts";

/** getTime() reads in one call from the idle loop that cost nothing (the firmware's own few). */
const FREE_READS = 32;
/** What each further read costs, ms (a loop of getTime() and a comparison on an ESP8266 is of that order). */
const READ_MS = 0.02;

export class Cpu {
  /** ms the call running now has spent, and its getTime() reads */
  private spent = 0;
  private reads = 0;
  /** until when (scheduler ms) the device is busy with what it ran */
  busyUntil = 0;

  /** getTime()'s ms, given the uptime: a read inside a call (`running`) may cost time. */
  clock(uptime: number, running: boolean): number {
    if (running && ++this.reads > FREE_READS) this.spent += READ_MS;
    return uptime + this.spent;
  }

  /** A call while the device is busy: scheduled for when it is not (true); false when it is not busy. */
  wait(scheduler: Scheduler, call: () => void): boolean {
    if (scheduler.now() >= this.busyUntil) return false;
    scheduler.at(this.busyUntil, call);
    return true;
  }

  /** The call from the idle loop is over at `now`: what it spent keeps the device busy. */
  settle(now: number): void {
    if (this.spent) this.busyUntil = now + this.spent;
    this.spent = 0;
    this.reads = 0;
  }
}
