// Espruino APIs the platform uses that @types/espruino lacks or gets wrong.
// Only device/platform/ and device/main.ts may use them.

/** Set by the build: the largest dashboard file (boards/<board>.json budgets.dashboardBytes, 0 without one). */
declare const SPORE_DASHBOARD_BYTES: number;

declare function require(module: "Storage"): EspruinoStorage;
declare function require(module: "dgram"): EspruinoDgram;
declare function require(module: "Wifi"): EspruinoWifi;
declare function require(module: "http"): EspruinoHttp;
declare function require(module: "net"): { connect(options: { host: string; port: number }, cb?: () => void): any };

declare function setTimeout(fn: () => void, ms: number): number;
declare function setInterval(fn: () => void, ms: number): number;
declare function changeInterval(id: number, ms: number): void;
declare function clearInterval(id: number): void;
declare function clearTimeout(id: number): void;
declare function load(file: string): void;
/** 32 bits of memory at addr (with no count, a number). */
declare function peek32(addr: number): number;

declare const process: {
  env: { BOARD: string; VERSION: string };
  memory(gc?: boolean): { free: number; usage: number; total: number; history: number; blocksize: number };
};

declare namespace E {
  function CRC32(data: string): number;
  /** A new Uint8Array of a string's bytes. */
  function toUint8Array(data: string): Uint8Array;
  /** A string of its argument: a string as it is, an ArrayBuffer's bytes, a character per element of a typed array or array (value & 255). */
  function toString(data: any): string;
  /** An ArrayBuffer that references the string's bytes (of a Storage file: the flash itself, no copy). */
  function toArrayBuffer(s: string): ArrayBuffer;
  /** The sum of arr1[i] * arr2[(i + offset) % arr2.length] over arr1, in doubles (native). */
  function convolve(arr1: ArrayLike<number>, arr2: ArrayLike<number>, offset: number): number;
  function reboot(): void;
  function on(event: "init" | "kill", fn: () => void): void;
  /** Streams `source` (e.g. a Storage file, read from flash) to `destination`, a chunk at a time. */
  function pipe(source: string, destination: any, options?: { chunkSize?: number; end?: boolean; complete?: () => void }): void;
  /** The console's device: "Telnet" while a Telnet client is connected, else "Serial1" on ESP8266 and ESP32. */
  function getConsole(): string | null;
}

declare namespace ESP8266 {
  function getState(): { sdkVersion: string; cpuFrequency: number; freeHeap: number; flashKB: number };
}

declare namespace ESP32 {
  function getState(): { sdkVersion: string; freeHeap: number };
}

interface EspruinoStorage {
  read(name: string, offset?: number, length?: number): string | undefined;
  readJSON(name: string, noExceptions: boolean): unknown;
  write(name: string, data: string, offset?: number, size?: number): boolean;
  writeJSON(name: string, data: unknown): boolean;
  erase(name: string): void;
  list(pattern?: RegExp): string[];
  getFree(): number;
  /** freeBytes: left at the end (what a write may take without a compaction); trashBytes: of erased files, which compact() gives back */
  getStats(): { totalBytes: number; freeBytes: number; fileBytes: number; fileCount: number; trashBytes: number; trashCount: number };
  compact(): void;
}

interface EspruinoUdpInfo {
  address: string;
  port: number;
  size: number;
}

interface EspruinoUdpSocket {
  bind(port: number, cb?: () => void): EspruinoUdpSocket;
  on(event: "message", fn: (msg: string, rinfo: EspruinoUdpInfo) => void): void;
  on(event: "close" | "error", fn: (err?: unknown) => void): void;
  send(msg: string, port: number, address: string): void;
  close(): void;
}

interface EspruinoDgram {
  createSocket(type: "udp4" | { type: "udp4"; reuseAddr?: boolean; recvBufferSize?: number }): EspruinoUdpSocket;
}

interface EspruinoIpInfo {
  ip: string;
  netmask: string;
  gw: string;
  mac: string;
}

interface EspruinoWifi {
  connect(ssid: string, options: { password?: string }, cb?: (err: string | null) => void): void;
  disconnect(cb?: () => void): void;
  startAP(ssid: string, options: { password?: string; authMode?: string }, cb?: (err: string | null) => void): void;
  stopAP(cb?: () => void): void;
  getIP(cb: (err: unknown, info: EspruinoIpInfo) => void): void;
  getDetails(cb: (details: { status: string }) => void): void;
  setHostname(name: string, cb?: () => void): void;
  on(event: "connected" | "disconnected", fn: (details: unknown) => void): void;
  getHostname(cb?: (name: string) => void): string;
}

interface EspruinoHttpServerRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  on(event: "data", fn: (data: string) => void): void;
  on(event: "end" | "close", fn: () => void): void;
}

interface EspruinoHttpServerResponse {
  writeHead(code: number, headers?: Record<string, string | number>): void;
  write(data: string): void;
  end(data?: string): void;
  on(event: "drain" | "close", fn: () => void): void;
}

interface EspruinoHttpClientResponse {
  statusCode: string;
  on(event: "data", fn: (data: string) => void): void;
  on(event: "close", fn: () => void): void;
}

interface EspruinoHttpClientRequest {
  on(event: "error", fn: (e: { message: string }) => void): void;
  end(data?: string): void;
}

interface EspruinoHttpServer {
  listen(port: number): void;
  close(): void;
}

interface EspruinoHttp {
  createServer(fn: (req: EspruinoHttpServerRequest, res: EspruinoHttpServerResponse) => void): EspruinoHttpServer;
  request(options: { host: string; port: number; path: string; method: string; headers?: Record<string, string> }, cb: (res: EspruinoHttpClientResponse) => void): EspruinoHttpClientRequest;
}

/** Espruino passes extra arguments on to the callback. */
declare function setInterval(fn: (arg: any) => void, ms: number, arg: any): number;
declare function setTimeout(fn: (arg: any) => void, ms: number, arg: any): number;
declare function setTimeout(fn: (a: any, b: any) => void, ms: number, a: any, b: any): number;

/** Set by the boot file (device/boot.ts): its request hook and the boot state. */
declare var _SB: (req?: any, res?: any) => any;
declare var SBS: { slot: string; state: string } | undefined;
