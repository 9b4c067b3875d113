/**
 * @module scheduler/plugins/pod-topology-spread
 * PodTopologySpread: DoNotSchedule constraints filter (skew = matching pods in the node's
 * domain + self − global minimum must stay ≤ maxSkew; minDomains; nodeAffinityPolicy /
 * nodeTaintsPolicy; matchLabelKeys), ScheduleAnyway constraints score. Pods without
 * constraints get upstream's system defaults (hostname maxSkew 3, zone maxSkew 5,
 * ScheduleAnyway) with the selector of their Services and owning ReplicaSet /
 * StatefulSet — this is what spreads the replicas of one owner over nodes.
 * Matching pods are counted through the incremental PodCountIndex.
 */
import type { KObj } from "../../client/client.ts";
import { SKIP, type CycleState, type FilterPlugin, type ScorePlugin, type Snapshot } from "../framework.ts";
import { MAX_NODE_SCORE } from "../framework.ts";
import { doNotSchedule, findUntoleratedTaint, fromLabelSelector, LabelSelector, NOTHING, requiredNodeAffinityMatches, type Labels } from "../matchers.ts";
import { LABEL_HOSTNAME, LABEL_ZONE, type NodeInfo } from "../node-info.ts";
import type { PodMatcher } from "../pod-counts.ts";
import type { PodInfo } from "../pod-info.ts";
import { unresolvable, unschedulable } from "../status.ts";
import { LabelSelectorError, newRequirement, type LabelRequirement } from "../../api/selectors/labels.ts";

export const NAME = "PodTopologySpread";
export const ERR_REASON_CONSTRAINTS_NOT_MATCH = "node(s) didn't match pod topology spread constraints";
export const ERR_REASON_NODE_LABEL_NOT_MATCH = ERR_REASON_CONSTRAINTS_NOT_MATCH + " (missing required label)";
const REJECT_SKEW = unschedulable(NAME, ERR_REASON_CONSTRAINTS_NOT_MATCH);
const REJECT_LABEL = unresolvable(NAME, ERR_REASON_NODE_LABEL_NOT_MATCH);

export interface Constraint {
  maxSkew: number;
  topologyKey: string;
  selector: LabelSelector;
  minDomains: number;
  nodeAffinityHonor: boolean;
  nodeTaintsHonor: boolean;
  matcher: PodMatcher;
}

export const SYSTEM_DEFAULT_CONSTRAINTS: KObj[] = [
  { topologyKey: LABEL_HOSTNAME, whenUnsatisfiable: "ScheduleAnyway", maxSkew: 3 },
  { topologyKey: LABEL_ZONE, whenUnsatisfiable: "ScheduleAnyway", maxSkew: 5 },
];

function selectorKey(s: LabelSelector) {
  return s.nothing ? "<nothing>" : s.toString();
}

/** Matching pods for spreading: same namespace, not terminating, labels match (countPodsMatchSelector). */
export function spreadMatcher(namespace: string, selector: LabelSelector): PodMatcher {
  return {
    key: `spread|${namespace}|${selectorKey(selector)}`,
    matches: (p) => !p.terminating && p.namespace === namespace && selector.matches(p.labels),
  };
}

function withMatchLabelKeys(selector: LabelSelector, keys: unknown, podLabels: Labels): LabelSelector {
  if (!Array.isArray(keys) || keys.length === 0 || selector.nothing) return selector;
  const extra: LabelRequirement[] = [];
  for (const k of keys) {
    const v = podLabels[String(k)];
    if (v === undefined) continue;
    try {
      extra.push(newRequirement(String(k), "=", [v]));
    } catch (e) {
      if (!(e instanceof LabelSelectorError)) throw e;
    }
  }
  return extra.length ? new LabelSelector([...extra, ...selector.requirements]) : selector;
}

/** filterTopologySpreadConstraints: the pod's constraints with this whenUnsatisfiable, parsed. */
export function parseConstraints(list: readonly KObj[], pod: PodInfo, action: "DoNotSchedule" | "ScheduleAnyway", selectorOverride?: LabelSelector): Constraint[] {
  const out: Constraint[] = [];
  for (const c of list) {
    if ((c.whenUnsatisfiable ?? "DoNotSchedule") !== action) continue;
    let selector: LabelSelector;
    if (selectorOverride) selector = selectorOverride;
    else {
      try {
        selector = fromLabelSelector(c.labelSelector ?? null);
      } catch (e) {
        if (!(e instanceof LabelSelectorError)) throw e;
        selector = NOTHING;
      }
      selector = withMatchLabelKeys(selector, c.matchLabelKeys, pod.labels);
    }
    out.push({
      maxSkew: Number(c.maxSkew ?? 1),
      topologyKey: String(c.topologyKey ?? ""),
      selector,
      minDomains: c.minDomains === undefined || c.minDomains === null ? 1 : Number(c.minDomains),
      nodeAffinityHonor: (c.nodeAffinityPolicy ?? "Honor") === "Honor",
      nodeTaintsHonor: c.nodeTaintsPolicy === "Honor",
      matcher: spreadMatcher(pod.namespace, selector),
    });
  }
  return out;
}

function nodeHasAllKeys(labels: Labels, cs: readonly Constraint[]): boolean {
  for (const c of cs) if (labels[c.topologyKey] === undefined) return false;
  return true;
}

function includesNode(c: Constraint, pod: PodInfo, node: NodeInfo): boolean {
  if (c.nodeAffinityHonor && !requiredNodeAffinityMatches(pod.requiredNodeAffinity, node.name, node.labels)) return false;
  if (c.nodeTaintsHonor && findUntoleratedTaint(node.taints, pod.tolerations, doNotSchedule)) return false;
  return true;
}

// --- filtering ---------------------------------------------------------------------------

const FILTER_KEY = "PreFilterPodTopologySpread";

class FilterState {
  constructor(
    readonly constraints: Constraint[],
    /** Per constraint: topology value → matching pods. */
    readonly tpCounts: Map<string, number>[],
  ) {}
  minMatch(i: number): number {
    const m = this.tpCounts[i]!;
    if (m.size < this.constraints[i]!.minDomains) return 0;
    let min = Infinity;
    for (const v of m.values()) if (v < min) min = v;
    return min;
  }
  clone(): FilterState {
    return new FilterState(this.constraints, this.tpCounts.map((m) => new Map(m)));
  }
  update(pod: PodInfo, other: PodInfo, node: NodeInfo, delta: number) {
    if (other.namespace !== pod.namespace || !nodeHasAllKeys(node.labels, this.constraints)) return;
    this.constraints.forEach((c, i) => {
      if (!c.matcher.matches(other) || !includesNode(c, pod, node)) return;
      const v = node.labels[c.topologyKey]!;
      this.tpCounts[i]!.set(v, (this.tpCounts[i]!.get(v) ?? 0) + delta);
    });
  }
}

export function computeFilterState(pod: PodInfo, constraints: Constraint[], snap: Snapshot): FilterState {
  const tpCounts = constraints.map(() => new Map<string, number>());
  const counts = constraints.map((c) => snap.counts.countsByNode(c.matcher));
  for (const node of snap.nodes) {
    if (!nodeHasAllKeys(node.labels, constraints)) continue;
    for (let i = 0; i < constraints.length; i++) {
      const c = constraints[i]!;
      if (!includesNode(c, pod, node)) continue;
      const v = node.labels[c.topologyKey]!;
      const m = tpCounts[i]!;
      m.set(v, (m.get(v) ?? 0) + (counts[i]!.get(node.name) ?? 0));
    }
  }
  return new FilterState(constraints, tpCounts);
}

export const podTopologySpreadFilter: FilterPlugin = {
  name: NAME,
  preFilter(state, pod, snap) {
    if (!pod.spreadConstraints) return SKIP;
    const constraints = parseConstraints(pod.spreadConstraints, pod, "DoNotSchedule");
    if (constraints.length === 0) return SKIP;
    const s = computeFilterState(pod, constraints, snap);
    // Global minimum per constraint, once.
    state.write(FILTER_KEY, s);
    state.write(FILTER_KEY + "/min", constraints.map((_, i) => s.minMatch(i)));
    return null;
  },
  filter(state, pod, node) {
    const s = state.read<FilterState>(FILTER_KEY)!;
    const mins = state.read<number[]>(FILTER_KEY + "/min")!;
    for (let i = 0; i < s.constraints.length; i++) {
      const c = s.constraints[i]!;
      const v = node.labels[c.topologyKey];
      if (v === undefined) return REJECT_LABEL;
      const self = c.selector.matches(pod.labels) ? 1 : 0;
      const skew = (s.tpCounts[i]!.get(v) ?? 0) + self - mins[i]!;
      if (skew > c.maxSkew) return REJECT_SKEW;
    }
    return null;
  },
  addPod(state, pod, other, node) {
    updateFilterState(state, pod, other, node, 1);
  },
  removePod(state, pod, other, node) {
    updateFilterState(state, pod, other, node, -1);
  },
};

function updateFilterState(state: CycleState, pod: PodInfo, other: PodInfo, node: NodeInfo, delta: number) {
  const s = state.read<FilterState>(FILTER_KEY);
  if (!s) return;
  s.update(pod, other, node, delta);
  state.write(FILTER_KEY + "/min", s.constraints.map((_, i) => s.minMatch(i)));
}

// --- scoring -----------------------------------------------------------------------------

const SCORE_KEY = "PreScorePodTopologySpread";

interface ScoreState {
  constraints: Constraint[];
  ignored: Set<string>;
  /** Per constraint (non-hostname keys): topology value → matching pods. */
  tpCounts: Map<string, number>[];
  weights: number[];
  hostCounts: (ReadonlyMap<string, number> | null)[];
}

export interface SpreadOptions {
  /** helper.DefaultSelector: the selector of the pod's Services and controlling ReplicaSet/StatefulSet/RC; null if none. */
  defaultSelector(pod: PodInfo): LabelSelector | null;
}

export function podTopologySpreadScore(opts: SpreadOptions): ScorePlugin {
  return {
    name: NAME,
    weight: 2,
    preScore(state, pod, nodes, snap) {
      if (snap.nodes.length === 0) return false;
      let constraints: Constraint[];
      if (pod.spreadConstraints) constraints = parseConstraints(pod.spreadConstraints, pod, "ScheduleAnyway");
      else {
        const sel = opts.defaultSelector(pod);
        if (!sel || sel.empty()) return false;
        constraints = parseConstraints(SYSTEM_DEFAULT_CONSTRAINTS, pod, "ScheduleAnyway", sel);
      }
      if (constraints.length === 0) return false;
      const requireAll = pod.spreadConstraints !== null;
      const ignored = new Set<string>();
      const tpCounts = constraints.map(() => new Map<string, number>());
      const topoSize = constraints.map(() => 0);
      for (const node of nodes) {
        if (requireAll && !nodeHasAllKeys(node.labels, constraints)) {
          ignored.add(node.name);
          continue;
        }
        constraints.forEach((c, i) => {
          if (c.topologyKey === LABEL_HOSTNAME) return;
          const v = node.labels[c.topologyKey];
          if (v !== undefined && !tpCounts[i]!.has(v)) {
            tpCounts[i]!.set(v, 0);
            topoSize[i]!++;
          }
        });
      }
      const weights = constraints.map((c, i) => Math.log((c.topologyKey === LABEL_HOSTNAME ? nodes.length - ignored.size : topoSize[i]!) + 2));
      const counts = constraints.map((c) => snap.counts.countsByNode(c.matcher));
      if (constraints.some((c) => c.topologyKey !== LABEL_HOSTNAME)) {
        for (const node of snap.nodes) {
          if (requireAll && !nodeHasAllKeys(node.labels, constraints)) continue;
          constraints.forEach((c, i) => {
            if (c.topologyKey === LABEL_HOSTNAME || !includesNode(c, pod, node)) return;
            const v = node.labels[c.topologyKey];
            const m = tpCounts[i]!;
            if (v === undefined || !m.has(v)) return;
            m.set(v, m.get(v)! + (counts[i]!.get(node.name) ?? 0));
          });
        }
      }
      const hostCounts = constraints.map((c, i) => (c.topologyKey === LABEL_HOSTNAME ? counts[i]! : null));
      state.write(SCORE_KEY, { constraints, ignored, tpCounts, weights, hostCounts } satisfies ScoreState);
      return true;
    },
    score(state, _pod, node) {
      const s = state.read<ScoreState>(SCORE_KEY)!;
      if (s.ignored.size && s.ignored.has(node.name)) return 0;
      let score = 0;
      for (let i = 0; i < s.constraints.length; i++) {
        const c = s.constraints[i]!;
        const v = node.labels[c.topologyKey];
        if (v === undefined) continue;
        const cnt = c.topologyKey === LABEL_HOSTNAME ? (s.hostCounts[i]!.get(node.name) ?? 0) : (s.tpCounts[i]!.get(v) ?? 0);
        score += cnt * s.weights[i]! + (c.maxSkew - 1);
      }
      return Math.round(score);
    },
    normalize(state, _pod, nodes, scores) {
      const s = state.read<ScoreState>(SCORE_KEY)!;
      let min = Infinity;
      let max = 0;
      for (let i = 0; i < scores.length; i++) {
        if (s.ignored.has(nodes[i]!.name)) continue;
        const v = scores[i]!;
        if (v < min) min = v;
        if (v > max) max = v;
      }
      for (let i = 0; i < scores.length; i++) {
        if (s.ignored.has(nodes[i]!.name)) scores[i] = 0;
        else if (max === 0) scores[i] = MAX_NODE_SCORE;
        else scores[i] = Math.trunc((MAX_NODE_SCORE * (max + min - scores[i]!)) / max);
      }
    },
  };
}
