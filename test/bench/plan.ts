// What the benchmark runs: cluster sizes, loss rates, how long each part is
// watched; FULL for npm run bench, SMOKE for --smoke (and the bench test).

export interface Plan {
  smoke: boolean;
  /** Cluster sizes for membership. */
  sizes: number[];
  /**
   * Packet loss rates, and the virtual minutes watched at each for false
   * INACTIVE reports; clusters of `largeFrom` nodes and more (per scheme)
   * are watched `largeMinutes`: SPORE's scheme at 100 nodes makes thousands
   * of HTTP requests per virtual second (at 200 nodes the emulator runs it
   * at about one virtual second per wall-clock second).
   */
  losses: number[];
  minutes: number;
  largeFrom: { spore: number; baseline: number };
  largeMinutes: number;
  /** Virtual seconds of steady state over which load is measured. */
  loadSeconds: number;
  /** Members at idle for the memory figures ("max": the board's member table). */
  idleMembers: (number | "max")[];
  ota: { sizes: number[]; concurrency: number[] };
  speed: { nodes: number; seconds: number };
  /** Cases per hostile-input campaign (test/cluster/hostile-campaigns.ts). */
  hostile: { http: number; forged: number; mqtt: number };
  /** Messages per body size timed on the real interpreter (when ESPRUINO_BIN is set). */
  macRuns: number;
  /** Services: cluster size and calls per latency figure (at each of losses, with 1 and 3 providers), runs of the failover. */
  services: { nodes: number; calls: number; failovers: number };
  /** Jobs: triggers timed per kind, messages spooled, jobs deployed for the JsVars per job. */
  jobs: { samples: number; spooled: number; memoryJobs: number };
  /** A cluster that balances itself: cluster sizes, and runs of each figure (a movable task after a death, after overload; re-election). */
  balance: { sizes: number[]; runs: number };
  /** Failure detection: cluster sizes, seeds (1 to seeds), minutes watched at `loss`; nodes per gossip mode. */
  detection: { sizes: number[]; seeds: number; minutes: number; loss: number; modeNodes: number };
}

export const FULL: Plan = {
  smoke: false,
  sizes: [10, 50, 100, 200],
  losses: [0, 0.05, 0.1],
  minutes: 10,
  largeFrom: { spore: Infinity, baseline: 100 },
  largeMinutes: 1,
  loadSeconds: 60,
  idleMembers: [1, 8, "max"],
  ota: { sizes: [5, 20, 50], concurrency: [1, 4, 8] },
  speed: { nodes: 200, seconds: 60 },
  // what npm test runs
  hostile: { http: 4000, forged: 2000, mqtt: 1000 },
  macRuns: 50,
  services: { nodes: 50, calls: 200, failovers: 10 },
  jobs: { samples: 50, spooled: 64, memoryJobs: 8 },
  balance: { sizes: [50, 200], runs: 5 },
  detection: { sizes: [10, 50, 100, 200], seeds: 5, minutes: 3, loss: 0.1, modeNodes: 50 },
};

export const SMOKE: Plan = {
  smoke: true,
  sizes: [5, 10],
  losses: [0, 0.1],
  minutes: 1,
  largeFrom: { spore: 100, baseline: 10 },
  largeMinutes: 0.5,
  loadSeconds: 20,
  idleMembers: [1, 4],
  ota: { sizes: [3], concurrency: [1, 2] },
  speed: { nodes: 10, seconds: 10 },
  hostile: { http: 80, forged: 200, mqtt: 80 },
  macRuns: 5,
  services: { nodes: 6, calls: 20, failovers: 2 },
  jobs: { samples: 5, spooled: 8, memoryJobs: 2 },
  balance: { sizes: [6], runs: 2 },
  detection: { sizes: [8], seeds: 2, minutes: 0.5, loss: 0.1, modeNodes: 8 },
};
