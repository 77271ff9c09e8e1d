// Names and numbers derived from the MAC address and the IP configuration.

/**
 * The last six hex digits, lower case, whatever the separators: getSerial()
 * on a real ESP8266 gives "5ccf7fa1-b2c3", Wifi.getIP().mac "5c:cf:7f:a1:b2:c3".
 */
export function macTail(mac: string): string {
  const hex = mac.toLowerCase().split("-").join("").split(":").join("");
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

/** Subnet broadcast address: ip | ~netmask. */
export function broadcastAddress(ip: string, netmask: string): string {
  const host = 4294967295 - ipToNumber(netmask);
  const net = ipToNumber(ip) - (ipToNumber(ip) % (host + 1));
  return numberToIp(net + host);
}
