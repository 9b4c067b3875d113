/**
 * @module scheduler/queue
 * The scheduling queue, like upstream's PriorityQueue: an active heap ordered by
 * spec.priority then arrival (PrioritySort), a backoff heap (1 s doubling to 10 s per
 * attempt), and an unschedulable pool whose pods move back only on a cluster event some
 * rejecting plugin's queueing hint accepts — or after 5 minutes regardless. Pods with
 * schedulingGates wait in the pool until an update removes the gates (PreEnqueue).
 */
import { interestedPlugins, KNOWN_PLUGINS, worthRequeuing, type ClusterEvent } from "./cluster-events.ts";
import { Heap } from "./heap.ts";
import type { PodInfo } from "./pod-info.ts";

export interface QueuedPod {
  info: PodInfo;
  /** Time it last entered the queue: FIFO order within a priority, and the backoff base. */
  timestamp: number;
  /** Scheduling attempts so far. */
  attempts: number;
  /** Plugins that rejected it in the last attempt (empty: any event may help). */
  plugins: Set<string>;
  gated: boolean;
  /** Time it entered the unschedulable pool. */
  unschedulableSince: number;
  /** The pod was deleted while being scheduled. */
  deleted: boolean;
}

export interface QueueOptions {
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** podMaxInUnschedulablePodsDuration (upstream 5 min). */
  maxInUnschedulableMs?: number;
  now?: () => number;
}

export type Where = "active" | "backoff" | "unschedulable" | "inflight";

export class SchedulingQueue {
  private readonly active = new Heap<QueuedPod>(
    (q) => q.info.uid,
    (a, b) => a.info.priority > b.info.priority || (a.info.priority === b.info.priority && a.timestamp < b.timestamp),
  );
  private readonly backoff = new Heap<QueuedPod>(
    (q) => q.info.uid,
    (a, b) => this.backoffExpiry(a) < this.backoffExpiry(b),
  );
  private readonly unschedulable = new Map<string, QueuedPod>();
  /** Unschedulable (ungated) pods by rejecting plugin; "" holds pods with no or unknown plugins. */
  private readonly byPlugin = new Map<string, Set<QueuedPod>>();
  private readonly inflight = new Map<string, QueuedPod>();
  private waiters: (() => void)[] = [];
  private closed = false;
  private readonly now: () => number;
  readonly moved = { toActive: 0, toBackoff: 0 };

  constructor(private readonly opts: QueueOptions = {}) {
    this.now = opts.now ?? Date.now;
  }

  backoffDuration(q: QueuedPod): number {
    const initial = this.opts.initialBackoffMs ?? 1000;
    const max = this.opts.maxBackoffMs ?? 10_000;
    let d = initial;
    for (let i = 1; i < q.attempts; i++) {
      d *= 2;
      if (d >= max) return max;
    }
    return Math.min(d, max);
  }

  backoffExpiry(q: QueuedPod): number {
    return q.timestamp + this.backoffDuration(q);
  }

  private isBackingOff(q: QueuedPod): boolean {
    return q.attempts > 0 && this.backoffExpiry(q) > this.now();
  }

  where(uid: string): Where | undefined {
    if (this.active.has(uid)) return "active";
    if (this.backoff.has(uid)) return "backoff";
    if (this.unschedulable.has(uid)) return "unschedulable";
    if (this.inflight.has(uid)) return "inflight";
    return undefined;
  }

  get(uid: string): QueuedPod | undefined {
    return this.active.get(uid) ?? this.backoff.get(uid) ?? this.unschedulable.get(uid) ?? this.inflight.get(uid);
  }

  private park(q: QueuedPod) {
    this.unschedulable.set(q.info.uid, q);
    if (q.gated) return;
    const keys = q.plugins.size === 0 ? [""] : [...q.plugins].map((p) => (KNOWN_PLUGINS.has(p) ? p : ""));
    for (const k of keys) {
      let set = this.byPlugin.get(k);
      if (!set) this.byPlugin.set(k, (set = new Set()));
      set.add(q);
    }
  }

  private unpark(uid: string): QueuedPod | undefined {
    const q = this.unschedulable.get(uid);
    if (!q) return undefined;
    this.unschedulable.delete(uid);
    for (const set of this.byPlugin.values()) set.delete(q);
    return q;
  }

  private toActive(q: QueuedPod) {
    this.active.push(q);
    this.moved.toActive++;
    this.waiters.shift()?.();
  }

  /** PreEnqueue: gated pods wait in the unschedulable pool; others become active. */
  private enqueue(q: QueuedPod) {
    q.gated = !!q.info.gates;
    if (q.gated) {
      q.unschedulableSince = this.now();
      this.park(q);
    } else this.toActive(q);
  }

  /** A new pending pod. */
  add(info: PodInfo) {
    if (this.closed || this.where(info.uid)) return this.update(info);
    this.enqueue({ info, timestamp: this.now(), attempts: 0, plugins: new Set(), gated: false, unschedulableSince: 0, deleted: false });
  }

  /** A pending pod changed. Updates that could change the outcome move it out of the unschedulable pool. */
  update(info: PodInfo) {
    if (this.closed) return;
    const uid = info.uid;
    const inflight = this.inflight.get(uid);
    if (inflight) {
      inflight.info = info;
      return;
    }
    const a = this.active.get(uid);
    if (a) {
      a.info = info;
      this.active.push(a);
      return;
    }
    const b = this.backoff.get(uid);
    if (b) {
      b.info = info;
      this.backoff.push(b);
      return;
    }
    const u = this.unschedulable.get(uid);
    if (u) {
      const changed = podSpecChanged(u.info, info);
      u.info = info;
      if (u.gated) {
        if (!info.gates) {
          this.unpark(uid);
          u.gated = false;
          u.timestamp = this.now();
          this.toActive(u);
        }
        return;
      }
      if (changed) {
        this.unpark(uid);
        this.moveOut(u);
      }
      return;
    }
    this.enqueue({ info, timestamp: this.now(), attempts: 0, plugins: new Set(), gated: false, unschedulableSince: 0, deleted: false });
  }

  delete(uid: string) {
    this.active.delete(uid);
    this.backoff.delete(uid);
    this.unpark(uid);
    const f = this.inflight.get(uid);
    if (f) f.deleted = true;
  }

  /** Highest-priority active pod, now in flight; undefined if none is active. */
  pop(): QueuedPod | undefined {
    const q = this.active.pop();
    if (!q) return undefined;
    q.attempts++;
    this.inflight.set(q.info.uid, q);
    return q;
  }

  /** Resolves when a pod is active (or the queue closes). */
  wait(): Promise<void> {
    if (this.active.size > 0 || this.closed) return Promise.resolve();
    return new Promise((r) => this.waiters.push(r));
  }

  /** The pod's cycle is over and it was bound (or dropped). */
  done(uid: string) {
    this.inflight.delete(uid);
  }

  /** The pod was rejected by `plugins` (empty: by no plugin in particular): park it until an event helps. */
  requeueUnschedulable(q: QueuedPod, plugins: Iterable<string>) {
    this.inflight.delete(q.info.uid);
    if (q.deleted || this.closed) return;
    q.plugins = new Set(plugins);
    q.timestamp = this.now();
    q.unschedulableSince = q.timestamp;
    this.park(q);
  }

  /** An error (API failure, binding failure): retry after the backoff. */
  requeueBackoff(q: QueuedPod) {
    this.inflight.delete(q.info.uid);
    if (q.deleted || this.closed) return;
    q.timestamp = this.now();
    this.backoff.push(q);
    this.moved.toBackoff++;
  }

  private moveOut(q: QueuedPod) {
    if (this.isBackingOff(q)) {
      this.backoff.push(q);
      this.moved.toBackoff++;
    } else this.toActive(q);
  }

  /**
   * MoveAllToActiveOrBackoffQueue: unschedulable pods a rejecting plugin says this event may
   * help. Only pods rejected by a plugin that acts on this kind of event are looked at.
   */
  onEvent(ev: ClusterEvent): number {
    if (this.unschedulable.size === 0) return 0;
    const candidates = new Set<QueuedPod>(this.byPlugin.get(""));
    for (const p of interestedPlugins(ev)) for (const q of this.byPlugin.get(p) ?? []) candidates.add(q);
    let n = 0;
    for (const q of candidates) {
      let worth = q.plugins.size === 0;
      if (!worth) {
        for (const p of q.plugins) {
          if (worthRequeuing(p, q.info, ev)) {
            worth = true;
            break;
          }
        }
      }
      if (!worth) continue;
      this.unpark(q.info.uid);
      this.moveOut(q);
      n++;
    }
    return n;
  }

  /** flushBackoffQCompleted + flushUnschedulablePodsLeftover. */
  flush() {
    const now = this.now();
    for (;;) {
      const top = this.backoff.peek();
      if (!top || this.backoffExpiry(top) > now) break;
      this.backoff.pop();
      this.toActive(top);
    }
    const max = this.opts.maxInUnschedulableMs ?? 5 * 60_000;
    for (const [uid, q] of this.unschedulable) {
      if (q.gated || now - q.unschedulableSince < max) continue;
      this.unpark(uid);
      this.moveOut(q);
    }
  }

  close() {
    this.closed = true;
    for (const w of this.waiters.splice(0)) w();
  }

  get isClosed() {
    return this.closed;
  }

  sizes() {
    return { active: this.active.size, backoff: this.backoff.size, unschedulable: this.unschedulable.size, inflight: this.inflight.size };
  }

  /** Pending pods (not in flight), for preemption's nominator and tests. */
  *pending(): Iterable<QueuedPod> {
    yield* this.active.values();
    yield* this.backoff.values();
    yield* this.unschedulable.values();
  }
}

/** isPodUpdated: anything but status and bookkeeping metadata changed. */
function podSpecChanged(a: PodInfo, b: PodInfo): boolean {
  if (a.pod === b.pod) return false;
  const strip = (p: PodInfo) => {
    const m = p.pod.metadata ?? {};
    return JSON.stringify([m.labels, m.annotations, m.ownerReferences, m.deletionTimestamp, p.pod.spec]);
  };
  return strip(a) !== strip(b);
}
