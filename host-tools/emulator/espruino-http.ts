// Espruino's "http" module on the emulated LAN: raw HTTP/1.x over streams.
// Quirks kept (measured on the 2v29 interpreter): the status line always says
// "OK", "Server" and "Connection: close" come before the handler's headers,
// there is no Content-Length unless the handler sets one, the client's
// res.statusCode is a string, and every open connection takes a socket.
import { HTTP_CONNECTION_BLOCKS, type JsVarCounter } from "./jsvars.ts";
import { StreamEnd } from "./lan.ts";
import { Emitter, type DeviceRuntime } from "./runtime.ts";

/** Espruino hands TCP data to JS in pieces of about this size. */
const CHUNK = 536;

interface Head {
  first: string[];
  headers: Record<string, string>;
  rest: string;
}

/** Splits "head\r\n\r\nbody"; undefined until the head is complete. */
export function parseHead(buffer: string): Head | undefined {
  const end = buffer.indexOf("\r\n\r\n");
  if (end < 0) return undefined;
  const lines = buffer.slice(0, end).split("\r\n");
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return { first: lines[0].split(" "), headers, rest: buffer.slice(end + 4) };
}

function contentLength(headers: Record<string, string>): number {
  for (const k of Object.keys(headers)) if (k.toLowerCase() === "content-length") return parseInt(headers[k], 10) || 0;
  return 0;
}

function chunks(data: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < data.length; i += CHUNK) out.push(data.slice(i, i + CHUNK));
  return out;
}

/** A connection to the server, from when it is accepted (the handler gets it once its head is in). */
class ServerRequest extends Emitter {
  method = "";
  url = "";
  headers: Record<string, string> = {};
  /** Received and not handed over: the head while it is not complete, then nothing (the body goes out as it comes) (socketserver.c's "dRcv"). */
  dRcv = "";
  /** The head is in: headers, method and url are set. */
  parsed = false;
  /** Bytes of the body still to come, from the head's Content-Length ("cRcv"). */
  cRcv = 0;
  /** The body is all in: "end" was emitted ("endd"). */
  ended = false;

  /** As socketserver.c builds it: the connection's objects, what it received, then the head's headers object, method and url. */
  override held(counter: JsVarCounter): number {
    let blocks = HTTP_CONNECTION_BLOCKS + counter.add(this.dRcv);
    if (this.parsed) blocks += counter.addProperties({ headers: this.headers, method: this.method, url: this.url, cRcv: this.cRcv });
    if (this.ended) blocks += 1;
    return blocks;
  }
}

class ServerResponse extends Emitter {
  private headSent = false;
  private done = false;
  constructor(
    rt: DeviceRuntime,
    private readonly stream: StreamEnd,
  ) {
    super(rt);
  }

  writeHead(code: number, headers?: Record<string, unknown>): void {
    if (this.headSent) return;
    this.headSent = true;
    let head = `HTTP/1.1 ${code} OK\r\nServer: Espruino ${this.rt.board.espruino.version}\r\nConnection: close\r\n`;
    for (const [k, v] of Object.entries(headers ?? {})) head += `${k}: ${v}\r\n`;
    this.stream.write(head + "\r\n");
  }

  write(data: unknown): boolean {
    if (this.done) return false;
    if (!this.headSent) this.writeHead(200);
    const text = data === undefined ? "" : String(data);
    if (text) {
      this.stream.write(text);
      // as socketserver.c: "drain" once everything written has gone out, unless closing
      this.rt.later(1, () => {
        if (!this.done) this.emit("drain");
      });
    }
    return true;
  }

  end(data?: unknown): void {
    if (this.done) return;
    this.write(data);
    this.done = true;
    this.stream.close();
  }
}

class Server extends Emitter {
  private port = 0;
  constructor(
    rt: DeviceRuntime,
    private readonly handler: unknown,
  ) {
    super(rt);
  }

  listen(port: number): this {
    if (!this.rt.sockets.acquire()) throw new Error("Unable to create socket");
    this.port = port;
    this.rt.listen(port, (stream) => this.accept(stream));
    this.rt.onTeardown(() => this.close());
    return this;
  }

  close(): void {
    if (!this.port) return;
    this.rt.unlisten(this.port);
    this.port = 0;
    this.rt.sockets.release();
  }

  private accept(stream: StreamEnd): void {
    if (!this.rt.sockets.acquire()) {
      stream.close();
      return;
    }
    const forget = this.rt.onTeardown((lost) => (lost ? stream.abandon() : stream.close()));
    // the interpreter makes both objects as it accepts, and holds them until the connection closes
    const req = this.rt.track(new ServerRequest(this.rt));
    const res = this.rt.track(new ServerResponse(this.rt, stream));
    const finish = () => {
      if (req.cRcv <= 0 && !req.ended) {
        req.ended = true;
        req.emit("end");
      }
    };
    stream.onClose = () => {
      forget();
      this.rt.sockets.release();
      this.rt.untrack(req);
      this.rt.untrack(res);
      if (req.parsed) req.emit("close");
    };
    stream.onData = (data) => {
      if (!req.parsed) {
        req.dRcv += data;
        const head = parseHead(req.dRcv);
        if (!head) return;
        req.dRcv = "";
        req.parsed = true;
        req.method = head.first[0];
        req.url = head.first[1] ?? "/";
        req.headers = this.rt.newObject(head.headers);
        req.cRcv = contentLength(head.headers);
        this.rt.invoke(this.handler, req, res);
        data = head.rest;
      }
      if (req.cRcv > 0 && data.length) {
        const body = data.slice(0, req.cRcv);
        req.cRcv -= body.length;
        for (const c of chunks(body)) req.emit("data", c);
      }
      finish();
    };
  }
}

class ClientResponse extends Emitter {
  statusCode = "";
  statusMessage = "";
  headers: Record<string, string> = {};
  httpVersion = "1.1";
}

class ClientRequest extends Emitter {
  private body = "";
  private ended = false;
  private stream: StreamEnd | undefined;
  private closeNow = false;
  /**
   * socketserver.c's "clsNow" (HTTP_NAME_CLOSENOW): set true on the request,
   * the interpreter closes its socket on its next pass of the idle loop
   * (checked on 2v29's source; the client has no other abort).
   */
  get clsNow(): boolean {
    return this.closeNow;
  }
  set clsNow(v: boolean) {
    this.closeNow = !!v;
    if (v) this.rt.later(0, () => this.stream?.close());
  }
  constructor(
    rt: DeviceRuntime,
    private readonly opts: { host: string; port?: number; path?: string; method?: string; headers?: Record<string, unknown> },
    private readonly callback: unknown,
  ) {
    super(rt);
  }

  write(data: unknown): boolean {
    this.body += String(data);
    return true;
  }

  end(data?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    if (data !== undefined) this.body += String(data);
    const from = this.rt.ip();
    if (!from) {
      this.rt.later(0, () => this.emit("error", this.rt.newObject({ code: -1, message: "Not connected" })));
      return;
    }
    if (!this.rt.sockets.acquire()) {
      this.rt.later(0, () => this.emit("error", this.rt.newObject({ code: -10, message: "Unable to create socket" })));
      return;
    }
    this.rt.lan.connect(from, this.opts.host, this.opts.port ?? 80, (err, stream) => {
      if (err || !stream) {
        this.rt.sockets.release();
        this.emit("error", this.rt.newObject({ code: -1, message: `Connection ${err}` }));
        return;
      }
      this.exchange(stream);
    });
  }

  private exchange(stream: StreamEnd): void {
    this.stream = stream;
    if (this.closeNow) return void this.rt.later(0, () => stream.close());
    const forget = this.rt.onTeardown((lost) => (lost ? stream.abandon() : stream.close()));
    let head = `${this.opts.method ?? "GET"} ${this.opts.path ?? "/"} HTTP/1.0\r\nHost: ${this.opts.host}\r\n`;
    for (const [k, v] of Object.entries(this.opts.headers ?? {})) head += `${k}: ${v}\r\n`;
    if (this.body.length) head += `Content-Length: ${this.body.length}\r\n`;
    stream.write(head + "\r\n" + this.body);
    let buffer = "";
    let res: ClientResponse | undefined;
    stream.onData = (data) => {
      if (!res) {
        buffer += data;
        const parsed = parseHead(buffer);
        if (!parsed) return;
        res = new ClientResponse(this.rt);
        res.statusCode = parsed.first[1] ?? "";
        res.statusMessage = parsed.first.slice(2).join(" ");
        res.headers = this.rt.newObject(parsed.headers);
        this.rt.invoke(this.callback, res);
        data = parsed.rest;
      }
      for (const c of chunks(data)) res.emit("data", c);
    };
    stream.onClose = () => {
      forget();
      this.rt.sockets.release();
      if (res) res.emit("close");
      else this.emit("error", this.rt.newObject({ code: -1, message: "Connection closed" }));
    };
  }
}

function parseUrlOptions(opts: unknown): { host: string; port?: number; path?: string; method?: string } {
  if (typeof opts !== "string") return opts as { host: string };
  const u = new URL(opts);
  return { host: u.hostname, port: u.port ? Number(u.port) : 80, path: u.pathname + u.search };
}

export function createHttpModule(rt: DeviceRuntime): object {
  return rt.newObject({
    createServer: (handler: unknown) => new Server(rt, handler),
    request: (opts: unknown, cb: unknown) => new ClientRequest(rt, parseUrlOptions(opts) as never, cb),
    get: (opts: unknown, cb: unknown) => {
      const req = new ClientRequest(rt, parseUrlOptions(opts) as never, cb);
      req.end();
      return req;
    },
  });
}
