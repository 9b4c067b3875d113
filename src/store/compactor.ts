/**
 * @module store/compactor
 * Auto-compaction policy: which revision to compact to, keeping a window of
 * at most `retainRevisions` revisions and at most `retainMs` of time (the
 * smaller window wins, so the database stays bounded under any write rate).
 * The proposer samples (time, revision) pairs; applying the resulting compact
 * command stays deterministic.
 */

export interface CompactionPolicyOptions {
  /** Keep at most this many revisions of history (0: no revision bound). */
  retainRevisions: number;
  /** Keep at most this much time of history, in ms (0: no time bound). */
  retainMs: number;
}

export class CompactionPolicy {
  private samples: { t: number; rev: number }[] = [];

  constructor(private readonly opts: CompactionPolicyOptions) {}

  /**
   * Records `currentRev` at time `now` and returns the revision to compact to,
   * or 0 when nothing is due.
   */
  target(now: number, currentRev: number, compactRev: number): number {
    this.samples.push({ t: now, rev: currentRev });
    let target = 0;
    if (this.opts.retainRevisions > 0) target = Math.max(target, currentRev - this.opts.retainRevisions);
    if (this.opts.retainMs > 0) {
      const cutoff = now - this.opts.retainMs;
      // The newest sample at or before the cutoff: everything up to its revision is older than the window.
      let i = -1;
      while (i + 1 < this.samples.length && this.samples[i + 1]!.t <= cutoff) i++;
      if (i >= 0) {
        target = Math.max(target, this.samples[i]!.rev);
        this.samples = this.samples.slice(i);
      }
    }
    return target > compactRev && target <= currentRev ? target : 0;
  }
}
