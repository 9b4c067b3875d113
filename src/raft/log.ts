/**
 * @module raft/log
 * The Raft log as the core sees it: stable entries in RaftStorage followed by the
 * unstable tail (etcd-io/raft log.go). Tracks committed / applying / applied.
 *
 * Only entries that are durable locally are ever handed out for application
 * (etcd #14370, `maxAppliableIndex(allowUnstable=false)`).
 */
import { CompactedError, RaftInvariantError, UnavailableError } from "./errors.ts";
import { Unstable } from "./log-unstable.ts";
import type { RaftStorage } from "./storage.ts";
import { type Entry, type Snapshot, limitSize, NO_LIMIT } from "./types.ts";

export class RaftLog {
  readonly storage: RaftStorage;
  readonly unstable: Unstable;
  /** Highest index known to be durable on a quorum. */
  committed: number;
  /** Highest index handed to the host for application (applied <= applying <= committed). */
  applying: number;
  /** Highest index the host has applied. */
  applied: number;
  readonly maxApplyingEntsSize: number;
  applyingEntsSize = 0;
  applyingEntsPaused = false;

  constructor(storage: RaftStorage, maxApplyingEntsSize = NO_LIMIT) {
    this.storage = storage;
    this.maxApplyingEntsSize = maxApplyingEntsSize;
    const firstIndex = storage.firstIndex();
    const lastIndex = storage.lastIndex();
    this.unstable = new Unstable(lastIndex + 1);
    this.committed = firstIndex - 1;
    this.applying = firstIndex - 1;
    this.applied = firstIndex - 1;
  }

  toString(): string {
    return `committed=${this.committed}, applied=${this.applied}, applying=${this.applying}, unstable.offset=${this.unstable.offset}, len(unstable.entries)=${this.unstable.entries.length}`;
  }

  /**
   * Appends entries received from the leader after (prevIndex, prevTerm). Returns the
   * last index of the new entries, or undefined if prev does not match our log.
   */
  maybeAppend(prevIndex: number, prevTerm: number, committed: number, ents: Entry[]): number | undefined {
    if (!this.matchTerm(prevIndex, prevTerm)) return undefined;
    const lastNew = prevIndex + ents.length;
    const ci = this.findConflict(ents);
    if (ci !== 0) {
      if (ci <= this.committed) {
        throw new RaftInvariantError(`entry ${ci} conflicts with committed entry [committed(${this.committed})]`);
      }
      const offset = prevIndex + 1;
      if (ci - offset > ents.length) throw new RaftInvariantError(`index ${ci - offset} out of range [${ents.length}]`);
      this.append(ents.slice(ci - offset));
    }
    this.commitTo(Math.min(committed, lastNew));
    return lastNew;
  }

  append(ents: Entry[]): number {
    if (ents.length === 0) return this.lastIndex();
    const after = ents[0]!.index - 1;
    if (after < this.committed) {
      throw new RaftInvariantError(`after(${after}) is out of range [committed(${this.committed})]`);
    }
    this.unstable.truncateAndAppend(ents);
    return this.lastIndex();
  }

  /** Index of the first entry whose term differs from ours (or the first new one); 0 if all are present. */
  findConflict(ents: readonly Entry[]): number {
    for (const e of ents) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  /**
   * Largest index <= `index` whose term is <= `term` (or unknown), with its term (0 when
   * unknown). Used to skip a divergent tail in one round trip.
   */
  findConflictByTerm(index: number, term: number): [number, number] {
    for (; index > 0; index--) {
      const t = this.termOrUndefined(index);
      if (t === undefined) return [index, 0];
      if (t <= term) return [index, t];
    }
    return [0, 0];
  }

  nextUnstableEnts(): Entry[] {
    return this.unstable.nextEntries();
  }

  hasNextUnstableEnts(): boolean {
    return this.unstable.entries.length > this.unstable.offsetInProgress - this.unstable.offset;
  }

  hasNextOrInProgressUnstableEnts(): boolean {
    return this.unstable.entries.length > 0;
  }

  /** Committed entries that are durable locally and not yet handed out for application. */
  nextCommittedEnts(): Entry[] {
    if (this.applyingEntsPaused || this.hasNextOrInProgressSnapshot()) return [];
    const lo = this.applying + 1;
    const hi = this.maxAppliableIndex() + 1;
    if (lo >= hi) return [];
    const maxSize = this.maxApplyingEntsSize - this.applyingEntsSize;
    if (maxSize <= 0) throw new RaftInvariantError(`applying entry size not positive (${maxSize})`);
    return this.slice(lo, hi, maxSize);
  }

  hasNextCommittedEnts(): boolean {
    if (this.applyingEntsPaused || this.hasNextOrInProgressSnapshot()) return false;
    return this.applying + 1 < this.maxAppliableIndex() + 1;
  }

  /** Only entries known to be in local stable storage may be applied. */
  maxAppliableIndex(): number {
    return Math.min(this.committed, this.unstable.offset - 1);
  }

  nextUnstableSnapshot(): Snapshot | undefined {
    return this.unstable.nextSnapshot();
  }

  hasNextUnstableSnapshot(): boolean {
    return this.unstable.nextSnapshot() !== undefined;
  }

  hasNextOrInProgressSnapshot(): boolean {
    return this.unstable.snapshot !== undefined;
  }

  snapshot(): Snapshot {
    if (this.unstable.snapshot !== undefined) return this.unstable.snapshot;
    return this.storage.snapshot();
  }

  firstIndex(): number {
    const i = this.unstable.maybeFirstIndex();
    if (i !== undefined) return i;
    return this.storage.firstIndex();
  }

  lastIndex(): number {
    const i = this.unstable.maybeLastIndex();
    if (i !== undefined) return i;
    return this.storage.lastIndex();
  }

  commitTo(tocommit: number): void {
    if (this.committed < tocommit) {
      if (this.lastIndex() < tocommit) {
        throw new RaftInvariantError(
          `tocommit(${tocommit}) is out of range [lastIndex(${this.lastIndex()})]; was the raft log corrupted, truncated, or lost?`,
        );
      }
      this.committed = tocommit;
    }
  }

  appliedTo(i: number, size: number): void {
    if (this.committed < i || i < this.applied) {
      throw new RaftInvariantError(
        `applied(${i}) is out of range [prevApplied(${this.applied}), committed(${this.committed})]`,
      );
    }
    this.applied = i;
    this.applying = Math.max(this.applying, i);
    this.applyingEntsSize = this.applyingEntsSize > size ? this.applyingEntsSize - size : 0;
    this.applyingEntsPaused = this.applyingEntsSize >= this.maxApplyingEntsSize;
  }

  acceptApplying(i: number, size: number): void {
    if (this.committed < i) {
      throw new RaftInvariantError(`applying(${i}) is out of range [committed(${this.committed})]`);
    }
    this.applying = i;
    this.applyingEntsSize += size;
    this.applyingEntsPaused = this.applyingEntsSize >= this.maxApplyingEntsSize || i < this.maxAppliableIndex();
  }

  stableTo(index: number, term: number): void {
    this.unstable.stableTo(index, term);
  }

  stableSnapTo(i: number): void {
    this.unstable.stableSnapTo(i);
  }

  acceptUnstable(): void {
    this.unstable.acceptInProgress();
  }

  lastTerm(): number {
    const t = this.termOrUndefined(this.lastIndex());
    if (t === undefined) throw new RaftInvariantError("unexpected error when getting the last term");
    return t;
  }

  /** Term of entry i; throws CompactedError / UnavailableError outside [firstIndex-1, lastIndex]. */
  term(i: number): number {
    const t = this.unstable.maybeTerm(i);
    if (t !== undefined) return t;
    const first = this.firstIndex();
    if (i + 1 < first) throw new CompactedError(i, first);
    if (i > this.lastIndex()) throw new UnavailableError(i, this.lastIndex());
    return this.storage.term(i);
  }

  /** Term of entry i, or undefined when it is compacted or beyond the log. */
  termOrUndefined(i: number): number | undefined {
    try {
      return this.term(i);
    } catch (e) {
      if (e instanceof CompactedError || e instanceof UnavailableError) return undefined;
      throw e;
    }
  }

  /** Term of entry i, 0 when out of bounds (etcd's zeroTermOnOutOfBounds). */
  termOrZero(i: number): number {
    return this.termOrUndefined(i) ?? 0;
  }

  /** Entries from i to the end, size-limited. */
  entries(i: number, maxSize: number): Entry[] {
    if (i > this.lastIndex()) return [];
    return this.slice(i, this.lastIndex() + 1, maxSize);
  }

  allEntries(): Entry[] {
    return this.entries(this.firstIndex(), NO_LIMIT);
  }

  /** Whether a candidate whose log ends at (lasti, term) is at least as up to date as ours. */
  isUpToDate(lasti: number, term: number): boolean {
    const lt = this.lastTerm();
    return term > lt || (term === lt && lasti >= this.lastIndex());
  }

  matchTerm(i: number, term: number): boolean {
    return this.termOrUndefined(i) === term;
  }

  /** Commits up to maxIndex if that entry is from `term` (the leader's current term: Raft §5.4.2). */
  maybeCommit(maxIndex: number, term: number): boolean {
    if (maxIndex > this.committed && term !== 0 && this.termOrZero(maxIndex) === term) {
      this.commitTo(maxIndex);
      return true;
    }
    return false;
  }

  restore(s: Snapshot): void {
    this.committed = s.metadata.index;
    this.unstable.restore(s);
  }

  /** Entries in [lo, hi), size-limited; throws CompactedError if lo is compacted. */
  slice(lo: number, hi: number, maxSize: number): Entry[] {
    this.checkOutOfBounds(lo, hi);
    if (lo === hi) return [];
    let ents: Entry[] = [];
    const uoff = this.unstable.offset;
    if (lo < uoff) {
      const stored = this.storage.entries(lo, Math.min(hi, uoff), maxSize);
      // the storage hit the size limit: return what it gave
      if (stored.length < Math.min(hi, uoff) - lo) return stored;
      ents = stored;
    }
    if (hi > uoff) {
      const unstable = this.unstable.slice(Math.max(lo, uoff), hi);
      ents = ents.length > 0 ? ents.concat(unstable) : unstable;
    }
    return limitSize(ents, maxSize);
  }

  private checkOutOfBounds(lo: number, hi: number): void {
    if (lo > hi) throw new RaftInvariantError(`invalid slice ${lo} > ${hi}`);
    const fi = this.firstIndex();
    if (lo < fi) throw new CompactedError(lo, fi);
    const last = this.lastIndex();
    if (hi > last + 1) throw new RaftInvariantError(`slice[${lo},${hi}) out of bound [${fi},${last}]`);
  }
}
