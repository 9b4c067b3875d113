/**
 * @module scheduler/pod-counts
 * Per-node counts of pods matching a matcher (a label selector in a namespace, an
 * affinity term), kept up to date incrementally as the cache adds and removes pods.
 * Upstream recounts every pod of the cluster in each PodTopologySpread/InterPodAffinity
 * PreFilter; here a matcher is counted once when first asked for, then maintained, so a
 * spread constraint costs O(nodes) per pod instead of O(pods). Least recently used
 * matchers are dropped beyond a bound, so the per-event cost stays small.
 */
import type { PodInfo } from "./pod-info.ts";

export interface PodMatcher {
  /** Identity: two matchers with the same key must match the same pods. */
  readonly key: string;
  matches(p: PodInfo): boolean;
}

interface Entry {
  matcher: PodMatcher;
  byNode: Map<string, number>;
  used: number;
}

export type PodSource = () => Iterable<[nodeName: string, pod: PodInfo]>;

export class PodCountIndex {
  private entries = new Map<string, Entry>();
  private tick = 0;

  constructor(
    private readonly source: PodSource,
    private readonly maxEntries = 128,
  ) {}

  /** node name → number of matching pods on it (nodes without any are absent). Do not mutate. */
  countsByNode(m: PodMatcher): ReadonlyMap<string, number> {
    let e = this.entries.get(m.key);
    if (!e) {
      e = { matcher: m, byNode: new Map(), used: 0 };
      for (const [node, p] of this.source()) if (m.matches(p)) e.byNode.set(node, (e.byNode.get(node) ?? 0) + 1);
      if (this.entries.size >= this.maxEntries) this.evict();
      this.entries.set(m.key, e);
    }
    e.used = ++this.tick;
    return e.byNode;
  }

  get size() {
    return this.entries.size;
  }

  private evict() {
    let oldest: string | undefined;
    let min = Infinity;
    for (const [k, e] of this.entries) {
      if (e.used < min) {
        min = e.used;
        oldest = k;
      }
    }
    if (oldest !== undefined) this.entries.delete(oldest);
  }

  onAdd(node: string, p: PodInfo) {
    for (const e of this.entries.values()) if (e.matcher.matches(p)) e.byNode.set(node, (e.byNode.get(node) ?? 0) + 1);
  }

  onRemove(node: string, p: PodInfo) {
    for (const e of this.entries.values()) {
      if (!e.matcher.matches(p)) continue;
      const n = (e.byNode.get(node) ?? 0) - 1;
      if (n <= 0) e.byNode.delete(node);
      else e.byNode.set(node, n);
    }
  }

  clear() {
    this.entries.clear();
  }
}
