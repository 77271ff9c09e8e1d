// host-tools telemetry record|replay|top: the cluster's MQTT broker recorded
// to JSON lines, a recording published again, and a live view of the nodes.
// They keep time by the transport's clock, as the other commands do.
import { createWriteStream, existsSync } from "node:fs";
import { resolve } from "node:path";
import type { Parsed } from "../lib/args.ts";
import { loadEnv } from "../lib/env.ts";
import type { Io } from "../lib/io.ts";
import { table } from "../lib/output.ts";
import { ClusterView, GREEN_HEADERS, greenTotal, connectBroker, readRecording, record, replay, topicsOf, VIEW_HEADERS } from "../lib/telemetry.ts";
import { UsageError } from "../lib/transport.ts";
import type { Command } from "./command.ts";

/** The broker from --broker or SPORE_BROKER (environment or .env): mqtt://host[:port]. */
function brokerUrl(p: Parsed, io: Io): string {
  const url = (p.options.broker as string | undefined) ?? loadEnv(io).SPORE_BROKER;
  if (!url) throw new UsageError("which broker? give --broker mqtt://host[:port] or set SPORE_BROKER");
  if (!/^(mqtts?|tcp|wss?):\/\/[^/\s]+/.test(url)) throw new UsageError(`not a broker URL: "${url}" (mqtt://host[:port])`);
  return url;
}

export const telemetryCommands: Record<string, Command> = {
  "telemetry record": {
    usage: `usage: host-tools telemetry record --broker <mqtt://host[:port]> [--out file.jsonl] [--prefix spore] [--count n] [--seconds s]

Writes every telemetry, status and event message under <prefix>/+/ with its
time (ms since the start) as JSON lines, to --out or standard output, until
Ctrl-C, --count messages or --seconds.`,
    options: { broker: { value: true }, out: { value: true }, prefix: { value: true }, count: { value: true, int: { min: 1, max: 100000000 } }, seconds: { value: true, int: { min: 1, max: 31536000 } } },
    async run(p, io) {
      const url = brokerUrl(p, io);
      const out = p.options.out ? createWriteStream(resolve(io.cwd, p.options.out as string)) : { write: (s: string) => (io.out(s), true) };
      const clock = io.transport;
      const until = p.options.seconds ? clock.now() + Number(p.options.seconds) * 1000 : Infinity;
      let interrupted = false;
      const onInt = () => (interrupted = true);
      process.once("SIGINT", onInt);
      let last = 0;
      const prefix = (p.options.prefix as string) ?? "spore";
      try {
        const n = await record(url, prefix, out as NodeJS.WritableStream, clock, {
          count: p.options.count ? Number(p.options.count) : undefined,
          stop: () => interrupted || clock.now() >= until || !!io.stopFollowing?.(),
          onSubscribed: () => io.err(`recording ${topicsOf(prefix).join(", ")} from ${url}\n`),
          onMessage: () => {
            if (clock.now() - last > 2000 && p.options.out) {
              last = clock.now();
              io.err(".");
            }
          },
        });
        if (p.options.out) await new Promise((r) => (out as ReturnType<typeof createWriteStream>).end(r));
        io.err(`${p.options.out ? "\n" : ""}recorded ${n} messages${p.options.out ? ` to ${p.options.out}` : ""}\n`);
      } finally {
        process.off("SIGINT", onInt);
      }
      return 0;
    },
  },
  "telemetry replay": {
    usage: `usage: host-tools telemetry replay <file.jsonl> --broker <mqtt://host[:port]> [--speed n]

Publishes a recording again, retained flags and QoS as recorded, with the
original spacing divided by --speed (default 1; 10 is ten times faster).`,
    options: { broker: { value: true }, speed: { value: true } },
    async run(p, io) {
      if (!p.positional[0]) throw new UsageError("telemetry replay: which recording? give <file.jsonl>");
      const url = brokerUrl(p, io);
      const speed = Number(p.options.speed ?? 1);
      if (!(speed > 0) || speed > 100000) throw new UsageError(`--speed must be a number above 0, not "${p.options.speed}"`);
      const file = resolve(io.cwd, p.positional[0]);
      if (!existsSync(file)) throw new UsageError(`no such recording: ${file}`);
      const messages = await readRecording(file);
      const span = messages.length ? (messages[messages.length - 1].t - messages[0].t) / speed / 1000 : 0;
      io.err(`replaying ${messages.length} messages over ${span.toFixed(1)} s\n`);
      const n = await replay(url, messages, speed, io.transport);
      io.err(`replayed ${n} messages\n`);
      return 0;
    },
  },
  "telemetry top": {
    usage: `usage: host-tools telemetry top --broker <mqtt://host[:port]> [--prefix spore] [--every ms] [--seconds s]

A live view of the cluster from MQTT: each node's status, load (over its
window, from nodes with the health capability), health ("ok", or OVERLOADED
and why; "-" from a node without the capability), free memory, members,
uptime and version, redrawn every --every ms (1000) until Ctrl-C or
--seconds. --green: each node's energy estimate instead (power now, energy
since boot, CO2 at the configured grid intensity, grade), and the cluster's
total.`,
    options: { broker: { value: true }, prefix: { value: true }, every: { value: true, int: { min: 100, max: 60000 } }, seconds: { value: true, int: { min: 1, max: 31536000 } }, green: {} },
    async run(p, io) {
      const url = brokerUrl(p, io);
      const prefix = (p.options.prefix as string) ?? "spore";
      const view = new ClusterView(prefix);
      const clock = io.transport;
      const client = await connectBroker(url);
      client.on("message", (topic, payload) => view.take(topic, payload.toString("utf8"), clock.now()));
      await client.subscribeAsync(topicsOf(prefix), { qos: 0 });
      const until = p.options.seconds ? clock.now() + Number(p.options.seconds) * 1000 : Infinity;
      let interrupted = false;
      const onInt = () => (interrupted = true);
      process.once("SIGINT", onInt);
      try {
        while (!interrupted && clock.now() < until && !io.stopFollowing?.()) {
          await clock.sleep(Number(p.options.every ?? 1000));
          const now = clock.now();
          const head = `${url}  ${view.nodes.size} nodes  ${new Date(now).toISOString().slice(11, 19)}\n`;
          const text = p.options.green ? head + table(GREEN_HEADERS, view.greenRows()) + "\n" + greenTotal(view) + "\n" : head + table(VIEW_HEADERS, view.rows(now)) + "\n";
          io.out(io.tty ? `\x1b[2J\x1b[H${text}` : text + "\n");
        }
      } finally {
        process.off("SIGINT", onInt);
        await client.endAsync();
      }
      return 0;
    },
  },
};
