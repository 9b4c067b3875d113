/**
 * @module linearizability/sim
 * Test helper: histories from a real sequential execution. Simulated clients issue overlapping
 * requests against an in-memory store with kite's semantics (global revision counter, per-key
 * resourceVersion = modRevision); each request takes effect atomically at a random point inside
 * its [call, return] window, so the resulting history is linearizable by construction. Some
 * requests lose their response (outcome unknown): those take effect at a random later point,
 * or never. Seeded, so a failing seed reproduces.
 */
import type { KvInput, KvOutput } from "./models.ts";
import type { Operation } from "./types.ts";

export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SimOptions {
  seed: number;
  clients: number;
  opsPerClient: number;
  keys: number;
  /** Probability that a request's response is lost. Default 0. */
  unknownRate?: number;
  /** Op mix weights. Default read 40, write 25, cas 15, create 10, delete 10. */
  mix?: Partial<Record<KvInput["op"], number>>;
}

/** A sequential store with kite's revision semantics. */
export class SequentialKv {
  private rev = 0;
  private readonly data = new Map<string, { value: string; rv: number }>();

  apply(i: KvInput): KvOutput {
    const cur = this.data.get(i.key);
    switch (i.op) {
      case "read":
        return cur ? { type: "found", value: cur.value, rv: cur.rv } : { type: "notFound" };
      case "write":
        this.data.set(i.key, { value: i.value, rv: ++this.rev });
        return { type: "ok", rv: this.rev };
      case "create":
        if (cur) return { type: "exists" };
        this.data.set(i.key, { value: i.value, rv: ++this.rev });
        return { type: "ok", rv: this.rev };
      case "cas":
        if (!cur) return { type: "notFound" };
        if (cur.rv !== i.expectedRV) return { type: "conflict" };
        this.data.set(i.key, { value: i.value, rv: ++this.rev });
        return { type: "ok", rv: this.rev };
      case "delete":
        if (!cur) return { type: "notFound" };
        if (i.expectedRV !== undefined && cur.rv !== i.expectedRV) return { type: "conflict" };
        this.data.delete(i.key);
        return { type: "ok", prevRV: cur.rv, rv: ++this.rev };
    }
  }
}

type Event = { t: number; seq: number; run: () => void };

/** Minimal binary min-heap of events by (time, insertion order). */
class EventQueue {
  private readonly h: Event[] = [];
  private seq = 0;
  push(t: number, run: () => void): void {
    const h = this.h;
    h.push({ t, seq: this.seq++, run });
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (less(h[p]!, h[i]!)) break;
      [h[p], h[i]] = [h[i]!, h[p]!];
      i = p;
    }
  }
  pop(): Event | undefined {
    const h = this.h;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && less(h[l]!, h[m]!)) m = l;
        if (r < h.length && less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i]!, h[m]!];
        i = m;
      }
    }
    return top;
  }
}
const less = (a: Event, b: Event): boolean => a.t < b.t || (a.t === b.t && a.seq < b.seq);

export function simulateKv(o: SimOptions): Operation<KvInput, KvOutput>[] {
  const rnd = prng(o.seed);
  const mix = { read: 40, write: 25, cas: 15, create: 10, delete: 10, ...o.mix };
  const total = Object.values(mix).reduce((a, b) => a + b, 0);
  const pick = (): KvInput["op"] => {
    let r = rnd() * total;
    for (const [k, w] of Object.entries(mix)) if ((r -= w) < 0) return k as KvInput["op"];
    return "read";
  };
  const store = new SequentialKv();
  const queue = new EventQueue();
  const ops: Operation<KvInput, KvOutput>[] = [];

  const startOp = (c: number, n: number, lastRV: Map<string, number>, t: number): void => {
    if (n >= o.opsPerClient) return;
    const key = `k${Math.floor(rnd() * o.keys)}`;
    const kind = pick();
    const value = `c${c}-${n}`;
    const seen = lastRV.get(key) ?? 1;
    const expectedRV = rnd() < 0.8 ? seen : Math.max(1, seen - 1 - Math.floor(rnd() * 3));
    const input: KvInput =
      kind === "read" ? { op: "read", key }
      : kind === "write" ? { op: "write", key, value }
      : kind === "create" ? { op: "create", key, value }
      : kind === "cas" ? { op: "cas", key, expectedRV, value }
      : rnd() < 0.5 ? { op: "delete", key } : { op: "delete", key, expectedRV };
    const ret = t + 0.5 + rnd() * 10;
    const lost = rnd() < (o.unknownRate ?? 0);
    const op: Operation<KvInput, KvOutput> = { clientId: c, input, call: t, output: undefined, return: lost ? Infinity : ret };
    ops.push(op);
    let out: KvOutput | undefined;
    // A lost request still takes effect half the time, possibly long after the client gave up.
    const at = !lost ? t + rnd() * (ret - t) : rnd() < 0.5 ? t + rnd() * 50 : Infinity;
    if (at !== Infinity) queue.push(at, () => (out = store.apply(input)));
    queue.push(ret, () => {
      if (!lost) {
        op.output = out;
        if ((out!.type === "found" || out!.type === "ok") && out!.rv !== undefined) lastRV.set(key, out!.rv);
      }
      startOp(c, n + 1, lastRV, ret + rnd() * 3);
    });
  };
  for (let c = 0; c < o.clients; c++) startOp(c, 0, new Map(), rnd() * 5);
  for (let e = queue.pop(); e; e = queue.pop()) e.run();
  return ops;
}
