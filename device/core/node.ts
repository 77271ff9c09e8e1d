// A Spore node: its identity, the peers it has found and its HTTP API.
import { Api, json } from "./api.ts";
import type { NodeConfig } from "./config.ts";
import { chipIdFromMac, hostnameFromMac } from "./identity.ts";
import type { BoardInfo, Clock, DatagramSender, HttpRequest, HttpResponse, Log } from "./ports.ts";
import { decode, encode, MSG_ANNOUNCE, MSG_HELLO, type DropReason, type Message } from "./wire.ts";

export interface NodeOptions {
  config: NodeConfig;
  mac: string;
  clock: Clock;
  udp: DatagramSender;
  info: BoardInfo;
  log: Log;
}

export interface Peer {
  ip: string;
  /** clock.now() when last heard from */
  seen: number;
}

export class SporeNode {
  readonly hostname: string;
  readonly api: Api;
  /** Peers by hostname. */
  readonly peers: Record<string, Peer>;
  /** Dropped datagrams by reason. */
  readonly drops: Record<string, number>;
  private readonly opts: NodeOptions;
  private readonly bootTime: number;
  private ip: string;
  private broadcast: string;

  constructor(opts: NodeOptions) {
    this.opts = opts;
    this.hostname = hostnameFromMac(opts.mac);
    this.api = new Api();
    this.peers = {};
    this.drops = {};
    this.bootTime = opts.clock.now();
    this.ip = "";
    this.broadcast = "";
    this.api.add("GET", "/api/node/status", () => json(200, this.status()));
  }

  /** Called when the network is up. */
  online(ip: string, broadcast: string): void {
    this.ip = ip;
    this.broadcast = broadcast;
    this.opts.log(this.hostname + " online at " + ip);
    this.announce();
  }

  private message(type: string): string {
    const c = this.opts.config;
    return encode({ type: type, cluster: c.cl, sender: this.hostname, httpPort: c.http });
  }

  /** Broadcasts an announce; peers answer with a hello. */
  announce(): void {
    if (!this.broadcast) return;
    this.opts.udp.send(this.message(MSG_ANNOUNCE), this.broadcast, this.opts.config.udp);
  }

  /** Handles one received datagram. Never throws on bad input. */
  receive(data: string, address: string): void {
    const msg = decode(data, this.opts.config.cl);
    if (typeof msg === "string") {
      this.drop(msg);
      return;
    }
    if (msg.sender === this.hostname) return;
    this.heard(msg, address);
    if (msg.type === MSG_ANNOUNCE) this.opts.udp.send(this.message(MSG_HELLO), address, this.opts.config.udp);
  }

  private drop(reason: DropReason): void {
    this.drops[reason] = (this.drops[reason] || 0) + 1;
  }

  private heard(msg: Message, address: string): void {
    const known = this.peers[msg.sender];
    if (!known) this.opts.log(this.hostname + " found " + msg.sender + " at " + address);
    this.peers[msg.sender] = { ip: address, seen: this.opts.clock.now() };
  }

  handleHttp(req: HttpRequest): HttpResponse {
    return this.api.handle(req);
  }

  /** SPORE's node status shape, plus what tools need to tell nodes apart. */
  status(): Record<string, unknown> {
    const info = this.opts.info;
    return {
      freeHeap: info.freeHeap(),
      chipId: chipIdFromMac(this.opts.mac),
      sdkVersion: info.sdkVersion,
      cpuFreqMHz: info.cpuFreqMHz,
      flashChipSize: info.flashChipSize,
      hostname: this.hostname,
      ip: this.ip,
      board: info.board,
      uptime: Math.floor((this.opts.clock.now() - this.bootTime) / 1000),
      freeJsVars: info.freeJsVars(),
      peers: Object.keys(this.peers).length,
      api: this.api.list(),
    };
  }
}
