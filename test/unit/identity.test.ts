import * as assert from "uvu/assert";
import { broadcastAddress, chipIdFromMac, hostnameFromMac, isIp, macTail } from "../../device/core/identity.ts";
import { suite } from "../suite.ts";

const { test: identity } = suite("identity");

identity("hostname is esp_ and the last six hex digits of the MAC, in either MAC format", () => {
  assert.is(hostnameFromMac("18:FE:34:A1:B2:C3"), "esp_a1b2c3");
  assert.is(hostnameFromMac("18fe34a1b2c3"), "esp_a1b2c3");
  assert.is(macTail("5c:cf:7f:00:00:0f"), "00000f");
  assert.is(macTail("5CCF7FA1-B2C3"), "a1b2c3", "getSerial() on a real ESP8266 (measured on 2v29)");
});

identity("chip id is the low 24 bits of the MAC, as ESP.getChipId() on ESP8266", () => {
  assert.is(chipIdFromMac("18:fe:34:a1:b2:c3"), 0xa1b2c3);
});

identity("subnet broadcast address is ip | ~netmask", () => {
  const table: [string, string, string][] = [
    ["192.168.1.37", "255.255.255.0", "192.168.1.255"],
    ["10.42.0.10", "255.255.0.0", "10.42.255.255"],
    ["10.0.0.130", "255.255.255.128", "10.0.0.255"],
    ["172.16.5.4", "255.240.0.0", "172.31.255.255"],
    ["192.168.4.1", "255.255.255.252", "192.168.4.3"],
  ];
  for (const [ip, mask, expected] of table) assert.is(broadcastAddress(ip, mask), expected, `${ip}/${mask}`);
});

identity("an IPv4 address is four octets in canonical form", () => {
  for (const ok of ["10.0.0.7", "192.168.1.255", "0.0.0.0"]) assert.ok(isIp(ok), ok);
  for (const bad of ["10.0.0", "10.0.0.256", "10.0.0.07", "10.0.0.-1", "a.b.c.d", "10.0.0.7.1", ""]) assert.not.ok(isIp(bad), bad);
});

identity.run();
