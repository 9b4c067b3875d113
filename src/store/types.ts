/**
 * @module store/types
 * The state store contract: what Kubernetes needs from etcd (see etcd's
 * client/v3/kubernetes/interface.go), and nothing more. Every implementation
 * (the local SQLite store, the Raft-replicated store) passes the same contract
 * suite in src/store/contract.ts.
 *
 * Values are opaque strings (the API server stores JSON). Revisions are plain
 * numbers (safe up to 2^53, i.e. centuries of writes at 100k/s).
 */

export interface KeyValue {
  key: string;
  value: string;
  /** Revision of the write that created this generation of the key. */
  createRevision: number;
  /** Revision of the last write to the key: the object's resourceVersion. */
  modRevision: number;
  /** Number of writes since creation (1 after create). */
  version: number;
  /** Lease the key is attached to, 0 for none. */
  lease: number;
}

export interface RangeOptions {
  /** Read at this revision (must not be compacted, must not be in the future). 0/undefined: current. */
  revision?: number;
  /** Maximum number of keys to return; 0/undefined: no limit. */
  limit?: number;
  /** Return keys strictly greater than this key (the continue token of a paginated list). */
  startAfter?: string;
}

export interface RangeResult {
  kvs: KeyValue[];
  /** Revision the read was served at (the list's resourceVersion). */
  revision: number;
  /** More keys remain after the last one returned. */
  more: boolean;
  /** Total number of keys under the prefix at `revision` (ignoring limit/startAfter). */
  count: number;
}

export interface GetResult {
  kv: KeyValue | null;
  revision: number;
}

/**
 * Result of a conditional write. On success `kv` is the written value (for a delete, the
 * deleted value) and `revision` the new store revision. On failure nothing changed, no
 * revision was consumed, `revision` is the current revision and `kv` the current value
 * of the key (null if absent) so the caller can report a conflict without another read.
 */
export interface TxnResult {
  succeeded: boolean;
  revision: number;
  kv: KeyValue | null;
}

export type WatchEvent =
  | { type: "put"; kv: KeyValue; prevKv: KeyValue | null }
  /** kv.modRevision is the revision of the delete; kv.value is ""; prevKv the last value. */
  | { type: "delete"; kv: KeyValue; prevKv: KeyValue };

/** One delivery to a watcher: events of ascending revision, or a progress notification. */
export type WatchBatch =
  | { kind: "events"; events: WatchEvent[] }
  /** Nothing for this watcher up to and including `revision` (bookmarks). */
  | { kind: "progress"; revision: number };

export interface WatchOptions {
  /** Deliver events with modRevision > afterRevision. Errors with CompactedError if that history is gone. */
  afterRevision: number;
  /** Maximum number of undelivered events before the watcher is cut off with WatchOverflowError. */
  bufferLimit?: number;
  /** Emit a progress batch when the watcher has been idle for this many ms (0: never). */
  progressIntervalMs?: number;
  /** Watch only the key equal to `prefix` (etcd's single-key watch) instead of every key under it. */
  exact?: boolean;
}

export interface Watcher {
  /**
   * Next batch. Resolves when something is available; rejects with CompactedError,
   * WatchOverflowError or StoreClosedError; resolves null after cancel().
   */
  next(): Promise<WatchBatch | null>;
  /** Ask for a progress batch with the current revision as soon as the watcher is caught up. */
  requestProgress(): void;
  cancel(): void;
}

export interface LeaseInfo {
  id: number;
  /** Granted TTL in seconds. */
  ttl: number;
}

export interface Store {
  get(key: string, opts?: { revision?: number }): Promise<GetResult>;
  /** Keys with the given prefix, in key order. */
  list(prefix: string, opts?: RangeOptions): Promise<RangeResult>;
  count(prefix: string): Promise<{ count: number; revision: number }>;
  /** Create if absent. Fails (succeeded=false) when the key exists. */
  create(key: string, value: string, opts?: { lease?: number }): Promise<TxnResult>;
  /** Update if the key's modRevision equals expectedRevision. */
  update(key: string, value: string, expectedRevision: number, opts?: { lease?: number }): Promise<TxnResult>;
  /** Delete if the key's modRevision equals expectedRevision (0: unconditional, fails if absent). */
  delete(key: string, expectedRevision?: number): Promise<TxnResult>;
  watch(prefix: string, opts: WatchOptions): Watcher;
  leaseGrant(ttlSeconds: number): Promise<LeaseInfo>;
  leaseRevoke(id: number): Promise<void>;
  /** Refresh the lease's expiry; rejects with LeaseNotFoundError when it is gone. */
  leaseKeepAlive(id: number): Promise<LeaseInfo>;
  /** Drop history at or below `revision` (latest value of each live key is kept). */
  compact(revision: number): Promise<void>;
  /** Current revision (linearizable). */
  currentRevision(): Promise<number>;
  /** Revision at or below which history has been compacted. */
  compactRevision(): Promise<number>;
  /** Size in bytes of the database file(s). */
  dbSize(): Promise<number>;
  close(): Promise<void>;
}

/** Typed errors, as in kine's server/types.go and etcd's rpctypes. */
export class StoreError extends Error {
  constructor(readonly code: StoreErrorCode, message: string) {
    super(message);
    this.name = "StoreError";
  }
}
export type StoreErrorCode = "Compacted" | "FutureRevision" | "WatchOverflow" | "LeaseNotFound" | "Closed" | "NotLeader" | "Unavailable" | "Timeout";

export class CompactedError extends StoreError {
  constructor(readonly requested: number, readonly compactRevision: number) {
    super("Compacted", `required revision ${requested} has been compacted (compact revision ${compactRevision})`);
  }
}
export class FutureRevisionError extends StoreError {
  constructor(readonly requested: number, readonly current: number) {
    super("FutureRevision", `required revision ${requested} is a future revision (current ${current})`);
  }
}
export class WatchOverflowError extends StoreError {
  constructor(readonly limit: number) {
    super("WatchOverflow", `watcher fell more than ${limit} events behind and was cut off; re-list`);
  }
}
export class LeaseNotFoundError extends StoreError {
  constructor(readonly id: number) {
    super("LeaseNotFound", `lease ${id} not found`);
  }
}
export class StoreClosedError extends StoreError {
  constructor() {
    super("Closed", "store is closed");
  }
}
/** The replicated store cannot serve the request now (no leader, no quorum); the caller may retry. */
export class UnavailableError extends StoreError {
  constructor(message: string) {
    super("Unavailable", message);
  }
}
/** A write's outcome is unknown (e.g. leader lost mid-flight): it may or may not have been applied. */
export class TimeoutError extends StoreError {
  constructor(message: string) {
    super("Timeout", message);
  }
}
