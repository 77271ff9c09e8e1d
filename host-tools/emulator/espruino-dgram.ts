// Espruino's "dgram" module on the emulated LAN, with the board's datagram
// limits: ESP8266 drops incoming datagrams over 268 bytes, ESP32 truncates
// them to 528 unless the socket asked for a larger recvBufferSize, and a
// broadcast sent from a bound socket silently goes nowhere.
import { Emitter, type DeviceRuntime } from "./runtime.ts";

export interface UdpCounters {
  oversizeDropped: number;
  truncated: number;
  lostWhileOffline: number;
  boundBroadcastLost: number;
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

  constructor(
    rt: DeviceRuntime,
    options: unknown,
    private readonly host: { bindUdp(port: number, s: UdpSocket): void; unbindUdp(port: number): void; ephemeralPort(): number },
    private readonly counters: UdpCounters,
  ) {
    super(rt);
    const limits = rt.board.limits;
    const asked = typeof options === "object" && options ? Number((options as { recvBufferSize?: number }).recvBufferSize) : NaN;
    this.recvMax = limits.udpRecvBufferOption && asked > limits.udpMaxBytes ? asked : limits.udpMaxBytes;
    rt.onTeardown(() => this.close());
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
    if (this.unsent.length === 1) this.rt.later(0, () => this.flush());
  }

  /**
   * Once the event that sent them is over, what waits goes out: datagrams
   * sent in one event pile up in dSnd, as on the chip (which then sends one
   * per pass of its idle loop: the emulator, with no idle loop, sends them
   * together, one scheduler event for the lot).
   */
  private flush(): void {
    const ip = this.rt.ip();
    for (const d of this.unsent.splice(0)) {
      if (ip) this.rt.lan.sendDatagram(ip, this.port, d.to, d.port, d.data);
      else this.counters.lostWhileOffline++;
    }
    this.dSnd = "";
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
    this.emit("close");
  }
}
