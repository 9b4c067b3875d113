/**
 * @module sim/events
 * The virtual clock and the discrete event queue: events run in (time, seq) order, so
 * events at the same virtual time run in the order they were scheduled.
 */

interface Event {
  time: number;
  seq: number;
  label: string;
  run: () => void;
}

export class EventQueue {
  private heap: Event[] = [];
  private seq = 0;
  /** Current virtual time in ms. */
  now = 0;
  /** Events run so far. */
  processed = 0;

  schedule(delayMs: number, label: string, run: () => void): void {
    const e: Event = { time: this.now + Math.max(0, delayMs), seq: this.seq++, label, run };
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  get size(): number {
    return this.heap.length;
  }

  /** Runs the next event if it is due at or before `until`; returns its label, or undefined. */
  runNext(until: number): string | undefined {
    const h = this.heap;
    if (h.length === 0 || h[0]!.time > until) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l]!, h[m]!)) m = l;
        if (r < h.length && before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    this.now = top.time;
    this.processed++;
    top.run();
    return top.label;
  }
}

function before(a: Event, b: Event): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}
