// How host tools talk to nodes: HTTP over real sockets (Node's http), or over
// an emulated LAN in virtual time (host-tools/emulator/transport.ts). The
// tools never sleep or read the clock themselves, so the same code runs both.
import dgram from "node:dgram";
import http from "node:http";

export interface HttpRequest {
  host: string;
  port: number;
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** No answer within this many ms is an error (default 10000). */
  timeoutMs?: number;
  /** Called as the body goes out: bytes sent so far, and the total. */
  onProgress?: (sent: number, total: number) => void;
}

export interface HttpReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface Transport {
  request(r: HttpRequest): Promise<HttpReply>;
  sleep(ms: number): Promise<void>;
  /** Milliseconds on the transport's clock (virtual in the emulator). */
  now(): number;
  /** UDP, for what must reach a node without HTTP (the owner's restart). */
  udp?: Udp;
}

export interface Udp {
  /** This host's address towards `to` (the address its datagrams come from). */
  local(to: string): Promise<string>;
  send(to: string, port: number, data: string): Promise<void>;
  /** The first datagram heard on `port` within ms that `want` accepts (undefined when none came). */
  hear(port: number, ms: number, want: (data: string, from: string) => boolean): Promise<string | undefined>;
}

/** The part of a transport that keeps time, for code that only waits (telemetry from a broker). */
export type Clock = Pick<Transport, "now" | "sleep">;

/** A node could not be reached, or did not answer in time. */
export class NetworkError extends Error {}

const CHUNK = 1024;

/** Real HTTP. The body goes out in 1 KB writes so progress is reported as the socket drains. */
export const nodeTransport: Transport = {
  request(r: HttpRequest): Promise<HttpReply> {
    return new Promise((resolve, reject) => {
      const body = r.body === undefined ? undefined : Buffer.isBuffer(r.body) ? r.body : Buffer.from(r.body, "latin1");
      const headers: Record<string, string | number> = { ...r.headers };
      if (body) headers["Content-Length"] = body.length;
      let settled = false;
      const fail = (why: string) => {
        if (settled) return;
        settled = true;
        reject(new NetworkError(`${r.host}:${r.port}: ${why}`));
      };
      const req = http.request({ host: r.host, port: r.port, method: r.method, path: r.path, headers, agent: false }, (res) => {
        const parts: Buffer[] = [];
        res.on("data", (d: Buffer) => parts.push(d));
        res.on("end", () => {
          if (settled) return;
          settled = true;
          const h: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) h[k] = String(v);
          resolve({ status: res.statusCode ?? 0, headers: h, body: Buffer.concat(parts).toString("latin1") });
        });
        res.on("error", (e) => fail(e.message));
      });
      req.setTimeout(r.timeoutMs ?? 10000, () => {
        fail(`no answer in ${r.timeoutMs ?? 10000} ms`);
        req.destroy();
      });
      // a node that answers before reading the whole body (401, 409, 413) closes the socket: the answer still counts
      req.on("error", (e: NodeJS.ErrnoException) => setTimeout(() => fail(e.code === "ECONNREFUSED" ? "connection refused" : e.code === "EHOSTUNREACH" ? "host unreachable" : e.message), 50));
      if (!body) {
        req.end();
        return;
      }
      let sent = 0;
      const next = () => {
        if (settled) return;
        if (sent >= body.length) {
          req.end();
          return;
        }
        const piece = body.subarray(sent, sent + CHUNK);
        sent += piece.length;
        req.write(piece, () => {
          r.onProgress?.(sent, body.length);
          next();
        });
      };
      next();
    });
  },
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  now: () => Date.now(),
  udp: {
    local: (to) =>
      new Promise((resolve, reject) => {
        const s = dgram.createSocket("udp4");
        s.on("error", (e) => (s.close(), reject(new NetworkError(`${to}: ${e.message}`))));
        s.connect(9, to, () => {
          const a = s.address().address;
          s.close();
          resolve(a);
        });
      }),
    send: (to, port, data) =>
      new Promise((resolve, reject) => {
        const s = dgram.createSocket("udp4");
        s.send(Buffer.from(data, "latin1"), port, to, (e) => {
          s.close();
          if (e) reject(new NetworkError(`${to}:${port}: ${e.message}`));
          else resolve();
        });
      }),
    hear: (port, ms, want) =>
      new Promise((resolve, reject) => {
        const s = dgram.createSocket({ type: "udp4", reuseAddr: true });
        const done = (v: string | undefined) => (clearTimeout(timer), s.close(), resolve(v));
        const timer = setTimeout(() => done(undefined), ms);
        s.on("error", (e) => (clearTimeout(timer), s.close(), reject(new NetworkError(`UDP port ${port}: ${e.message}`))));
        s.on("message", (m, info) => {
          const data = m.toString("latin1");
          if (want(data, info.address)) done(data);
        });
        s.bind(port);
      }),
  },
};

/** "host", "host:port" (default port 80, or `defaultPort`); throws on anything else. */
export function parseAddress(text: string, defaultPort = 80): { host: string; port: number } {
  const m = /^([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\])(?::(\d{1,5}))?$/.exec(text.trim());
  const port = m?.[2] === undefined ? defaultPort : Number(m[2]);
  if (!m || port < 1 || port > 65535) throw new UsageError(`not a node address: "${text}" (host or host:port)`);
  return { host: m[1], port };
}

/** A mistake in how a command was called: its message is shown with a hint to --help. */
export class UsageError extends Error {}
