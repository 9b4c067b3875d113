/**
 * @module cluster/read-barrier
 * Linearizable reads on any member through Raft's ReadIndex: reads that arrive while a
 * round is in flight wait for the next round, so many concurrent reads share one
 * round-trip (etcd's linearizableReadLoop). A read proceeds once the local state machine
 * has applied up to the index the leader confirmed. A round that gets no answer (no
 * leader, a term change: Raft drops it silently) is retried with a fresh context until
 * the caller's deadline, then the read fails with UnavailableError.
 */
import type { ReadState } from "../raft/types.ts";
import { StoreClosedError, UnavailableError } from "../store/types.ts";

export interface ReadIndexSink {
  readIndex(ctx: string): void;
  appliedIndex(): number;
}

interface Reader {
  resolve: () => void;
  reject: (e: unknown) => void;
  deadline: number;
}

export class ReadBarrier {
  private next: Reader[] = [];
  private inflight: { ctx: string; readers: Reader[]; sentAt: number } | null = null;
  /** Readers whose read index is known, waiting for apply; sorted by index. */
  private applyWaits: { index: number; readers: Reader[] }[] = [];
  private seq = 0;
  private timer: ReturnType<typeof setInterval> | null = null;
  private closed = false;
  /** ReadIndex rounds issued (for tests: batching shows as rounds << reads). */
  rounds = 0;

  constructor(
    private readonly sink: ReadIndexSink,
    private readonly prefix: string,
    private readonly timeoutMs: number,
    private readonly retryMs: number,
  ) {}

  /** Resolves when a read served from local state now would be linearizable. */
  wait(): Promise<void> {
    if (this.closed) return Promise.reject(new StoreClosedError());
    return new Promise((resolve, reject) => {
      this.next.push({ resolve, reject, deadline: Date.now() + this.timeoutMs });
      this.timer ??= setInterval(() => this.check(), Math.max(5, Math.floor(this.retryMs / 4)));
      if (!this.inflight) queueMicrotask(() => this.issue());
    });
  }

  private issue(): void {
    if (this.inflight || this.next.length === 0 || this.closed) return;
    const ctx = `${this.prefix}${++this.seq}`;
    this.inflight = { ctx, readers: this.next, sentAt: Date.now() };
    this.next = [];
    this.rounds++;
    this.sink.readIndex(ctx);
  }

  onReadStates(rs: ReadState[]): void {
    const f = this.inflight;
    if (!f) return;
    const hit = rs.find((r) => r.requestCtx === f.ctx);
    if (!hit) return;
    this.inflight = null;
    this.whenApplied(hit.index, f.readers);
    this.issue();
  }

  private whenApplied(index: number, readers: Reader[]): void {
    if (this.sink.appliedIndex() >= index) {
      for (const r of readers) r.resolve();
      return;
    }
    const at = this.applyWaits.findIndex((w) => w.index >= index);
    if (at >= 0 && this.applyWaits[at]!.index === index) this.applyWaits[at]!.readers.push(...readers);
    else if (at >= 0) this.applyWaits.splice(at, 0, { index, readers });
    else this.applyWaits.push({ index, readers });
  }

  /** The state machine applied up to `applied`. */
  onApplied(applied: number): void {
    while (this.applyWaits.length > 0 && this.applyWaits[0]!.index <= applied) {
      for (const r of this.applyWaits.shift()!.readers) r.resolve();
    }
  }

  /** The leader changed: a round sent to the old one is lost, so start over at once. */
  leaderChanged(): void {
    const f = this.inflight;
    if (!f || this.closed) return;
    this.inflight = null;
    this.next = [...f.readers, ...this.next];
    queueMicrotask(() => this.issue());
  }

  /** Retries a silent round and fails readers past their deadline. */
  private check(): void {
    const now = Date.now();
    const expire = (list: Reader[]) =>
      list.filter((r) => {
        if (r.deadline > now) return true;
        r.reject(new UnavailableError(`linearizable read: no answer from a raft leader within ${this.timeoutMs} ms`));
        return false;
      });
    this.next = expire(this.next);
    for (const w of this.applyWaits) w.readers = expire(w.readers);
    this.applyWaits = this.applyWaits.filter((w) => w.readers.length > 0);
    const f = this.inflight;
    if (f) {
      f.readers = expire(f.readers);
      if (now - f.sentAt >= this.retryMs || f.readers.length === 0) {
        // Dropped (no leader, term change) or unanswered: start over with a fresh context.
        this.inflight = null;
        this.next = [...f.readers, ...this.next];
        this.issue();
      }
    } else this.issue();
    if (!this.inflight && this.next.length === 0 && this.applyWaits.length === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    const all = [...this.next, ...(this.inflight?.readers ?? []), ...this.applyWaits.flatMap((w) => w.readers)];
    this.next = [];
    this.inflight = null;
    this.applyWaits = [];
    for (const r of all) r.reject(new StoreClosedError());
  }
}
