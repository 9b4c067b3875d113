/**
 * @module sim/options
 * Swarm testing (TigerBeetle VOPR): every seed derives its own fault mix and cluster
 * shape, printed with the seed, so one seed replays exactly one run.
 */
import { Prng } from "./prng.ts";

export type Canary = "send-before-persist" | "skip-election-restriction" | "unsafe-read-index";

export interface SimOptions {
  seed: number;
  /** Initial voters (ids 1..nodes). */
  nodes: number;
  /** Upper bound on members while adding learners. */
  maxNodes: number;
  storage: "sqlite" | "memory";
  fsm: "mvcc" | "tiny";
  /**
   * The state machine survives crashes (a durable state.db, as in the real node): a
   * restart then starts Raft at the state machine's applied index instead of rebuilding
   * it from the snapshot and the log.
   */
  durableFsm: boolean;
  tickMs: number;
  electionTick: number;
  heartbeatTick: number;
  maxSizePerMsg: number;
  maxInflightMsgs: number;
  /** 0: no byte limit on in-flight appends. */
  maxInflightBytes: number;
  snapshotEvery: number;
  compactionMargin: number;
  minDelayMs: number;
  meanDelayMs: number;
  dropRate: number;
  duplicateRate: number;
  diskLatencyMs: [number, number];
  /** Mean virtual ms between crashes (0: no crashes). */
  crashEveryMs: number;
  restartAfterMs: [number, number];
  /** Mean virtual ms between partitions (0: none). */
  partitionEveryMs: number;
  partitionForMs: [number, number];
  swizzleEveryMs: number;
  /** Mean virtual ms between graceful leader restarts (transfer, then stop, then start). */
  transferEveryMs: number;
  proposeEveryMs: number;
  readEveryMs: number;
  /** Mean virtual ms between membership actions (0: fixed membership). */
  membershipEveryMs: number;
  safetyMs: number;
  livenessMs: number;
  canary?: Canary;
}

/** Derives the options of a seed. `overrides` win (used by canaries and the CLI). */
export function swarmOptions(seed: number, overrides: Partial<SimOptions> = {}): SimOptions {
  const r = new Prng(seed ^ 0x5eed);
  const nodes = r.chance(0.75) ? 3 : 5;
  const faulty = (p: number, mean: number) => (r.chance(p) ? mean : 0);
  const o: SimOptions = {
    seed,
    nodes,
    maxNodes: nodes + r.between(0, 2),
    storage: r.chance(0.6) ? "sqlite" : "memory",
    fsm: r.chance(0.5) ? "mvcc" : "tiny",
    durableFsm: false,
    tickMs: 10,
    electionTick: 10,
    heartbeatTick: r.pick([1, 1, 2, 3]),
    maxSizePerMsg: r.pick([0, 256, 4096, 1 << 20]),
    maxInflightMsgs: r.pick([1, 4, 64, 256]),
    maxInflightBytes: 0,
    snapshotEvery: r.pick([0, 5, 10, 30]),
    compactionMargin: r.pick([0, 1, 5]),
    minDelayMs: r.between(0, 2),
    meanDelayMs: r.pick([0.5, 2, 5, 15]),
    dropRate: r.pick([0, 0, 0.01, 0.05, 0.15]),
    duplicateRate: r.pick([0, 0, 0.02, 0.1]),
    diskLatencyMs: r.pick([[0, 0], [0, 2], [1, 8]] as Array<[number, number]>),
    crashEveryMs: faulty(0.6, r.pick([150, 400, 1000])),
    restartAfterMs: [10, r.pick([50, 300, 800])],
    partitionEveryMs: faulty(0.6, r.pick([200, 500, 1000])),
    partitionForMs: [50, r.pick([200, 600])],
    swizzleEveryMs: faulty(0.2, 700),
    transferEveryMs: faulty(0.3, r.pick([300, 800])),
    proposeEveryMs: r.pick([8, 20, 40]),
    readEveryMs: r.pick([20, 60]),
    membershipEveryMs: faulty(0.5, r.pick([150, 400])),
    safetyMs: 1200,
    livenessMs: 5000,
  };
  // later additions draw from their own generators so that older seeds keep their options
  o.durableFsm = new Prng(seed ^ 0xd15c).chance(0.5);
  const rb = new Prng(seed ^ 0xb17e5);
  o.maxInflightBytes = rb.chance(0.3) ? Math.max(o.maxSizePerMsg, 64) * rb.pick([1, 4]) : 0;
  return { ...o, ...overrides, seed };
}

/** One line for logs: everything needed besides the seed to understand a run. */
export function describeOptions(o: SimOptions): string {
  const { seed, ...rest } = o;
  return `seed=${seed} ${JSON.stringify(rest)}`;
}
