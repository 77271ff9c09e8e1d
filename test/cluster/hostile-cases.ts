// What an attacker on the LAN who does not know the cluster secret sends
// (issue 18's hostile-input suite): seeded generators of HTTP requests,
// datagrams, forgeries made from heard datagrams and MQTT commands. The
// campaigns that send them and check the nodes are in hostile-campaigns.ts;
// the tests (hostile*.test.ts, forged.test.ts) and `npm run bench` share both.
import { crc32 } from "node:zlib";
import type { Cluster } from "../../host-tools/emulator/cluster.ts";
import type { Rng } from "../../host-tools/emulator/rng.ts";
import { datagram } from "../../host-tools/lib/mac.ts";

/** The attacker's address on the emulated LAN. */
export const ATTACKER = "10.42.0.250";

const PATHS = ["/", "/api/node/status", "/api/cluster/members", "/api/tasks/status", "/api/tasks/control", "/api/events", "/api/node/update", "/api/node/restart", "/api/node/dashboard", "/api/services", "/api/services/call", "/api/", "/api/node", "/x"];
const METHODS = ["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "post", "G E T", ""];

const pick = <T>(r: Rng, a: T[]): T => a[r.int(a.length)];

export function bytes(r: Rng, n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += String.fromCharCode(r.int(256));
  return s;
}

/** A secret that is not the cluster's: random, empty, a prefix, the secret with a byte changed. */
export function wrongSecret(r: Rng, secret: string): string {
  const k = r.int(4);
  if (k === 0) return bytes(r, r.int(40)).replace(/[\r\n]/g, "x");
  if (k === 1) return "";
  if (k === 2) return secret.slice(0, r.int(secret.length));
  const i = r.int(secret.length);
  return secret.slice(0, i) + String.fromCharCode((secret.charCodeAt(i) + 1) & 127 || 65) + secret.slice(i + 1);
}

/** One HTTP request the attacker writes raw: its head, maybe its body, maybe cut short. */
export function httpCase(r: Rng, secret: string, host: string): { raw: string; cut: boolean } {
  let path = pick(r, PATHS);
  if (r.int(4) === 0) path += pick(r, ["?a=1", "/../x", "%00", "//", "?" + "q".repeat(r.int(600))]);
  const headers: string[] = [`Host: ${host}`];
  const auth = r.int(3);
  if (auth === 1) headers.push(`Authorization: Bearer ${wrongSecret(r, secret)}`);
  if (auth === 2) headers.push(`X-Spore-Key: ${wrongSecret(r, secret)}`);
  const bodyKind = r.int(6);
  let body = "";
  if (bodyKind === 1) body = "task=probe&action=" + pick(r, ["disable", "stop", "interval&interval=10", "enable"]);
  if (bodyKind === 2) body = "name=x&scope=cluster&data=" + encodeURIComponent(JSON.stringify({ n: r.int(1000) }));
  if (bodyKind === 3) body = bytes(r, r.int(3000));
  if (bodyKind === 4) body = "x".repeat(r.int(5000));
  if (bodyKind === 5) body = "service=" + pick(r, ["temp", "x", "", "Bad!"]) + "&args=" + encodeURIComponent(pick(r, ["1", "{", '{"a":1}', "x".repeat(300)])) + "&timeout=" + pick(r, ["1", "3000", "99999999", "x"]);
  // a declared length over what is sent holds the connection until the node answers 408 (10 s); under
  // it, the rest of the body is dropped
  const declared = r.int(4) === 0 ? r.int(100000) : body.length;
  if (body || r.int(2)) headers.push(`Content-Length: ${declared}`);
  if (r.int(3) === 0) headers.push(`X-Spore-CRC32: ${pick(r, [bytes(r, 8), "00000000", "zzzzzzzz", ""])}`);
  if (r.int(8) === 0) headers.push("X-Junk: " + "j".repeat(r.int(1500)));
  const raw = `${pick(r, METHODS)} ${path} HTTP/1.1\r\n${headers.join("\r\n")}\r\n\r\n${body}`;
  return { raw, cut: r.int(6) === 0 };
}

/** One datagram: random bytes, a good one mutated, one signed with a wrong secret, oversized, truncated. */
export function udpCase(r: Rng, secret: string): string {
  const ids = ["0000fe", "a1b2c3", "ffffff"];
  const head = `${"PKRAHECY"[r.int(8)]}|${ids[r.int(3)]}|${r.int(100000).toString(36)}|${r.int(100000).toString(36)}|0|0`;
  const ups = r.int(2) ? `a${ids[r.int(3)]}/${r.int(99)}/10.42.0.${r.int(256)}/0` : "";
  const arg = [() => "x.1.2.ev:" + JSON.stringify({ n: r.int(9) }), () => r.int(99999).toString(36), () => `${r.int(999).toString(36)}.0.temp:${JSON.stringify({ n: r.int(9) })}`, () => `${r.int(999).toString(36)}.${r.int(3)}:${JSON.stringify(r.int(9))}`][r.int(4)]();
  const k = r.int(5);
  if (k === 0) return bytes(r, r.int(400));
  if (k === 1) return datagram(wrongSecret(r, secret), "spore", head, ATTACKER, ups, arg);
  const good = datagram(secret, "spore", head, ATTACKER, ups, arg);
  if (k === 2) {
    // signed, then a byte changed after the signature
    const i = 3 + r.int(good.length - 3);
    return good.slice(0, i) + String.fromCharCode((good.charCodeAt(i) + 1 + r.int(250)) & 255) + good.slice(i + 1);
  }
  if (k === 3) return good + "y".repeat(300);
  return good.slice(0, r.int(good.length));
}

/** One forgery from the datagrams heard so far: [the datagram, the address it comes from, what it is]. */
export function forge(r: Rng, heard: string[], c: Cluster): [string, string, string] {
  const g = heard[r.int(heard.length)];
  const f = g.split("|");
  const ids = c.devices.map((d) => d.hostname.slice(4));
  const victim = ids[r.int(ids.length)];
  const k = r.int(9);
  const sender = c.devices.find((d) => d.hostname.slice(4) === f[4])!;
  if (k === 0) {
    // a suspicion of a healthy node at the highest incarnation, under the heard tag
    const x = f.slice();
    x[10] = `s${victim}/zzzzzzz/0`;
    return [x.join("|"), sender.ip, "suspicion at a huge incarnation"];
  }
  if (k === 1) {
    // the sender's sequence number far ahead (a hijack), under the heard tag
    const x = f.slice();
    x[6] = (parseInt(x[6], 36) + 1000000).toString(36);
    return [x.join("|"), ATTACKER, "sequence far ahead"];
  }
  if (k === 2) {
    // a member that does not exist, alive at the attacker's address
    const x = f.slice();
    x[10] = `a${(0xa00000 + r.int(4096)).toString(16)}/0/${ATTACKER}/0`;
    return [x.join("|"), sender.ip, "a forged member"];
  }
  if (k === 3) {
    // a cluster event with a spoofed origin
    const x = f.slice(0, 11);
    x[3] = "E";
    x.push(`${victim}.${r.int(99999).toString(36)}.1.alarm:${JSON.stringify({ door: "open" })}`);
    return [x.join("|"), sender.ip, "a cluster event with a spoofed origin"];
  }
  if (k === 4) {
    // another datagram's tag on this one's body
    const other = heard[r.int(heard.length)].split("|")[1];
    return [["S3", other, ...f.slice(2)].join("|"), sender.ip, "a spliced tag"];
  }
  if (k === 5) {
    // a random tag
    return [["S3", `${r.int(2 ** 31).toString(36)}.${r.int(2 ** 31).toString(36)}`, ...f.slice(2)].join("|"), sender.ip, "a random tag"];
  }
  if (k === 6) {
    // S2, signed as the attacker could sign it before (CRC32 is linear: what it needs is in a heard datagram)
    const body = f.slice(2).join("|");
    return [`S2|${(crc32(Buffer.from(body, "latin1")) >>> 0).toString(36)}|${body}`, sender.ip, "S2 signed with CRC32"];
  }
  if (k === 7) return [g, ATTACKER, "replayed from the attacker's address"];
  // genuine, from its sender's address (spoofed): a replay to the nodes that had it
  return [g, sender.ip, "replayed from its sender's address"];
}

/** Commands a node takes with the secret (device/platform/mqtt.ts): each would change it. */
const COMMANDS: Record<string, unknown>[] = [
  { cmd: "restart" },
  { cmd: "task", task: "probe", action: "disable" },
  { cmd: "task", task: "probe", action: "stop" },
  { cmd: "task", task: "details", action: "disable" },
  { cmd: "task", task: "wifi", interval: "1" },
  { cmd: "task", task: "probe", action: "interval", interval: "999999" },
];

/** A key that is not the secret: a wrong string, none, or another type (the secret itself inside an array or an object among them). */
function wrongKey(r: Rng, secret: string): unknown {
  const k = r.int(8);
  if (k < 4) return wrongSecret(r, secret);
  return [undefined, null, r.int(2) ? 0 : true, r.int(2) ? [secret] : { key: secret, toString: secret }][k - 4];
}

/** A command the attacker can write: one a node takes, with a wrong key. */
function command(r: Rng, secret: string): string {
  return JSON.stringify({ key: wrongKey(r, secret), ...pick(r, COMMANDS) });
}

export interface MqttCase {
  /** The payload published to the node's command topic, an 8-bit string. */
  payload: string;
  qos: 0 | 1;
  retain: boolean;
  what: string;
}

/**
 * One message to a node's command topic: random bytes, a command with a
 * wrong key, one mutated, one over 512 bytes, one cut short, not JSON, or one
 * replayed from what the attacker heard (`heard`: the nodes' own publishes on
 * the broker, their broadcasts, its own earlier cases). The secret itself
 * appears only where the node refuses the message whatever the key: over 512
 * bytes, or cut short (no prefix of a JSON object is JSON, on Espruino 2v29
 * too: checked on the Linux build, whose JSON.parse takes trailing commas and
 * trailing bytes but no missing end).
 */
export function mqttCase(r: Rng, secret: string, heard: string[]): MqttCase {
  const qos = r.int(2) as 0 | 1;
  const retain = r.int(8) === 0;
  const k = r.int(7);
  const is = (payload: string, what: string): MqttCase => ({ payload, qos, retain, what });
  if (k === 0) return is(bytes(r, r.int(480)), "random bytes");
  if (k === 1) return is(command(r, secret), "a wrong key");
  if (k === 2) {
    // a byte changed, inserted or removed
    const s = command(r, secret);
    const i = r.int(s.length);
    const c = String.fromCharCode(r.int(256));
    return is(s.slice(0, i) + pick(r, [c, c + s[i], ""]) + s.slice(i + 1), "mutated");
  }
  if (k === 3) {
    const key = r.int(2) ? secret : wrongKey(r, secret);
    return is(JSON.stringify({ key, ...pick(r, COMMANDS), pad: "x".repeat(520 + r.int(2500)) }), "over 512 bytes");
  }
  if (k === 4) {
    const s = JSON.stringify({ key: r.int(2) ? secret : wrongKey(r, secret), ...pick(r, COMMANDS) });
    return is(s.slice(0, r.int(s.length)), "cut short");
  }
  if (k === 5) return is(pick(r, ["", "restart", "{nope", "{'key':1}", "null", "[]", "1e999", '"' + secret.slice(1) + '"', "{}".repeat(200)]), "not a command");
  return is(heard.length ? heard[r.int(heard.length)] : "", "replayed");
}
