// npm start: builds what the emulator reads from dist/ (bundles, boot files,
// dashboard) and runs a small emulated cluster in real time, each node's
// HTTP API on its own loopback address.
import { randomBytes } from "node:crypto";
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { loadEnv } from "./lib/env.ts";
import { buildProject } from "./build/build.ts";
import { BuildError } from "./build/bundle.ts";
import { JsonFileError } from "./build/json-schema.ts";
import { loadProject } from "./build/project.ts";
import net from "node:net";
import { lanBroker, MQTT_PORT } from "./emulator/broker.ts";
import { Cluster, MissingBuildError } from "./emulator/cluster.ts";
import { TELNET_PORT } from "./emulator/device.ts";
import { parseSeed, seedFromEnv } from "./emulator/rng.ts";

const HELP = `usage: npm start [-- options]

Builds dist/ (each board's bundle and boot file, the dashboard) and runs an
emulated Spore cluster in real time.
Each node serves its HTTP API at http://<its loopback address>:<port + offset>,
and boards with a Telnet console (esp8266, esp32) their console at port 23 + offset
(telnet, or npm run flash -- --port tcp://<address>:<23 + offset>), locked as on
a chip: the password is the first 20 characters of the cluster secret. It prints
a line for each: "node <hostname> (<board>) api: <url>" and "... console: telnet <address> <port>".

options:
  --nodes N          number of nodes (default: the boards in espruino.json emulator.nodes)
  --port-offset N    serve node port P < 1024 at P + N (default: espruino.json, else 8000)
  --seed N           seed for the emulated network (default: SPORE_SEED or random)
  --hold MS          a node on trial after an update confirms itself after MS (default 5000; 30000 on a chip)
  --trial MS         and is rolled back if not confirmed within MS (default 60000; 300000 on a chip)
  --broker-port N    serve the embedded MQTT broker at 127.0.0.10:N (default 1883)
  --no-build         use what npm run build left in dist/
  -h, --help         this text

The cluster secret comes from the variable espruino.json names (SPORE_SECRET),
in the environment or ./.env; if there is none, a new one is written to ./.env,
where host-tools finds it.
`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      nodes: { type: "string" },
      "port-offset": { type: "string" },
      seed: { type: "string" },
      "no-build": { type: "boolean" },
      hold: { type: "string" },
      "broker-port": { type: "string" },
      trial: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const project = loadProject();
  const layout = project.emulator?.nodes ?? project.boards;
  const count = values.nodes === undefined ? layout.length : Number(values.nodes);
  if (!Number.isInteger(count) || count < 1 || count > 200) throw new UsageError(`--nodes must be a whole number from 1 to 200, got "${values.nodes}"`);
  const offset = values["port-offset"] === undefined ? (project.emulator?.portOffset ?? 8000) : Number(values["port-offset"]);
  if (!Number.isInteger(offset) || offset < 0 || offset > 60000) throw new UsageError(`--port-offset must be a whole number from 0 to 60000`);
  let seed: number;
  try {
    seed = values.seed === undefined ? seedFromEnv() : parseSeed(values.seed, "--seed");
  } catch (e) {
    throw new UsageError((e as Error).message);
  }

  const ms = (name: "hold" | "trial", d: number) => {
    const v = values[name] === undefined ? d : Number(values[name]);
    if (!Number.isInteger(v) || v < 1000 || v > 3600000) throw new UsageError(`--${name} must be a whole number of ms from 1000 to 3600000`);
    return v;
  };
  const brokerPort = values["broker-port"] === undefined ? MQTT_PORT : Number(values["broker-port"]);
  if (!Number.isInteger(brokerPort) || brokerPort < 1 || brokerPort > 65535) throw new UsageError("--broker-port must be a port number");
  const hold = ms("hold", 5000);
  const trial = ms("trial", 60000);
  const secret = clusterSecret(project.cluster.secretEnv);

  if (!values["no-build"]) {
    console.log("building...");
    const built = await buildProject();
    console.log(built.report);
    if (built.failures.length) throw new BuildError(`the build failed: ${built.failures.join("; ")}`);
  }

  const boards = Array.from({ length: count }, (_, i) => layout[i % layout.length]);
  const cluster = new Cluster({
    seed,
    boards,
    realtime: true,
    privilegedPortOffset: offset,
    secret,
    config: { cl: project.cluster.name, http: project.ports.http, udp: project.ports.udp, hold, trial, mq: { host: BROKER_IP, port: MQTT_PORT, period: 10 } },
    onPrint: (d, line) => console.log(`  [${d.hostname} ${d.board.name}] ${line}`),
    onServing: (d, port, a) => console.log(`node ${d.hostname} (${d.board.name}) ${servedAs(port, project.ports.http, a)}`),
  });
  // the embedded broker (aedes): on the emulated LAN for the nodes, on a real port for host tools
  const broker = await lanBroker(cluster, BROKER_IP);
  const brokerServer = net.createServer(broker.aedes.handle);
  try {
    await new Promise<void>((resolve, reject) => {
      brokerServer.once("error", (e) => reject(new UsageError(`cannot serve the MQTT broker at ${BROKER_IP}:${brokerPort} (${(e as Error).message}): choose another with --broker-port`)));
      brokerServer.listen(brokerPort, BROKER_IP, () => resolve());
    });
  } catch (e) {
    // the broker's timers would keep the process alive after the message
    await broker.close();
    throw e;
  }
  const brokerUrl = `mqtt://${BROKER_IP}:${brokerPort}`;
  console.log(`starting ${count} emulated nodes (seed ${seed}) on WiFi "${cluster.accessPoint.ssid}"; Ctrl-C stops`);
  if (cluster.devices.some((d) => d.board.limits.upload.includes("telnet"))) console.log(`Telnet consoles are locked: the password is the first 20 characters of the cluster secret (${project.cluster.secretEnv})`);
  cluster.startRealtime();
  console.log(`MQTT broker: ${brokerUrl} (watch it: npm run host-tools -- telemetry top --broker ${brokerUrl})`);
  const dashNode = cluster.devices.find((d) => d.board.capabilities.dashboard);
  if (dashNode) {
    const a = cluster.realAddress(dashNode, project.ports.http);
    console.log(`dashboard: http://${a.host}:${a.port}/`);
  }
  const first = cluster.realAddress(cluster.devices[0], project.ports.http);
  console.log(`update them: npm run host-tools -- ota all --api-node ${first.host}:${first.port}`);

  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  console.log("stopping...");
  await cluster.stop();
  await new Promise<void>((r) => brokerServer.close(() => r()));
  await broker.close();
  console.log("stopped");
  return 0;
}

class UsageError extends Error {}

/** A node's port served for real, as npm start prints it: the API's status URL, the Telnet console's command, or any other port. */
function servedAs(port: number, httpPort: number, a: { host: string; port: number }): string {
  if (port === httpPort) return `api: http://${a.host}:${a.port}/api/node/status`;
  if (port === TELNET_PORT) return `console: telnet ${a.host} ${a.port}`;
  return `port ${port}: ${a.host}:${a.port}`;
}

/** The embedded broker's address: on the emulated LAN, and served for real on this loopback address. */
const BROKER_IP = "127.0.0.10";

/** The cluster secret from the environment or ./.env; a new random one (appended to ./.env) when there is none. */
function clusterSecret(name: string): string {
  const found = loadEnv({ env: process.env, cwd: process.cwd() })[name];
  if (found) return found;
  const secret = randomBytes(12).toString("hex");
  const file = resolve(process.cwd(), ".env");
  const before = existsSync(file) ? readFileSync(file, "utf8") : "";
  appendFileSync(file, `${before && !before.endsWith("\n") ? "\n" : ""}# written by npm start: the emulated cluster's secret\n${name}=${secret}\n`);
  console.log(`${name} was not set: a new cluster secret is in ./.env (host-tools reads it from there)`);
  return secret;
}

main().then(
  (code) => (process.exitCode = code),
  (e) => {
    if (e instanceof MissingBuildError) {
      console.error(`npm start: ${e.message} (or start without --no-build)`);
      process.exitCode = 1;
    } else if (e instanceof UsageError || e instanceof BuildError || e instanceof JsonFileError) {
      console.error(`npm start: ${e.message}`);
      process.exitCode = e instanceof UsageError ? 2 : 1;
    } else {
      throw e;
    }
  },
);
