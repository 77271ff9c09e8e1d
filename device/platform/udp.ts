// UDP on Espruino. A broadcast sent from a bound socket goes nowhere, so the
// node receives on a bound socket and sends from a second, unbound one.
import type { DatagramSender } from "../core/ports.ts";

export class UdpTransport implements DatagramSender {
  private readonly sender: EspruinoUdpSocket;
  private readonly receiver: EspruinoUdpSocket;

  constructor(port: number, onMessage: (data: string, address: string) => void) {
    const dgram = require("dgram");
    this.sender = dgram.createSocket("udp4");
    this.receiver = dgram.createSocket("udp4");
    this.receiver.on("message", (msg, rinfo) => onMessage(msg, rinfo.address));
    this.receiver.bind(port);
  }

  send(data: string, address: string, port: number): void {
    this.sender.send(data, port, address);
  }
}
