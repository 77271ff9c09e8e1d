// The hostile-input suite (issue 18), MQTT commands: an attacker who can
// publish on the broker but does not know the cluster secret sends random,
// mutated, oversized (over 512 bytes), truncated, non-JSON, wrong-key and
// replayed commands to the command topic of every node that carries the MQTT
// client (esp8266, esp32; esp01 has none), through a real broker (aedes) on
// the emulated LAN. After each batch: every node is still connected on the
// same connection (no reconnect loop), answers HTTP, lists its members, its
// tasks and Storage are as they were, and spore.mqtt.refused grew by exactly
// the commands it was sent; at the end its JsVars are back at idle (against
// the same cluster left alone). The cases and the checks are hostile-cases.ts
// and hostile-campaigns.ts (npm run bench runs them too).
//
// "Replayed" is what an attacker without the secret can replay: the nodes'
// own publishes and broadcasts, its own earlier commands. A genuine command
// carries the secret in the clear, so whoever hears one has the secret
// (README, Security).
import * as assert from "uvu/assert";
import { type Finding, mqttCampaign } from "./hostile-campaigns.ts";
import { suite } from "../suite.ts";

const { test, seed } = suite("hostile MQTT commands", { seed: 1627, limit: 600 });
const CASES = process.env.SPORE_FUZZ ? 5000 : 1000;

test("hundreds of seeded hostile commands without the secret: every one refused, the node connected, nothing changed, nothing leaked", async () => {
  const r = await mqttCampaign({ seed, cases: CASES, report: (f: Finding) => assert.unreachable(`${f.kind}: ${f.what}`) });
  console.log(`    ${r.summary}`);
  assert.is(r.cases, CASES);
  for (const k of ["random bytes", "a wrong key", "mutated", "over 512 bytes", "cut short", "not a command", "replayed"]) assert.ok((r.kinds[k] ?? 0) > 0, `${k}: ${JSON.stringify(r.kinds)}`);
});

test.run();
