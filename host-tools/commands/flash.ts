// host-tools flash (npm run flash): its usage and options; the work is in
// host-tools/flash.ts.
import { flash } from "../flash.ts";
import { type Command, JSON_OPT } from "./command.ts";

export const flashCommands: Record<string, Command> = {
  flash: {
    usage: `usage: npm run flash -- --port <device|tcp://host:port> [--board esp01|esp8266|esp32] [--baud n] [--dry-run file] [--project file]
       npm run flash -- --ide <file> [--board esp01|esp8266|esp32] [--project file]

Builds the bundle and boot file for the board and writes them into its Storage with spore.json:
WiFi network, ports and cluster from espruino.json (--project: another project file), the
cluster secret and WiFi password from the environment variables it names, and on boards with
MQTT (esp8266, esp32) the broker in its "mqtt" (host, port, prefix, period, homeAssistant; user
and password from the variables named by userEnv and passwordEnv); then restarts it and checks
Spore runs.
  --dry-run <file>  write what would be sent to a file instead (it holds the secrets: keep it private)
  --ide <file>      write the board's Web IDE file (like dist/<board>.ide.js) with that spore.json
                    in it, to send from the Espruino Web IDE with the settings it prints (it holds
                    the secrets: keep it private)`,
    options: { port: { value: true }, board: { value: true }, baud: { value: true, int: { min: 300, max: 3000000 } }, "dry-run": { value: true }, ide: { value: true }, project: { value: true }, ...JSON_OPT },
    run: (p, io) => flash(p, io),
  },
};
