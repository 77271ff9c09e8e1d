// Runs small scripts on emulated boards, as the Linux interpreter runs a file,
// and speaks to their Telnet console.
import * as assert from "uvu/assert";
import { Cluster } from "../../host-tools/emulator/cluster.ts";
import { type Device, TELNET_PORT } from "../../host-tools/emulator/device.ts";
import type { StreamEnd } from "../../host-tools/emulator/lan.ts";
import { runUntil } from "../wait.ts";

export interface Bench {
  cluster: Cluster;
  device: Device;
  /** Lines the device printed since boot. */
  out(): string[];
}

/** One board running `code` as its .bootcde, booted (virtual time stands just after boot). */
export function run(code: string, board = "esp8266", seed = 1): Bench {
  const cluster = new Cluster({ seed, boards: [] });
  const device = cluster.addNode(board, code, { bare: true });
  runUntil(cluster, () => device.running, 5000, "booted");
  return { cluster, device, out: () => device.console.slice() };
}

export interface TelnetClient {
  end: StreamEnd;
  /** Everything the console sent so far. */
  out(): string;
  /** What it sent since the last call of since() (or since connecting). */
  since(): string;
  /** Sends `s`, then runs 100 ms of virtual time. */
  send(s: string): void;
  /** Hangs up, then runs 100 ms of virtual time. */
  close(): void;
}

/** A Telnet client on the LAN's gateway, connected to port 23 of `ip` (after 100 ms of virtual time). */
export function telnet(c: Cluster, ip: string): TelnetClient {
  let out = "";
  let read = 0;
  let end: StreamEnd | undefined;
  c.lan.connect(c.lan.gateway(), ip, TELNET_PORT, (err, s) => {
    assert.not.ok(err, `telnet: ${err}`);
    end = s;
    s!.onData = (d) => (out += d);
  });
  c.runFor(100);
  assert.ok(end, "connected");
  return {
    end: end!,
    out: () => out,
    since: () => {
      const s = out.slice(read);
      read = out.length;
      return s;
    },
    send: (s) => {
      end!.write(s);
      c.runFor(100);
    },
    close: () => {
      end!.close();
      c.runFor(100);
    },
  };
}
