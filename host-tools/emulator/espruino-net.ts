// Espruino's "net" module: TCP client sockets over the emulated LAN (MQTT
// runs on this). Each open socket takes one of the board's sockets.
import type { StreamEnd } from "./lan.ts";
import { Emitter, type DeviceRuntime } from "./runtime.ts";

export class NetSocket extends Emitter {
  private stream: StreamEnd | undefined;
  private closed = false;
  private drainPending = false;
  /** Written before the connection is up: it goes out once it is (socketserver.c keeps it in the socket's "dSnd"). */
  private unsent = "";

  /** As jswrap_net_connect: offline, or with no socket free, it throws (the socket it made closes by itself). */
  connect(host: string, port: number, onConnect: unknown): void {
    const from = this.rt.ip();
    if (!from) throw new Error("Not connected to the internet");
    if (!this.rt.sockets.acquire()) throw new Error("Unable to create socket");
    this.rt.lan.connect(from, host, port, (err, stream) => {
      if (err || !stream || this.closed) {
        this.rt.sockets.release();
        this.rt.untrack(this);
        this.emit("error", this.rt.newObject({ code: -1, message: `Connection ${err ?? "closed"}` }));
        this.emit("close", true);
        return;
      }
      this.stream = stream;
      const forget = this.rt.onTeardown((lost) => (lost ? stream.abandon() : stream.close()));
      stream.onData = (data) => this.emit("data", data);
      stream.onClose = () => {
        forget();
        this.rt.sockets.release();
        this.rt.untrack(this);
        this.closed = true;
        this.emit("end");
        this.emit("close", false);
      };
      if (onConnect) this.rt.invoke(onConnect, this);
      this.emit("connect");
      if (this.unsent) stream.write(this.unsent);
      this.unsent = "";
      // as socketserver.c: on connecting with nothing to send yet, "drain"
      this.drainSoon();
    });
  }

  write(data: unknown): boolean {
    if (this.closed) return false;
    if (!this.stream) {
      this.unsent += String(data);
      return true;
    }
    this.stream.write(String(data));
    this.drainSoon();
    return true;
  }

  /** As socketserver.c: "drain" once everything written has gone out (one for writes made together). */
  private drainSoon(): void {
    if (this.drainPending) return;
    this.drainPending = true;
    this.rt.later(1, () => {
      this.drainPending = false;
      if (!this.closed) this.emit("drain");
    });
  }

  end(data?: unknown): void {
    if (data !== undefined) this.write(data);
    this.stream?.close();
  }
}

export function createNetModule(rt: DeviceRuntime): object {
  return rt.newObject({
    connect: (options: { host: string; port: number }, onConnect?: unknown) => {
      const socket = rt.track(new NetSocket(rt));
      socket.connect(options.host, options.port, onConnect);
      return socket;
    },
  });
}
