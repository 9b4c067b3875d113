/**
 * @module test/cluster/jepsen/revisions
 * A cross-key check the per-key linearizability checker cannot make: kite's store revision
 * (the resourceVersion of a write, of a list) only moves forward in real time.
 *
 * Every completed op that reported a revision gives a floor: once it returned, the store had
 * reached that revision. Then for any op that started after it returned:
 * - a list must report a revision >= the floor (a list is served at one store revision);
 * - a write must report a revision > the floor (it creates a new revision);
 * - a read reports the object's own modRevision, which may be old: it only raises the floor;
 *   but one client's successive reads of one key never report a lower revision.
 * A violation means a read went back in time or a revision was reused. (The per-key
 * linearizability check implies the last rule; it is here for a plainer message.)
 */

export interface RevisionEvent {
  kind: "list" | "write" | "read";
  client: number;
  /** The key a read read. */
  key?: string;
  /** Times on the RevisionLog's clock (ms). */
  call: number;
  ret: number;
  rev: number;
}

export interface RevisionViolation {
  event: RevisionEvent;
  /** The op that set the floor the event broke. */
  after: RevisionEvent;
  message: string;
}

export class RevisionLog {
  readonly events: RevisionEvent[] = [];
  private readonly t0 = performance.now();

  now(): number {
    return performance.now() - this.t0;
  }

  record(e: RevisionEvent): void {
    this.events.push(e);
  }

  check(): RevisionViolation[] {
    return checkRevisions(this.events);
  }
}

export function checkRevisions(events: readonly RevisionEvent[]): RevisionViolation[] {
  const byReturn = [...events].sort((a, b) => a.ret - b.ret);
  // best[i]: the event with the highest revision among byReturn[0..i].
  const best: RevisionEvent[] = [];
  for (const e of byReturn) best.push(best.length && best[best.length - 1]!.rev >= e.rev ? best[best.length - 1]! : e);
  /** The highest-revision event that returned strictly before `t`. */
  const floorBefore = (t: number): RevisionEvent | undefined => {
    let lo = 0;
    let hi = byReturn.length; // first index with ret >= t
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (byReturn[mid]!.ret < t) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? undefined : best[lo - 1];
  };
  const out: RevisionViolation[] = [];
  const lastRead = new Map<string, RevisionEvent>();
  for (const e of [...events].filter((x) => x.kind === "read" && x.key !== undefined).sort((a, b) => a.call - b.call)) {
    const id = `${e.client}\u0000${e.key}`;
    const prev = lastRead.get(id);
    if (prev && e.rev < prev.rev) {
      out.push({ event: e, after: prev, message: `client ${e.client} read ${e.key} at revision ${e.rev} [${e.call.toFixed(1)} ms] after reading it at ${prev.rev} [${prev.call.toFixed(1)} ms]` });
    }
    lastRead.set(id, e);
  }
  for (const e of events) {
    if (e.kind === "read") continue;
    const f = floorBefore(e.call);
    if (!f) continue;
    const bad = e.kind === "list" ? e.rev < f.rev : e.rev <= f.rev;
    if (bad) {
      out.push({
        event: e,
        after: f,
        message: `${e.kind} by client ${e.client} [${e.call.toFixed(1)}–${e.ret.toFixed(1)} ms] reported revision ${e.rev}, but ${f.kind} by client ${f.client} had reported ${f.rev} when it returned at ${f.ret.toFixed(1)} ms`,
      });
    }
  }
  return out;
}
