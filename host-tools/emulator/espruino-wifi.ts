// Espruino's "Wifi" module against an emulated access point. As on ESP8266,
// connect() calls back only for a refused password; a missing network is
// retried forever in the background, and there is no built-in fallback.
import { Emitter, type DeviceRuntime } from "./runtime.ts";

/** The WiFi network the emulated LAN hangs off. */
export interface AccessPoint {
  ssid: string;
  password: string;
  up: boolean;
}

export interface WifiHost {
  accessPoint(): AccessPoint;
  /** Joins the LAN; returns the address it was given. */
  joinLan(): string;
  leaveLan(): void;
  lanInfo(): { netmask: string; gw: string };
  saveWifiConfig(config: object): void;
}

const CONNECT_MS = 1500;
const RETRY_MS = 3000;
const AP_IP = "192.168.4.1";

export class Wifi extends Emitter {
  private status = "off";
  private ssid = "";
  private password = "";
  private ip: string | undefined;
  private hostname = "";
  private ap: { ssid: string } | undefined;
  private attempt = 0;

  constructor(
    rt: DeviceRuntime,
    private readonly host: WifiHost,
  ) {
    super(rt);
    rt.onTeardown(() => this.drop(false));
  }

  /**
   * reset() and load(): the radio stays as it is and serves the new
   * interpreter; the old one's listeners and callbacks go, and a join it had
   * begun goes on (the SDK keeps trying).
   */
  adopt(rt: DeviceRuntime): this {
    this.removeAllListeners();
    this.rt = rt;
    if (!this.ip && (this.status === "connecting" || this.status === "no_ap_found")) this.connect(this.ssid, { password: this.password });
    return this;
  }

  stationIp(): string | undefined {
    return this.ip;
  }

  connect(ssid: string, options?: { password?: string }, cb?: unknown): void {
    this.drop(true);
    this.ssid = ssid;
    this.password = options?.password ?? "";
    this.status = "connecting";
    const attempt = ++this.attempt;
    const tryJoin = () => {
      if (attempt !== this.attempt) return;
      const ap = this.host.accessPoint();
      if (!ap.up || ap.ssid !== this.ssid) {
        this.status = "no_ap_found";
        this.rt.later(RETRY_MS, tryJoin);
        return;
      }
      if (ap.password !== this.password) {
        this.status = "bad_password";
        if (cb) this.rt.invoke(cb, "bad_password");
        return;
      }
      this.ip = this.host.joinLan();
      this.status = "connected";
      if (cb) this.rt.invoke(cb, null);
      const lan = this.host.lanInfo();
      this.emit("connected", this.rt.newObject({ ip: this.ip, mask: lan.netmask, gw: lan.gw }));
    };
    this.rt.later(CONNECT_MS, tryJoin);
  }

  /** The access point went away or the node was told to disconnect. */
  drop(emit: boolean): void {
    this.attempt++;
    if (this.ip) {
      this.ip = undefined;
      this.host.leaveLan();
      if (emit) this.emit("disconnected", this.rt.newObject({ reason: "8" }));
    }
    this.status = "off";
  }

  disconnect(cb?: unknown): void {
    this.drop(true);
    if (cb) this.rt.later(0, () => this.rt.invoke(cb));
  }

  getIP(cb?: unknown): object {
    const info = this.rt.newObject({
      ip: this.ip ?? "0.0.0.0",
      netmask: this.ip ? this.host.lanInfo().netmask : "0.0.0.0",
      gw: this.ip ? this.host.lanInfo().gw : "0.0.0.0",
      mac: this.rt.mac,
    });
    if (cb) this.rt.later(0, () => this.rt.invoke(cb, null, info));
    return info;
  }

  getDetails(cb?: unknown): object {
    const d = this.rt.newObject({ status: this.status, ssid: this.ssid, rssi: this.ip ? -60 : 0, savedSsid: null });
    if (cb) this.rt.later(0, () => this.rt.invoke(cb, d));
    return d;
  }

  setHostname(name: string, cb?: unknown): void {
    this.hostname = String(name);
    if (cb) this.rt.later(0, () => this.rt.invoke(cb));
  }

  getHostname(cb?: unknown): string {
    if (cb) this.rt.later(0, () => this.rt.invoke(cb, this.hostname));
    return this.hostname;
  }

  startAP(ssid: string, _options?: unknown, cb?: unknown): void {
    this.ap = { ssid: String(ssid) };
    if (cb) this.rt.later(100, () => this.rt.invoke(cb, null));
  }

  stopAP(cb?: unknown): void {
    this.ap = undefined;
    if (cb) this.rt.later(0, () => this.rt.invoke(cb));
  }

  getAPIP(cb?: unknown): object {
    const info = this.rt.newObject({ ip: this.ap ? AP_IP : "0.0.0.0", netmask: "255.255.255.0", gw: AP_IP, mac: this.rt.mac });
    if (cb) this.rt.later(0, () => this.rt.invoke(cb, null, info));
    return info;
  }

  getAPDetails(cb?: unknown): object {
    const d = this.rt.newObject({ status: this.ap ? "enabled" : "disabled", ssid: this.ap?.ssid ?? "" });
    if (cb) this.rt.later(0, () => this.rt.invoke(cb, d));
    return d;
  }

  scan(cb: unknown): void {
    const ap = this.host.accessPoint();
    const list = ap.up ? [this.rt.newObject({ ssid: ap.ssid, authMode: ap.password ? "wpa2" : "open", rssi: -60, channel: 6 })] : [];
    this.rt.later(1500, () => this.rt.invoke(cb, list));
  }

  save(): void {
    this.host.saveWifiConfig({ ssid: this.ssid, password: this.password });
  }
}
