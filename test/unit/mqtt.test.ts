// The device's MQTT 3.1.1 packets against an independent implementation
// (the mqtt-packet package that the npm mqtt client and brokers use). How the
// client reads a PUBLISH's body is tested on the firmware itself, against a
// broker that writes bytes by hand (test/cluster/mqtt.test.ts).
import mqttPacket from "mqtt-packet";
import * as assert from "uvu/assert";
import { connect, lstr, packet, parse, publish, u16 } from "../../device/core/mqtt.ts";
import { suite } from "../suite.ts";

const { test: t } = suite("mqtt packets");

/** What mqtt-packet reads from our bytes. */
function read(s: string): Record<string, any>[] {
  const out: Record<string, any>[] = [];
  const p = mqttPacket.parser({ protocolVersion: 4 });
  p.on("packet", (x: Record<string, any>) => out.push(x));
  p.on("error", (e: Error) => {
    throw e;
  });
  p.parse(Buffer.from(s, "latin1"));
  return out;
}

/** mqtt-packet's bytes for a packet, as an 8-bit string. */
function make(x: Record<string, any>): string {
  return mqttPacket.generate(x as mqttPacket.Packet, { protocolVersion: 4 }).toString("latin1");
}

t("CONNECT with a retained QoS 1 last will, with and without credentials", () => {
  const [c] = read(connect("esp_a1b2c3", 60, "spore/esp_a1b2c3/status", "offline", "", ""));
  assert.is(c.cmd, "connect");
  assert.is(c.protocolId, "MQTT");
  assert.is(c.protocolVersion, 4);
  assert.is(c.clientId, "esp_a1b2c3");
  assert.is(c.keepalive, 60);
  assert.is(c.clean, true);
  assert.equal({ topic: c.will.topic, payload: c.will.payload.toString(), qos: c.will.qos, retain: c.will.retain }, { topic: "spore/esp_a1b2c3/status", payload: "offline", qos: 1, retain: true });
  assert.is(c.username, undefined);
  const [d] = read(connect("x", 30, "w", "m", "user", "pw"));
  assert.is(d.username, "user");
  assert.is(d.password.toString(), "pw");
});

t("PUBLISH at QoS 0 and 1, retained and redelivered; PUBACK, SUBSCRIBE and PINGREQ as the client makes them with packet()", () => {
  const [a] = read(publish("spore/n/telemetry", '{"load":0.1}', 0, 0));
  assert.equal([a.cmd, a.topic, a.payload.toString(), a.qos, a.retain, a.dup], ["publish", "spore/n/telemetry", '{"load":0.1}', 0, false, false]);
  const [b] = read(publish("spore/n/status", "online", 8 | 2 | 1, 513));
  assert.equal([b.qos, b.retain, b.dup, b.messageId], [1, true, true, 513]);
  const [r] = read(publish("spore/n/status", "online", 1, 0));
  assert.equal([r.qos, r.retain, r.dup, r.payload.toString()], [0, true, false, "online"]);
  const long = "x".repeat(20000);
  assert.is(read(publish("t", long, 0, 0))[0].payload.length, 20000, "a remaining length over 2 bytes");
  assert.equal(read(packet(64, u16(7)))[0].messageId, 7);
  assert.equal(read(packet(64, u16(0x1234)))[0].messageId, 0x1234);
  const [s] = read(packet(130, u16(9) + lstr("spore/n/cmd") + "\x01"));
  assert.equal([s.cmd, s.messageId, s.subscriptions[0].topic, s.subscriptions[0].qos], ["subscribe", 9, "spore/n/cmd", 1]);
  assert.is(read("\xc0\x00")[0].cmd, "pingreq");
});

t("parses what a broker sends, a packet at a time, whole or in pieces", () => {
  const stream = make({ cmd: "connack", returnCode: 0, sessionPresent: false }) + make({ cmd: "publish", topic: "spore/n/cmd", payload: Buffer.from('{"c":"restart"}'), qos: 1, messageId: 300, retain: false, dup: false }) + make({ cmd: "pingresp" }) + make({ cmd: "suback", messageId: 9, granted: [1] });
  const types: number[] = [];
  let buf = "";
  // a byte at a time: nothing is parsed before it is whole
  for (const ch of stream) {
    buf += ch;
    for (;;) {
      const p = parse(buf);
      assert.ok(p !== undefined, "well formed");
      if (!p) break;
      types.push(p.t);
      // the body as it is on the wire: topic (length first), packet id 300, payload; the client reads it (test/cluster/mqtt.test.ts)
      if (p.t === 3) assert.equal([p.f, p.b], [2, '\x00\x0bspore/n/cmd\x01\x2c{"c":"restart"}']);
      if (p.t === 2) assert.is(p.b.charCodeAt(1), 0, "accepted");
      buf = buf.slice(p.n);
    }
  }
  assert.equal(types, [2, 3, 13, 9]);
  assert.is(buf, "");
  const q0 = parse(make({ cmd: "publish", topic: "a/b", payload: Buffer.from("hi"), qos: 0, retain: true, dup: false }))!;
  assert.equal([q0.t, q0.f, q0.b, q0.n], [3, 1, "\x00\x03a/bhi", 9], "retained, QoS 0: no packet id");
});

t("a malformed length is refused; an oversized packet is known by its length alone, to be passed over, not waited for", () => {
  assert.is(parse("\x30\xff\xff\xff\xff\x01"), undefined, "more than 4 length bytes");
  const big = (n: number) => make({ cmd: "publish", topic: "t", payload: Buffer.from("x".repeat(n)), qos: 0, retain: false, dup: false });
  const over = big(600);
  // its first bytes only: the type and the length (2 bytes for 603)
  assert.equal(parse(over.substr(0, 3)), { t: 0, f: 0, b: "", n: over.length }, "over the node's limit (512 bytes): type TooLarge, its whole length");
  assert.ok(parse(big(500))!.t === 3, "under it");
  assert.is(parse("\x30"), null);
});

t.run();
