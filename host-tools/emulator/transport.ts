// The host tools' Transport on an emulated cluster in virtual time: HTTP over
// the simulated LAN from the gateway (a laptop on the network), sleeps on the
// cluster's scheduler. drive() runs virtual time while a tool's promise is
// pending, so a whole `ota all` is deterministic for a seed.
import { NetworkError, type HttpReply, type HttpRequest, type Transport } from "../lib/transport.ts";
import { type Cluster, parseResponse } from "./cluster.ts";

/** Bytes the host hands to the network at a time (progress is reported per piece). */
const PIECE = 4096;

export interface EmulatorTransportOptions {
  /** Virtual ms to wait before sending a request (a slow laptop or link, say): tests hold some requests back. */
  delay?: (r: HttpRequest) => number;
}

export class EmulatorTransport implements Transport {
  constructor(
    private readonly c: Cluster,
    private readonly options: EmulatorTransportOptions = {},
  ) {}

  now(): number {
    return this.c.scheduler.now();
  }

  /** UDP from the gateway (where the host stands on the LAN). */
  readonly udp = {
    local: async (): Promise<string> => this.c.lan.gateway(),
    send: async (to: string, port: number, data: string): Promise<void> => this.c.lan.sendDatagram(this.c.lan.gateway(), port, to, port, data),
    hear: (port: number, ms: number, want: (data: string, from: string) => boolean): Promise<string | undefined> =>
      new Promise((resolve) => {
        const lan = this.c.lan;
        const at = lan.gateway();
        const done = (v: string | undefined) => {
          this.c.scheduler.cancel(timer);
          lan.detach(at);
          resolve(v);
        };
        const timer = this.c.scheduler.after(ms, () => done(undefined));
        lan.attach(at, { deliverDatagram: (data, from, _fromPort, toPort) => void (toPort === port && want(data, from) && done(data)), streamListener: () => undefined });
      }),
  };

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.c.scheduler.after(ms, resolve));
  }

  async request(r: HttpRequest): Promise<HttpReply> {
    const wait = this.options.delay?.(r) ?? 0;
    if (wait > 0) await this.sleep(wait);
    return this.send(r);
  }

  private send(r: HttpRequest): Promise<HttpReply> {
    const c = this.c;
    return new Promise((resolve, reject) => {
      let raw = "";
      let settled = false;
      const timeoutMs = r.timeoutMs ?? 10000;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        fn();
      };
      const timer = c.scheduler.after(timeoutMs, () => finish(() => reject(new NetworkError(`${r.host}:${r.port}: no answer in ${timeoutMs} ms`))));
      c.lan.connect(
        c.lan.gateway(),
        r.host,
        r.port,
        (err, stream) => {
          if (err || !stream) {
            c.scheduler.cancel(timer);
            return finish(() => reject(new NetworkError(`${r.host}:${r.port}: ${err === "refused" ? "connection refused" : "no route (host down?)"}`)));
          }
          stream.onData = (d) => (raw += d);
          stream.onClose = () => {
            c.scheduler.cancel(timer);
            finish(() => {
              try {
                const res = parseResponse(raw);
                resolve({ status: res.status, headers: res.headers, body: res.body });
              } catch {
                reject(new NetworkError(`${r.host}:${r.port}: connection closed without an answer`));
              }
            });
          };
          const body = r.body === undefined ? "" : Buffer.isBuffer(r.body) ? r.body.toString("latin1") : r.body;
          let head = `${r.method} ${r.path} HTTP/1.1\r\nHost: ${r.host}\r\n`;
          for (const [k, v] of Object.entries(r.headers ?? {})) head += `${k}: ${v}\r\n`;
          if (body.length) head += `Content-Length: ${body.length}\r\n`;
          stream.write(head + "\r\n");
          // the body leaves at the LAN's stream rate, a piece at a time
          let sent = 0;
          const next = () => {
            if (sent >= body.length || stream.closed) return;
            const piece = body.slice(sent, sent + PIECE);
            sent += piece.length;
            stream.write(piece);
            r.onProgress?.(sent, body.length);
            c.scheduler.after(piece.length / c.lan.options.streamBytesPerMs, next);
          };
          next();
        },
        Math.min(timeoutMs, 5000),
      );
    });
  }
}

/** Runs the cluster's virtual time until `p` settles (or `limitMs` pass: then it throws). */
export async function drive<T>(c: Cluster, p: Promise<T>, limitMs: number): Promise<T> {
  let settled = false;
  p.then(
    () => (settled = true),
    () => (settled = true),
  );
  const end = c.scheduler.now() + limitMs;
  await new Promise((r) => setImmediate(r));
  while (!settled) {
    const next = c.scheduler.nextTime();
    if (next === undefined || next > end) throw new Error(`still running after ${limitMs} ms of virtual time`);
    c.scheduler.runUntil(next);
    // let the tool's promise callbacks run before the next event
    await new Promise((r) => setImmediate(r));
  }
  return p;
}
