// Shared by the services tests (services.test.ts, services-input.test.ts):
// clusters that run esp8266 with the services capability turned on, and
// user code on a node that offers and calls services.
import { BOARDS_DIR, loadBoard } from "../../host-tools/build/boards.ts";
import { bundleBoard } from "../../host-tools/build/bundle.ts";
import { Cluster } from "../../host-tools/emulator/cluster.ts";
import type { Device } from "../../host-tools/emulator/device.ts";
import * as assert from "uvu/assert";
import { api, waitConverged } from "./helpers.ts";

export type Result = [string | null, unknown, string | undefined];
export type Listing = { services: { name: string; providers: { hostname: string; version: number; state: string }[] }[]; calls: number };

// esp8266 carries the capability when a project turns it on (espruino.json "capabilities": {"esp8266":
// {"services": true}}; off by default: README, Services): clusters here run that build
let esp8266WithServices = "";
export async function buildServices(): Promise<void> {
  esp8266WithServices ||= (await bundleBoard(loadBoard("esp8266", BOARDS_DIR, { esp8266: { services: true } }), { write: false })).code;
}

export function servicesCluster(seed: number, boards: string[], options: { loss?: number; config?: Record<string, unknown> } = {}): Cluster {
  const c = new Cluster({ seed, boards, lan: { loss: options.loss ?? 0 }, config: options.config, bundles: { esp8266: esp8266WithServices } });
  waitConverged(c, 90000, seed);
  return c;
}

/** Offers service `name` on d: answers {v: value, args, caller} after `delay` ms (0: at once); counts its runs in global.RUNS. */
export function provide(d: Device, name: string, version: number, value: unknown, delay = 0): void {
  const why = d.eval(`global.RUNS = global.RUNS || 0; spore.provide(${JSON.stringify(name)}, ${version}, function (args, reply, from) {
    RUNS++;
    var answer = function () { reply(null, {v: ${JSON.stringify(value)}, args: args, caller: from}); };
    if (${delay}) setTimeout(answer, ${delay}); else answer();
  })`);
  assert.is(why, "", `provide on ${d.ip}`);
}

/** Starts a call on d; its results go to global.OUT[key] (the call's own return value: "" or why not). */
export function call(d: Device, key: string, name: string, args: unknown, options?: Record<string, number>): string {
  return d.eval(`global.OUT = global.OUT || {}; spore.call(${JSON.stringify(name)}, ${JSON.stringify(args)}, function (e, r, f) { OUT[${JSON.stringify(key)}] = [e, r, f]; }${options ? ", " + JSON.stringify(options) : ""})`) as string;
}

export function result(d: Device, key: string): Result | undefined {
  const r = d.eval(`JSON.stringify((global.OUT || {})[${JSON.stringify(key)}] || null)`) as string;
  return (JSON.parse(r) as Result | null) ?? undefined;
}

export function listing(c: Cluster, d: Device): Listing {
  return api<Listing>(c, d, "/api/services", "services");
}
