// Espruino's "dgram" module on the emulated LAN, with the board's datagram
// limits: ESP8266 drops incoming datagrams over 268 bytes, ESP32 truncates
// them to 528 unless the socket asked for a larger recvBufferSize, and a
// broadcast sent from a bound socket silently goes nowhere.
import type { JsVarCounter } from "./jsvars.ts";
import { Emitter, type DeviceRuntime } from "./runtime.ts";

export interface UdpCounters {
  oversizeDropped: number;
  truncated: number;
  lostWhileOffline: number;
  boundBroadcastLost: number;
}

/** What a socket needs of its device: its ports, the clock, and how long a pass of its idle loop takes. */
export interface UdpHost {
  bindUdp(port: number, s: UdpSocket): void;
  unbindUdp(port: number): void;
  ephemeralPort(): number;
  readonly idlePassMs: number;
  now(): number;
}

export class UdpSocket extends Emitter {
  private port = 0;
  /** bind() was called: broadcasts from this socket go nowhere. */
  private bound = false;
  private open = false;
  private closed = false;
  private readonly recvMax: number;
  /**
   * What has not gone out yet, as socketserver.c keeps it (device code can
   * read it): each datagram after an 8-byte header (address, port, length).
   */
  dSnd = "";
  private readonly unsent: { to: string; port: number; data: string }[] = [];
  /** When the last datagram went out (with idlePassMs: the next goes a pass later at the soonest). */
  private lastOut = -Infinity;

  constructor(
    rt: DeviceRuntime,
    options: unknown,
    private readonly host: UdpHost,
    private readonly counters: UdpCounters,
  ) {
    super(rt);
    const limits = rt.board.limits;
    const asked = typeof options === "object" && options ? Number((options as { recvBufferSize?: number }).recvBufferSize) : NaN;
    this.recvMax = limits.udpRecvBufferOption && asked > limits.udpMaxBytes ? asked : limits.udpMaxBytes;
    rt.onTeardown(() => this.close());
  }

  /** Datagrams not sent yet: a string in JsVars. */
  override held(counter: JsVarCounter): number {
    return counter.add(this.dSnd);
  }

  private ensureOpen(): boolean {
    if (this.open) return true;
    if (this.closed || !this.rt.sockets.acquire()) return false;
    this.open = true;
    return true;
  }

  bind(port: number, cb?: unknown): this {
    if (!this.ensureOpen()) throw new Error("Unable to create socket");
    this.port = port;
    this.bound = true;
    this.host.bindUdp(port, this);
    if (cb) this.rt.later(0, () => this.rt.invoke(cb));
    return this;
  }

  /** send(msg, port, address[, cb]) or send(msg, offset, length, port, address[, cb]) */
  send(msg: unknown, ...rest: unknown[]): void {
    let data = typeof msg === "string" ? msg : String(msg);
    let port: number;
    let address: string;
    if (typeof rest[3] === "string") {
      const offset = Number(rest[0]);
      data = data.substr(offset, Number(rest[1]));
      port = Number(rest[2]);
      address = String(rest[3]);
    } else {
      port = Number(rest[0]);
      address = String(rest[1]);
    }
    if (!this.ensureOpen()) throw new Error("Unable to create socket");
    const ip = this.rt.ip();
    if (!ip) {
      this.counters.lostWhileOffline++;
      return;
    }
    if (this.bound && (address === this.rt.lan.broadcast || address === "255.255.255.255")) {
      this.counters.boundBroadcastLost++;
      return;
    }
    if (!this.port) this.port = this.host.ephemeralPort();
    this.unsent.push({ to: address, port, data });
    this.dSnd += "\0".repeat(8) + data;
    if (this.unsent.length === 1) this.rt.later(this.wait(), () => this.flush());
  }

  /**
   * Once the event that sent them is over, what waits goes out: datagrams
   * sent in one event pile up in dSnd, as on the chip, which then sends one
   * per pass of its idle loop. The emulator has no idle loop: it sends them
   * together, one scheduler event for the lot, unless the device's
   * idlePassMs says how long a pass takes (a node starved of CPU): then one
   * goes out per pass, and what a node sends faster piles up in dSnd.
   */
  private flush(): void {
    const ip = this.rt.ip();
    const pass = this.host.idlePassMs;
    for (const d of this.unsent.splice(0, pass > 0 ? 1 : this.unsent.length)) {
      if (ip) this.rt.lan.sendDatagram(ip, this.port, d.to, d.port, d.data);
      else this.counters.lostWhileOffline++;
      this.dSnd = this.dSnd.slice(8 + d.data.length);
    }
    if (pass > 0) this.lastOut = this.host.now();
    if (this.unsent.length) this.rt.later(this.wait(), () => this.flush());
  }

  /** Until the pass of the idle loop that sends the next datagram (0 unless idlePassMs). */
  private wait(): number {
    const pass = this.host.idlePassMs;
    return pass > 0 ? Math.max(0, this.lastOut + pass - this.host.now()) : 0;
  }

  deliver(data: string, fromIp: string, fromPort: number): void {
    if (data.length > this.recvMax) {
      if (this.rt.board.limits.udpOversize === "drop") {
        this.counters.oversizeDropped++;
        return;
      }
      this.counters.truncated++;
      data = data.slice(0, this.recvMax);
    }
    this.emit("message", data, this.rt.newObject({ address: fromIp, port: fromPort, size: data.length }));
  }

  addMembership(): void {}

  close(): void {
    if (this.closed) return;
    this.unsent.length = 0;
    this.dSnd = "";
    this.closed = true;
    if (this.bound) this.host.unbindUdp(this.port);
    if (this.open) this.rt.sockets.release();
    this.open = false;
    this.rt.untrack(this);
    this.emit("close");
  }
}

/** A device's UDP ports: the sockets bound to them, where datagrams are delivered, and the ephemeral ports it hands out. */
export class UdpPorts implements UdpHost {
  private sockets = new Map<number, UdpSocket>();
  private nextEphemeral = 50000;

  constructor(
    readonly now: () => number,
    private readonly passMs: () => number,
  ) {}

  get idlePassMs(): number {
    return this.passMs();
  }

  bindUdp(port: number, s: UdpSocket): void {
    this.sockets.set(port, s);
  }

  unbindUdp(port: number): void {
    this.sockets.delete(port);
  }

  ephemeralPort(): number {
    return this.nextEphemeral++;
  }

  deliver(data: string, fromIp: string, fromPort: number, toPort: number): void {
    this.sockets.get(toPort)?.deliver(data, fromIp, fromPort);
  }

  /** Every socket is gone (the interpreter is torn down). */
  clear(): void {
    this.sockets.clear();
  }
}
