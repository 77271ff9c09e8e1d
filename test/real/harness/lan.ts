// The nodes' LAN: where this machine allows network namespaces, each node
// has its own IP on one bridged network, so nodes find each other by UDP
// broadcast as boards on one WiFi network do.
import { spawnSync } from "node:child_process";

function ip(args: string[]): { ok: boolean; err: string } {
  const r = spawnSync("ip", args, { encoding: "utf8" });
  return { ok: r.status === 0, err: (r.stderr ?? "") + (r.error ? String(r.error) : "") };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * The nodes' network: a bridge in this machine's namespace (its address is
 * where tools and a broker reach the nodes) and a network namespace per node
 * joined to it by a veth pair, on a /24 no route here uses. Without
 * namespaces (not root, no iproute2, no bridge or veth in the kernel): one
 * node on loopback. Names carry this process's id, so a run that died
 * without cleaning up is swept by the next.
 */
export class Lan {
  readonly namespaces: boolean;
  readonly hostIp: string;
  readonly netmask: string;
  /** Why there are no namespaces ("" when there are). */
  readonly why: string;
  private readonly prefix: string;
  private readonly net: string;
  private readonly made: string[] = [];

  private constructor(namespaces: boolean, net: string, why: string) {
    this.namespaces = namespaces;
    this.net = net;
    this.why = why;
    this.prefix = `spore-${process.pid}`;
    this.hostIp = namespaces ? `${net}.1` : "127.0.0.1";
    this.netmask = namespaces ? "255.255.255.0" : "255.0.0.0";
  }

  /** A LAN for up to 200 nodes, or loopback with the reason namespaces are unavailable. */
  static open(): Lan {
    Lan.sweep();
    const routes = spawnSync("ip", ["-4", "route"], { encoding: "utf8" }).stdout ?? "";
    let net = "";
    for (let k = 0; k < 256 && !net; k++) if (!routes.includes(`10.247.${k}.`)) net = `10.247.${k}`;
    const lan = new Lan(true, net, "");
    const why = lan.build();
    if (!why) return lan;
    lan.close();
    return new Lan(false, "", why);
  }

  /** Removes namespaces and bridges left by runs whose process is gone. */
  private static sweep(): void {
    const list = spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout ?? "";
    for (const m of list.matchAll(/^spore-(\d+)-n\d+/gm)) if (!alive(Number(m[1]))) ip(["netns", "del", m[0]]);
    const links = spawnSync("ip", ["-o", "link"], { encoding: "utf8" }).stdout ?? "";
    for (const m of links.matchAll(/\d+: (spb(\d+))[:@]/g)) if (!alive(Number(m[2]))) ip(["link", "del", m[1]]);
  }

  private bridge(): string {
    return `spb${process.pid}`;
  }

  private build(): string {
    if (process.getuid?.() !== 0) return "not root";
    const b = this.bridge();
    const steps = [
      ["link", "add", b, "type", "bridge"],
      ["addr", "add", `${this.hostIp}/24`, "dev", b],
      ["link", "set", b, "up"],
    ];
    for (const s of steps) {
      const r = ip(s);
      if (!r.ok) return `ip ${s.join(" ")}: ${r.err.trim()}`;
      if (s[1] === "add" && s[0] === "link") this.made.push(b);
    }
    return "";
  }

  /** The namespace of node `i` (0-based), made on first use; the command prefix that runs a program in it. */
  join(i: number): { ip: string; exec: string[] } {
    if (!this.namespaces) {
      if (i > 0) throw new Error(`no network namespaces (${this.why}): one node only, on loopback`);
      return { ip: "127.0.0.1", exec: [] };
    }
    const ns = `${this.prefix}-n${i}`;
    const addr = `${this.net}.${10 + i}`;
    if (!this.made.includes(ns)) {
      const veth = `spv${process.pid}x${i}`;
      const steps = [
        ["netns", "add", ns],
        ["link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns],
        ["link", "set", veth, "master", this.bridge()],
        ["link", "set", veth, "up"],
        ["-n", ns, "addr", "add", `${addr}/24`, "dev", "eth0"],
        ["-n", ns, "link", "set", "eth0", "up"],
        ["-n", ns, "link", "set", "lo", "up"],
      ];
      for (const s of steps) {
        const r = ip(s);
        if (!r.ok) throw new Error(`ip ${s.join(" ")}: ${r.err.trim()}`);
        if (s[0] === "netns") this.made.push(ns);
      }
    }
    return { ip: addr, exec: ["ip", "netns", "exec", ns] };
  }

  /** Removes every namespace and the bridge (their veth pairs go with them). */
  close(): void {
    for (const n of this.made.splice(0).reverse()) ip(n.startsWith("spb") ? ["link", "del", n] : ["netns", "del", n]);
  }
}
