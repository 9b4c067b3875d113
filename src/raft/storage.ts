/**
 * @module raft/storage
 * The log storage contract between the Raft core and durable storage, and MemoryStorage,
 * its in-memory reference implementation (etcd-io/raft storage.go).
 *
 * The core only reads (`RaftStorage`). The host writes through `LogStorage`: one atomic
 * `save()` per Ready (snapshot, then entries, then hard state), snapshot creation and log
 * compaction, and the record of the last applied membership. SqliteLogStorage
 * (src/cluster/log-storage.ts) is the durable implementation; both pass
 * src/raft/storage-contract.ts.
 */
import {
  CompactedError,
  RaftError,
  SnapOutOfDateError,
  StorageClosedError,
  UnavailableError,
} from "./errors.ts";
import {
  type ConfState,
  type Entry,
  type HardState,
  type Snapshot,
  EMPTY_HARD_STATE,
  emptySnapshot,
  limitSize,
} from "./types.ts";

export interface InitialState {
  hardState: HardState;
  /** The newest known membership: from the snapshot, or from the last applied conf change if newer. */
  confState: ConfState;
  /** The log index at which `confState` took effect (0 when bootstrapped). */
  confIndex: number;
}

/** What the Raft core reads. Errors are thrown as CompactedError / UnavailableError. */
export interface RaftStorage {
  initialState(): InitialState;
  /** Entries in [lo, hi), limited to maxSize bytes but at least one entry when lo < hi. */
  entries(lo: number, hi: number, maxSize: number): Entry[];
  /** Term of entry i, for i in [firstIndex-1, lastIndex]. */
  term(i: number): number;
  lastIndex(): number;
  firstIndex(): number;
  /** The most recent snapshot (index 0 when there is none). */
  snapshot(): Snapshot;
}

/** One Ready's durable writes. */
export interface StorageUpdate {
  hardState?: HardState;
  entries?: Entry[];
  snapshot?: Snapshot;
}

/** The host's side: reads plus durable writes. Every method is atomic; `save` is durable on return. */
export interface LogStorage extends RaftStorage {
  /** Atomically: apply the snapshot (replacing the log), append entries (truncating a conflicting suffix), write the hard state. */
  save(update: StorageUpdate): void;
  /** Records a snapshot of the state machine at `index` (<= commit); returns it. */
  createSnapshot(index: number, confState: ConfState, data: Uint8Array): Snapshot;
  /** Discards entries up to and including `index` (which must be <= the snapshot index). */
  compact(index: number): void;
  /** Records the membership in effect after applying the conf change at `index`. */
  saveConfState(confState: ConfState, index: number): void;
  /**
   * Bootstraps an empty storage with an initial membership, as etcd recommends: a
   * snapshot at index 1 (term 1) carrying the ConfState and an empty state-machine
   * image. Servers that join later start empty and receive this membership with the
   * leader's snapshot, so the log never has to replay the bootstrap.
   */
  bootstrap(confState: ConfState): void;
  close(): void;
}

export class InvalidStorageArgumentError extends RaftError {
  constructor(message: string) {
    super("Invariant", message);
    this.name = "InvalidStorageArgumentError";
  }
}

export function copyConfState(cs: ConfState): ConfState {
  return { voters: [...cs.voters].sort((a, b) => a - b), learners: [...cs.learners].sort((a, b) => a - b) };
}

/** Checks that `entries` are contiguous and can be appended to a log ending at lastIndex. */
export function validateAppend(entries: readonly Entry[], lastIndex: number): void {
  if (entries.length === 0) return;
  for (let i = 1; i < entries.length; i++) {
    if (entries[i]!.index !== entries[i - 1]!.index + 1) {
      throw new InvalidStorageArgumentError(
        `entries are not contiguous: ${entries[i - 1]!.index} then ${entries[i]!.index}`,
      );
    }
    if (entries[i]!.term < entries[i - 1]!.term) {
      throw new InvalidStorageArgumentError(`entry terms decrease at index ${entries[i]!.index}`);
    }
  }
  const first = entries[0]!.index;
  if (first > lastIndex + 1) {
    throw new InvalidStorageArgumentError(`appending at ${first} would leave a gap after last index ${lastIndex}`);
  }
}

/** In-memory LogStorage: the reference implementation (etcd's MemoryStorage). */
export class MemoryStorage implements LogStorage {
  private hard: HardState = { ...EMPTY_HARD_STATE };
  private snap: Snapshot = emptySnapshot();
  private conf: { cs: ConfState; index: number } = { cs: { voters: [], learners: [] }, index: 0 };
  /** ents[0] is a dummy holding the index and term of the last compacted entry. */
  private ents: Entry[] = [{ index: 0, term: 0, type: "normal", data: "" }];
  private closed = false;

  initialState(): InitialState {
    this.checkOpen();
    const fromSnap = this.snap.metadata.index > this.conf.index;
    return {
      hardState: { ...this.hard },
      confState: copyConfState(fromSnap ? this.snap.metadata.confState : this.conf.cs),
      confIndex: fromSnap ? this.snap.metadata.index : this.conf.index,
    };
  }

  private offset(): number {
    return this.ents[0]!.index;
  }

  firstIndex(): number {
    this.checkOpen();
    return this.offset() + 1;
  }

  lastIndex(): number {
    this.checkOpen();
    return this.offset() + this.ents.length - 1;
  }

  term(i: number): number {
    this.checkOpen();
    const offset = this.offset();
    if (i < offset) throw new CompactedError(i, offset + 1);
    if (i - offset >= this.ents.length) throw new UnavailableError(i, this.lastIndex());
    return this.ents[i - offset]!.term;
  }

  entries(lo: number, hi: number, maxSize: number): Entry[] {
    this.checkOpen();
    const offset = this.offset();
    if (lo <= offset) throw new CompactedError(lo, offset + 1);
    if (lo > hi) throw new InvalidStorageArgumentError(`invalid range [${lo}, ${hi})`);
    if (hi > this.lastIndex() + 1) throw new UnavailableError(hi - 1, this.lastIndex());
    if (lo === hi) return [];
    const out = this.ents.slice(lo - offset, hi - offset).map((e) => ({ ...e }));
    return limitSize(out, maxSize);
  }

  snapshot(): Snapshot {
    this.checkOpen();
    return cloneSnapshot(this.snap);
  }

  save(update: StorageUpdate): void {
    this.checkOpen();
    // Validate everything first so that a failed save changes nothing.
    const snap = update.snapshot;
    if (snap !== undefined && snap.metadata.index <= this.snap.metadata.index) {
      throw new SnapOutOfDateError(snap.metadata.index, this.snap.metadata.index);
    }
    const ents = update.entries ?? [];
    const firstAfter = snap !== undefined ? snap.metadata.index + 1 : this.firstIndex();
    const lastAfterSnap = snap !== undefined ? snap.metadata.index : this.lastIndex();
    validateAppend(ents, lastAfterSnap);
    let newLast = lastAfterSnap;
    if (ents.length > 0) newLast = Math.max(ents[ents.length - 1]!.index, firstAfter - 1);
    if (update.hardState !== undefined && update.hardState.commit > newLast) {
      throw new InvalidStorageArgumentError(
        `hard state commit ${update.hardState.commit} is beyond the last index ${newLast}`,
      );
    }
    if (snap !== undefined) {
      this.snap = cloneSnapshot(snap);
      this.ents = [{ index: snap.metadata.index, term: snap.metadata.term, type: "normal", data: "" }];
    }
    if (ents.length > 0) this.append(ents);
    if (update.hardState !== undefined) this.hard = { ...update.hardState };
  }

  private append(ents: readonly Entry[]): void {
    const first = this.firstIndex();
    const last = ents[ents.length - 1]!.index;
    if (last < first) return; // everything is already compacted
    const fresh = first > ents[0]!.index ? ents.slice(first - ents[0]!.index) : ents;
    const offset = fresh[0]!.index - this.offset();
    this.ents = this.ents.slice(0, offset).concat(fresh.map((e) => ({ ...e })));
  }

  createSnapshot(index: number, confState: ConfState, data: Uint8Array): Snapshot {
    this.checkOpen();
    if (index <= this.snap.metadata.index) throw new SnapOutOfDateError(index, this.snap.metadata.index);
    if (index > this.hard.commit) {
      throw new InvalidStorageArgumentError(`snapshot index ${index} is beyond the commit index ${this.hard.commit}`);
    }
    if (index > this.lastIndex()) throw new UnavailableError(index, this.lastIndex());
    const term = this.term(index);
    this.snap = { metadata: { index, term, confState: copyConfState(confState) }, data: data.slice() };
    return cloneSnapshot(this.snap);
  }

  compact(index: number): void {
    this.checkOpen();
    const offset = this.offset();
    if (index <= offset) throw new CompactedError(index, offset + 1);
    if (index > this.snap.metadata.index) {
      throw new InvalidStorageArgumentError(
        `cannot compact to ${index}: beyond the snapshot index ${this.snap.metadata.index}`,
      );
    }
    if (index > this.lastIndex()) throw new UnavailableError(index, this.lastIndex());
    const i = index - offset;
    const dummy: Entry = { index: this.ents[i]!.index, term: this.ents[i]!.term, type: "normal", data: "" };
    this.ents = [dummy, ...this.ents.slice(i + 1)];
  }

  saveConfState(confState: ConfState, index: number): void {
    this.checkOpen();
    if (index < this.conf.index) {
      throw new InvalidStorageArgumentError(`conf state index ${index} is older than ${this.conf.index}`);
    }
    this.conf = { cs: copyConfState(confState), index };
  }

  bootstrap(confState: ConfState): void {
    this.checkOpen();
    if (this.lastIndex() !== 0 || this.hard.term !== 0 || this.conf.cs.voters.length > 0) {
      throw new InvalidStorageArgumentError("cannot bootstrap a storage that is not empty");
    }
    this.save(bootstrapUpdate(confState));
  }

  close(): void {
    this.closed = true;
  }

  private checkOpen(): void {
    if (this.closed) throw new StorageClosedError();
  }
}

export function cloneSnapshot(s: Snapshot): Snapshot {
  return {
    metadata: { index: s.metadata.index, term: s.metadata.term, confState: copyConfState(s.metadata.confState) },
    data: s.data.slice(),
  };
}

export const BOOTSTRAP_INDEX = 1;
export const BOOTSTRAP_TERM = 1;

/** The durable state of a freshly bootstrapped server (see LogStorage.bootstrap). */
export function bootstrapUpdate(confState: ConfState): StorageUpdate {
  if (confState.voters.length === 0) throw new InvalidStorageArgumentError("bootstrap needs at least one voter");
  if (confState.voters.some((id) => confState.learners.includes(id))) {
    throw new InvalidStorageArgumentError("a node cannot be both voter and learner");
  }
  return {
    snapshot: {
      metadata: { index: BOOTSTRAP_INDEX, term: BOOTSTRAP_TERM, confState: copyConfState(confState) },
      data: new Uint8Array(0),
    },
    hardState: { term: BOOTSTRAP_TERM, vote: 0, commit: BOOTSTRAP_INDEX },
  };
}
