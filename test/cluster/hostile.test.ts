// The hostile-input suite (issue 18), first part: an attacker on the LAN who
// does not know the cluster secret sends a few thousand seeded cases at an
// emulated cluster of every board: random, mutated, oversized, truncated and
// slow HTTP requests to every endpoint (the boot file's update and restart,
// the dashboard upload included) with wrong secrets, and random, mutated,
// oversized and wrongly signed datagrams, and genuine broadcasts replayed
// from the attacker's address. After each batch: every node answers, lists
// exactly its real members, ACTIVE at their own addresses, nothing threw,
// Storage is byte for byte what it was, and at the end free JsVars are back
// at idle. The cases and the checks are hostile-cases.ts and
// hostile-campaigns.ts (npm run bench runs them too).
// (Datagrams forged by an attacker who heard one broadcast come with the
// keyed MAC: forged.test.ts; MQTT commands: hostile-mqtt.test.ts; `npm run
// test:fuzz` runs this with random seeds.)
import * as assert from "uvu/assert";
import { type Finding, httpUdpCampaign } from "./hostile-campaigns.ts";
import { suite } from "../suite.ts";

const { test, seed } = suite("hostile input", { seed: 1619, limit: 600 });
const CASES = process.env.SPORE_FUZZ ? 20000 : 4000;

test("thousands of seeded hostile inputs without the secret: nothing crashes, leaks, changes or stops a node", () => {
  const r = httpUdpCampaign({ seed, cases: CASES, report: (f: Finding) => assert.unreachable(`${f.kind}: ${f.what}`) });
  console.log(`    ${r.summary}`);
  assert.is(r.cases, CASES);
});

test.run();
