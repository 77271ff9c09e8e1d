// A real MQTT broker on a loopback port (or another local address) for tests of the host tools:
// mosquitto from Debian's packages where it is installed (.ci/run installs
// it), else the npm broker aedes.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Aedes } from "aedes";

export interface TestBroker {
  url: string;
  kind: "mosquitto" | "aedes";
  close(): Promise<void>;
}

function mosquittoPath(): string | undefined {
  for (const p of ["/usr/sbin/mosquitto", "/usr/bin/mosquitto"]) if (spawnSync(p, ["-h"]).status !== null) return p;
  return undefined;
}

async function freePort(host: string): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, host, () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Resolves once something accepts connections on the port (bounded: 5 s). */
async function accepting(host: string, port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((r) => {
      const c = net.connect(port, host, () => (c.end(), r(true)));
      c.on("error", () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no broker on ${host}:${port}`);
}

/** A broker listening on `host` (an address of this machine). */
export async function testBroker(host = "127.0.0.1"): Promise<TestBroker> {
  const bin = mosquittoPath();
  if (bin) {
    const port = await freePort(host);
    const dir = mkdtempSync(join(tmpdir(), "spore-mosquitto-"));
    const conf = join(dir, "mosquitto.conf");
    writeFileSync(conf, `listener ${port} ${host}\nallow_anonymous true\npersistence false\nlog_dest none\n`);
    const child = spawn(bin, ["-c", conf], { stdio: "ignore" });
    await accepting(host, port);
    return {
      url: `mqtt://${host}:${port}`,
      kind: "mosquitto",
      close: async () => {
        child.kill("SIGTERM");
        await new Promise((r) => child.once("exit", r));
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const aedes = await Aedes.createBroker();
  const server = net.createServer(aedes.handle);
  await new Promise<void>((r) => server.listen(0, host, () => r()));
  return {
    url: `mqtt://${host}:${(server.address() as net.AddressInfo).port}`,
    kind: "aedes",
    close: () => new Promise<void>((r) => aedes.close(() => server.close(() => r()))),
  };
}
