// Waits that end the test, saying what did not come, when it does not come
// in time: in virtual time (the emulator) and in real time (real processes,
// sockets, a browser). A wait that carried on after its bound would test the
// next step against a state nobody checked.
import * as assert from "uvu/assert";
import type { Cluster } from "../host-tools/emulator/cluster.ts";
import type { Device } from "../host-tools/emulator/device.ts";

/** Runs the cluster's virtual time until `done()` holds; fails the test with `what` if `limitMs` pass first. */
export function runUntil(c: Cluster, done: () => boolean, limitMs: number, what: string | (() => string)): void {
  if (!c.runUntil(done, limitMs)) assert.unreachable(`${typeof what === "string" ? what : what()}: not within ${limitMs} ms of virtual time`);
}

/** Checks `ok()` in real time (every 50 ms) until it holds; fails the test with `what` if `ms` pass first. */
export async function until(ok: () => boolean | Promise<boolean>, ms: number, what: string | (() => string)): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() >= end) assert.unreachable(`${typeof what === "string" ? what : what()}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Waits until a real-time cluster's node serves `port` on its real address;
 * fails with the emulator's complaint if it cannot (another process, another
 * checkout's tests say, holds the address: what answers there is not this node).
 */
export async function served(c: Cluster, d: Device, port: number): Promise<void> {
  const { host, port: real } = c.realAddress(d, port);
  await until(() => c.serves(d, port), 10000, () => `${d.hostname} serves its port ${port} at ${host}:${real} (${d.console.filter((l) => l.startsWith("emulator:")).join("; ") || "no complaint"})`);
}

/**
 * What a process or a command has said so far. waitFor() resolves as soon as
 * the text holds `count` matches of `pattern` (checked on each addition, not
 * polled), and fails the test with the text if `ms` pass first.
 */
export class Transcript {
  text = "";
  private readonly checks = new Set<() => void>();

  add(s: string): void {
    this.text += s;
    for (const check of this.checks) check();
  }

  waitFor(pattern: RegExp, count = 1, ms = 30000): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const check = () => {
        if ((this.text.match(new RegExp(pattern, "g")) ?? []).length < count) return;
        clearTimeout(timer);
        this.checks.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.checks.delete(check);
        reject(new Error(`${count} x ${pattern} not said within ${ms} ms:\n${this.text}`));
      }, ms);
      this.checks.add(check);
      check();
    });
  }
}
