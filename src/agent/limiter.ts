/**
 * @module agent/limiter
 * A counting semaphore: at most `max` engine mutations (sandbox and container
 * creation) at once, so a burst of pods does not start a hundred CLI processes on a
 * two-core machine. Waiters are served in arrival order.
 */
export class Limiter {
  private active = 0;
  private readonly queue: (() => void)[] = [];

  constructor(readonly max: number) {
    if (!(max >= 1)) throw new RangeError("Limiter needs max >= 1");
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((r) => this.queue.push(r));
    else this.active++;
    try {
      return await fn();
    } finally {
      const next = this.queue.shift();
      if (next) next();
      else this.active--;
    }
  }

  get pending(): number {
    return this.queue.length;
  }
}
