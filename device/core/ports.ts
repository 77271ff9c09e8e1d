// The ports through which the pure core reaches the world. device/platform/
// implements them on Espruino; the tests implement them in memory.

/** Milliseconds since boot; only differences are meaningful. */
export interface Clock {
  now(): number;
}

export interface DatagramSender {
  /** Fire and forget: a lost datagram is not an error. */
  send(data: string, address: string, port: number): void;
}

export type Log = (line: string) => void;

/** Facts about the chip, read when asked (free heap changes). */
export interface BoardInfo {
  board: string;
  freeHeap(): number;
  freeJsVars(): number;
  sdkVersion: string;
  cpuFreqMHz: number;
  flashChipSize: number;
}

export interface HttpRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: string;
}

export interface HttpResponse {
  code: number;
  body: string;
  type: string;
  /** Further pieces of the body, sent one at a time as the socket drains (undefined: done). */
  more?: (i: number) => string | undefined;
  /** Runs after the response has been sent (e.g. a restart). */
  after?: () => void;
}

/** Espruino's timer functions, so the core can schedule without globals. */
export interface Timers {
  setInterval(fn: () => void, ms: number): number;
  changeInterval(id: number, ms: number): void;
  clearInterval(id: number): void;
}

/** One HTTP GET; cb gets an error message or the body. Always calls back once. */
export type HttpGet = (ip: string, port: number, path: string, cb: (err: string, body: string) => void) => void;
