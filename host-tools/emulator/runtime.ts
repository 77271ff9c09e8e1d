// What the emulated Espruino modules need from the device they run on.
import type { Board } from "../build/boards.ts";
import type { JsVarCounter } from "./jsvars.ts";
import type { Lan, StreamListener } from "./lan.ts";

export interface DeviceRuntime {
  readonly board: Board;
  readonly lan: Lan;
  readonly mac: string;
  /** The station IP once WiFi is connected, else undefined. */
  ip(): string | undefined;
  /** Calls into device code: an exception is reported as Espruino's "Uncaught" and contained. */
  invoke(fn: unknown, ...args: unknown[]): void;
  /** Runs `fn` after `ms` unless the device has since rebooted or crashed. */
  later(ms: number, fn: () => void): void;
  /** Registers cleanup to run when the interpreter is torn down (reboot, load, crash). */
  /** `fn` runs when the interpreter's state goes: with true on power loss or a hard reset (connections go silent: no FIN reaches the peer). Returns what unregisters it (a closed connection has nothing left to tear down). */
  onTeardown(fn: (powerLoss: boolean) => void): () => void;
  sockets: SocketBudget;
  /**
   * Keeps a module object (a socket, a server's request) while it is open, as
   * socketserver.c keeps it in its arrays: the listeners it holds and what it
   * buffers count in the device's JsVars.
   */
  track<T extends Emitter>(e: T): T;
  /** The object closed: the interpreter lets it go, and it no longer counts (unless device code keeps it). */
  untrack(e: Emitter): void;
  /** Accepts streams on `port` (whatever the IP becomes). */
  listen(port: number, listener: StreamListener): void;
  unlisten(port: number): void;
  log(line: string): void;
  /** Makes a plain object of the device's realm, so it has Espruino's on/emit. */
  newObject<T extends object>(props: T): T;
}

/** The board's socket limit: listeners, connections and UDP sockets all count. */
export class SocketBudget {
  inUse = 0;
  refused = 0;
  constructor(readonly limit: number) {}

  acquire(): boolean {
    if (this.inUse >= this.limit) {
      this.refused++;
      return false;
    }
    this.inUse++;
    return true;
  }

  release(): void {
    if (this.inUse > 0) this.inUse--;
  }
}

/** Listener registry for emulated module objects (sockets, servers, requests). */
export class Emitter {
  private listeners: Record<string, unknown[]> = {};
  constructor(protected rt: DeviceRuntime) {}

  on(event: string, fn: unknown): this {
    (this.listeners[event] ??= []).push(fn);
    return this;
  }

  removeAllListeners(event?: string): void {
    if (event === undefined) this.listeners = {};
    else delete this.listeners[event];
  }

  /** JsVars the interpreter keeps for this object while it is open, besides its listeners (its buffers, what it parsed). */
  held(_counter: JsVarCounter): number {
    return 0;
  }

  /** Every listener function (device code the emulator holds on to). */
  listenerFunctions(): unknown[] {
    return Object.values(this.listeners).flat();
  }

  /** Delivers to device code; each listener's exception is contained. */
  emit(event: string, ...args: unknown[]): void {
    for (const fn of this.listeners[event] ?? []) this.rt.invoke(fn, ...args);
  }
}
