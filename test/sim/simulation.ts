/**
 * @module sim/simulation
 * One deterministic simulation run: a seed gives the options (swarm), the cluster, the
 * fault schedule and every random choice. The run has two phases (TigerBeetle VOPR):
 *  - safety: clients write and read while nodes crash and restart, the network drops,
 *    duplicates, delays, reorders and partitions messages, leaders restart gracefully and
 *    the membership changes; the checkers run after every event;
 *  - liveness: everything heals and restarts; the cluster must converge (one leader,
 *    every member applied everything, a barrier write committed) within livenessMs.
 * At the end the committed log is replayed into an independent model (TinyKv) that must
 * match every replica's state and every acknowledged result.
 */
import type { Message } from "../../src/raft/types.ts";
import { Checker, SafetyViolation } from "./checkers.ts";
import { EventQueue } from "./events.ts";
import { ScratchDir, TinyKv } from "./fsm.ts";
import { SimNetwork } from "./network.ts";
import { type NodeEnv, SimNode } from "./node.ts";
import { type SimOptions, describeOptions, swarmOptions } from "./options.ts";
import { Prng } from "./prng.ts";
import { Clients, Membership, type World } from "./workload.ts";

export interface SimFailure {
  kind: string;
  message: string;
  atMs: number;
}

export interface SimResult {
  seed: number;
  ok: boolean;
  options: SimOptions;
  failure?: SimFailure;
  stats: Record<string, number>;
  /** The last trace lines (for failures). */
  trace: string[];
  wallMs: number;
}

const TRACE_LINES = 80;

export function runSimulation(seed: number, overrides: Partial<SimOptions> = {}): SimResult {
  const started = performance.now();
  const sim = new Simulation(swarmOptions(seed, overrides));
  try {
    sim.run();
    return sim.result(undefined, performance.now() - started);
  } catch (e) {
    const failure: SimFailure =
      e instanceof SafetyViolation
        ? { kind: e.kind, message: e.message, atMs: sim.q.now }
        : { kind: e instanceof Error ? e.name : "error", message: e instanceof Error ? (e.stack ?? e.message) : String(e), atMs: sim.q.now };
    return sim.result(failure, performance.now() - started);
  } finally {
    sim.dispose();
  }
}

export class Simulation implements World {
  readonly q = new EventQueue();
  private readonly rng: Prng;
  private readonly net: SimNetwork;
  private readonly nodes = new Map<number, SimNode>();
  private readonly checker = new Checker();
  private readonly clients: Clients;
  private readonly membership: Membership;
  private readonly scratch = new ScratchDir();
  private readonly env: NodeEnv;
  private readonly traceBuf: string[] = [];
  private phase: "safety" | "liveness" = "safety";
  private barrierId: string | undefined;
  private barrier: { leader: number; term: number; at: number } | undefined;
  private converged = false;
  private stats = { crashes: 0, restarts: 0, partitions: 0, transfers: 0, snapshotsSent: 0 };

  constructor(readonly o: SimOptions) {
    this.rng = new Prng(o.seed);
    this.net = new SimNetwork(
      this.q,
      this.rng.fork(),
      { minDelayMs: o.minDelayMs, meanDelayMs: o.meanDelayMs, dropRate: o.dropRate, duplicateRate: o.duplicateRate },
      {
        deliver: (m) => this.nodes.get(m.to)?.step(m),
        dropped: (m, reason) => {
          const from = this.nodes.get(m.from);
          if (from === undefined || !from.up) return;
          if (m.type === "MsgSnap") from.act((rn) => rn.reportSnapshot(m.to, "failure"));
          else if (reason === "partition") from.act((rn) => rn.reportUnreachable(m.to));
        },
        snapshotDelivered: (m) => {
          this.stats.snapshotsSent++;
          const from = this.nodes.get(m.from);
          if (from !== undefined && from.up) from.act((rn) => rn.reportSnapshot(m.to, "finish"));
        },
      },
    );
    this.clients = new Clients(this.rng.fork(), this);
    this.membership = new Membership(this.rng.fork(), this, o.maxNodes);
    this.env = {
      q: this.q,
      rng: this.rng.fork(),
      scratch: this.scratch,
      storage: o.storage,
      fsm: o.fsm,
      durableFsm: o.durableFsm,
      tickMs: o.tickMs,
      electionTick: o.electionTick,
      heartbeatTick: o.heartbeatTick,
      maxSizePerMsg: o.maxSizePerMsg,
      maxInflightMsgs: o.maxInflightMsgs,
      maxInflightBytes: o.maxInflightBytes,
      snapshotEvery: o.snapshotEvery,
      compactionMargin: o.compactionMargin,
      diskLatencyMs: o.diskLatencyMs,
      canary: o.canary,
      send: (msgs: Message[]) => {
        for (const m of msgs) this.net.send(m);
      },
      onPersisted: (n, rd) => this.checker.onPersisted(n, rd),
      onApplied: (n, entries, results) => {
        this.checker.onApplied(n, entries);
        this.clients.onApplied(n, entries, results);
      },
      onSnapshotApplied: (n, snap) => this.checker.onSnapshotApplied(n, snap),
      onReadStates: (n, rs) => this.clients.onReadStates(n, rs),
      trace: (line) => this.trace(line),
    };
    const voters = Array.from({ length: o.nodes }, (_, i) => i + 1);
    for (const id of voters) this.nodes.set(id, new SimNode(id, this.env, { voters, learners: [] }));
  }

  // ---- World ----
  now(): number {
    return this.q.now;
  }
  upNodes(): SimNode[] {
    return [...this.nodes.values()].filter((n) => n.up);
  }
  allNodes(): SimNode[] {
    return [...this.nodes.values()];
  }
  node(id: number): SimNode | undefined {
    return this.nodes.get(id);
  }
  leader(): SimNode | undefined {
    let best: SimNode | undefined;
    for (const n of this.nodes.values()) {
      if (n.up && n.rn.state === "leader" && (best === undefined || n.rn.term > best.rn.term)) best = n;
    }
    return best;
  }
  addNode(id: number): SimNode {
    const n = new SimNode(id, this.env, undefined);
    this.nodes.set(id, n);
    n.start();
    return n;
  }
  removeNode(id: number): void {
    this.nodes.get(id)?.remove();
  }
  trace(line: string): void {
    this.traceBuf.push(`${this.q.now.toFixed(1)}ms ${line}`);
    if (this.traceBuf.length > TRACE_LINES * 2) this.traceBuf.splice(0, TRACE_LINES);
  }

  // ---- scheduling ----
  private every(meanMs: number, label: string, fn: () => void): void {
    if (meanMs <= 0) return;
    const loop = () => {
      this.q.schedule(this.rng.exponential(meanMs), label, () => {
        if (this.phase !== "safety") return;
        fn();
        loop();
      });
    };
    loop();
  }

  run(): void {
    const o = this.o;
    for (const n of this.nodes.values()) n.start();
    this.every(o.proposeEveryMs, "propose", () => this.clients.propose());
    this.every(o.readEveryMs, "read", () => this.clients.read());
    this.every(o.crashEveryMs, "crash", () => this.crashOne());
    this.every(o.partitionEveryMs, "partition", () => this.partition());
    this.every(o.swizzleEveryMs, "swizzle", () => this.swizzle());
    this.every(o.transferEveryMs, "graceful-restart", () => this.gracefulRestart());
    this.every(o.membershipEveryMs, "membership", () => this.membership.step());
    this.q.schedule(o.safetyMs, "liveness", () => this.startLiveness());
    const deadline = o.safetyMs + o.livenessMs;
    while (!this.converged) {
      const label = this.q.runNext(deadline);
      if (label === undefined) break;
      this.checker.afterEvent(this.nodes.values());
    }
    if (!this.converged) {
      throw new SafetyViolation("liveness", `the cluster did not converge within ${o.livenessMs}ms of healing: ${this.describeCluster()}`);
    }
    this.finalChecks();
  }

  private crashOne(): void {
    const up = this.upNodes();
    if (up.length === 0) return;
    const n = this.rng.pick(up);
    n.crash("nemesis");
    this.stats.crashes++;
    this.restartLater(n);
  }

  private restartLater(n: SimNode): void {
    const [lo, hi] = this.o.restartAfterMs;
    this.q.schedule(lo + this.rng.float() * (hi - lo), "restart", () => {
      if (n.up || n.removed) return;
      n.start();
      this.stats.restarts++;
    });
  }

  private partition(): void {
    const ids = this.upNodes().map((n) => n.id);
    if (ids.length < 2) return;
    this.stats.partitions++;
    const mode = this.rng.int(4);
    if (mode === 0) {
      const a = this.rng.shuffle([...ids]).slice(0, 1 + this.rng.int(ids.length - 1));
      const b = ids.filter((id) => !a.includes(id));
      this.net.split(a, b);
      this.trace(`partition split [${a}] | [${b}]`);
    } else if (mode === 1) {
      const lone = this.leader()?.id ?? this.rng.pick(ids);
      this.net.split([lone], ids.filter((id) => id !== lone));
      this.trace(`partition isolate ${lone}`);
    } else {
      // asymmetric: some links only fail one way
      const k = 1 + this.rng.int(ids.length);
      for (let i = 0; i < k; i++) {
        const from = this.rng.pick(ids);
        const to = this.rng.pick(ids);
        if (from !== to) this.net.blockOneWay(from, to);
      }
      this.trace(`partition one-way x${k}`);
    }
    const [lo, hi] = this.o.partitionForMs;
    this.q.schedule(lo + this.rng.float() * (hi - lo), "heal", () => {
      this.net.heal();
      this.trace("network healed");
    });
  }

  private swizzle(): void {
    const ids = this.upNodes().map((n) => n.id);
    if (ids.length < 2) return;
    const subset = this.rng.shuffle([...ids]).slice(0, 1 + this.rng.int(ids.length));
    this.net.swizzle(subset, ids, 15);
    this.trace(`swizzle-clog [${subset}]`);
  }

  /** Graceful shutdown of the leader: transfer leadership first, then stop, then start again. */
  private gracefulRestart(): void {
    const leader = this.leader();
    if (leader === undefined) return;
    const progress = leader.rn.status().progress;
    let target: number | undefined;
    let best = -1;
    for (const id of leader.confState.voters) {
      const pr = progress.get(id);
      const n = this.nodes.get(id);
      if (id === leader.id || pr === undefined || n === undefined || !n.up) continue;
      if (pr.match > best) {
        best = pr.match;
        target = id;
      }
    }
    if (target === undefined) return;
    this.stats.transfers++;
    this.trace(`graceful restart of leader ${leader.id}: transfer to ${target}`);
    leader.act((rn) => rn.transferLeader(target));
    const inc = leader.incarnation;
    this.q.schedule(this.o.electionTick * this.o.tickMs, "graceful-stop", () => {
      if (leader.incarnation !== inc || !leader.up) return;
      leader.crash("graceful stop");
      this.restartLater(leader);
    });
  }

  // ---- liveness ----
  private startLiveness(): void {
    this.phase = "liveness";
    this.trace("liveness phase: healing everything");
    this.net.heal();
    this.net.opts = { ...this.net.opts, dropRate: 0, duplicateRate: 0 };
    for (const n of this.nodes.values()) if (!n.up && !n.removed) n.start();
    const poll = () => {
      this.q.schedule(20, "converge?", () => {
        this.membership.settle();
        if (this.checkConverged()) {
          this.converged = true;
          return;
        }
        poll();
      });
    };
    poll();
  }

  private checkConverged(): boolean {
    const leader = this.leader();
    if (leader === undefined) return false;
    if (this.barrierId === undefined || !this.clients.acked.has(this.barrierId)) {
      // propose the barrier once per leadership (or again after a long wait): proposing
      // more would grow the log as fast as a slow configuration replicates it
      const b = this.barrier;
      const stale = b === undefined || b.leader !== leader.id || b.term !== leader.rn.term || this.q.now - b.at > 2000;
      if (stale) {
        this.barrierId = this.clients.barrier(leader);
        this.barrier = { leader: leader.id, term: leader.rn.term, at: this.q.now };
      }
      return false;
    }
    const rn = leader.rn;
    if (rn.committed !== rn.lastIndex()) return false;
    const cs = leader.confState;
    for (const id of [...cs.voters, ...cs.learners]) {
      const n = this.nodes.get(id);
      if (n === undefined || !n.up) return false;
      if (n.rn.applied !== rn.committed || n.fsm.appliedIndex() !== rn.committed) return false;
      if (JSON.stringify(n.confState) !== JSON.stringify(cs)) return false;
    }
    return true;
  }

  private describeCluster(): string {
    const leader = this.leader();
    const progress =
      leader === undefined
        ? ""
        : ` | leader ${leader.id} progress: ` +
          [...leader.rn.raft.trk.progress].map(([id, pr]) => `${id}=${pr.toString()}`).join(", ");
    return [...this.nodes.values()]
      .map((n) =>
        n.up
          ? `${n.id}:${n.rn.state}@${n.rn.term} lead=${n.rn.lead} commit=${n.rn.committed} applied=${n.rn.applied} last=${n.rn.lastIndex()} conf=${JSON.stringify(n.confState)}`
          : `${n.id}:${n.removed ? "removed" : "down"}`,
      )
      .join("; ") + progress;
  }

  /** Replays the committed log into an independent model and compares with every replica. */
  private finalChecks(): void {
    const leader = this.leader()!;
    const upTo = leader.rn.committed;
    const model = new TinyKv();
    model.restoreSnapshot({ metadata: { index: 1, term: 1, confState: { voters: [], learners: [] } }, data: new Uint8Array() });
    const log = this.checker.committedLog(upTo);
    const results = model.applyEntries(log);
    const resultAt = new Map(log.map((e, i) => [e.index, results[i]!]));
    const want = model.canonical();
    const cs = leader.confState;
    let digest: string | undefined;
    for (const id of [...cs.voters, ...cs.learners]) {
      const n = this.nodes.get(id)!;
      if (n.fsm.canonical() !== want) {
        throw new SafetyViolation("model-mismatch", `node ${id} state differs from the replayed committed log`);
      }
      const d = n.fsm.digest();
      if (digest !== undefined && d !== digest) throw new SafetyViolation("replica-divergence", `node ${id} final digest differs`);
      digest = d;
    }
    for (const [id, ack] of this.clients.acked) {
      const got = resultAt.get(ack.index);
      if (got === undefined) throw new SafetyViolation("lost-write", `acknowledged ${id} at index ${ack.index} is not in the committed log`);
      const entry = log[ack.index - 2]!;
      if (!entry.data.includes(`"id":"${id}"`)) {
        throw new SafetyViolation("lost-write", `acknowledged ${id} at index ${ack.index}, but the committed entry there is ${entry.data.slice(0, 60)}`);
      }
      const a = ack.result;
      if (a.op !== got.op || (a.op === "txn" && got.op === "txn" && (a.succeeded !== got.succeeded || a.revision !== got.revision))) {
        throw new SafetyViolation("result-mismatch", `acknowledged ${id}: replica answered ${JSON.stringify(a)}, the model ${JSON.stringify(got)}`);
      }
    }
  }

  result(failure: SimFailure | undefined, wallMs: number): SimResult {
    let leaders = 0;
    for (const _ of this.checker.leaders) leaders++;
    return {
      seed: this.o.seed,
      ok: failure === undefined,
      options: this.o,
      failure,
      stats: {
        virtualMs: Math.round(this.q.now),
        events: this.q.processed,
        committed: this.checker.maxCommitted,
        leaders,
        ...this.stats,
        ...this.clients.stats,
        ...this.membership.stats,
        sent: this.net.sent,
        lost: this.net.lost,
      },
      trace: this.traceBuf.slice(-TRACE_LINES),
      wallMs,
    };
  }

  dispose(): void {
    for (const n of this.nodes.values()) {
      try {
        n.destroy();
      } catch {
        // best effort: the run is over
      }
    }
    this.scratch.dispose();
  }
}

export { describeOptions };
