// The boot file (Storage ".bootcde", written once by the flash tool or as the
// end of a Web IDE file, host-tools/build/ide.ts; never by an update): chooses which firmware file runs, takes updates over HTTP, and
// keeps the node updatable whatever an update, a power cut or a bad version
// does (the Storage files and keys are declared in core/layout.ts). The
// firmware files are "spore.a" and "spore.b" (boards with two slots: esp8266,
// esp32) or "spore.a" alone (one slot: esp01's 16 KiB of Storage holds one). The file
// that runs is never erased or written while it runs (Espruino 2v29 nulls every
// function loaded from it): an update goes to the other slot, or on esp01 to
// the only slot from recovery mode, where no firmware runs.
//
// State lives in two files, "spore.s0" and "spore.s1", written alternately:
// the copy with the higher generation wins, so a power cut while one is being
// written leaves the other. Fields: g generation, a slot to run ("" recovery),
// t trial (0 confirmed, 1 installed, 2 booted once unconfirmed), m members
// when it was updated, ca/cb the CRC32 each slot had when it was accepted (a
// slot whose file does not match never runs; -1 marks a version that failed).
// Only a node without any state (set up by hand) runs slot a unchecked.
//
// A version on trial is confirmed once WiFi is up, it has heard from a member
// (unless the node had none when it was updated), its HTTP server has passed
// a request to the boot file (tools polling its status, members fetching its
// details: proof that updates can still reach this file), and it has run
// "hold" ms (spore.json, default 30000); if that has not happened within "trial" ms
// (default 300000), or it throws while loading, or the node restarts before
// it is confirmed, the previous slot runs (esp01: recovery mode). Updates are
// refused (409) while a version is on trial. A confirmed version that throws
// while loading gives way to the other slot, else recovery mode. An esp01
// sent to recovery mode by an update request that never comes goes back to
// its intact slot after "trial" ms.
//
// On boards with a Telnet console (esp8266, esp32) the console is locked at
// every boot, with the first 20 characters of the cluster secret as its
// password, and locked again within a second after a Telnet client that
// unlocked it goes: _SB(3), which the firmware calls from its probe task
// (Ports.watch_) and this file every second in recovery mode (an interval of
// its own, always there, held 10 JsVars more at idle).
//
// What the firmware sees: global SBS, the boot state {slot, state: "ok" |
// "trial" | "recovery"}, and global _SB(req, res), which its HTTP server
// calls first: _SB takes POST /api/node/update and POST /api/node/restart
// (the firmware lists them in its api when SBS is set; a firmware without the
// boot file serves neither). POST /api/node/update takes the
// bundle as the body, with Content-Length and X-Spore-CRC32 (8 hex digits),
// and the cluster secret; answers 200 then reboots, 400, 401, 405, 409, 413, 500, and
// on esp01 outside recovery mode 503 {recovery: true} while it reboots into
// recovery mode to take the upload.

import { EndpointPath } from "./core/endpoints.ts";
import { BootDefault, StorageFile, type BootState, type Config } from "./core/layout.ts";

// Everything is inside _SB, made when it is called: on the chip a function costs
// JsVars for as long as it exists, and between calls only _SB (with a few
// numbers on it: busy, h, i, k, l, and t, the console's device) and SBS remain. _SB() at boot returns the code
// to run; _SB(req, res) takes an update or restart request (true when it did);
// _SB(1) checks the firmware loaded; _SB(2) is the trial's tick, every second;
// _SB(3) the console's watch.
// Globals are named so the firmware's minified names (one or two characters) cannot clash with them.
global._SB = function (req?: any, res?: any): any {
  const PATH = EndpointPath.Update;
  const RESTART = EndpointPath.Restart;
  const B = _SB as any;
  const path = req && req.url && req.url.split("?")[0];
  // every request to the firmware comes here first: decline the others before
  // anything is made (the functions below cost JsVars while they exist), and
  // note that one came (h: the firmware's HTTP server passes requests here)
  if (path && path !== PATH && path !== RESTART) return (B.h = false);
  if (SPORE_TELNET && req === 3) {
    // a second of the console's watch: the console stays unlocked for whoever
    // connects next once the Telnet client that unlocked it has gone (Espruino
    // 2v29): lock it again when one has gone
    const c = E.getConsole();
    if (B.t === "Telnet" && c !== B.t) E.lockConsole();
    B.t = c;
    return;
  }
  const S = require("Storage");
  const conf = (): Partial<Config> => S.readJSON(StorageFile.Config, true) || {};
  if (SPORE_TELNET && !req) {
    // at boot, before anything else: on a board with a Telnet console, anyone
    // on the LAN could type there and read spore.json, the secret included. The
    // password is the cluster secret's first 20 characters (the console takes
    // no more); the lock holds for the serial console too, in recovery mode,
    // and when the firmware fails. Without a secret there is nothing to lock with.
    const k = conf().key;
    if (k) {
      E.setPassword(("" + k).substr(0, 20));
      E.lockConsole();
    }
  }
  const num = (v: any, d: number): number => (typeof v === "number" && v > 0 ? v : d);
  // (one slot: nothing to switch to)
  const other = SPORE_SLOTS < 2 ? (slot: string) => slot : (slot: string): string => (slot === "a" ? "b" : "a");
  const reboot = () => setTimeout(E.reboot, 500);
  function readState(): BootState {
    const x = S.readJSON(StorageFile.State0, true) as BootState;
    const y = S.readJSON(StorageFile.State1, true) as BootState;
    const s = x && (!y || x.g > y.g) ? x : y;
    return s && s.g >= 0 ? s : { g: 0, a: "a", t: 0, m: 0 };
  }
  function saveState(s: BootState): void {
    s.g++;
    // the copy written is the older one: the newer survives a power cut meanwhile
    S.writeJSON(s.g & 1 ? StorageFile.State1 : StorageFile.State0, s);
  }
  // the firmware's check (core/auth.ts), written here again: the boot file may
  // define no global but _SB (a top-level function here would clash with the
  // firmware's minified globals, which the build checks), and test/cluster/update.test.ts
  // holds the two to the same answers
  function header(h: Record<string, string>, name: string): string {
    for (const k in h) if (k.toLowerCase() === name) return h[k];
    return "";
  }
  function authorized(h: Record<string, string>, key: string | undefined): boolean {
    const a = header(h, "authorization");
    return !!key && (a.substr(0, 7) === "Bearer " ? a.substr(7) : header(h, "x-spore-key")) === key;
  }
  /** A slot that may run: its file is there and matches the CRC32 it was accepted with. */
  function good(s: BootState, slot: string): boolean {
    const f = slot && S.read(StorageFile.SlotPrefix + slot);
    const c = (s as any)["c" + slot];
    return !!f && (c === undefined ? !s.g && slot === "a" : E.CRC32(f) === c);
  }
  function answer(code: number, body: any): void {
    res.writeHead(code, { "Content-Type": "application/json" });
    res.end(JSON.stringify(body));
  }
  function fail(code: number, message: string): void {
    answer(code, { error: message });
  }
  /**
   * Checks an update or restart request: method, secret, busy, declared length
   * and checksum. Returns [size, crc], or answers the error and returns null.
   */
  function check(body: boolean): number[] | null {
    const size = parseInt(header(req.headers, "content-length"), 10);
    const x = header(req.headers, "x-spore-crc32");
    const crc = parseInt(x, 16);
    if (req.method !== "POST") fail(405, "POST only");
    else if (!authorized(req.headers, conf().key)) fail(401, "cluster secret required");
    else if (B.busy || (body && SBS!.state === "trial")) fail(409, "busy: update or trial");
    else if (body && (!(size > 0) || x.length !== 8 || !(crc >= 0))) fail(400, "need X-Spore-CRC32, Content-Length");
    else return [size, crc >>> 0];
    return null;
  }
  /**
   * Takes a checked upload into "spore.<slot>", chunk by chunk straight into
   * Storage; checks length and CRC32, then runs it on trial. A failed or
   * abandoned upload erases what it wrote.
   */
  function receive(s: BootState, slot: string, v: number[], members: number): void {
    const f = StorageFile.SlotPrefix + slot;
    const size = v[0];
    const crc = v[1];
    let got = 0;
    let over = 0;
    let stall = 0;
    const stop = (code: number, message: string) => {
      if (over) return;
      over = 1;
      B.busy = 0;
      clearTimeout(stall);
      if (code === 200) {
        s.a = slot;
        s.t = 1;
        s.m = members;
        (s as any)["c" + slot] = crc;
        try {
          saveState(s);
          answer(200, { success: true, message: message });
          reboot();
          return;
        } catch (e) {
          code = 500;
          message = "state not saved";
        }
      }
      S.erase(f);
      fail(code, message);
    };
    const wait = () => {
      clearTimeout(stall);
      stall = setTimeout(() => stop(400, "stalled"), 20000);
    };
    B.busy = 1;
    // (a half-written file never runs: it does not match the CRC32 its slot was accepted with)
    S.erase(f);
    wait();
    req.on("data", (d: string) => {
      if (over) return;
      if (got + d.length > size) return stop(400, "body too long");
      try {
        // the first write creates the file at its full size (compacting Storage if it must)
        S.write(f, d, got, size);
      } catch (e) {
        return stop(got ? 500 : 413, "no room");
      }
      got += d.length;
      wait();
    });
    const end = () => {
      if (over) return;
      if (got < size) return stop(400, "truncated at " + got);
      const c = E.CRC32(S.read(f) as string) >>> 0;
      if (c !== crc) return stop(400, "bad checksum " + c.toString(16));
      stop(200, "rebooting");
    };
    req.on("end", end);
    req.on("close", end);
  }
  /** Recovery mode: no firmware, WiFi (station, else its own access point), and an HTTP server that takes an update. */
  function recovery(s: BootState, why: string): void {
    const c = conf();
    const W = require("Wifi");
    const m = getSerial().replace(/-/g, "");
    const host = "esp_" + m.substr(m.length - 6);
    let up = 0;
    const ap = () => {
      if (!up) W.startAP(host, {}, () => {});
    };
    const asked = !why;
    why = why || "waiting for an update";
    print("boot: recovery (" + why + ")");
    // no firmware calls the console's watch here
    if (SPORE_TELNET && c.key) setInterval(_SB, 1000, 3);
    W.setHostname(host);
    W.on("connected", () => {
      up = 1;
      W.stopAP();
    });
    if (c.ssid) {
      W.connect(c.ssid, { password: c.pass || "" }, (e) => {
        if (e) ap();
      });
      setTimeout(ap, num(c.apw, BootDefault.ApWait));
    } else ap();
    require("http")
      .createServer((q, r) => {
        if (_SB(q, r)) return;
        req = q;
        res = r;
        if (q.url.split("?")[0] === EndpointPath.NodeStatus) answer(200, { hostname: host, ip: (W as any).getIP().ip, board: SPORE_BOARD, version: "", boot: SBS, reason: why });
        else fail(404, "recovery mode");
      })
      .listen(num(c.http, BootDefault.Http));
    // sent here by an update request that never came: back to the intact slot
    if (asked)
      setTimeout(() => {
        const n = readState();
        if (B.busy || n.a || !good(n, "a")) return;
        n.a = "a";
        saveState(n);
        E.reboot();
      }, num(c.trial, BootDefault.Trial));
  }

  const s = readState();
  if (path) {
    // an update or restart request, to the firmware's HTTP server or recovery mode's
    const v = check(path === PATH);
    if (!v) return true;
    if (path === RESTART) {
      answer(200, { success: true, message: "rebooting" });
      reboot();
      return true;
    }
    const sp = (global as any).spore;
    if (!s.a) receive(s, "a", v, s.m);
    else if (SPORE_SLOTS < 2) {
      // no room beside the running firmware: reboot into recovery mode, which takes the upload
      s.a = "";
      s.m = sp ? sp.members : 0;
      saveState(s);
      answer(503, { error: "recovery mode: send again", recovery: true });
      reboot();
    } else receive(s, other(s.a), v, sp ? sp.members : 0);
    return true;
  }
  if (req === 2) {
    // a second of the trial: confirm once healthy, give up at the deadline
    const c = conf();
    const sp = (global as any).spore;
    B.k = (B.k || 0) + 1;
    if (B.busy) return;
    if (s.a !== SBS!.slot || s.t < 2) return clearInterval(B.i);
    if (sp && (require("Wifi") as any).getIP().ip > "0.0.0.0" && (!s.m || sp.members > 0) && B.h === false && B.k * 1000 >= num(c.hold, BootDefault.Hold)) {
      clearInterval(B.i);
      s.t = 0;
      saveState(s);
      SBS!.state = "ok";
      print("boot: " + s.a + " confirmed");
    } else if (B.k * 1000 > num(c.trial, BootDefault.Trial)) {
      print("boot: " + s.a + " unconfirmed");
      E.reboot();
    }
    return;
  }
  if (req) {
    // _SB(1), queued before the firmware loaded: _SB.l still set means it threw.
    // A trial version is rolled back by the next boot; a confirmed one is
    // marked failed and gives way to the other slot, else recovery mode.
    if (!B.l || !s.a) return;
    print("boot: load failed");
    if (!s.t) {
      (s as any)["c" + s.a] = -1;
      s.a = SPORE_SLOTS > 1 && good(s, other(s.a)) ? other(s.a) : "";
      saveState(s);
    }
    E.reboot();
    return;
  }
  // at boot, before any firmware code is read from Storage (boards with the jobs capability, whose writes leave
  // trash: core/flash.ts): once the trash is more than the free space, Storage is compacted, then the node
  // restarts. Compaction moves files, which garbles code running from them (this file's too): it runs from
  // the idle loop, a native function called by a timer with no code of ours running, and the restart another;
  // nothing of ours runs in between. The mark (StorageFile.Compacted) skips it at the next boot: a
  // compaction that could not run (no RAM for its buffer) cannot make a node restart for ever
  if (SPORE_CAPS.jobs) {
    const st = S.getStats();
    if (S.read(StorageFile.Compacted) !== undefined) S.erase(StorageFile.Compacted);
    else if (st.trashBytes > st.freeBytes) {
      print("boot: compacting Storage");
      S.write(StorageFile.Compacted, "1");
      setTimeout(S.compact, 1);
      setTimeout(E.reboot, 2);
      return "";
    }
  }
  // at boot: decide what runs
  let slot = s.a;
  let why = "";
  if (slot && s.t > 1) {
    why = "slot " + slot + " failed trial";
    // never run it again, not even as the fallback of a later failure
    (s as any)["c" + slot] = -1;
    slot = SPORE_SLOTS < 2 ? "" : other(slot);
    s.t = 0;
  } else if (slot && s.t) s.t = 2;
  if (slot && !good(s, slot)) {
    why = "slot " + slot + " bad";
    slot = SPORE_SLOTS > 1 && good(s, other(slot)) ? other(slot) : "";
    s.t = 0;
  }
  if (why) print("boot: " + why);
  if (slot !== s.a || s.t === 2) {
    s.a = slot;
    saveState(s);
  }
  global.SBS = { slot: slot, state: !slot ? "recovery" : s.t ? "trial" : "ok" };
  if (!slot) {
    recovery(s, why);
    return "";
  }
  print("boot: " + slot + (s.t ? " on trial" : ""));
  if (s.t) B.i = setInterval(_SB, 1000, 2);
  B.l = 1;
  setTimeout(_SB, 0, 1);
  return S.read(StorageFile.SlotPrefix + slot);
};

// At the top level and in no block: the firmware's definitions are global, as
// if it were loaded. (Inside a try block every function it defines would keep
// an extra scope list: hundreds of JsVars, measured.) If it throws, the line
// after is not reached and _SB(1), already queued, finds _SB.l still set.
// Between _SB() and the firmware, process.memory() collects _SB's scope (its
// functions refer to each other: only the garbage collector frees them).
eval((((_SB as any).c = _SB()), process.memory(), (_SB as any).c));
(_SB as any).l = (_SB as any).c = 0;
