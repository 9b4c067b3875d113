/**
 * @module agent/backoff
 * Kubernetes' restart back-off (client-go flowcontrol.Backoff as the kubelet uses it):
 * per key (pod UID + container), the first restart is immediate, then each restart
 * waits 10 s, 20 s, 40 s … up to 5 min after the container finished. An entry is
 * forgotten when it was not used for 2 × max (10 min), which is how a container that
 * ran for ten minutes starts over at 10 s. The clock is injectable for tests.
 */

export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  now?: () => number;
}

interface Entry {
  delayMs: number;
  lastUpdate: number;
}

export class Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
  private readonly now: () => number;
  private readonly entries = new Map<string, Entry>();

  constructor(opts: BackoffOptions = {}) {
    this.initialMs = opts.initialMs ?? 10_000;
    this.maxMs = opts.maxMs ?? 300_000;
    this.now = opts.now ?? Date.now;
  }

  private live(key: string, at: number): Entry | undefined {
    const e = this.entries.get(key);
    if (e && at - e.lastUpdate > 2 * this.maxMs) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  /**
   * When a restart of `key` may happen, given the time the last attempt finished:
   * null when it may happen now, else the epoch ms at which the back-off ends.
   */
  blockedUntil(key: string, finishedAt: number): number | null {
    const e = this.live(key, this.now());
    if (!e) return null;
    const until = finishedAt + e.delayMs;
    return this.now() < until ? until : null;
  }

  /** Records a restart now: the next one waits twice as long (capped). */
  next(key: string): void {
    const at = this.now();
    const e = this.live(key, at);
    if (!e) this.entries.set(key, { delayMs: this.initialMs, lastUpdate: at });
    else {
      e.delayMs = Math.min(e.delayMs * 2, this.maxMs);
      e.lastUpdate = at;
    }
  }

  /** Current delay of `key` in ms (0 when none). */
  delay(key: string): number {
    return this.live(key, this.now())?.delayMs ?? 0;
  }

  reset(key: string): void {
    this.entries.delete(key);
  }

  /** Forgets every key starting with `prefix` (a pod's UID when the pod goes away). */
  resetPrefix(prefix: string): void {
    for (const k of this.entries.keys()) if (k.startsWith(prefix)) this.entries.delete(k);
  }

  /** Drops expired entries. */
  gc(): void {
    const at = this.now();
    for (const [k, e] of this.entries) if (at - e.lastUpdate > 2 * this.maxMs) this.entries.delete(k);
  }

  get size(): number {
    return this.entries.size;
  }
}
