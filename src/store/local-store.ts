/**
 * @module store/local-store
 * LocalStore: the single-node Store (no Raft). Writes go through group commit
 * into the MVCC state machine with `synchronous=FULL`, so a write is
 * acknowledged only after its transaction is fsynced. Timers propose lease
 * revokes for expired leases and auto-compaction; a vacuum loop then trims
 * history in small steps.
 */
import type { Command, CommandResult } from "./commands.ts";
import { CompactionPolicy } from "./compactor.ts";
import { GroupCommitter } from "./group-commit.ts";
import { validateKey } from "./keys.ts";
import { MvccStateMachine, type SyncMode } from "./mvcc.ts";
import {
  CompactedError,
  FutureRevisionError,
  LeaseNotFoundError,
  StoreClosedError,
  type GetResult,
  type LeaseInfo,
  type RangeOptions,
  type RangeResult,
  type Store,
  type TxnResult,
  type Watcher,
  type WatchOptions,
} from "./types.ts";
import { assertValidCommand, assertValidWatch, InvalidCommandError } from "./validate.ts";
import { VacuumLoop } from "./vacuum.ts";
import { WatchHub } from "./watch-hub.ts";

export interface LocalStoreOptions {
  /** Default "full": fsync on every commit. */
  sync?: SyncMode;
  /** Auto-compaction keeps at most this many revisions (0: no revision bound). Default 10 000. */
  compactRetainRevisions?: number;
  /** Auto-compaction keeps at most this much time, ms (0: no time bound). Default 5 min. */
  compactRetainMs?: number;
  /** How often auto-compaction runs, ms (0: never). Default 10 s. */
  compactIntervalMs?: number;
  /** How often expired leases are looked for, ms. Default 500. */
  leaseCheckIntervalMs?: number;
  /** Default per-watcher buffer (events). Default 10 000. */
  watchBufferLimit?: number;
  /** Most writes per transaction. Default 1024. */
  maxBatch?: number;
  /** History rows per vacuum transaction. Default 2000. */
  vacuumStepRows?: number;
  /** Clock for lease times (ms). Default Date.now. */
  now?: () => number;
}

export class LocalStore implements Store {
  private readonly hub: WatchHub;
  private readonly committer: GroupCommitter;
  private readonly vacuum: VacuumLoop;
  private readonly policy: CompactionPolicy;
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  private readonly revoking = new Set<number>();
  private readonly now: () => number;
  private nextIndex: number;
  private closed = false;

  private constructor(readonly sm: MvccStateMachine, opts: LocalStoreOptions) {
    this.now = opts.now ?? Date.now;
    this.nextIndex = sm.appliedIndex() + 1;
    this.hub = new WatchHub(sm, { bufferLimit: opts.watchBufferLimit });
    sm.onApplied((events, rev) => this.hub.publish(events, rev));
    sm.onRestored(() => this.hub.resync());
    this.committer = new GroupCommitter((cmds) => this.commit(cmds), { maxBatch: opts.maxBatch });
    this.vacuum = new VacuumLoop(sm, { stepRows: opts.vacuumStepRows });
    this.policy = new CompactionPolicy({
      retainRevisions: opts.compactRetainRevisions ?? 10_000,
      retainMs: opts.compactRetainMs ?? 5 * 60_000,
    });
    const compactEvery = opts.compactIntervalMs ?? 10_000;
    if (compactEvery > 0) {
      this.every(compactEvery, () => {
        this.autoCompact().catch((err) => {
          if (!this.closed) console.error("store: auto-compaction failed (retrying next interval):", err);
        });
      });
    }
    this.every(opts.leaseCheckIntervalMs ?? 500, () => this.revokeExpired());
  }

  /** Opens (or creates) the store at `path` (":memory:" for a throwaway store). */
  static async open(path: string, opts: LocalStoreOptions = {}): Promise<LocalStore> {
    const sm = new MvccStateMachine(path, { sync: opts.sync ?? "full" });
    const store = new LocalStore(sm, opts);
    // Like etcd's Promote on a new leader: downtime does not count against lease TTLs.
    await store.propose({ op: "leasePromote", now: store.now() });
    if (sm.vacuumPending()) store.vacuum.kick();
    return store;
  }

  private every(ms: number, fn: () => void): void {
    const t = setInterval(fn, ms);
    (t as { unref?: () => void }).unref?.();
    this.timers.push(t);
  }

  private commit(cmds: Command[]): CommandResult[] {
    const first = this.nextIndex;
    const entries = cmds.map((cmd, i) => ({ index: first + i, cmd }));
    const results = this.sm.applyBatch(entries);
    this.nextIndex = first + cmds.length;
    return results;
  }

  private propose(cmd: Command): Promise<CommandResult> {
    if (this.closed) return Promise.reject(new StoreClosedError());
    assertValidCommand(cmd);
    return this.committer.propose(cmd);
  }

  private checkOpen(): void {
    if (this.closed) throw new StoreClosedError();
  }

  private async txn(cmd: Command): Promise<TxnResult> {
    const r = await this.propose(cmd);
    if (r.op !== "txn") throw new Error(`unexpected result ${r.op} for ${cmd.op}`);
    if (r.error === "LeaseNotFound") throw new LeaseNotFoundError((cmd as { lease?: number }).lease ?? 0);
    return { succeeded: r.succeeded, revision: r.revision, kv: r.kv };
  }

  // ---- reads: served from the committed state (single node: linearizable) ----

  async get(key: string, opts: { revision?: number } = {}): Promise<GetResult> {
    this.checkOpen();
    validateKey(key);
    const revision = this.sm.resolveRevision(opts.revision);
    return { kv: this.sm.get(key, revision), revision };
  }

  async list(prefix: string, opts: RangeOptions = {}): Promise<RangeResult> {
    this.checkOpen();
    if (typeof prefix !== "string") throw new InvalidCommandError("prefix is not a string");
    if (opts.limit !== undefined && !(Number.isSafeInteger(opts.limit) && opts.limit >= 0)) {
      throw new InvalidCommandError("limit must be a non-negative integer");
    }
    return this.sm.range(prefix, opts);
  }

  async count(prefix: string): Promise<{ count: number; revision: number }> {
    this.checkOpen();
    return { count: this.sm.count(prefix), revision: this.sm.currentRevision() };
  }

  // ---- writes ----

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

  // ---- leases ----

  async leaseGrant(ttlSeconds: number): Promise<LeaseInfo> {
    this.checkOpen();
    let id: number;
    do id = randomLeaseId();
    while (this.sm.leaseInfo(id) !== null);
    const r = await this.propose({ op: "leaseGrant", id, ttl: ttlSeconds, now: this.now() });
    if (r.op !== "lease") throw new Error(`unexpected result ${r.op} for leaseGrant`);
    return { id: r.id, ttl: r.ttl };
  }

  async leaseRevoke(id: number): Promise<void> {
    const r = await this.propose({ op: "leaseRevoke", id });
    if (r.op === "lease" && r.error) throw new LeaseNotFoundError(id);
  }

  async leaseKeepAlive(id: number): Promise<LeaseInfo> {
    const r = await this.propose({ op: "leaseKeepAlive", id, now: this.now() });
    if (r.op !== "lease") throw new Error(`unexpected result ${r.op} for leaseKeepAlive`);
    if (r.error) throw new LeaseNotFoundError(id);
    return { id: r.id, ttl: r.ttl };
  }

  /** Proposes a revoke for each expired lease not already being revoked. */
  private revokeExpired(): void {
    if (this.closed) return;
    for (const id of this.sm.expiredLeases(this.now())) {
      if (this.revoking.has(id)) continue;
      this.revoking.add(id);
      this.propose({ op: "leaseRevoke", id })
        .catch(() => {})
        .finally(() => this.revoking.delete(id));
    }
  }

  // ---- compaction ----

  async compact(revision: number): Promise<void> {
    const r = await this.propose({ op: "compact", revision });
    if (r.op !== "compact") throw new Error(`unexpected result ${r.op} for compact`);
    if (r.error === "Compacted") throw new CompactedError(revision, this.sm.compactRevision());
    if (r.error === "FutureRevision") throw new FutureRevisionError(revision, this.sm.currentRevision());
    this.vacuum.kick();
  }

  /** One auto-compaction round (also run by the timer): compacts by the retention policy, then vacuums. */
  async autoCompact(): Promise<void> {
    if (this.closed) return;
    const target = this.policy.target(Date.now(), this.sm.currentRevision(), this.sm.compactRevision());
    if (target > 0) await this.compact(target).catch((err) => {
      if (!(err instanceof CompactedError)) throw err;
    });
    await this.vacuum.idle();
  }

  async currentRevision(): Promise<number> {
    this.checkOpen();
    return this.sm.currentRevision();
  }

  async compactRevision(): Promise<number> {
    this.checkOpen();
    return this.sm.compactRevision();
  }

  async dbSize(): Promise<number> {
    this.checkOpen();
    return this.sm.dbSize();
  }

  /** Group-commit counters: transactions committed and writes in them. */
  stats(): { batches: number; commands: number } {
    return { batches: this.committer.batches, commands: this.committer.commands };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    for (const t of this.timers) clearInterval(t);
    this.committer.close();
    this.closed = true;
    this.vacuum.stop();
    this.hub.close();
    this.sm.close();
  }
}

function randomLeaseId(): number {
  const [hi, lo] = crypto.getRandomValues(new Uint32Array(2)) as unknown as [number, number];
  // 52 random bits, never 0.
  return ((hi & 0xfffff) * 0x100000000 + lo) || 1;
}
