// Virtual time for the whole emulated network: one ordered queue of events.
// In test mode time jumps from event to event; in real-time mode a driver
// advances it with the wall clock.

export interface ScheduledEvent {
  time: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

export class Scheduler {
  private heap: ScheduledEvent[] = [];
  private seq = 0;
  private current = 0;

  /** Virtual milliseconds since the emulation started. */
  now(): number {
    return this.current;
  }

  at(time: number, fn: () => void): ScheduledEvent {
    const ev: ScheduledEvent = { time: Math.max(time, this.current), seq: this.seq++, fn, cancelled: false };
    this.push(ev);
    return ev;
  }

  after(delayMs: number, fn: () => void): ScheduledEvent {
    return this.at(this.current + Math.max(0, delayMs), fn);
  }

  cancel(ev: ScheduledEvent): void {
    ev.cancelled = true;
  }

  /** Time of the next pending event, or undefined. */
  nextTime(): number | undefined {
    this.dropCancelled();
    return this.heap[0]?.time;
  }

  /** Runs every event due up to `time`, then sets the clock to `time`. */
  runUntil(time: number): void {
    for (;;) {
      this.dropCancelled();
      const next = this.heap[0];
      if (!next || next.time > time) break;
      this.pop();
      this.current = next.time;
      next.fn();
    }
    if (time > this.current) this.current = time;
  }

  runFor(ms: number): void {
    this.runUntil(this.current + ms);
  }

  /** Runs until `done()` is true, checking after each event; false if `limitMs` passed first. */
  runUntilTrue(done: () => boolean, limitMs: number): boolean {
    const end = this.current + limitMs;
    while (!done()) {
      const next = this.nextTime();
      if (next === undefined || next > end) {
        this.runUntil(end);
        return done();
      }
      this.runUntil(next);
    }
    return true;
  }

  private dropCancelled(): void {
    while (this.heap.length && this.heap[0].cancelled) this.pop();
  }

  private less(a: ScheduledEvent, b: ScheduledEvent): boolean {
    return a.time < b.time || (a.time === b.time && a.seq < b.seq);
  }

  private push(ev: ScheduledEvent): void {
    const h = this.heap;
    h.push(ev);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  private pop(): ScheduledEvent {
    const h = this.heap;
    const top = h[0];
    const last = h.pop()!;
    if (h.length) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l], h[m])) m = l;
        if (r < h.length && this.less(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}

/** Drives a scheduler from the wall clock (npm start, host tools, browsers). */
export class RealTimeDriver {
  private timer: NodeJS.Timeout | undefined;
  /** Wall-clock ms at which virtual time was 0; set when run() first starts. */
  private origin: number | undefined;

  constructor(private readonly scheduler: Scheduler) {}

  /** Runs virtual time with the wall clock, from wherever virtual time stands now. */
  run(): void {
    this.origin ??= performance.now() - this.scheduler.now();
    const origin = this.origin;
    const tick = () => {
      this.scheduler.runUntil(performance.now() - origin);
      const next = this.scheduler.nextTime();
      const wait = next === undefined ? 50 : Math.min(50, Math.max(1, next - (performance.now() - origin)));
      this.timer = setTimeout(tick, wait);
    };
    if (this.timer) clearTimeout(this.timer);
    tick();
  }

  /** Nudge: something outside (a real socket) scheduled work for now. */
  poke(): void {
    if (!this.timer) return;
    clearTimeout(this.timer);
    this.run();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
