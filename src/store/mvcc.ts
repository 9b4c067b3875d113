/**
 * @module store/mvcc
 * MvccStateMachine: the deterministic key-value state machine on bun:sqlite
 * (WAL), applied by the local store's group commit or by the Raft log.
 *
 * - `applyBatch` applies committed entries in one transaction together with the
 *   new applied index, skipping entries already applied (replay is idempotent).
 * - Reads serve the current revision or any revision not yet compacted.
 * - After each committed batch, `onApplied` listeners get the batch's watch
 *   events in revision order (the watch hub pushes them; nothing polls).
 * - Compaction is a command (logical); `vacuumStep` removes the unreachable
 *   history afterwards in small transactions; `reclaimSpace` shrinks the file.
 * - `snapshotTo`/`restoreFrom` copy whole states for Raft; `digest` compares replicas.
 */
import { Database, type Statement } from "bun:sqlite";
import { closeSync, copyFileSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { CommandResult, CommittedEntry } from "./commands.ts";
import { CompactedError, FutureRevisionError, StoreClosedError, type KeyValue, type RangeResult, type WatchEvent } from "./types.ts";
import { Applier } from "./mvcc-apply.ts";
import { MvccReader } from "./mvcc-read.ts";
import { digestState, Vacuumer } from "./mvcc-maint.ts";
import { initDatabase, SCHEMA_VERSION, SchemaVersionError, type SyncMode } from "./schema.ts";

export type { SyncMode } from "./schema.ts";

export interface MvccOptions {
  /** "full": every commit fsyncs the WAL (the local store). "normal": for a state machine behind a durable Raft log. */
  sync?: SyncMode;
  /** SQLite page cache in KiB. */
  cacheKiB?: number;
}

/** Called after every committed batch with its events (ascending revision) and the revision after it. */
export type AppliedListener = (events: WatchEvent[], revision: number) => void;

/** An entry's index is not the next one after the applied index (a log was skipped or reordered). */
export class ApplyOrderError extends Error {
  constructor(readonly expected: number, readonly got: number) {
    super(`cannot apply entry ${got}: the next index to apply is ${expected}`);
    this.name = "ApplyOrderError";
  }
}

export interface LeaseRecord {
  id: number;
  ttl: number;
  /** Expiry in ms, on the proposers' clock. */
  expiry: number;
}

const isMemory = (path: string) => path === ":memory:" || path === "";

export class MvccStateMachine {
  private db!: Database;
  private applier!: Applier;
  private reader!: MvccReader;
  private vacuumer!: Vacuumer;
  private applied = 0;
  private vacuumed = 0;
  private metaUpdate!: Statement<unknown, [number, number, number]>;
  private leaseGet!: Statement<LeaseRecord, [number]>;
  private leaseExpired!: Statement<{ id: number }, [number, number]>;
  private readonly appliedListeners = new Set<AppliedListener>();
  private readonly restoreListeners = new Set<() => void>();
  private closed = false;

  private readonly opts: MvccOptions;
  private begin!: Statement;
  private commit!: Statement;

  /** `path` may be ":memory:"; `opts` may be just the sync mode ("full" by default). */
  constructor(readonly path: string, opts: MvccOptions | SyncMode = {}) {
    this.opts = typeof opts === "string" ? { sync: opts } : opts;
    this.attach(isMemory(path) ? new Database(":memory:", { strict: true }) : new Database(path, { create: true, strict: true }));
  }

  private attach(db: Database): void {
    const meta = initDatabase(db, { sync: this.opts.sync ?? "full", cacheKiB: this.opts.cacheKiB });
    db.exec("PRAGMA busy_timeout = 5000");
    this.db = db;
    this.applier = new Applier(db, meta.rev, meta.compact_rev);
    this.reader = new MvccReader(db);
    this.vacuumer = new Vacuumer(db, (this.opts.sync ?? "full") === "full" ? "FULL" : "NORMAL");
    this.applied = meta.applied_index;
    this.vacuumed = meta.vacuumed_rev;
    this.begin = db.prepare("BEGIN IMMEDIATE");
    this.commit = db.prepare("COMMIT");
    this.metaUpdate = db.prepare("UPDATE meta SET applied_index = ?, rev = ?, compact_rev = ? WHERE id = 1");
    this.leaseGet = db.prepare("SELECT id, ttl, expiry FROM leases WHERE id = ?");
    this.leaseExpired = db.prepare("SELECT id FROM leases WHERE expiry <= ? ORDER BY expiry, id LIMIT ?");
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreClosedError();
  }

  // ---- apply ----

  /**
   * Applies `entries` (ascending index) in one transaction with the new applied index.
   * Entries at or below the applied index are skipped and answered `{op:"noop", duplicate:true}`.
   * Throws ApplyOrderError (before changing anything) if an index would leave a gap.
   */
  applyBatch(entries: CommittedEntry[]): CommandResult[] {
    this.assertOpen();
    let next = this.applied + 1;
    const fresh = entries.map((e) => {
      if (e.index < next) return false;
      if (e.index !== next) throw new ApplyOrderError(next, e.index);
      next++;
      return true;
    });
    const a = this.applier;
    if (next === this.applied + 1) return entries.map(() => ({ op: "noop", revision: a.rev, duplicate: true }));
    const results: CommandResult[] = [];
    const events: WatchEvent[] = [];
    const [rev0, compact0] = [a.rev, a.compactRev];
    this.begin.run();
    try {
      for (let i = 0; i < entries.length; i++) {
        results.push(fresh[i] ? a.apply(entries[i]!.cmd, events) : { op: "noop", revision: a.rev, duplicate: true });
      }
      this.metaUpdate.run(next - 1, a.rev, a.compactRev);
      this.commit.run();
    } catch (err) {
      if (this.db.inTransaction) this.db.exec("ROLLBACK");
      a.rev = rev0;
      a.compactRev = compact0;
      throw err;
    }
    this.applied = next - 1;
    for (const listener of this.appliedListeners) {
      try {
        listener(events, a.rev);
      } catch (err) {
        console.error("store: applied listener failed:", err);
      }
    }
    return results;
  }

  onApplied(listener: AppliedListener): () => void {
    this.appliedListeners.add(listener);
    return () => this.appliedListeners.delete(listener);
  }

  /** Called after `restoreFrom` replaced the state (watchers must re-read history). */
  onRestored(listener: () => void): () => void {
    this.restoreListeners.add(listener);
    return () => this.restoreListeners.delete(listener);
  }

  // ---- reads ----

  currentRevision(): number {
    return this.applier.rev;
  }
  compactRevision(): number {
    return this.applier.compactRev;
  }
  appliedIndex(): number {
    return this.applied;
  }

  /** The revision a read at `revision` (0/undefined: current) is served at; throws if compacted or future. */
  resolveRevision(revision?: number): number {
    this.assertOpen();
    const cur = this.applier.rev;
    if (!revision) return cur;
    if (revision > cur) throw new FutureRevisionError(revision, cur);
    if (revision < this.applier.compactRev) throw new CompactedError(revision, this.applier.compactRev);
    return revision;
  }

  get(key: string, revision?: number): KeyValue | null {
    const at = this.resolveRevision(revision);
    return this.reader.get(key, at, this.applier.rev);
  }

  range(prefix: string, opts: { revision?: number; limit?: number; startAfter?: string } = {}): RangeResult {
    const at = this.resolveRevision(opts.revision);
    return this.reader.range(prefix, at, this.applier.rev, opts.limit ?? 0, opts.startAfter);
  }

  count(prefix: string): number {
    this.assertOpen();
    return this.reader.count(prefix);
  }

  /** Up to `limit` events after `afterRevision` under `prefix`; CompactedError if that history is gone. */
  eventsAfter(prefix: string, afterRevision: number, limit: number): WatchEvent[] {
    this.assertOpen();
    if (afterRevision < this.applier.compactRev) throw new CompactedError(afterRevision, this.applier.compactRev);
    if (afterRevision >= this.applier.rev) return [];
    return this.reader.eventsAfter(prefix, afterRevision, limit);
  }

  // ---- leases ----

  leaseInfo(id: number): LeaseRecord | null {
    this.assertOpen();
    return this.leaseGet.get(id);
  }

  /** Leases whose expiry is at or before `now` (ms), soonest first. */
  expiredLeases(now: number, limit = 1000): number[] {
    this.assertOpen();
    return this.leaseExpired.all(now, limit).map((r) => r.id);
  }

  // ---- upkeep ----

  /** True while compaction left history rows that `vacuumStep` has not removed yet. */
  vacuumPending(): boolean {
    return this.vacuumed < this.applier.compactRev;
  }

  /**
   * Removes unreachable history in one short transaction: at most `maxRows` rows and
   * about `budgetMs` of work (physical only: the logical state and digest do not change).
   */
  vacuumStep(maxRows = 2000, budgetMs = 2): { examined: number; done: boolean } {
    this.assertOpen();
    const r = this.vacuumer.step(this.vacuumed, this.applier.compactRev, maxRows, budgetMs);
    this.vacuumed = r.vacuumedRev;
    return { examined: r.examined, done: !this.vacuumPending() };
  }

  /** Returns up to `maxPages` free pages to the file system; returns the free pages left. */
  reclaimSpace(maxPages = 256): number {
    this.assertOpen();
    return this.vacuumer.reclaim(maxPages);
  }

  /** Checkpoints and truncates the WAL file. */
  checkpoint(): void {
    this.assertOpen();
    this.vacuumer.checkpoint();
  }

  /** Pages in the database file and how many of them are free. */
  pageStats(): { total: number; free: number; pageSize: number } {
    this.assertOpen();
    const q = (pragma: string) => Object.values(this.db.query(`PRAGMA ${pragma}`).get() as object)[0] as number;
    return { total: q("page_count"), free: q("freelist_count"), pageSize: q("page_size") };
  }

  /** Bytes used: database file plus WAL (page count for an in-memory database). */
  dbSize(): number {
    this.assertOpen();
    if (isMemory(this.path)) {
      const { total, pageSize } = this.pageStats();
      return total * pageSize;
    }
    const size = (p: string) => (existsSync(p) ? statSync(p).size : 0);
    return size(this.path) + size(`${this.path}-wal`);
  }

  digest(): string {
    this.assertOpen();
    return digestState(this.db);
  }

  // ---- snapshots ----

  /** Writes a consistent, fsynced copy of the whole state to `file` (which must not exist). */
  snapshotTo(file: string): { appliedIndex: number; revision: number } {
    this.assertOpen();
    this.db.query("VACUUM INTO ?").run(file);
    fsyncFile(file);
    return { appliedIndex: this.applied, revision: this.applier.rev };
  }

  /**
   * The whole state as a database image in memory (no file, no fsync): for a caller
   * that ships snapshots itself (Raft, simulation). Restore with `restoreFromBytes`.
   */
  snapshotBytes(): Uint8Array {
    this.assertOpen();
    return asPlainImage(this.db.serialize());
  }

  /** Replaces this state with the snapshot in `file` (made by snapshotTo). The file is left in place. */
  restoreFrom(file: string): void {
    this.assertOpen();
    checkImage(new Database(file, { readonly: true }));
    if (isMemory(this.path)) {
      this.swapInMemory(Database.deserialize(asPlainImage(new Uint8Array(readFileSync(file)))));
    } else {
      const tmp = `${this.path}.restore-tmp`;
      copyFileSync(file, tmp);
      this.swapInFile(tmp);
    }
  }

  /** Replaces this state with an image from `snapshotBytes` (checked before anything changes). */
  restoreFromBytes(bytes: Uint8Array): void {
    this.assertOpen();
    const image = asPlainImage(new Uint8Array(bytes));
    if (isMemory(this.path)) {
      this.swapInMemory(Database.deserialize(image));
    } else {
      const tmp = `${this.path}.restore-tmp`;
      writeFileSync(tmp, image);
      try {
        checkImage(new Database(tmp, { readonly: true }));
      } catch (err) {
        rmSync(tmp, { force: true });
        throw err;
      }
      this.swapInFile(tmp);
    }
  }

  private swapInMemory(db: Database): void {
    try {
      checkImage(db, false);
    } catch (err) {
      db.close();
      throw err;
    }
    this.db.close();
    this.attach(db);
    for (const listener of this.restoreListeners) listener();
  }

  /** Durably replaces the database file with `tmp` (a checked image) and reopens it. */
  private swapInFile(tmp: string): void {
    fsyncFile(tmp);
    this.db.close();
    rmSync(`${this.path}-wal`, { force: true });
    rmSync(`${this.path}-shm`, { force: true });
    renameSync(tmp, this.path);
    fsyncFile(dirname(this.path));
    this.attach(new Database(this.path, { create: true, strict: true }));
    for (const listener of this.restoreListeners) listener();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }
}

/** Throws unless `db` holds a state database of this schema version; closes it if asked. */
function checkImage(db: Database, close = true): void {
  try {
    const meta = db.query("SELECT schema_version FROM meta WHERE id = 1").get() as { schema_version: number } | null;
    if (!meta) throw new Error("not a kite state snapshot: no meta row");
    if (meta.schema_version !== SCHEMA_VERSION) throw new SchemaVersionError(meta.schema_version, SCHEMA_VERSION);
  } finally {
    if (close) db.close();
  }
}

/**
 * A WAL database's header says so (bytes 18-19 = 2); an in-memory database cannot be
 * opened from such an image, so snapshots are stored as plain (rollback-journal) images.
 */
function asPlainImage(bytes: Uint8Array): Uint8Array {
  if (bytes.length > 19 && bytes[18] === 2) {
    bytes[18] = 1;
    bytes[19] = 1;
  }
  return bytes;
}

function fsyncFile(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
