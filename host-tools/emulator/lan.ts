// The simulated LAN: UDP datagrams (lost, delayed, partitioned as configured,
// seeded) and ordered TCP-like streams between emulated hosts.
import { broadcastAddress, ipToNumber, numberToIp } from "../../device/core/identity.ts";
import type { Rng } from "./rng.ts";
import type { Scheduler } from "./scheduler.ts";

export interface LanOptions {
  /** First address handed out, e.g. "10.42.0.10". */
  firstIp: string;
  netmask: string;
  /** Probability that one datagram is lost, 0..1. */
  loss: number;
  /** One-way latency in ms: min + uniform jitter. */
  latencyMs: number;
  jitterMs: number;
  /**
   * Stream throughput in bytes per virtual ms, each way (TCP segments of
   * 1460 bytes follow each other at this rate). 40 (40 KB/s) is an assumption
   * for Espruino on an ESP8266, whose JavaScript handles every segment; not
   * measured on a chip.
   */
  streamBytesPerMs: number;
}

/** TCP payload per segment on Ethernet/WiFi. */
export const SEGMENT_BYTES = 1460;

export const DEFAULT_LAN: LanOptions = { firstIp: "10.42.0.10", netmask: "255.255.0.0", loss: 0, latencyMs: 2, jitterMs: 3, streamBytesPerMs: 40 };

export interface LanHost {
  deliverDatagram(data: string, fromIp: string, fromPort: number, toPort: number): void;
  /** Who accepts streams on `port`, if anyone. */
  streamListener(port: number): StreamListener | undefined;
}

/** One end of a stream. The owner sets the on* handlers. */
export class StreamEnd {
  onData: (data: string) => void = () => {};
  onClose: () => void = () => {};
  peer!: StreamEnd;
  closed = false;
  constructor(
    private readonly deliver: (fn: () => void, bytes?: number) => void,
    readonly remoteIp: string,
  ) {}

  write(data: string): void {
    if (this.closed || this.peer.closed) return;
    const peer = this.peer;
    for (let i = 0; i < data.length; i += SEGMENT_BYTES) {
      const segment = data.slice(i, i + SEGMENT_BYTES);
      this.deliver(() => {
        if (!peer.closed) peer.onData(segment);
      }, segment.length);
    }
  }

  /**
   * Runs `fn` at the peer once what this end sent before it has crossed the
   * link, in order with it: the answer to a connection's SYN goes first, so
   * whatever the listener sends or closes at once reaches the peer after it.
   */
  signal(fn: () => void): void {
    this.deliver(fn);
  }

  /** This end stops, silently: the peer is not told (a host that lost power sends no FIN); what the peer sends is lost. */
  abandon(): void {
    this.closed = true;
  }

  /**
   * Closes both directions (Espruino HTTP always closes the connection). This
   * end writes no more at once, but its close completes, and its socket is
   * free, only once what it wrote and its FIN have crossed the link, as on a
   * chip (socketserver.c closes a socket when its send buffer is empty).
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const peer = this.peer;
    this.deliver(() => {
      if (!peer.closed) {
        peer.closed = true;
        peer.onClose();
      }
      this.onClose();
    });
  }
}

export type StreamListener = (end: StreamEnd) => void;

export interface LanStats {
  datagrams: number;
  bytes: number;
  largest: number;
}

/** What a host sent over streams (TCP): connections it opened, segments and payload bytes. */
export interface StreamStats {
  connections: number;
  segments: number;
  bytes: number;
}

export class Lan {
  readonly options: LanOptions;
  private readonly hosts = new Map<string, LanHost>();
  private readonly group = new Map<string, number>();
  private readonly linkLoss = new Map<string, number>();
  private nextHost: number;
  readonly stats = new Map<string, LanStats>();
  readonly streamStats = new Map<string, StreamStats>();
  /** Sees every datagram sent on the LAN, as it is sent (tests watch traffic through it). */
  onDatagram: ((fromIp: string, toIp: string, data: string) => void) | undefined;

  constructor(
    readonly scheduler: Scheduler,
    private readonly rng: Rng,
    options: Partial<LanOptions> = {},
  ) {
    this.options = { ...DEFAULT_LAN, ...options };
    this.nextHost = ipToNumber(this.options.firstIp);
  }

  allocateIp(): string {
    return numberToIp(this.nextHost++);
  }

  get broadcast(): string {
    return broadcastAddress(this.options.firstIp, this.options.netmask);
  }

  /** The first address of the subnet: the router, and where test clients stand. */
  gateway(): string {
    const mask = ipToNumber(this.options.netmask);
    return numberToIp(((ipToNumber(this.options.firstIp) & mask) >>> 0) + 1);
  }

  attach(ip: string, host: LanHost): void {
    this.hosts.set(ip, host);
  }

  detach(ip: string): void {
    this.hosts.delete(ip);
  }

  /** Splits the LAN: hosts in different groups cannot reach each other. */
  partition(groups: string[][]): void {
    this.group.clear();
    groups.forEach((g, i) => g.forEach((ip) => this.group.set(ip, i + 1)));
  }

  heal(): void {
    this.group.clear();
  }

  /** Extra loss on the link between two hosts, both ways (0 removes it): one bad link, not a bad network. */
  setLinkLoss(a: string, b: string, loss: number): void {
    const key = a < b ? a + "|" + b : b + "|" + a;
    if (loss > 0) this.linkLoss.set(key, loss);
    else this.linkLoss.delete(key);
  }

  private lossBetween(a: string, b: string): number {
    return this.linkLoss.get(a < b ? a + "|" + b : b + "|" + a) ?? 0;
  }

  reachable(from: string, to: string): boolean {
    return (this.group.get(from) ?? 0) === (this.group.get(to) ?? 0);
  }

  latency(): number {
    return this.options.latencyMs + this.rng.next() * this.options.jitterMs;
  }

  private count(ip: string, bytes: number): void {
    let s = this.stats.get(ip);
    if (!s) this.stats.set(ip, (s = { datagrams: 0, bytes: 0, largest: 0 }));
    s.datagrams++;
    s.bytes += bytes;
    if (bytes > s.largest) s.largest = bytes;
  }

  private streamStatsOf(ip: string): StreamStats {
    let s = this.streamStats.get(ip);
    if (!s) this.streamStats.set(ip, (s = { connections: 0, segments: 0, bytes: 0 }));
    return s;
  }

  sendDatagram(fromIp: string, fromPort: number, toIp: string, toPort: number, data: string): void {
    this.count(fromIp, data.length);
    this.onDatagram?.(fromIp, toIp, data);
    const targets = toIp === this.broadcast || toIp === "255.255.255.255" ? [...this.hosts.keys()].filter((ip) => ip !== fromIp) : [toIp];
    for (const ip of targets) {
      if (!this.reachable(fromIp, ip) || this.rng.next() < this.options.loss || (this.linkLoss.size && this.rng.next() < this.lossBetween(fromIp, ip))) continue;
      this.scheduler.after(this.latency(), () => {
        const host = this.hosts.get(ip);
        if (host && this.reachable(fromIp, ip)) host.deliverDatagram(data, fromIp, fromPort, toPort);
      });
    }
  }

  /** A stream pair whose data crosses the LAN with latency, in order. */
  streamPair(clientIp: string, serverIp: string): [StreamEnd, StreamEnd] {
    const ordered = (from: string) => {
      let last = 0;
      return (fn: () => void, bytes = 0) => {
        if (bytes) {
          const s = this.streamStatsOf(from);
          s.segments++;
          s.bytes += bytes;
        }
        last = Math.max(last, this.scheduler.now() + this.latency()) + bytes / this.options.streamBytesPerMs;
        this.scheduler.at(last, fn);
      };
    };
    this.streamStatsOf(clientIp).connections++;
    const client = new StreamEnd(ordered(clientIp), serverIp);
    const server = new StreamEnd(ordered(serverIp), clientIp);
    client.peer = server;
    server.peer = client;
    return [client, server];
  }

  /**
   * Opens a stream to ip:port. Calls back after a round trip with the
   * client end, or with an error: refused (nobody listening) or a timeout
   * (host down or partitioned away).
   */
  connect(fromIp: string, toIp: string, port: number, cb: (err: string | null, end?: StreamEnd) => void, timeoutMs = 5000): void {
    const host = this.hosts.get(toIp);
    if (!host || !this.reachable(fromIp, toIp)) {
      this.scheduler.after(timeoutMs, () => cb("timeout"));
      return;
    }
    const listener = host.streamListener(port);
    if (!listener) {
      this.scheduler.after(this.latency() * 2, () => cb("refused"));
      return;
    }
    const [client, server] = this.streamPair(fromIp, toIp);
    this.scheduler.after(this.latency(), () => {
      // the handshake's answer leaves before anything the listener does: a listener
      // that closes the stream at once (a node out of sockets) must not close it
      // before the client has it, which lost the client its close and its socket
      server.signal(() => cb(null, client));
      listener(server);
    });
  }
}
