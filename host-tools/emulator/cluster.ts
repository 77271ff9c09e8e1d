// An emulated cluster: boards running the real dist/<board>.js on one
// simulated LAN behind one WiFi access point. Virtual time for tests
// (deterministic for a seed); real time with each node's HTTP server on a
// loopback address for npm start, curl, host tools and browsers.
import { existsSync, readFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { type Board, loadBoard } from "../build/boards.ts";
import { DASHBOARD_DIST_FILE } from "../build/dashboard.ts";
import { CONFIG_FILE, flashImage } from "../build/image.ts";
import { DIST_DIR } from "../build/paths.ts";
import { Device } from "./device.ts";
import { parseHead } from "./espruino-http.ts";
import type { AccessPoint } from "./espruino-wifi.ts";
import { Lan, type LanOptions, type StreamEnd } from "./lan.ts";
import { Rng } from "./rng.ts";
import { RealTimeDriver, Scheduler } from "./scheduler.ts";

/** The node configuration file the firmware reads. */
export const NODE_CONFIG_FILE: string = CONFIG_FILE;

export interface ClusterOptions {
  seed: number;
  /** One board name per node. */
  boards: string[];
  lan?: Partial<LanOptions>;
  /** Overrides merged into each node's spore.json. */
  config?: Record<string, unknown>;
  /** The cluster secret written to every node (default: one derived from the seed). */
  secret?: string;
  accessPoint?: Partial<AccessPoint>;
  /** Bundles by board name ("<board>.boot" for boot files); default dist/<board>.js and dist/<board>.boot.js. */
  bundles?: Record<string, string>;
  /** Real time, with real HTTP ports (npm start). */
  realtime?: boolean;
  /** Real-time mode: a node port below 1024 is served at port + this. */
  privilegedPortOffset?: number;
  onPrint?: (device: Device, line: string) => void;
  /** Real-time mode: a node's `port` (its HTTP API, its Telnet console) is open for real at `address`. */
  onServing?: (device: Device, port: number, address: { host: string; port: number }) => void;
}

export interface HttpResult {
  status: number;
  statusLine: string;
  headers: Record<string, string>;
  body: string;
}

/** A file npm run build writes into dist/ is not there. */
export class MissingBuildError extends Error {}

/** A file of dist/ as an 8-bit string. */
function readDist(name: string): string {
  const file = join(DIST_DIR, name);
  if (!existsSync(file)) throw new MissingBuildError(`${file} is missing: run "npm run build" first`);
  return readFileSync(file, "latin1");
}

export function readBundle(board: string): string {
  return readDist(`${board}.js`);
}

/** The version a board's bundle reports, from the manifest the build writes beside it (dist/<board>.json). */
export function bundleVersion(board: string): string {
  return (JSON.parse(readDist(`${board}.json`)) as { version: string }).version;
}

/** A board's bundle with the version it reports replaced: a new version as far as any tool can tell. */
export function bundleWithVersion(board: string, version: string): string {
  const code = readBundle(board);
  const current = bundleVersion(board);
  if (!code.includes(current)) throw new Error(`dist/${board}.js does not hold the version its manifest names (${current}): run "npm run build"`);
  return code.split(current).join(version);
}

export class Cluster {
  readonly scheduler = new Scheduler();
  readonly rng: Rng;
  readonly lan: Lan;
  readonly devices: Device[] = [];
  readonly accessPoint: AccessPoint;
  private readonly options: ClusterOptions;
  private readonly boards = new Map<string, Board>();
  private readonly bundles: Record<string, string>;
  private readonly servers: net.Server[] = [];
  /** Real addresses ("host:port") listening (real-time mode). */
  private readonly listening = new Set<string>();
  private readonly sockets = new Set<net.Socket>();
  private driver: RealTimeDriver | undefined;
  private readonly macs = new Set<string>();
  /** The cluster secret; http(..., {auth: true}) sends it. */
  readonly secret: string;

  constructor(options: ClusterOptions) {
    this.options = options;
    this.rng = new Rng(options.seed);
    const lan = options.realtime ? { firstIp: "127.0.0.11", netmask: "255.255.255.0", ...options.lan } : options.lan;
    this.lan = new Lan(this.scheduler, this.rng.fork(), lan);
    this.accessPoint = { ssid: "spore-lan", password: "spore-pass", up: true, ...options.accessPoint };
    this.bundles = { ...options.bundles };
    this.secret = options.secret ?? "secret-" + options.seed.toString(36);
    for (const board of options.boards) this.addNode(board);
  }

  private board(name: string): Board {
    let b = this.boards.get(name);
    if (!b) {
      b = loadBoard(name);
      this.boards.set(name, b);
    }
    return b;
  }

  private newMac(rng: Rng): string {
    for (;;) {
      const mac = "5ccf7f" + rng.int(2 ** 24).toString(16).padStart(6, "0");
      if (!this.macs.has(mac)) {
        this.macs.add(mac);
        return mac;
      }
    }
  }

  /**
   * Adds a node flashed with its board's bundle (or `code`) and the cluster's
   * config, and powers it on. `bare`: `code` is the node's .bootcde, with no
   * boot file (as a Web IDE upload with Save on Send leaves it).
   */
  addNode(boardName: string, code?: string, options: { bare?: boolean } = {}): Device {
    const board = this.board(boardName);
    const rng = this.rng.fork();
    const device = new Device({
      board,
      lan: this.lan,
      scheduler: this.scheduler,
      rng,
      mac: this.newMac(rng),
      accessPoint: () => this.accessPoint,
      onPrint: this.options.onPrint,
      onListen: (d, port) => this.serveReal(d, port),
    });
    if (code === undefined) this.bundles[boardName] ??= readBundle(boardName);
    const firmware = code ?? this.bundles[boardName];
    if (options.bare) {
      device.storage.write(".bootcde", firmware);
      device.storage.writeJSON(NODE_CONFIG_FILE, this.nodeConfig());
    } else {
      this.bundles[boardName + ".boot"] ??= readBundle(boardName + ".boot");
      // as the flash tool writes it: configuration, firmware in slot a, boot state, boot file
      const dashboard = board.capabilities.dashboard ? (this.bundles.dashboard ??= readDist(DASHBOARD_DIST_FILE)) : undefined;
      for (const f of flashImage({ firmware, boot: this.bundles[boardName + ".boot"], config: this.nodeConfig(), dashboard })) device.storage.write(f.name, f.data);
    }
    this.devices.push(device);
    // nodes are not switched on in the same millisecond
    this.scheduler.after(rng.int(1000), () => device.powerOn());
    return device;
  }

  /** What the cluster writes to each node's spore.json. */
  nodeConfig(): Record<string, unknown> {
    return { ssid: this.accessPoint.ssid, pass: this.accessPoint.password, key: this.secret, ...this.options.config };
  }

  // ---- time

  runFor(ms: number): void {
    this.scheduler.runFor(ms);
  }

  /** Runs until `done()` holds (checked after every event); false if `limitMs` of virtual time passed first. */
  runUntil(done: () => boolean, limitMs: number): boolean {
    return this.scheduler.runUntilTrue(done, limitMs);
  }

  /** Starts real time (npm start). */
  startRealtime(): void {
    this.driver ??= new RealTimeDriver(this.scheduler);
    this.driver.run();
  }

  async stop(): Promise<void> {
    this.driver?.stop();
    for (const d of this.devices) d.crash();
    for (const s of this.sockets) s.destroy();
    await Promise.all(this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }

  // ---- faults

  kill(device: Device): void {
    device.crash();
  }

  restart(device: Device): void {
    device.crash();
    device.powerOn();
  }

  // ---- HTTP from outside the cluster (a laptop on the LAN)

  /** Raw HTTP exchange with a node, in virtual time. Resolves when the node closes the connection. */
  http(device: Device, method: string, path: string, options: { body?: string; headers?: Record<string, string>; port?: number; timeoutMs?: number; auth?: boolean } = {}): HttpResult {
    let raw = "";
    let done = false;
    let error: string | undefined;
    const port = options.port ?? 80;
    this.lan.connect(this.lan.gateway(), device.ip, port, (err, stream) => {
      if (err || !stream) {
        error = err ?? "no stream";
        done = true;
        return;
      }
      stream.onData = (d) => (raw += d);
      stream.onClose = () => (done = true);
      const body = options.body ?? "";
      let head = `${method} ${path} HTTP/1.1\r\nHost: ${device.ip}\r\n`;
      for (const [k, v] of Object.entries(options.headers ?? {})) head += `${k}: ${v}\r\n`;
      if (options.auth) head += `Authorization: Bearer ${this.secret}\r\n`;
      if (body.length) head += `Content-Length: ${body.length}\r\n`;
      stream.write(head + "\r\n" + body);
    });
    if (!this.runUntil(() => done, options.timeoutMs ?? 30000)) throw new Error(`HTTP ${method} ${path} to ${device.ip}: no answer in ${options.timeoutMs ?? 30000} ms`);
    if (error) throw new Error(`HTTP ${method} ${path} to ${device.ip}:${port}: connection ${error}`);
    // a node out of sockets takes the connection and closes it at once
    if (!raw) throw new Error(`HTTP ${method} ${path} to ${device.ip}:${port}: connection closed without an answer`);
    return parseResponse(raw);
  }

  /** GET a JSON endpoint; throws unless the status is 200. */
  getJson<T = Record<string, unknown>>(device: Device, path: string): T {
    const res = this.http(device, "GET", path);
    if (res.status !== 200) throw new Error(`GET ${path} on ${device.ip}: ${res.statusLine} ${res.body}`);
    return JSON.parse(res.body) as T;
  }

  // ---- real-time bridge

  /** Where a node's port is served for real. */
  realAddress(device: Device, port: number): { host: string; port: number } {
    return { host: device.ip, port: port < 1024 ? port + (this.options.privilegedPortOffset ?? 8000) : port };
  }

  /** Real-time mode: whether the node's port is served for real (not while another process holds its address). */
  serves(device: Device, port: number): boolean {
    const a = this.realAddress(device, port);
    return this.listening.has(`${a.host}:${a.port}`);
  }

  private serveReal(device: Device, port: number): void {
    if (!this.options.realtime) return;
    const addr = this.realAddress(device, port);
    const key = `${addr.host}:${addr.port}`;
    if (this.servers.some((s) => (s as net.Server & { key?: string }).key === key)) return;
    const server = net.createServer((socket) => this.bridge(device, port, socket)) as net.Server & { key?: string };
    server.key = key;
    server.on("error", (e) => device.print(`emulator: cannot serve ${key}: ${e.message}`));
    server.listen(addr.port, addr.host, () => {
      this.listening.add(key);
      this.options.onServing?.(device, port, addr);
    });
    this.servers.push(server);
  }

  /** Joins a real TCP connection to a node's listener through a LAN stream. */
  private bridge(device: Device, port: number, socket: net.Socket): void {
    this.sockets.add(socket);
    const listener = device.running ? device.streamListener(port) : undefined;
    if (!listener) {
      socket.destroy();
      return;
    }
    const [client, server]: [StreamEnd, StreamEnd] = this.lan.streamPair(this.lan.gateway(), device.ip);
    client.onData = (d) => socket.write(Buffer.from(d, "latin1"));
    client.onClose = () => socket.end();
    socket.on("data", (d) => {
      client.write(d.toString("latin1"));
      this.driver?.poke();
    });
    socket.on("close", () => {
      this.sockets.delete(socket);
      client.close();
      this.driver?.poke();
    });
    socket.on("error", () => socket.destroy());
    this.scheduler.after(0, () => listener(server));
    this.driver?.poke();
  }
}

export function parseResponse(raw: string): HttpResult {
  const head = parseHead(raw);
  if (!head) throw new Error(`not an HTTP response: ${JSON.stringify(raw.slice(0, 80))}`);
  return { status: Number(head.first[1]), statusLine: head.first.join(" "), headers: head.headers, body: head.rest };
}
