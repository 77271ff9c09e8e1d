// Spore nodes on the real interpreter: Espruino built for Linux (named by
// ESPRUINO_BIN), one process per node (node.ts), each in its own working
// directory with its own Storage holding what the flash tool writes and the
// shims that stand in for what the Linux build lacks (shims.ts), and, where
// this machine allows network namespaces, each with its own IP on one
// bridged LAN (lan.ts), so nodes find each other by UDP broadcast as boards
// on one WiFi network do. Where the machine cannot run the nodes at a chip's
// pace, ClusterOptions.slow stretches the membership periods (see
// interpreter.ts on what a node needs).
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Board, loadBoard } from "../../../host-tools/build/boards.ts";
import { DIST_DIR } from "../../../host-tools/build/paths.ts";
import { testBroker, type TestBroker } from "../../cluster/broker.ts";
import { ESPRUINO_ENV, espruinoCommand, until } from "./interpreter.ts";
import { Lan } from "./lan.ts";
import { HTTP_PORT, RealNode, UDP_PORT } from "./node.ts";

/** Lines that mean the interpreter ran out of memory or broke inside. */
export const TROUBLE = /Out of Memory|Out of memory|New interpreter error|MEMORY_BUSY|Too much recursion|ASSERT|Segmentation fault|core dumped|Recv \d+ too long/i;

export interface ClusterOptions {
  board: string;
  nodes: number;
  /** Merged into every node's spore.json. */
  config?: Record<string, unknown>;
  boot0?: string;
  /** The build to boot: a dist/ folder (default this repository's, as npm run build leaves it). */
  dist?: string;
  /** An MQTT broker on the LAN's host address, every node's "mq" pointed at it, telemetry every 5 s (boards with MQTT). */
  broker?: boolean;
  /**
   * Every membership period (prd, ann, ina, dead, fgt in spore.json) this
   * many times its default: for a machine that cannot run the nodes at a
   * chip's pace (1, the default: the firmware's own periods).
   */
  slow?: number;
  /** Keep the nodes' folders after close() (they are printed). */
  keep?: boolean;
  /** More arguments for the interpreter when a node boots (--telnet: its console on port 2323). */
  args?: string[];
}

export const SECRET = "real-interpreter-test-secret";

/** The membership periods (device/core/layout.ts defaults) times `k`; none for 1. */
export function slowed(k: number): Record<string, number> {
  return k === 1 ? {} : { prd: 1000 * k, ann: 5000 * k, ina: 10 * k, dead: 60 * k, fgt: 300 * k };
}

/** Nodes of one board on one LAN, flashed and ready to start. */
export class RealCluster {
  readonly lan: Lan;
  readonly nodes: RealNode[] = [];
  readonly board: Board;
  readonly root: string;
  broker: TestBroker | undefined;
  /** The factor on the membership periods (ClusterOptions.slow). */
  readonly slow: number;
  private readonly keep: boolean;

  private constructor(lan: Lan, board: Board, root: string, o: ClusterOptions) {
    this.lan = lan;
    this.board = board;
    this.root = root;
    this.keep = !!o.keep;
    this.slow = o.slow ?? 1;
  }

  /**
   * Makes the LAN and the nodes' Storage. Without namespaces there is one
   * node whatever was asked (the LAN's `why` says why). Throws when
   * ESPRUINO_BIN is not set or the bundles are not built.
   */
  static async create(o: ClusterOptions): Promise<RealCluster> {
    const board = loadBoard(o.board);
    const cmd = espruinoCommand(board);
    if (!cmd) throw new Error(`${ESPRUINO_ENV} is not set: name an Espruino binary built for Linux (see README, "The real interpreter")`);
    const dist = o.dist ?? DIST_DIR;
    for (const f of [`${board.name}.js`, `${board.name}.boot.js`]) if (!existsSync(join(dist, f))) throw new Error(`${join(dist, f)} is missing: run "npm run build" first`);
    const lan = Lan.open();
    const c = new RealCluster(lan, board, mkdtempSync(join(tmpdir(), `spore-real-${board.name}-`)), o);
    live.add(c);
    try {
      let mq: Record<string, unknown> | undefined;
      if (o.broker) {
        c.broker = await testBroker(lan.hostIp);
        mq = { host: lan.hostIp, port: Number(new URL(c.broker.url).port), prefix: "spore", period: 5 };
      }
      const n = lan.namespaces ? o.nodes : 1;
      for (let i = 0; i < n; i++) {
        const at = lan.join(i);
        const dir = join(c.root, `n${i}`);
        mkdirSync(dir);
        const mac = "5ccf7f" + (0xa00000 + i * 0x1111 + (process.pid & 0xff)).toString(16).padStart(6, "0");
        const config = { ssid: "spore-lan", pass: "", cl: "spore", key: SECRET, http: HTTP_PORT, udp: UDP_PORT, ...slowed(o.slow ?? 1), ...(mq ? { mq } : {}), ...o.config };
        c.nodes.push(new RealNode(cmd, { board, dir, ip: at.ip, netmask: lan.netmask, exec: at.exec, mac, config, boot0: o.boot0, dist, args: o.args }));
      }
      // two at a time: the machine has two cores
      for (let i = 0; i < c.nodes.length; i += 2) await Promise.all(c.nodes.slice(i, i + 2).map((nd) => nd.flash()));
    } catch (e) {
      await c.close();
      throw e;
    }
    return c;
  }

  /** Starts every node in the same moment (as a power cut ending). */
  startAll(): void {
    for (const n of this.nodes) n.start();
  }

  /** Waits until every node has printed "esp_xxxxxx <version>" since its last start. */
  async booted(ms = 60000): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.waitFor(new RegExp(`${n.hostname} [0-9a-f]{8}\r?\n`), ms, n.out.lastIndexOf("\n---- start "))));
  }

  /** Member counts as `node` reports them (GET /api/node/status), or undefined. */
  async counts(node: RealNode): Promise<{ ACTIVE: number; INACTIVE: number; DEAD: number } | undefined> {
    return (await node.json<{ members: { ACTIVE: number; INACTIVE: number; DEAD: number } }>("/api/node/status"))?.members;
  }

  /** The status `node` lists `other` with (GET /api/cluster/members), or undefined. */
  async statusOf(node: RealNode, other: RealNode): Promise<string | undefined> {
    const m = await node.json<{ members: { hostname: string; status: string }[] }>("/api/cluster/members");
    return m?.members.find((x) => x.hostname === other.hostname)?.status;
  }

  /** How each of `peers` lists `node`: its entry, undefined when it does not list it, null when it did not answer. */
  async entries(node: RealNode, peers: RealNode[]): Promise<({ status: string; lastSeen: number } | undefined | null)[]> {
    return Promise.all(
      peers.map(async (p) => {
        const m = await p.json<{ members: { hostname: string; status: string; lastSeen: number }[] }>("/api/cluster/members");
        return m ? m.members.find((x) => x.hostname === node.hostname) : null;
      }),
    );
  }

  /** `node`, restarted, is back: every other node lists it ACTIVE and has heard from it since its start, and it lists them all ACTIVE. */
  async back(node: RealNode): Promise<boolean> {
    const since = Date.now() - node.startedAt;
    const peers = this.nodes.filter((n) => n !== node);
    const [own, views] = await Promise.all([this.counts(node), this.entries(node, peers)]);
    return own?.ACTIVE === peers.length && views.every((x) => x?.status === "ACTIVE" && x.lastSeen < since);
  }

  /** Every node (of `nodes`) lists every other as ACTIVE and none INACTIVE or DEAD. */
  async converged(nodes = this.nodes): Promise<boolean> {
    const all = await Promise.all(nodes.map((n) => this.counts(n)));
    return all.every((m) => !!m && m.ACTIVE === nodes.length - 1 && m.INACTIVE === 0 && m.DEAD === 0);
  }

  /** Waits for convergence; the ms it took from now. */
  async waitConverged(ms: number): Promise<number> {
    const t0 = Date.now();
    await until("every node lists every other ACTIVE", ms, async () => ((await this.converged()) ? true : undefined), () => this.report());
    return Date.now() - t0;
  }

  /** Lines of every node's output that mean trouble (out of memory, interpreter errors, crashes). */
  trouble(): string[] {
    return this.nodes.flatMap((n) =>
      n.out
        .split(/\r?\n/)
        .filter((l) => TROUBLE.test(l))
        .map((l) => `${n.hostname}: ${l.trim()}`),
    );
  }

  /** Every node's output tail, for failure messages. */
  report(): string {
    return this.nodes.map((n) => n.tail()).join("\n");
  }

  async close(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.kill()));
    await this.broker?.close();
    this.lan.close();
    live.delete(this);
    if (this.keep) console.log(`nodes' folders kept in ${this.root}`);
    else rmSync(this.root, { recursive: true, force: true });
  }
}

// a run that ends early (an assertion, Ctrl-C) leaves no process or namespace behind
const live = new Set<RealCluster>();
function cleanup(): void {
  for (const c of live) {
    for (const n of c.nodes) n.killNow();
    c.lan.close();
  }
  live.clear();
}
process.on("exit", cleanup);
for (const s of ["SIGINT", "SIGTERM", "SIGHUP"] as const)
  process.on(s, () => {
    cleanup();
    process.exit(130);
  });
