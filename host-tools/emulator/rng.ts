// Seeded pseudo-random numbers (mulberry32): every random choice in the
// emulator comes from one of these, so a seed replays a run exactly.

export class Rng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive);
  }

  /** An independent stream derived from this one (one per node, say). */
  fork(): Rng {
    return new Rng(Math.floor(this.next() * 4294967296));
  }
}

/** A seed given as text (`source` names where it came from in the error). */
export function parseSeed(text: string, source: string): number {
  const n = Number(text);
  if (text.trim() === "" || !Number.isInteger(n) || n < 0) throw new Error(`${source} must be a non-negative integer, got "${text}"`);
  return n;
}

/** A fresh seed. */
export function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 31);
}

/** The seed for this run: SPORE_SEED from the environment, else `otherwise()` (a fresh one by default). */
export function seedFromEnv(otherwise: () => number = randomSeed): number {
  const env = process.env.SPORE_SEED;
  return env !== undefined && env !== "" ? parseSeed(env, "SPORE_SEED") : otherwise();
}
