/**
 * @module store/watch-hub
 * Fans applied events out to watchers. Each watcher first replays history
 * after its start revision (read from the state machine in chunks, as it pulls),
 * then, once a history read reaches the current revision, switches to live
 * events pushed by `publish`. JavaScript runs one thing at a time and `publish`
 * is called synchronously after each commit, so the switch has no gap and no
 * duplicate. A live watcher that falls more than `bufferLimit` events behind is
 * cut off with WatchOverflowError (it must re-list): writers and other watchers
 * never wait for it.
 */
import {
  CompactedError,
  StoreClosedError,
  StoreError,
  WatchOverflowError,
  type WatchBatch,
  type WatchEvent,
  type Watcher,
  type WatchOptions,
} from "./types.ts";

/** What the hub needs from the state machine. */
export interface WatchSource {
  currentRevision(): number;
  compactRevision(): number;
  /** Up to `limit` events after `afterRevision` under `prefix`, ascending; throws CompactedError. */
  eventsAfter(prefix: string, afterRevision: number, limit: number): WatchEvent[];
}

export interface WatchHubOptions {
  /** Default per-watcher limit of undelivered live events. */
  bufferLimit?: number;
  /** Events read from history per replay step. */
  replayChunk?: number;
  /** Most events in one delivered batch. */
  maxBatch?: number;
}

export const DEFAULT_WATCH_BUFFER = 10_000;

export class WatchHub {
  private readonly watchers = new Set<HubWatcher>();
  private closed = false;
  readonly bufferLimit: number;
  readonly replayChunk: number;
  readonly maxBatch: number;

  constructor(readonly source: WatchSource, opts: WatchHubOptions = {}) {
    this.bufferLimit = opts.bufferLimit ?? DEFAULT_WATCH_BUFFER;
    this.replayChunk = opts.replayChunk ?? 1000;
    this.maxBatch = opts.maxBatch ?? 1000;
  }

  /** Number of active watchers. */
  get size(): number {
    return this.watchers.size;
  }

  watch(prefix: string, opts: WatchOptions): Watcher {
    const w = new HubWatcher(this, prefix, opts);
    if (this.closed) {
      w.fail(new StoreClosedError());
      return w;
    }
    const compactRev = this.source.compactRevision();
    if (opts.afterRevision < compactRev) {
      w.fail(new CompactedError(opts.afterRevision, compactRev));
      return w;
    }
    // Nothing to replay: live from now on.
    if (opts.afterRevision >= this.source.currentRevision()) w.synced = true;
    this.watchers.add(w);
    w.startTimer();
    return w;
  }

  /** Delivers a committed batch's events (ascending revision); `revision` is the store revision after it. */
  publish(events: WatchEvent[], revision: number): void {
    for (const w of this.watchers) w.offer(events, revision);
  }

  /** The state was replaced (snapshot restore): every watcher re-reads history from where it is. */
  resync(): void {
    for (const w of this.watchers) {
      w.synced = false;
      w.poke();
    }
  }

  /** Fails every watcher with StoreClosedError; later watches fail the same way. */
  close(): void {
    this.closed = true;
    for (const w of [...this.watchers]) w.fail(new StoreClosedError());
  }

  /** @internal */
  remove(w: HubWatcher): void {
    this.watchers.delete(w);
  }
}

type Waiter = { resolve: (b: WatchBatch | null) => void; reject: (e: unknown) => void };

class HubWatcher implements Watcher {
  /** Every event with revision <= cursor has been queued or delivered (or was not for us). */
  private cursor: number;
  /** Reading live events from `publish` (false: replaying history on each next()). */
  synced = false;
  private queue: WatchEvent[] = [];
  private error: StoreError | null = null;
  private cancelled = false;
  private waiter: Waiter | null = null;
  private progressDue = false;
  private lastDelivery = Date.now();
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly bufferLimit: number;
  private readonly progressIntervalMs: number;

  constructor(private readonly hub: WatchHub, private readonly prefix: string, opts: WatchOptions) {
    this.cursor = opts.afterRevision;
    this.bufferLimit = opts.bufferLimit ?? hub.bufferLimit;
    this.progressIntervalMs = opts.progressIntervalMs ?? 0;
    this.exact = opts.exact === true;
  }

  private readonly exact: boolean;

  private matches(key: string): boolean {
    return this.exact ? key === this.prefix : key.startsWith(this.prefix);
  }

  startTimer(): void {
    if (this.progressIntervalMs <= 0) return;
    this.timer = setInterval(() => {
      if (Date.now() - this.lastDelivery >= this.progressIntervalMs) this.requestProgress();
    }, this.progressIntervalMs);
    (this.timer as { unref?: () => void }).unref?.();
  }

  /** @internal live events from the hub */
  offer(events: WatchEvent[], revision: number): void {
    if (!this.synced) return;
    const before = this.queue.length;
    for (const ev of events) {
      if (ev.kv.modRevision > this.cursor && this.matches(ev.kv.key)) this.queue.push(ev);
    }
    if (revision > this.cursor) this.cursor = revision;
    if (this.queue.length > this.bufferLimit) {
      this.fail(new WatchOverflowError(this.bufferLimit));
      return;
    }
    if (this.queue.length > before) this.wake();
  }

  next(): Promise<WatchBatch | null> {
    if (this.waiter) return Promise.reject(new Error("Watcher.next() called again before the previous call resolved"));
    try {
      const batch = this.take();
      if (batch !== undefined) return Promise.resolve(batch);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /**
   * What next() returns now: a batch, null (cancelled), throws the watcher's error,
   * or undefined when the caller has to wait.
   */
  private take(): WatchBatch | null | undefined {
    if (this.cancelled) return null;
    if (this.queue.length > 0) return this.deliver();
    if (this.error) throw this.error;
    while (!this.synced) {
      const events = this.replay();
      if (events.length > 0) {
        this.lastDelivery = Date.now();
        return { kind: "events", events };
      }
    }
    if (this.progressDue) {
      this.progressDue = false;
      this.lastDelivery = Date.now();
      return { kind: "progress", revision: Math.max(this.hub.source.currentRevision(), 0) };
    }
    return undefined;
  }

  private deliver(): WatchBatch {
    let events: WatchEvent[];
    if (this.queue.length <= this.hub.maxBatch) {
      events = this.queue;
      this.queue = [];
    } else {
      events = this.queue.slice(0, this.hub.maxBatch);
      this.queue = this.queue.slice(this.hub.maxBatch);
    }
    this.lastDelivery = Date.now();
    return { kind: "events", events };
  }

  /** One chunk of history after the cursor; marks the watcher synced when it reaches the current revision. */
  private replay(): WatchEvent[] {
    const src = this.hub.source;
    const compactRev = src.compactRevision();
    if (this.cursor < compactRev) {
      const err = new CompactedError(this.cursor, compactRev);
      this.fail(err);
      throw err;
    }
    const chunk = this.hub.replayChunk;
    let events: WatchEvent[];
    try {
      events = src.eventsAfter(this.prefix, this.cursor, chunk);
    } catch (err) {
      if (err instanceof StoreError) this.fail(err);
      throw err;
    }
    const scanned = events.length;
    const last = scanned ? events[scanned - 1]!.kv.modRevision : this.cursor;
    if (this.exact) events = events.filter((e) => e.kv.key === this.prefix);
    if (scanned < chunk) {
      // Everything up to the current revision has been read, in this same tick.
      this.cursor = Math.max(this.cursor, src.currentRevision());
      this.synced = true;
    } else {
      this.cursor = last;
    }
    return events;
  }

  /** @internal re-evaluate a pending next() (after resync). */
  poke(): void {
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    if (!w) return;
    let batch: WatchBatch | null | undefined;
    try {
      batch = this.take();
    } catch (err) {
      this.waiter = null;
      w.reject(err);
      return;
    }
    if (batch === undefined) return;
    this.waiter = null;
    w.resolve(batch);
  }

  requestProgress(): void {
    if (this.cancelled || this.error) return;
    this.progressDue = true;
    this.wake();
  }

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.queue = [];
    this.stop();
    this.wake();
  }

  /** @internal cut the watcher off with `err` (undelivered events are dropped). */
  fail(err: StoreError): void {
    if (this.error || this.cancelled) return;
    this.error = err;
    this.queue = [];
    this.stop();
    const w = this.waiter;
    if (w) {
      this.waiter = null;
      w.reject(err);
    }
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.hub.remove(this);
  }
}
