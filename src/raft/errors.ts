/**
 * @module raft/errors
 * Typed errors of the Raft core and its storage (etcd's sentinel errors as classes, each
 * with a `code` discriminant). `RaftInvariantError` marks a broken internal invariant
 * (etcd panics there): the instance must not be used afterwards.
 */

export type RaftErrorCode =
  | "Compacted"
  | "Unavailable"
  | "SnapOutOfDate"
  | "SnapshotTemporarilyUnavailable"
  | "ProposalDropped"
  | "StepLocalMsg"
  | "StepPeerNotFound"
  | "InvalidConfig"
  | "InvalidConfChange"
  | "Invariant"
  | "StorageCorrupt"
  | "StorageClosed";

export class RaftError extends Error {
  constructor(
    readonly code: RaftErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "RaftError";
  }
}

/** The requested index is below the first available index (it was compacted into a snapshot). */
export class CompactedError extends RaftError {
  constructor(readonly index: number, readonly firstIndex: number) {
    super("Compacted", `requested index ${index} is unavailable due to compaction (first index ${firstIndex})`);
  }
}

/** The requested index is beyond the last stored index. */
export class UnavailableError extends RaftError {
  constructor(readonly index: number, readonly lastIndex: number) {
    super("Unavailable", `requested entry at index ${index} is unavailable (last index ${lastIndex})`);
  }
}

/** A snapshot older than the one already stored. */
export class SnapOutOfDateError extends RaftError {
  constructor(readonly index: number, readonly current: number) {
    super("SnapOutOfDate", `snapshot at index ${index} is out of date (current snapshot index ${current})`);
  }
}

export class SnapshotTemporarilyUnavailableError extends RaftError {
  constructor() {
    super("SnapshotTemporarilyUnavailable", "snapshot is temporarily unavailable");
  }
}

/** The proposal was not appended (no leader, leadership transfer in progress, size limit, not a member...). */
export class ProposalDroppedError extends RaftError {
  constructor(readonly reason: string) {
    super("ProposalDropped", `raft proposal dropped: ${reason}`);
  }
}

export class StepLocalMsgError extends RaftError {
  constructor(type: string) {
    super("StepLocalMsg", `cannot step raft local message ${type} received from the network`);
  }
}

export class StepPeerNotFoundError extends RaftError {
  constructor(readonly from: number) {
    super("StepPeerNotFound", `cannot step response from ${from}: peer not found`);
  }
}

export class InvalidConfigError extends RaftError {
  constructor(message: string) {
    super("InvalidConfig", message);
  }
}

export class InvalidConfChangeError extends RaftError {
  constructor(message: string) {
    super("InvalidConfChange", message);
  }
}

/** A broken internal invariant (etcd panics). The node must be stopped. */
export class RaftInvariantError extends RaftError {
  constructor(message: string) {
    super("Invariant", message);
  }
}

/** Durable storage holds something impossible (e.g. a gap in the log). */
export class StorageCorruptError extends RaftError {
  constructor(message: string) {
    super("StorageCorrupt", message);
  }
}

export class StorageClosedError extends RaftError {
  constructor() {
    super("StorageClosed", "log storage is closed");
  }
}
