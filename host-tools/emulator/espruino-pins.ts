// Espruino's GPIO for one device: digitalRead, digitalWrite, pinMode,
// analogRead, setWatch and clearWatch. The pins' levels are the board's (a
// test drives the inputs and reads what the firmware wrote: they survive a
// reboot, as wires do); the watches are the interpreter's (a reboot or load()
// drops them). Watches as the 2v29 reference describes them: edge "rising",
// "falling" or "both", repeat, and debounce (the callback comes once the pin
// has kept its new level for that many ms); the callback gets {state, time,
// lastTime} in seconds. Pins are named as Espruino takes them: a number n is
// "D" + n, a string "D5" or "A0".
import type { JsVarCounter } from "./jsvars.ts";
import { Emitter, type DeviceRuntime } from "./runtime.ts";

/** What a test sees of a board's pins. */
export class PinState {
  private levels = new Map<string, number>();
  private analog = new Map<string, number>();
  /** Every digitalWrite, oldest first: [pin, level, virtual ms]. */
  readonly writes: [string, number, number][] = [];
  /** The interpreter's watches (set while one runs). */
  changed: ((pin: string) => void) | undefined;

  constructor(private readonly now: () => number) {}

  /** Drives an input to a level (0 or 1): a watch on it sees the edge. */
  set(pin: string | number, level: number): void {
    const p = pinName(pin);
    if (this.level(p) === (level ? 1 : 0)) return;
    this.levels.set(p, level ? 1 : 0);
    this.changed?.(p);
  }

  level(pin: string | number): number {
    return this.levels.get(pinName(pin)) ?? 0;
  }

  /** What analogRead gives for the pin (0 to 1). */
  setAnalog(pin: string | number, value: number): void {
    this.analog.set(pinName(pin), value);
  }

  analogValue(pin: string): number {
    return this.analog.get(pin) ?? 0;
  }

  /** The firmware drives an output. */
  write(pin: string, level: number): void {
    this.writes.push([pin, level, this.now()]);
    this.set(pin, level);
  }
}

/** Espruino's name for a pin given as a number or a string; an unknown one throws as Espruino's does. */
export function pinName(pin: unknown): string {
  const p = typeof pin === "number" ? "D" + pin : String(pin).toUpperCase();
  if (!/^(D([0-9]|[1-3][0-9])|A0)$/.test(p)) throw new Error(`Invalid pin: ${String(pin)}`);
  return p;
}

interface Watch {
  fn: unknown;
  pin: string;
  edge: number; // 1 rising, -1 falling, 0 both
  repeat: boolean;
  debounce: number;
  /** the level last reported, and when */
  state: number;
  lastTime: number;
  /** a debounce timer's generation: a newer edge cancels the older */
  pending: number;
}

/** The interpreter's side: the functions device code calls; its watches count as JsVars while they exist. */
export class EspruinoGpio extends Emitter {
  private watches = new Map<number, Watch>();

  constructor(
    rt: DeviceRuntime,
    private readonly pins: PinState,
    private readonly now: () => number,
  ) {
    super(rt);
    pins.changed = (pin) => this.edge(pin);
    rt.onTeardown(() => {
      this.watches.clear();
      if (pins.changed) pins.changed = undefined;
    });
  }

  digitalRead = (pin: unknown): number => this.pins.level(pinName(pin));
  digitalWrite = (pin: unknown, value: unknown): void => this.pins.write(pinName(pin), value ? 1 : 0);
  pinMode = (pin: unknown, mode: unknown): void => {
    pinName(pin);
    if (!/^(analog|input|input_pullup|input_pulldown|output|opendrain|af_output|af_opendrain|auto)$/.test(String(mode))) throw new Error(`Unknown pin mode ${String(mode)}`);
  };
  analogRead = (pin: unknown): number => this.pins.analogValue(pinName(pin));

  setWatch = (fn: unknown, pin: unknown, options?: { repeat?: boolean; edge?: string | number; debounce?: number }): number => {
    if (typeof fn !== "function") throw new Error("Function or String not supplied!");
    const p = pinName(pin);
    const e = options?.edge;
    const edge = e === "rising" || e === 1 ? 1 : e === "falling" || e === -1 ? -1 : 0;
    let id = 1;
    for (const k of this.watches.keys()) if (k >= id) id = k + 1;
    this.watches.set(id, { fn, pin: p, edge, repeat: !!options?.repeat, debounce: Math.max(0, Number(options?.debounce) || 0), state: this.pins.level(p), lastTime: this.now(), pending: 0 });
    return id;
  };

  clearWatch = (id?: unknown): void => {
    if (id === undefined) this.watches.clear();
    else this.watches.delete(Number(id));
  };

  private edge(pin: string): void {
    for (const [id, w] of this.watches) {
      if (w.pin !== pin) continue;
      const gen = ++w.pending;
      if (!w.debounce) this.report(id, w);
      else this.rt.later(w.debounce, () => w.pending === gen && this.watches.get(id) === w && this.report(id, w));
    }
  }

  private report(id: number, w: Watch): void {
    const level = this.pins.level(w.pin);
    if (level === w.state) return;
    w.state = level;
    if (w.edge && (level ? 1 : -1) !== w.edge) return;
    const t = this.now();
    const last = w.lastTime;
    w.lastTime = t;
    if (!w.repeat) this.watches.delete(id);
    this.rt.invoke(w.fn, this.rt.newObject({ state: !!level, time: t / 1000, lastTime: last / 1000 }));
  }

  override listenerFunctions(): unknown[] {
    return [...this.watches.values()].map((w) => w.fn);
  }

  /** Each watch is an object in the interpreter's hidden list (pin, edge, debounce, callback, state): about 8 JsVars. */
  override held(_counter: JsVarCounter): number {
    return this.watches.size * 8;
  }
}
