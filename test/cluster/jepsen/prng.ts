/**
 * @module test/cluster/jepsen/prng
 * A small seeded PRNG (sfc32, seeded through splitmix32) so that a fault test's schedule
 * and its clients' choices replay from one printed seed.
 */

export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(readonly seed: number) {
    let s = seed >>> 0;
    const next = () => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
      z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
      return (z ^ (z >>> 15)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.next();
  }

  /** Uniform in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** Integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(xs: readonly T[]): T {
    if (xs.length === 0) throw new RangeError("pick from an empty list");
    return xs[Math.floor(this.next() * xs.length)]!;
  }

  /** A new generator whose stream depends only on this one's seed and `salt`. */
  fork(salt: number): Prng {
    return new Prng((Math.imul(this.seed ^ 0x5bd1e995, 0x27d4eb2d) + Math.imul(salt + 1, 0x165667b1)) | 0);
  }
}

/** The seed from KITE_JEPSEN_SEED (decimal or 0x hex), else a random one. */
export function seedFromEnv(env: Record<string, string | undefined> = process.env): number {
  const raw = env.KITE_JEPSEN_SEED?.trim();
  if (raw) {
    const n = raw.startsWith("0x") ? parseInt(raw.slice(2), 16) : Number(raw);
    if (!Number.isSafeInteger(n)) throw new TypeError(`KITE_JEPSEN_SEED=${raw}: not an integer`);
    return n >>> 0;
  }
  return crypto.getRandomValues(new Uint32Array(1))[0]!;
}
