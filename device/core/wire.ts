// The discovery wire format on UDP. One datagram is one message, a line of
// '|'-separated fields: "S<version>|<type>|<cluster>|<sender>|<http port>".
// Types are append-only. Every datagram must fit MAX_DATAGRAM bytes, the
// smallest board's limit (ESP8266 drops longer incoming datagrams).

export const WIRE_VERSION = 1;
export const MAX_DATAGRAM = 268;

/** Announce: "here I am, please answer". Sent by broadcast. */
export const MSG_ANNOUNCE = "A";
/** Hello: the unicast answer to an announce. */
export const MSG_HELLO = "H";

export interface Message {
  type: string;
  cluster: string;
  sender: string;
  httpPort: number;
}

/** Why a datagram was dropped; counted per reason. */
export type DropReason = "size" | "malformed" | "version" | "cluster";

export function encode(msg: Message): string {
  const line = "S" + WIRE_VERSION + "|" + msg.type + "|" + msg.cluster + "|" + msg.sender + "|" + msg.httpPort;
  if (line.length > MAX_DATAGRAM) throw new Error("datagram over " + MAX_DATAGRAM + " bytes");
  return line;
}

function isHostname(s: string): boolean {
  if (s.length !== 10 || s.substr(0, 4) !== "esp_") return false;
  for (let i = 4; i < 10; i++) if ("0123456789abcdef".indexOf(s[i]) < 0) return false;
  return true;
}

/** Returns the message, or the reason it must be dropped. Never throws. */
export function decode(data: string, cluster: string): Message | DropReason {
  if (typeof data !== "string" || data.length > MAX_DATAGRAM) return "size";
  const f = data.split("|");
  if (f[0] !== "S" + WIRE_VERSION) return f[0].length > 1 && f[0][0] === "S" ? "version" : "malformed";
  if (f.length !== 5 || (f[1] !== MSG_ANNOUNCE && f[1] !== MSG_HELLO) || !isHostname(f[3])) return "malformed";
  const port = parseInt(f[4], 10);
  if (!(port > 0 && port < 65536) || String(port) !== f[4]) return "malformed";
  if (f[2] !== cluster) return "cluster";
  return { type: f[1], cluster: f[2], sender: f[3], httpPort: port };
}
