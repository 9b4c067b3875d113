/**
 * @module agent/limiter
 * A counting semaphore: at most `max` engine mutations (sandbox and container
 * creation) at once, so a burst of pods does not start a hundred CLI processes on a
 * two-core machine. Waiters with a higher priority go first (FIFO among equals): the
 * agent gives finishing a pod (its containers) precedence over starting the next
 * pod's sandbox, so pods of a burst become Ready one after another instead of all
 * at the end.
 */
interface Waiter {
  priority: number;
  wake: () => void;
}

export class Limiter {
  private active = 0;
  private readonly queue: Waiter[] = [];

  constructor(readonly max: number) {
    if (!(max >= 1)) throw new RangeError("Limiter needs max >= 1");
  }

  async run<T>(fn: () => Promise<T>, priority = 0): Promise<T> {
    if (this.active >= this.max) {
      await new Promise<void>((wake) => {
        let i = this.queue.length;
        while (i > 0 && this.queue[i - 1]!.priority < priority) i--;
        this.queue.splice(i, 0, { priority, wake });
      });
    } else this.active++;
    try {
      return await fn();
    } finally {
      const next = this.queue.shift();
      if (next) next.wake();
      else this.active--;
    }
  }

  get pending(): number {
    return this.queue.length;
  }
}
