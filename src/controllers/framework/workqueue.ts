/**
 * @module controllers/framework/workqueue
 * A work queue like client-go's: keys are de-duplicated while waiting, a key is never
 * processed by two workers at once (re-added keys run again after), failures back off
 * exponentially per key, and `addAfter` schedules a key for later.
 */
export interface WorkQueueOptions {
  baseDelayMs?: number;
  maxDelayMs?: number;
}

export class WorkQueue {
  private queue: string[] = [];
  private queued = new Set<string>();
  private processing = new Set<string>();
  private dirty = new Set<string>();
  private failures = new Map<string, number>();
  private timers = new Map<string, ReturnType<typeof setTimeout>>();
  private waiters: (() => void)[] = [];
  private shuttingDown = false;

  constructor(private readonly opts: WorkQueueOptions = {}) {}

  add(key: string) {
    if (this.shuttingDown) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.queue.push(key);
    this.waiters.shift()?.();
  }

  addAfter(key: string, ms: number) {
    if (this.shuttingDown) return;
    if (ms <= 0) return this.add(key);
    const existing = this.timers.get(key);
    if (existing) clearTimeout(existing);
    const t = setTimeout(() => {
      this.timers.delete(key);
      this.add(key);
    }, ms);
    (t as { unref?: () => void }).unref?.();
    this.timers.set(key, t);
  }

  /** Re-queue after a failure with per-key exponential back-off. */
  addRateLimited(key: string) {
    const n = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, n);
    const delay = Math.min((this.opts.baseDelayMs ?? 5) * 2 ** (n - 1), this.opts.maxDelayMs ?? 60_000);
    this.addAfter(key, delay);
  }

  forget(key: string) {
    this.failures.delete(key);
  }

  len() {
    return this.queue.length;
  }

  /** Next key, or null when shut down. Call done(key) after processing. */
  async get(): Promise<string | null> {
    while (this.queue.length === 0) {
      if (this.shuttingDown) return null;
      await new Promise<void>((r) => this.waiters.push(r));
    }
    const key = this.queue.shift()!;
    this.queued.delete(key);
    this.processing.add(key);
    return key;
  }

  done(key: string) {
    this.processing.delete(key);
    if (this.dirty.delete(key)) this.add(key);
  }

  shutdown() {
    this.shuttingDown = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    for (const w of this.waiters.splice(0)) w();
  }

  /** Run `workers` loops calling `handler(key)`; a thrown error re-queues with back-off. */
  run(workers: number, handler: (key: string) => Promise<void>, onError?: (key: string, e: unknown) => void): Promise<void[]> {
    const loop = async () => {
      for (;;) {
        const key = await this.get();
        if (key === null) return;
        try {
          await handler(key);
          this.forget(key);
        } catch (e) {
          onError?.(key, e);
          this.addRateLimited(key);
        } finally {
          this.done(key);
        }
      }
    };
    return Promise.all(Array.from({ length: workers }, loop));
  }
}
