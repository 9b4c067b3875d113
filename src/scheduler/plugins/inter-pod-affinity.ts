/**
 * @module scheduler/plugins/inter-pod-affinity
 * InterPodAffinity: required pod affinity (some pod matching all terms in the node's
 * topology domain, or the pod is the first of a self-affine group), required anti-affinity
 * (no matching pod in the domain) and the anti-affinity of pods already placed. Scoring
 * adds the weights of preferred terms of the pod and of placed pods (hard affinity of
 * placed pods weighs 1), min-max normalized. Counting goes through the PodCountIndex and
 * the nodes' sets of pods with affinity, so pods without affinity cost nothing.
 */
import { SKIP, MAX_NODE_SCORE, type CycleState, type FilterPlugin, type ScorePlugin, type Snapshot } from "../framework.ts";
import { affinityTermMatches, type AffinityTerm, type Labels, type WeightedAffinityTerm } from "../matchers.ts";
import type { NodeInfo } from "../node-info.ts";
import type { PodMatcher } from "../pod-counts.ts";
import type { PodInfo } from "../pod-info.ts";
import { unresolvable, unschedulable } from "../status.ts";

export const NAME = "InterPodAffinity";
export const ERR_REASON_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules";
export const ERR_REASON_AFFINITY = "node(s) didn't match pod affinity rules";
export const ERR_REASON_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules";
const REJECT_AFFINITY = unresolvable(NAME, ERR_REASON_AFFINITY);
const REJECT_ANTI = unschedulable(NAME, ERR_REASON_ANTI_AFFINITY);
const REJECT_EXISTING = unschedulable(NAME, ERR_REASON_EXISTING_ANTI_AFFINITY);

const pair = (key: string, value: string) => `${key}\u0000${value}`;

function termMatcher(t: AffinityTerm, snap: Snapshot): PodMatcher {
  return { key: `term|${t.key}`, matches: (p) => affinityTermMatches(t, p.namespace, p.labels, snap.namespaceLabels(p.namespace)) };
}

function allTermsMatcher(terms: readonly AffinityTerm[], snap: Snapshot): PodMatcher {
  return {
    key: `allterms|${terms.map((t) => t.key).join("&")}`,
    matches: (p) => {
      const ns = snap.namespaceLabels(p.namespace);
      for (const t of terms) if (!affinityTermMatches(t, p.namespace, p.labels, ns)) return false;
      return true;
    },
  };
}

function podMatchesAllTerms(terms: readonly AffinityTerm[], p: PodInfo, nsLabels: Labels): boolean {
  if (terms.length === 0) return false;
  for (const t of terms) if (!affinityTermMatches(t, p.namespace, p.labels, nsLabels)) return false;
  return true;
}

function bump(m: Map<string, number>, k: string, d: number) {
  const n = (m.get(k) ?? 0) + d;
  if (n === 0) m.delete(k);
  else m.set(k, n);
}

// --- filtering ---------------------------------------------------------------------------

const FILTER_KEY = "PreFilterInterPodAffinity";

class FilterState {
  constructor(
    /** topology pair → placed pods whose required anti-affinity matches the incoming pod. */
    readonly existingAnti: Map<string, number>,
    /** topology pair → placed pods matching all the incoming pod's required affinity terms. */
    readonly affinity: Map<string, number>,
    /** topology pair → placed pods matching one of the incoming pod's anti-affinity terms. */
    readonly anti: Map<string, number>,
    readonly nsLabels: Labels,
  ) {}
  clone() {
    return new FilterState(new Map(this.existingAnti), new Map(this.affinity), new Map(this.anti), this.nsLabels);
  }
  update(pod: PodInfo, other: PodInfo, node: NodeInfo, snap: Snapshot, d: number) {
    for (const t of other.requiredAntiAffinity ?? []) {
      const v = node.labels[t.topologyKey];
      if (v !== undefined && affinityTermMatches(t, pod.namespace, pod.labels, this.nsLabels)) bump(this.existingAnti, pair(t.topologyKey, v), d);
    }
    const otherNs = snap.namespaceLabels(other.namespace);
    if (pod.requiredAffinity && podMatchesAllTerms(pod.requiredAffinity, other, otherNs)) {
      for (const t of pod.requiredAffinity) {
        const v = node.labels[t.topologyKey];
        if (v !== undefined) bump(this.affinity, pair(t.topologyKey, v), d);
      }
    }
    for (const t of pod.requiredAntiAffinity ?? []) {
      const v = node.labels[t.topologyKey];
      if (v !== undefined && affinityTermMatches(t, other.namespace, other.labels, otherNs)) bump(this.anti, pair(t.topologyKey, v), d);
    }
  }
}

/** Nodes hosting at least one pod with required anti-affinity. */
function nodesWithRequiredAnti(snap: Snapshot): NodeInfo[] {
  const out: NodeInfo[] = [];
  if (snap.requiredAntiAffinityPods === 0) return out;
  for (const n of snap.nodes) if (n.podsWithRequiredAntiAffinity.size) out.push(n);
  return out;
}

export function computeAffinityFilterState(pod: PodInfo, snap: Snapshot): FilterState {
  const nsLabels = snap.namespaceLabels(pod.namespace);
  const existingAnti = new Map<string, number>();
  for (const node of nodesWithRequiredAnti(snap)) {
    for (const p of node.podsWithRequiredAntiAffinity) {
      for (const t of p.requiredAntiAffinity!) {
        const v = node.labels[t.topologyKey];
        if (v !== undefined && affinityTermMatches(t, pod.namespace, pod.labels, nsLabels)) bump(existingAnti, pair(t.topologyKey, v), 1);
      }
    }
  }
  const affinity = new Map<string, number>();
  const anti = new Map<string, number>();
  if (pod.requiredAffinity) {
    const counts = snap.counts.countsByNode(allTermsMatcher(pod.requiredAffinity, snap));
    for (const [nodeName, n] of counts) {
      const node = snap.get(nodeName);
      if (!node?.node) continue;
      for (const t of pod.requiredAffinity) {
        const v = node.labels[t.topologyKey];
        if (v !== undefined) bump(affinity, pair(t.topologyKey, v), n);
      }
    }
  }
  for (const t of pod.requiredAntiAffinity ?? []) {
    const counts = snap.counts.countsByNode(termMatcher(t, snap));
    for (const [nodeName, n] of counts) {
      const node = snap.get(nodeName);
      if (!node?.node) continue;
      const v = node.labels[t.topologyKey];
      if (v !== undefined) bump(anti, pair(t.topologyKey, v), n);
    }
  }
  return new FilterState(existingAnti, affinity, anti, nsLabels);
}

function satisfiesAffinity(s: FilterState, pod: PodInfo, node: NodeInfo): boolean {
  const terms = pod.requiredAffinity;
  if (!terms) return true;
  let podsExist = true;
  for (const t of terms) {
    const v = node.labels[t.topologyKey];
    if (v === undefined) return false;
    if ((s.affinity.get(pair(t.topologyKey, v)) ?? 0) <= 0) podsExist = false;
  }
  if (podsExist) return true;
  // The first pod of a group with affinity to itself may go anywhere with the topology labels.
  return s.affinity.size === 0 && podMatchesAllTerms(terms, pod, s.nsLabels);
}

function satisfiesAntiAffinity(s: FilterState, pod: PodInfo, node: NodeInfo): boolean {
  if (s.anti.size === 0 || !pod.requiredAntiAffinity) return true;
  for (const t of pod.requiredAntiAffinity) {
    const v = node.labels[t.topologyKey];
    if (v !== undefined && (s.anti.get(pair(t.topologyKey, v)) ?? 0) > 0) return false;
  }
  return true;
}

function satisfiesExistingAntiAffinity(s: FilterState, node: NodeInfo): boolean {
  if (s.existingAnti.size === 0) return true;
  for (const k in node.labels) if ((s.existingAnti.get(pair(k, node.labels[k]!)) ?? 0) > 0) return false;
  return true;
}

export const interPodAffinityFilter: FilterPlugin = {
  name: NAME,
  preFilter(state, pod, snap) {
    if (snap.requiredAntiAffinityPods === 0 && !pod.requiredAffinity && !pod.requiredAntiAffinity) return SKIP;
    const s = computeAffinityFilterState(pod, snap);
    if (s.existingAnti.size === 0 && !pod.requiredAffinity && !pod.requiredAntiAffinity) return SKIP;
    state.write(FILTER_KEY, s);
    return null;
  },
  filter(state, pod, node) {
    const s = state.read<FilterState>(FILTER_KEY)!;
    if (!satisfiesAffinity(s, pod, node)) return REJECT_AFFINITY;
    if (!satisfiesAntiAffinity(s, pod, node)) return REJECT_ANTI;
    if (!satisfiesExistingAntiAffinity(s, node)) return REJECT_EXISTING;
    return null;
  },
  addPod(state, pod, other, node, snap) {
    state.read<FilterState>(FILTER_KEY)?.update(pod, other, node, snap, 1);
  },
  removePod(state, pod, other, node, snap) {
    state.read<FilterState>(FILTER_KEY)?.update(pod, other, node, snap, -1);
  },
};

// --- scoring -----------------------------------------------------------------------------

const SCORE_KEY = "PreScoreInterPodAffinity";

/** topologyKey → value → score */
type TopologyScore = Map<string, Map<string, number>>;

function add(ts: TopologyScore, key: string, value: string, d: number) {
  let m = ts.get(key);
  if (!m) ts.set(key, (m = new Map()));
  m.set(value, (m.get(value) ?? 0) + d);
}

export interface AffinityScoreOptions {
  /** Weight of placed pods' required affinity terms matching the incoming pod (upstream hardPodAffinityWeight, default 1). */
  hardPodAffinityWeight?: number;
}

function preferredByCounts(ts: TopologyScore, terms: readonly WeightedAffinityTerm[] | null, sign: number, snap: Snapshot) {
  for (const t of terms ?? []) {
    if (!t.weight) continue;
    for (const [nodeName, n] of snap.counts.countsByNode(termMatcher(t, snap))) {
      const node = snap.get(nodeName);
      if (!node?.node) continue;
      const v = node.labels[t.topologyKey];
      if (v !== undefined) add(ts, t.topologyKey, v, sign * t.weight * n);
    }
  }
}

function existingTerms(ts: TopologyScore, terms: readonly AffinityTerm[] | null, weight: (t: AffinityTerm) => number, pod: PodInfo, nsLabels: Labels, node: NodeInfo) {
  for (const t of terms ?? []) {
    const w = weight(t);
    if (!w) continue;
    if (!affinityTermMatches(t, pod.namespace, pod.labels, nsLabels)) continue;
    const v = node.labels[t.topologyKey];
    if (v !== undefined) add(ts, t.topologyKey, v, w);
  }
}

export function computeTopologyScore(pod: PodInfo, snap: Snapshot, hardWeight: number): TopologyScore {
  const ts: TopologyScore = new Map();
  preferredByCounts(ts, pod.preferredAffinity, 1, snap);
  preferredByCounts(ts, pod.preferredAntiAffinity, -1, snap);
  const nsLabels = snap.namespaceLabels(pod.namespace);
  for (const node of snap.affinityPods ? snap.nodes : []) {
    if (node.podsWithAffinity.size === 0) continue;
    for (const p of node.podsWithAffinity) {
      if (hardWeight > 0) existingTerms(ts, p.requiredAffinity, () => hardWeight, pod, nsLabels, node);
      existingTerms(ts, p.preferredAffinity, (t) => (t as WeightedAffinityTerm).weight, pod, nsLabels, node);
      existingTerms(ts, p.preferredAntiAffinity, (t) => -(t as WeightedAffinityTerm).weight, pod, nsLabels, node);
    }
  }
  for (const [k, m] of ts) {
    for (const [v, n] of m) if (n === 0) m.delete(v);
    if (m.size === 0) ts.delete(k);
  }
  return ts;
}

export function interPodAffinityScore(opts: AffinityScoreOptions = {}): ScorePlugin {
  const hardWeight = opts.hardPodAffinityWeight ?? 1;
  return {
    name: NAME,
    weight: 2,
    preScore(state, pod, _nodes, snap) {
      const hasPreferred = !!(pod.preferredAffinity || pod.preferredAntiAffinity);
      if (!hasPreferred && snap.affinityPods === 0) return false;
      const ts = computeTopologyScore(pod, snap, hardWeight);
      if (ts.size === 0) return false;
      state.write(SCORE_KEY, ts);
      return true;
    },
    score(state: CycleState, _pod, node) {
      const ts = state.read<TopologyScore>(SCORE_KEY)!;
      let score = 0;
      for (const [k, m] of ts) {
        const v = node.labels[k];
        if (v !== undefined) score += m.get(v) ?? 0;
      }
      return score;
    },
    normalize(_state, _pod, _nodes, scores) {
      let min = Infinity;
      let max = -Infinity;
      for (const s of scores) {
        if (s > max) max = s;
        if (s < min) min = s;
      }
      const diff = max - min;
      for (let i = 0; i < scores.length; i++) scores[i] = diff > 0 ? Math.trunc(MAX_NODE_SCORE * ((scores[i]! - min) / diff)) : 0;
    },
  };
}
