/**
 * @module sim/disk
 * SimDisk: a node's durable medium. Only what a storage write committed survives a
 * crash: the Ready being persisted when the node crashes (its write is still pending in
 * the node's disk queue) is lost, and so is everything in memory (Raft state, the state
 * machine). A restart opens the log storage afresh, as a new process would: for SQLite a
 * new SqliteLogStorage over the same database (no caches carried over); MemoryStorage is
 * itself the medium and keeps only what was saved.
 */
import { Database } from "bun:sqlite";
import { SqliteLogStorage } from "../../src/cluster/log-storage.ts";
import { type LogStorage, MemoryStorage } from "../../src/raft/storage.ts";

export type StorageKind = "sqlite" | "memory";

export class SimDisk {
  private readonly db: Database | undefined;
  private readonly mem: MemoryStorage | undefined;
  private open_: LogStorage | undefined;

  constructor(readonly kind: StorageKind) {
    if (kind === "sqlite") this.db = new Database(":memory:");
    else this.mem = new MemoryStorage();
  }

  /** Opens the durable log for a (re)starting node. */
  open(): LogStorage {
    this.release();
    this.open_ = this.db !== undefined ? new SqliteLogStorage(this.db) : this.mem!;
    return this.open_;
  }

  /** The process died: drop the open handle (durable data stays). */
  release(): void {
    if (this.open_ instanceof SqliteLogStorage) this.open_.close();
    this.open_ = undefined;
  }

  destroy(): void {
    this.release();
    this.db?.close();
  }
}
