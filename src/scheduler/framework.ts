/**
 * @module scheduler/framework
 * The plugin interfaces (a subset of upstream's scheduling framework: PreFilter, Filter,
 * PreScore, Score, NormalizeScore, Reserve/PreBind, and the AddPod/RemovePod extensions
 * preemption uses) and the read-only view of the cluster plugins see during a cycle.
 * Plugins are plain objects; the cycle runs them synchronously (one pod at a time), so the
 * cache itself is the snapshot.
 */
import type { Labels } from "./matchers.ts";
import type { NodeInfo } from "./node-info.ts";
import type { PodCountIndex } from "./pod-counts.ts";
import type { PodInfo } from "./pod-info.ts";
import type { Status } from "./status.ts";

export const MAX_NODE_SCORE = 100;

/** What plugins may read about the cluster during a cycle. */
export interface Snapshot {
  /** Nodes that exist (have a Node object), in scheduling order (zones interleaved). */
  readonly nodes: readonly NodeInfo[];
  get(name: string): NodeInfo | undefined;
  readonly counts: PodCountIndex;
  /** Placed pods with any (anti-)affinity term, and with required anti-affinity (plugins skip work when 0). */
  readonly affinityPods: number;
  readonly requiredAntiAffinityPods: number;
  /** Nodes with a PreferNoSchedule taint (TaintToleration scoring is uniform without any). */
  readonly preferNoScheduleNodes: number;
  /** Labels of a namespace ({} if unknown). */
  namespaceLabels(namespace: string): Labels;
}

/** Per-cycle data plugins keep between their extension points. Preemption clones it per candidate node. */
export class CycleState {
  private data = new Map<string, unknown>();
  read<T>(key: string): T | undefined {
    return this.data.get(key) as T | undefined;
  }
  write(key: string, v: unknown) {
    this.data.set(key, v);
  }
  clone(): CycleState {
    const c = new CycleState();
    for (const [k, v] of this.data) c.data.set(k, v && typeof v === "object" && "clone" in v && typeof v.clone === "function" ? v.clone() : v);
    return c;
  }
}

export interface PreFilterResult {
  /** Restrict the cycle to these node names. */
  nodeNames: Set<string>;
}

export const SKIP = "skip" as const;

export interface FilterPlugin {
  readonly name: string;
  /**
   * Once per cycle: "skip" to not run filter for this pod, a rejected Status to reject it
   * on every node, a PreFilterResult to narrow the nodes, or null.
   */
  preFilter?(state: CycleState, pod: PodInfo, snap: Snapshot): Status | PreFilterResult | typeof SKIP | null;
  /** null: the node passes. */
  filter(state: CycleState, pod: PodInfo, node: NodeInfo, snap: Snapshot): Status | null;
  /** Preemption: `other` was added to / removed from `node` (a clone) — update the pre-filter state. */
  addPod?(state: CycleState, pod: PodInfo, other: PodInfo, node: NodeInfo, snap: Snapshot): void;
  removePod?(state: CycleState, pod: PodInfo, other: PodInfo, node: NodeInfo, snap: Snapshot): void;
}

export interface ScorePlugin {
  readonly name: string;
  readonly weight: number;
  /** Once per cycle over the feasible nodes; false skips the plugin (all its scores 0). */
  preScore?(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], snap: Snapshot): boolean;
  score(state: CycleState, pod: PodInfo, node: NodeInfo, snap: Snapshot): number;
  /** Rewrite scores (index-aligned with nodes) into 0..MAX_NODE_SCORE. */
  normalize?(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], scores: number[]): void;
}

/** Work after the node is chosen (assumed) and before the binding: may be asynchronous (volume binding). */
export interface BindPlugin {
  readonly name: string;
  /** Synchronous, in the cycle: record what the pod will use on the node. */
  reserve?(state: CycleState, pod: PodInfo, nodeName: string): Status | null;
  unreserve?(state: CycleState, pod: PodInfo, nodeName: string): void;
  /** Asynchronous, in the binding task: API writes that must happen before the pod binds. */
  preBind?(state: CycleState, pod: PodInfo, nodeName: string, signal: AbortSignal): Promise<Status | null>;
}
