// Over-the-air updates: one node, or the whole cluster in waves (canaries
// first, then `concurrency` nodes at a time), stopping at the first failure.
// A node is done when it runs the new version and has confirmed it (boot
// state "ok", after its trial) and the API node lists it ACTIVE again.
import { loadBoards } from "../build/boards.ts";
import { crc32Of } from "../build/image.ts";
import { type Address, crc32Hex, label, type Member, type NodeApi, type NodeStatus, problem } from "./api.ts";

export interface Firmware {
  board: string;
  code: string;
  /** The version the node will report (undefined: not known, e.g. a bundle given without its manifest). */
  version?: string;
}

export type Outcome = "updated" | "up to date" | "failed" | "skipped" | "not started";

export interface OtaResult {
  hostname: string;
  address: string;
  board: string;
  from: string;
  to: string;
  outcome: Outcome;
  detail: string;
  seconds: number;
  bytes: number;
}

export interface OtaContext {
  api: NodeApi;
  /** The firmware for a board; throws when there is none. */
  firmware(board: string): Firmware;
  /** A line of progress for humans. */
  log(line: string): void;
  progress?(who: string, sent: number, total: number): void;
  /** The node whose member list tells whether a node is ACTIVE again (optional). */
  apiNode?: Address;
  /** Give up on a node after this long (default 360000 ms: the boot file's trial time and then some). */
  timeoutMs?: number;
  /** Upload even when the node already runs the version. */
  force?: boolean;
}

function result(s: Partial<OtaResult>, outcome: Outcome, detail: string, t0: number, now: number): OtaResult {
  return { hostname: s.hostname ?? "?", address: s.address ?? "?", board: s.board ?? "?", from: s.from ?? "", to: s.to ?? "", outcome, detail, seconds: Math.round((now - t0) / 100) / 10, bytes: s.bytes ?? 0 };
}

/** Updates one node: upload (through recovery mode on esp01), then waits for the new version to be confirmed. */
export async function updateNode(ctx: OtaContext, node: Address): Promise<OtaResult> {
  const t = ctx.api.transport;
  const t0 = t.now();
  const r: Partial<OtaResult> = { address: label(node) };
  let status: NodeStatus;
  try {
    status = await ctx.api.status(node);
  } catch (e) {
    return result(r, "failed", `unreachable: ${problem(e)}`, t0, t.now());
  }
  if (status.boot?.state === "trial") {
    // a node refuses updates while its current version is on trial: wait for the verdict
    ctx.log(`${status.hostname}: its version is on trial; waiting for it to be confirmed or rolled back`);
    const verdict = await waitFor(ctx, node, ctx.timeoutMs ?? 360000, (s) => s.boot?.state !== "trial");
    if (!verdict.ok) return result({ ...r, hostname: status.hostname, board: status.board, from: status.version }, "failed", `still on trial: ${verdict.last}`, t0, t.now());
    status = verdict.status!;
  }
  r.hostname = status.hostname;
  r.board = status.board;
  r.from = status.version || (status.boot?.state === "recovery" ? "(recovery)" : "");
  let fw: Firmware;
  try {
    fw = ctx.firmware(status.board);
  } catch (e) {
    return result(r, "failed", problem(e), t0, t.now());
  }
  r.to = fw.version ?? "(new)";
  if (!ctx.force && fw.version && status.version === fw.version && status.boot?.state === "ok") return result(r, "up to date", "", t0, t.now());
  const crc = crc32Hex(crc32Of(fw.code));
  const who = status.hostname;
  const send = async () => {
    try {
      return await ctx.api.upload(node, fw.code, crc, (sent, total) => ctx.progress?.(who, sent, total));
    } catch (e) {
      return { status: 0, headers: {}, body: JSON.stringify({ error: problem(e) }) };
    }
  };
  const errorOf = (body: string) => {
    try {
      return (JSON.parse(body) as { error?: string }).error ?? body;
    } catch {
      return body;
    }
  };
  let began = t.now();
  let reply = await send();
  // esp01: no room beside the running firmware; its boot file restarts into recovery mode to take the
  // upload. If the upload comes after the node stopped waiting for it (its trial time), the node is
  // back in its firmware, which answers 503 again: ask again, a few times.
  for (let attempt = 1; reply.status === 503 && /recovery/.test(reply.body); attempt++) {
    if (attempt > 3) return result(r, "failed", "upload refused: the node left recovery mode before the upload came, three times", t0, t.now());
    ctx.log(`${who}: restarting into recovery mode to take the update${attempt > 1 ? " (again: it went back to its firmware before the upload came)" : ""}`);
    const ready = await waitFor(ctx, node, 60000, (s) => s.boot?.state === "recovery");
    if (!ready.ok) return result(r, "failed", `did not come back in recovery mode: ${ready.last}`, t0, t.now());
    began = t.now();
    reply = await send();
  }
  if (reply.status !== 200) return result(r, "failed", `upload refused: ${reply.status || "no answer"} ${errorOf(reply.body)}`, t0, t.now());
  r.bytes = fw.code.length;
  const took = Math.max(1, t.now() - began);
  ctx.log(`${who}: ${fw.code.length} bytes accepted in ${(took / 1000).toFixed(1)} s (${(fw.code.length / took).toFixed(1)} KB/s), restarting into the new version`);
  const sent = t.now();
  // one-slot boards (esp01) take an update in place; two-slot boards switch slots
  const oneSlot = loadBoards().some((b) => b.name === status.board && b.limits.slots === 1);
  // the node restarts, runs the new version on trial, and confirms it (or rolls back)
  let seenDown = false;
  const done = await waitFor(
    ctx,
    node,
    ctx.timeoutMs ?? 360000,
    (s) => {
      const restarted = seenDown || (s.uptime !== undefined && s.uptime * 1000 < t.now() - sent);
      if (!restarted) return false;
      if (s.boot?.state === "recovery") throw new Error("held in recovery mode: the new version failed its trial");
      if (s.boot?.state !== "ok") return false;
      // confirmed: the new version, from the slot it was written to (two-slot boards switch slots; one-slot boards, esp01, do not)
      const isNew = fw.version ? s.version === fw.version : s.version !== status.version;
      const switched = oneSlot || !status.boot?.slot || s.boot.slot !== status.boot.slot;
      if (!isNew || !switched) throw new Error(`rolled back to ${s.version} (slot ${s.boot.slot}): the new version failed its trial`);
      return true;
    },
    () => (seenDown = true),
  );
  if (!done.ok) return result(r, "failed", done.last, t0, t.now());
  if (!fw.version) r.to = done.status!.version;
  if (ctx.apiNode && label(ctx.apiNode) !== label(node)) {
    const active = await waitActive(ctx, who, 60000);
    if (!active) return result(r, "failed", `runs ${r.to} but ${label(ctx.apiNode)} does not list it ACTIVE`, t0, t.now());
  }
  return result(r, "updated", "", t0, t.now());
}

/** Polls a node's status every second until `ok(status)` (which may throw to give up), or `ms` pass. */
async function waitFor(ctx: OtaContext, node: Address, ms: number, ok: (s: NodeStatus) => boolean, onDown?: () => void): Promise<{ ok: boolean; last: string; status?: NodeStatus }> {
  const t = ctx.api.transport;
  const end = t.now() + ms;
  let last = "no answer";
  while (t.now() < end) {
    await t.sleep(1000);
    let s: NodeStatus;
    try {
      s = await ctx.api.status(node, 3000);
    } catch (e) {
      last = problem(e);
      onDown?.();
      continue;
    }
    last = `${s.version || "recovery"} ${s.boot?.state ?? ""}`.trim();
    try {
      if (ok(s)) return { ok: true, last, status: s };
    } catch (e) {
      return { ok: false, last: problem(e) };
    }
  }
  return { ok: false, last: `gave up after ${Math.round(ms / 1000)} s (last: ${last})` };
}

async function waitActive(ctx: OtaContext, hostname: string, ms: number): Promise<boolean> {
  const t = ctx.api.transport;
  const end = t.now() + ms;
  while (t.now() < end) {
    try {
      const m = (await ctx.api.members(ctx.apiNode!)).find((x) => x.hostname === hostname);
      if (m?.status === "ACTIVE") return true;
    } catch {
      // the API node may be busy or restarting itself
    }
    await t.sleep(1000);
  }
  return false;
}

export interface RolloutOptions {
  concurrency: number;
  canary: number;
}

/**
 * The cluster as the API node sees it, updated in waves: `canary` nodes one
 * at a time, then `concurrency` at a time, the API node last. DEAD members
 * are skipped. Stops after the wave with the first failure.
 */
export async function updateCluster(ctx: OtaContext & { apiNode: Address }, o: RolloutOptions): Promise<OtaResult[]> {
  const members: Member[] = await ctx.api.members(ctx.apiNode);
  const apiHost = members[0]?.hostname;
  const live = members.filter((m) => m.status !== "DEAD");
  const ordered = [...live.filter((m) => m.hostname !== apiHost), ...live.filter((m) => m.hostname === apiHost)];
  const results: OtaResult[] = members.filter((m) => m.status === "DEAD").map((m) => result({ hostname: m.hostname, address: m.ip, board: m.board ?? "?", from: m.version ?? "" }, "skipped", "DEAD", 0, 0));
  const waves: Member[][] = [];
  // the API node has a wave of its own, last: while it restarts it cannot say whether others are ACTIVE
  const others = ordered.filter((m) => m.hostname !== apiHost);
  let i = 0;
  for (; i < Math.min(o.canary, others.length); i++) waves.push([others[i]]);
  for (; i < others.length; i += o.concurrency) waves.push(others.slice(i, i + o.concurrency));
  if (ordered.length > others.length) waves.push([ordered[ordered.length - 1]]);
  ctx.log(`${ordered.length} nodes to check in ${waves.length} waves (${o.canary} canary, then ${o.concurrency} at a time, the API node last)${results.length ? `; ${results.length} DEAD skipped` : ""}`);
  let failed = false;
  for (const wave of waves) {
    if (failed) {
      for (const m of wave) results.push(result({ hostname: m.hostname, address: m.ip, board: m.board ?? "?", from: m.version ?? "" }, "not started", "stopped after a failure", 0, 0));
      continue;
    }
    const done = await Promise.all(wave.map((m) => updateNode(ctx, { host: m.ip, port: ctx.apiNode.port })));
    results.push(...done);
    failed = done.some((d) => d.outcome === "failed");
  }
  return results;
}
