// Names and numbers derived from the MAC address and the IP configuration.

/**
 * The last six hex digits, lower case, whatever the separators: getSerial()
 * on a real ESP8266 gives "5ccf7fa1-b2c3", Wifi.getIP().mac "5c:cf:7f:a1:b2:c3".
 */
export function macTail(mac: string): string {
  const hex = mac.toLowerCase().replace(/[-:]/g, "");
  return hex.substr(hex.length - 6);
}

/** SPORE's hostname: esp_ and the last six hex digits of the MAC. */
export function hostnameFromMac(mac: string): string {
  return "esp_" + macTail(mac);
}

/** ESP8266's chip id is the low 24 bits of the MAC. */
export function chipIdFromMac(mac: string): number {
  return parseInt(macTail(mac), 16);
}

export function ipToNumber(ip: string): number {
  const parts = ip.split(".");
  let n = 0;
  for (const p of parts) n = n * 256 + (parseInt(p, 10) & 255);
  return n;
}

export function numberToIp(n: number): string {
  const parts: number[] = [];
  for (let i = 0; i < 4; i++) {
    parts.unshift(n % 256);
    n = Math.floor(n / 256);
  }
  return parts.join(".");
}

/** Subnet broadcast address: ip | ~netmask, octet by octet. */
export function broadcastAddress(ip: string, netmask: string): string {
  const m = netmask.split(".");
  return ip
    .split(".")
    .map((o, i) => (+o | (255 - +m[i])) & 255)
    .join(".");
}

/** A dotted IPv4 address in canonical form. */
export function isIp(s: string): boolean {
  const p = s.split(".");
  // an octet at a time: no array or closure besides the split (it runs for every update a datagram carries)
  for (const o of p) if (String(+o & 255) !== o) return false;
  return p.length === 4;
}
