/**
 * @module cluster/raft-store
 * RaftStore: the Store on a Raft-replicated log. Every server runs one; any of them
 * serves every call.
 *
 * - Writes: proposals `{id, cmd}` (proposal-tracker.ts). Followers forward them to the
 *   leader through Raft; each member resolves its own callers when it applies the entry.
 *   Many proposals in one event-loop turn become one Ready, one fsync (group commit).
 * - Reads: linearizable through ReadIndex, batched (read-barrier.ts), then served from
 *   the local state machine.
 * - Watches: from the local state machine's hub (events in revision order on any member).
 * - Leases: the leader finds expired leases and proposes their revocation, and proposes
 *   `leasePromote` when it takes over; auto-compaction is proposed by the leader with the
 *   LocalStore's policy; each member vacuums its own history after a compaction applies.
 * - Membership: member records in the store (members.ts) plus Raft conf changes.
 */
import { existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { Command, CommandResult } from "../store/commands.ts";
import { CompactionPolicy } from "../store/compactor.ts";
import { validateKey } from "../store/keys.ts";
import { MvccStateMachine } from "../store/mvcc.ts";
import {
  CompactedError,
  FutureRevisionError,
  LeaseNotFoundError,
  StoreClosedError,
  UnavailableError,
  type GetResult,
  type LeaseInfo,
  type RangeOptions,
  type RangeResult,
  type Store,
  type TxnResult,
  type Watcher,
  type WatchOptions,
} from "../store/types.ts";
import { assertValidCommand, assertValidWatch, InvalidCommandError } from "../store/validate.ts";
import { VacuumLoop } from "../store/vacuum.ts";
import { WatchHub } from "../store/watch-hub.ts";
import { bootstrapUpdate } from "../raft/storage.ts";
import { type ConfState, type Entry, NONE } from "../raft/types.ts";
import { SqliteLogStorage } from "./log-storage.ts";
import { LOCAL_SNAPSHOT_MARKER, StoreFsm } from "./fsm.ts";
import { RaftNode, type RaftTiming } from "./raft-node.ts";
import { derivePeerKey } from "./peer-auth.ts";
import { ProposalTracker } from "./proposal-tracker.ts";
import { ReadBarrier } from "./read-barrier.ts";
import { MEMBERS_PREFIX, type MemberRecord, type MemberStatus } from "./members.ts";
import { Membership, MembershipError } from "./membership.ts";
import { logger } from "../util/log.ts";

const log = logger("raft-store");

export interface RaftStoreOptions {
  stateDbPath: string;
  raftDbPath: string;
  memberId: number;
  clusterId: string;
  /** The cluster's join secret (peer connections are signed with a key derived from it). */
  joinSecret: string;
  /** This member's name and API URL, recorded for the other members. */
  name: string;
  url: string;
  /**
   * "bootstrap": a new cluster with this member as its only voter (an existing state.db
   * from a single-node store is kept). "join": an empty member that another member added
   * as a learner; `peers` tells it where the others are until its snapshot arrives.
   * With an existing raft.db both are ignored: the member resumes from disk.
   */
  mode: "bootstrap" | "join";
  peers?: Map<number, string>;
  /** CA for verifying peers' serving certificates (https peers). */
  caPem?: string;
  timing?: RaftTiming;
  snapshotEvery?: number;
  compactionMargin?: number;
  /** Time a write or linearizable read may take before failing (Timeout/Unavailable). Default 5 s. */
  requestTimeoutMs?: number;
  compactRetainRevisions?: number;
  compactRetainMs?: number;
  compactIntervalMs?: number;
  leaseCheckIntervalMs?: number;
  watchBufferLimit?: number;
  vacuumStepRows?: number;
}

export { MembershipError, NotLeaderError } from "./membership.ts";

export class RaftStore implements Store {
  readonly node: RaftNode;
  readonly sm: MvccStateMachine;
  private readonly storage: SqliteLogStorage;
  private readonly fsm: StoreFsm;
  private readonly hub: WatchHub;
  private readonly tracker: ProposalTracker;
  private readonly reads: ReadBarrier;
  private readonly vacuum: VacuumLoop;
  private readonly policy: CompactionPolicy;
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  private readonly revoking = new Set<number>();
  private readonly membership: Membership;
  private closed = false;
  private closing: Promise<void> | null = null;
  private readonly removedListeners = new Set<() => void>();
  private readonly fatalListeners = new Set<(err: unknown) => void>();
  private readonly requestTimeoutMs: number;
  /**
   * TEST ONLY (KITE_TEST_STALE_READS=1, like KITE_TEST_FAULTS): a follower serves reads from
   * its local state without a ReadIndex round, i.e. possibly stale. A deliberately broken
   * read path, so the HA fault test (test/cluster/jepsen.test.ts) can prove that its checker
   * catches stale reads. Never set it in production.
   */
  private readonly staleReads = process.env.KITE_TEST_STALE_READS === "1";

  private constructor(private readonly o: RaftStoreOptions) {
    this.requestTimeoutMs = o.requestTimeoutMs ?? 5000;
    if (this.staleReads) log.warn("stale follower reads are enabled (KITE_TEST_STALE_READS=1): reads are NOT linearizable; never in production");
    mkdirSync(dirname(o.stateDbPath), { recursive: true });
    this.sm = new MvccStateMachine(o.stateDbPath, { sync: "normal" });
    this.storage = new SqliteLogStorage(o.raftDbPath);
    if (this.isEmptyLog()) {
      if (o.mode === "bootstrap") this.bootstrapLog();
      else if (this.sm.appliedIndex() !== 0) {
        this.sm.close();
        this.storage.close();
        throw new MembershipError(`cannot join: ${o.stateDbPath} already holds state; a joining server needs an empty data dir`);
      }
    }
    const cs = this.storage.initialState().confState;
    if (cs.voters.length + cs.learners.length > 0 && !cs.voters.includes(o.memberId) && !cs.learners.includes(o.memberId)) {
      this.sm.close();
      this.storage.close();
      throw new MembershipError(`member ${o.memberId.toString(16)} was removed from the cluster; empty the data dir to join again`);
    }
    this.fsm = new StoreFsm(this.sm);
    // Entries the state machine applied were committed, even if the (unsynced) record of
    // the commit index did not survive a power cut.
    if (!this.isEmptyLog()) this.storage.raiseCommit(this.sm.appliedIndex());
    this.node = new RaftNode({
      id: o.memberId,
      storage: this.storage,
      fsm: this.fsm,
      identity: { clusterId: o.clusterId, key: derivePeerKey(o.joinSecret) },
      caPem: o.caPem,
      timing: o.timing,
      snapshotEvery: o.snapshotEvery,
      compactionMargin: o.compactionMargin,
    });
    this.membership = new Membership({
      selfId: o.memberId,
      name: o.name,
      url: o.url,
      node: this.node,
      sm: this.sm,
      seedPeers: new Map(o.peers ?? []),
      requestTimeoutMs: this.requestTimeoutMs,
      isClosed: () => this.closed,
      linearize: () => this.linearize(),
      create: (k, v) => this.create(k, v),
      update: (k, v, rev) => this.update(k, v, rev),
      delete: (k, rev) => this.delete(k, rev),
    });
    this.hub = new WatchHub(this.sm, { bufferLimit: o.watchBufferLimit });
    this.sm.onApplied((events, rev) => this.hub.publish(events, rev));
    this.sm.onRestored(() => {
      this.hub.resync();
      this.membership.load();
    });
    this.tracker = new ProposalTracker(
      { leader: () => this.node.leader, term: () => this.node.term, propose: (d) => this.node.propose(d) },
      o.memberId,
      this.requestTimeoutMs,
    );
    this.reads = new ReadBarrier(
      { readIndex: (ctx) => this.node.readIndex(ctx), appliedIndex: () => this.sm.appliedIndex() },
      `${o.memberId.toString(16)}.r${Date.now().toString(36)}.`,
      this.requestTimeoutMs,
      Math.max(100, this.node.electionTimeoutMs / 2),
    );
    this.vacuum = new VacuumLoop(this.sm, { stepRows: o.vacuumStepRows });
    this.policy = new CompactionPolicy({ retainRevisions: o.compactRetainRevisions ?? 10_000, retainMs: o.compactRetainMs ?? 5 * 60_000 });
    this.node.events = {
      onApplied: (ents, results) => this.applied(ents, results),
      onReadStates: (rs) => this.reads.onReadStates(rs),
      onSoftState: (ss) => {
        this.reads.leaderChanged();
        if (ss.lead !== NONE) this.tracker.retry();
        if (ss.raftState === "leader") this.becameLeader();
      },
      onConfState: () => this.membership.updatePeers(),
      onRemoved: () => {
        for (const l of this.removedListeners) l();
      },
      onFatal: (err) => {
        this.tracker.close();
        this.reads.close();
        for (const l of this.fatalListeners) l(err);
      },
    };
    this.membership.load();
    const compactEvery = o.compactIntervalMs ?? 10_000;
    if (compactEvery > 0) {
      this.every(compactEvery, () => {
        this.autoCompact().catch((err) => {
          if (!this.closed) log.warn("auto-compaction failed (retrying next interval)", { error: err as Error });
        });
      });
    }
    this.every(o.leaseCheckIntervalMs ?? 500, () => this.revokeExpired());
    if (this.sm.vacuumPending()) this.vacuum.kick();
  }

  /** Opens the member's databases and starts Raft. A bootstrapped member waits until it leads. */
  static async open(opts: RaftStoreOptions): Promise<RaftStore> {
    const s = new RaftStore(opts);
    s.node.start();
    if (opts.mode === "bootstrap" && s.node.confState.voters.length === 1 && s.node.confState.voters[0] === opts.memberId) {
      const deadline = Date.now() + 10_000;
      while (!s.node.isLeader && Date.now() < deadline) await Bun.sleep(5);
    }
    void s.membership.ensureOwnRecord();
    return s;
  }

  /**
   * Waits (without a deadline) until a linearizable read succeeds: a leader exists and
   * this member has caught up to it. `onWait` is called about every 10 s while waiting.
   */
  async waitReady(onWait?: (waitedMs: number) => void): Promise<void> {
    const start = Date.now();
    let told = start;
    for (;;) {
      this.checkOpen();
      try {
        await this.linearize();
        return;
      } catch (err) {
        if (!(err instanceof UnavailableError)) throw err;
      }
      if (Date.now() - told >= 10_000) {
        told = Date.now();
        onWait?.(told - start);
      }
    }
  }

  private isEmptyLog(): boolean {
    const st = this.storage.initialState();
    return this.storage.lastIndex() === 0 && st.hardState.term === 0 && this.storage.snapshot().metadata.index === 0;
  }

  /** The first member's log: a snapshot at the state machine's applied index (1 for a new one). */
  private bootstrapLog(): void {
    const cs: ConfState = { voters: [this.o.memberId], learners: [] };
    const applied = this.sm.appliedIndex();
    if (applied === 0) return this.storage.bootstrap(cs);
    // Upgrading a single-node (LocalStore) state.db: keep its state; the log starts after it.
    log.info("bootstrapping raft over an existing state database", { appliedIndex: applied });
    const u = bootstrapUpdate(cs);
    u.snapshot!.metadata.index = applied;
    u.snapshot!.data = LOCAL_SNAPSHOT_MARKER;
    u.hardState!.commit = applied;
    this.storage.save(u);
  }

  private every(ms: number, fn: () => void): void {
    const t = setInterval(fn, ms);
    (t as { unref?: () => void }).unref?.();
    this.timers.push(t);
  }

  private applied(ents: Entry[], results: CommandResult[]): void {
    const decoded = this.fsm.lastDecoded;
    this.tracker.onApplied(decoded, results, ents[ents.length - 1]!.term);
    this.reads.onApplied(this.sm.appliedIndex());
    let members = false;
    for (let i = 0; i < decoded.length; i++) {
      const cmd = decoded[i]!.cmd;
      if (cmd.op === "compact" && results[i]!.op === "compact" && !(results[i] as { error?: string }).error) this.vacuum.kick();
      if ("key" in cmd && cmd.key.startsWith(MEMBERS_PREFIX)) members = true;
    }
    if (members) this.membership.load();
  }

  private becameLeader(): void {
    // Like etcd's Promote: time without a leader does not count against lease TTLs.
    this.propose({ op: "leasePromote", now: Date.now() }).catch(() => {});
    void this.membership.ensureOwnRecord();
  }

  // ---- members ----

  /** Every member with its role (voter or learner) and whether it leads. */
  members(): MemberStatus[] {
    return this.membership.members();
  }

  /** The leader's API URL, if known. */
  leaderUrl(): string | null {
    return this.membership.leaderUrl();
  }

  get memberId(): number {
    return this.o.memberId;
  }

  /** Called when this member is removed from the cluster (its Raft has stopped). */
  onRemoved(listener: () => void): () => void {
    this.removedListeners.add(listener);
    return () => this.removedListeners.delete(listener);
  }

  /** Called when Raft stopped on an error it cannot go on after (e.g. a failed disk write). */
  onFatal(listener: (err: unknown) => void): () => void {
    this.fatalListeners.add(listener);
    return () => this.fatalListeners.delete(listener);
  }

  /** Leader only: records a new member and adds it as a learner (promoted once caught up). */
  addMember(name: string, url: string): Promise<MemberRecord> {
    return this.membership.addMember(name, url);
  }

  /** Removes a member (a leader removing itself hands leadership over first), then its record. */
  removeMember(id: number): Promise<void> {
    return this.membership.removeMember(id);
  }

  // ---- Store ----

  private checkOpen(): void {
    if (this.closed) throw new StoreClosedError();
  }

  private propose(cmd: Command): Promise<CommandResult> {
    if (this.closed) return Promise.reject(new StoreClosedError());
    assertValidCommand(cmd);
    return this.tracker.propose(cmd);
  }

  /** Waits until local reads are linearizable (ReadIndex round + apply). */
  linearize(): Promise<void> {
    return this.reads.wait();
  }

  /** The barrier before get/list/count: linearize(), except on the test-only broken path (see staleReads). */
  private readBarrier(): Promise<void> {
    if (this.staleReads && !this.node.isLeader) return Promise.resolve();
    return this.linearize();
  }

  private async txn(cmd: Command): Promise<TxnResult> {
    const r = await this.propose(cmd);
    if (r.op !== "txn") throw new Error(`unexpected result ${r.op} for ${cmd.op}`);
    if (r.error === "LeaseNotFound") throw new LeaseNotFoundError((cmd as { lease?: number }).lease ?? 0);
    return { succeeded: r.succeeded, revision: r.revision, kv: r.kv };
  }

  async get(key: string, opts: { revision?: number } = {}): Promise<GetResult> {
    this.checkOpen();
    validateKey(key);
    await this.readBarrier();
    this.checkOpen();
    const revision = this.sm.resolveRevision(opts.revision);
    return { kv: this.sm.get(key, revision), revision };
  }

  async list(prefix: string, opts: RangeOptions = {}): Promise<RangeResult> {
    this.checkOpen();
    if (typeof prefix !== "string") throw new InvalidCommandError("prefix is not a string");
    if (opts.limit !== undefined && !(Number.isSafeInteger(opts.limit) && opts.limit >= 0)) {
      throw new InvalidCommandError("limit must be a non-negative integer");
    }
    await this.readBarrier();
    this.checkOpen();
    return this.sm.range(prefix, opts);
  }

  async count(prefix: string): Promise<{ count: number; revision: number }> {
    this.checkOpen();
    await this.readBarrier();
    this.checkOpen();
    return { count: this.sm.count(prefix), revision: this.sm.currentRevision() };
  }

  create(key: string, value: string, opts: { lease?: number } = {}): Promise<TxnResult> {
    return this.txn({ op: "create", key, value, lease: opts.lease ?? 0 });
  }

  update(key: string, value: string, expectedRevision: number, opts: { lease?: number } = {}): Promise<TxnResult> {
    return this.txn({ op: "update", key, value, expectedRevision, lease: opts.lease ?? 0 });
  }

  delete(key: string, expectedRevision = 0): Promise<TxnResult> {
    return this.txn({ op: "delete", key, expectedRevision });
  }

  watch(prefix: string, opts: WatchOptions): Watcher {
    assertValidWatch(prefix, opts);
    return this.hub.watch(prefix, opts);
  }

  async leaseGrant(ttlSeconds: number): Promise<LeaseInfo> {
    this.checkOpen();
    let id: number;
    do id = randomLeaseId();
    while (this.sm.leaseInfo(id) !== null);
    const r = await this.propose({ op: "leaseGrant", id, ttl: ttlSeconds, now: Date.now() });
    if (r.op !== "lease") throw new Error(`unexpected result ${r.op} for leaseGrant`);
    return { id: r.id, ttl: r.ttl };
  }

  async leaseRevoke(id: number): Promise<void> {
    const r = await this.propose({ op: "leaseRevoke", id });
    if (r.op === "lease" && r.error) throw new LeaseNotFoundError(id);
  }

  async leaseKeepAlive(id: number): Promise<LeaseInfo> {
    const r = await this.propose({ op: "leaseKeepAlive", id, now: Date.now() });
    if (r.op !== "lease") throw new Error(`unexpected result ${r.op} for leaseKeepAlive`);
    if (r.error) throw new LeaseNotFoundError(id);
    return { id: r.id, ttl: r.ttl };
  }

  /** Leader: proposes a revoke for each expired lease not already being revoked. */
  private revokeExpired(): void {
    if (this.closed || !this.node.isLeader) return;
    for (const id of this.sm.expiredLeases(Date.now())) {
      if (this.revoking.has(id)) continue;
      this.revoking.add(id);
      this.propose({ op: "leaseRevoke", id })
        .catch(() => {})
        .finally(() => this.revoking.delete(id));
    }
  }

  async compact(revision: number): Promise<void> {
    const r = await this.propose({ op: "compact", revision });
    if (r.op !== "compact") throw new Error(`unexpected result ${r.op} for compact`);
    if (r.error === "Compacted") throw new CompactedError(revision, this.sm.compactRevision());
    if (r.error === "FutureRevision") throw new FutureRevisionError(revision, this.sm.currentRevision());
  }

  /** One auto-compaction round (leader only; also run by the timer), then this member's vacuum. */
  async autoCompact(): Promise<void> {
    if (this.closed) return;
    if (this.node.isLeader) {
      const target = this.policy.target(Date.now(), this.sm.currentRevision(), this.sm.compactRevision());
      if (target > 0) {
        await this.compact(target).catch((err) => {
          if (!(err instanceof CompactedError)) throw err;
        });
      }
    }
    await this.vacuum.idle();
  }

  async currentRevision(): Promise<number> {
    this.checkOpen();
    await this.linearize();
    this.checkOpen();
    return this.sm.currentRevision();
  }

  async compactRevision(): Promise<number> {
    this.checkOpen();
    await this.linearize();
    this.checkOpen();
    return this.sm.compactRevision();
  }

  async dbSize(): Promise<number> {
    this.checkOpen();
    return this.sm.dbSize();
  }

  /** Writes failed as lost with a leader change, and proposals still pending. */
  stats(): { lostOnLeaderChange: number; pendingWrites: number; readRounds: number } {
    return { lostOnLeaderChange: this.tracker.lostOnLeaderChange, pendingWrites: this.tracker.pending, readRounds: this.reads.rounds };
  }

  /** Hands leadership to another voter if this member leads (first step of a graceful shutdown). */
  async transferLeadership(): Promise<boolean> {
    if (this.closed || !this.node.isLeader) return true;
    return this.node.transferAway();
  }

  /** Stops Raft (a leader hands over first), then closes the databases. */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    if (!this.node.isStopped && this.node.isLeader) await this.node.transferAway().catch(() => false);
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    this.tracker.close();
    this.reads.close();
    await this.node.stop({ transfer: false });
    this.vacuum.stop();
    this.hub.close();
    this.storage.close();
    this.sm.close();
  }
}

/** Whether `dir` holds a Raft member's log. */
export function hasRaftLog(raftDbPath: string): boolean {
  return existsSync(raftDbPath);
}

function randomLeaseId(): number {
  const [hi, lo] = crypto.getRandomValues(new Uint32Array(2)) as unknown as [number, number];
  return ((hi & 0xfffff) * 0x100000000 + lo) || 1;
}
