// The hostile-input suite's counts (issue 18): a seeded batch of each of its
// campaigns (test/cluster/hostile-campaigns.ts, the tests' own generators and
// checks) against an emulated cluster, every finding counted instead of
// failing: cases run, crashes, leaks and wrong results (something accepted
// or changed without the secret), each expected 0.
import { type Campaign, type CampaignResult, type Finding, type FindingKind, forgedCampaign, httpUdpCampaign, mqttCampaign } from "../../cluster/hostile-campaigns.ts";
import type { Plan } from "../plan.ts";

export interface HostileResult {
  campaign: string;
  cases: number;
  crashes: number;
  leaks: number;
  wrong: number;
  /** Cases by what they were. */
  kinds: Record<string, number>;
  /** The first few findings, when there are any. */
  findings: string[];
  wallSeconds: number;
}

const CAMPAIGNS: { name: string; size: keyof Plan["hostile"]; run(o: Campaign): CampaignResult | Promise<CampaignResult> }[] = [
  { name: "HTTP requests and datagrams", size: "http", run: httpUdpCampaign },
  { name: "datagrams forged from heard ones", size: "forged", run: forgedCampaign },
  { name: "MQTT commands", size: "mqtt", run: mqttCampaign },
];

export async function hostile(plan: Plan, seed: number, log: (s: string) => void): Promise<HostileResult[]> {
  const out: HostileResult[] = [];
  for (const c of CAMPAIGNS) {
    const t0 = Date.now();
    const counts: Record<FindingKind, number> = { crash: 0, leak: 0, wrong: 0 };
    const findings: string[] = [];
    const report = (f: Finding) => {
      counts[f.kind]++;
      if (findings.length < 5) findings.push(`${f.kind}: ${f.what}`);
    };
    const r = await c.run({ seed, cases: plan.hostile[c.size], report });
    const result = { campaign: c.name, cases: r.cases, crashes: counts.crash, leaks: counts.leak, wrong: counts.wrong, kinds: r.kinds, findings, wallSeconds: (Date.now() - t0) / 1000 };
    log(`  hostile ${c.name}: ${r.cases} cases, ${result.crashes} crashes, ${result.leaks} leaks, ${result.wrong} wrong results (${r.summary})`);
    for (const f of findings) log(`    ${f}`);
    out.push(result);
  }
  return out;
}
