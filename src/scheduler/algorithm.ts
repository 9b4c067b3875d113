/**
 * @module scheduler/algorithm
 * One scheduling decision, as upstream's schedulePod: PreFilter (skip/narrow/reject),
 * the nominated node first, then Filter over nodes from a rotating start index until
 * enough feasible nodes are found (percentageOfNodesToScore's adaptive rule: all nodes
 * below 100, else 50% − nodes/125, at least 5% and 100 nodes), PreScore/Score/
 * NormalizeScore × weight, and the highest total with random tie-breaking. A pod that
 * fits nowhere yields a FitError carrying the per-node statuses.
 */
import { CycleState, SKIP, type FilterPlugin, type PreFilterResult, type ScorePlugin, type Snapshot } from "./framework.ts";
import type { NodeInfo } from "./node-info.ts";
import type { PodInfo } from "./pod-info.ts";
import { Code, fitErrorMessage, isRejected, newDiagnosis, statusMessage, unresolvable, type Diagnosis, type Status } from "./status.ts";

export const MIN_FEASIBLE_NODES_TO_FIND = 100;
export const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5;
export const ERR_NO_NODES_AVAILABLE = "no nodes available to schedule pods";

/** numFeasibleNodesToFind with percentageOfNodesToScore (0: adaptive). */
export function numFeasibleNodesToFind(numAllNodes: number, percentage = 0): number {
  if (numAllNodes < MIN_FEASIBLE_NODES_TO_FIND) return numAllNodes;
  let pct = percentage;
  if (pct <= 0) {
    pct = 50 - Math.trunc(numAllNodes / 125);
    if (pct < MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND) pct = MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND;
  }
  if (pct >= 100) return numAllNodes;
  const n = Math.trunc((numAllNodes * pct) / 100);
  return n < MIN_FEASIBLE_NODES_TO_FIND ? MIN_FEASIBLE_NODES_TO_FIND : n;
}

function intersect(a: ReadonlySet<string>, b: ReadonlySet<string>): Set<string> {
  const out = new Set<string>();
  for (const x of a) if (b.has(x)) out.add(x);
  return out;
}

export class FitError extends Error {
  constructor(
    readonly pod: PodInfo,
    readonly numAllNodes: number,
    readonly diagnosis: Diagnosis,
    /** The filters that ran (for preemption's dry runs); null if PreFilter rejected the pod. */
    readonly filters: readonly FilterPlugin[] | null = null,
  ) {
    super("");
    this.name = "FitError";
    // The message depends on the diagnosis, which preemption completes later (postFilterMsg).
    Object.defineProperty(this, "message", { get: () => fitErrorMessage(this.numAllNodes, this.diagnosis), configurable: true });
  }
}

/** The pod could not be scheduled for a reason other than the filters (no nodes, a plugin error). */
export class ScheduleError extends Error {
  constructor(
    message: string,
    readonly unschedulable = false,
  ) {
    super(message);
    this.name = "ScheduleError";
  }
}

export interface Profile {
  filters: FilterPlugin[];
  scores: ScorePlugin[];
  /** 0 = adaptive. */
  percentageOfNodesToScore?: number;
}

/** Pods nominated to a node by preemption that a lower-or-equal-priority pod must leave room for. */
export interface Nominator {
  nominatedPods(node: string): readonly PodInfo[];
}

export interface ScheduleResult {
  node: string;
  evaluated: number;
  feasible: number;
}

export interface CycleStats {
  filtered: number;
  scored: number;
}

export class Algorithm {
  private nextStart = 0;
  readonly stats: CycleStats = { filtered: 0, scored: 0 };

  constructor(
    readonly profile: Profile,
    private readonly nominator?: Nominator,
    private readonly random: () => number = Math.random,
  ) {}

  /** Run PreFilter; returns the active filters, the candidate nodes, or a rejection. */
  preFilter(state: CycleState, pod: PodInfo, snap: Snapshot, diagnosis: Diagnosis): { filters: FilterPlugin[]; nodes: readonly NodeInfo[] } | null {
    const filters: FilterPlugin[] = [];
    let narrowed: Set<string> | null = null;
    const narrowing: string[] = [];
    for (const f of this.profile.filters) {
      if (!f.preFilter) {
        filters.push(f);
        continue;
      }
      const r = f.preFilter(state, pod, snap);
      if (r === SKIP) continue;
      filters.push(f);
      if (r === null) continue;
      if ("code" in r) {
        if (!isRejected(r)) throw new ScheduleError(`running PreFilter plugin "${f.name}": ${statusMessage(r)}`);
        diagnosis.preFilterMsg = statusMessage(r);
        diagnosis.absent = { status: r, count: snap.nodes.length };
        diagnosis.plugins.add(f.name);
        return null;
      }
      const names = (r as PreFilterResult).nodeNames;
      narrowing.push(f.name);
      narrowed = narrowed === null ? new Set(names) : intersect(narrowed, names);
      if (narrowed.size === 0) {
        const msg = narrowing.length === 1 ? `node(s) didn't satisfy plugin ${narrowing[0]}` : `node(s) didn't satisfy plugin(s) [${narrowing.join(" ")}] simultaneously`;
        const s = { code: Code.Unschedulable, reasons: [msg], plugin: f.name } as Status;
        diagnosis.preFilterMsg = msg;
        diagnosis.absent = { status: s, count: snap.nodes.length };
        for (const n of narrowing) diagnosis.plugins.add(n);
        return null;
      }
    }
    let nodes: readonly NodeInfo[] = snap.nodes;
    if (narrowed) {
      const list: NodeInfo[] = [];
      for (const name of narrowed) {
        const n = snap.get(name);
        if (n?.node) list.push(n);
      }
      nodes = list;
      const reason = `node(s) didn't satisfy plugin(s) [${[...narrowing].sort().join(" ")}]`;
      diagnosis.absent = { status: unresolvable(narrowing[0]!, reason), count: snap.nodes.length - list.length };
      for (const n of narrowing) diagnosis.plugins.add(n);
    }
    return { filters, nodes };
  }

  /** All filters on one node, with nominated higher-priority pods counted first (RunFilterPluginsWithNominatedPods). */
  runFilters(state: CycleState, pod: PodInfo, node: NodeInfo, filters: readonly FilterPlugin[], snap: Snapshot): Status | null {
    const nominated = this.nominator?.nominatedPods(node.name);
    if (nominated && nominated.length) {
      let added = false;
      let nodeCopy: NodeInfo | undefined;
      let stateCopy: CycleState | undefined;
      for (const np of nominated) {
        if (np.uid === pod.uid || np.priority < pod.priority) continue;
        nodeCopy ??= node.clone();
        stateCopy ??= state.clone();
        nodeCopy.addPod(np);
        for (const f of filters) f.addPod?.(stateCopy, pod, np, nodeCopy, snap);
        added = true;
      }
      if (added) {
        for (const f of filters) {
          const s = f.filter(stateCopy!, pod, nodeCopy!, snap);
          if (s) return s;
        }
      }
    }
    for (const f of filters) {
      const s = f.filter(state, pod, node, snap);
      if (s) return s;
    }
    return null;
  }

  /** findNodesThatFitPod: the feasible nodes; rejected nodes' statuses go into the diagnosis. */
  findFeasible(state: CycleState, pod: PodInfo, snap: Snapshot, diagnosis: Diagnosis): { feasible: NodeInfo[]; filters: FilterPlugin[] | null } {
    const pre = this.preFilter(state, pod, snap, diagnosis);
    if (!pre) return { feasible: [], filters: null };
    const { filters, nodes } = pre;
    if (pod.nominatedNodeName) {
      const n = snap.get(pod.nominatedNodeName);
      if (n?.node && nodes.includes(n) && this.runFilters(state, pod, n, filters, snap) === null) return { feasible: [n], filters };
    }
    const all = nodes.length;
    if (all === 0) return { feasible: [], filters };
    const want = numFeasibleNodesToFind(all, this.profile.percentageOfNodesToScore ?? 0);
    const feasible: NodeInfo[] = [];
    const start = this.nextStart % all;
    let processed = 0;
    for (let i = 0; i < all && feasible.length < want; i++) {
      const node = nodes[(start + i) % all]!;
      processed++;
      const s = filters.length ? this.runFilters(state, pod, node, filters, snap) : null;
      if (s === null) feasible.push(node);
      else {
        if (s.code === Code.Error) throw new ScheduleError(`running "${s.plugin}" filter plugin: ${statusMessage(s)}`);
        diagnosis.nodeStatuses.set(node.name, s);
        diagnosis.plugins.add(s.plugin);
      }
    }
    this.stats.filtered += processed;
    this.nextStart = (this.nextStart + processed) % Math.max(1, snap.nodes.length);
    return { feasible, filters };
  }

  /** prioritizeNodes: weighted sum of normalized plugin scores, index-aligned with `nodes`. */
  prioritize(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], snap: Snapshot): Float64Array {
    const totals = new Float64Array(nodes.length);
    const scores = new Array<number>(nodes.length);
    for (const p of this.profile.scores) {
      if (p.preScore && !p.preScore(state, pod, nodes, snap)) continue;
      for (let i = 0; i < nodes.length; i++) scores[i] = p.score(state, pod, nodes[i]!, snap);
      p.normalize?.(state, pod, nodes, scores);
      for (let i = 0; i < nodes.length; i++) totals[i]! += scores[i]! * p.weight;
    }
    this.stats.scored += nodes.length;
    return totals;
  }

  /** selectHost: the highest total; ties broken uniformly at random (reservoir sampling). */
  selectHost(nodes: readonly NodeInfo[], totals: Float64Array): NodeInfo {
    let best = 0;
    let ties = 1;
    for (let i = 1; i < nodes.length; i++) {
      if (totals[i]! > totals[best]!) {
        best = i;
        ties = 1;
      } else if (totals[i] === totals[best]) {
        ties++;
        if (Math.floor(this.random() * ties) === 0) best = i;
      }
    }
    return nodes[best]!;
  }

  /** schedulePod. Throws FitError (fits nowhere) or ScheduleError. */
  schedule(state: CycleState, pod: PodInfo, snap: Snapshot): ScheduleResult {
    const numAll = snap.nodes.length;
    if (numAll === 0) throw new ScheduleError(ERR_NO_NODES_AVAILABLE, true);
    const diagnosis = newDiagnosis();
    const { feasible, filters } = this.findFeasible(state, pod, snap, diagnosis);
    if (feasible.length === 0) throw new FitError(pod, numAll, diagnosis, filters);
    const evaluated = feasible.length + diagnosis.nodeStatuses.size;
    if (feasible.length === 1) return { node: feasible[0]!.name, evaluated, feasible: 1 };
    const totals = this.prioritize(state, pod, feasible, snap);
    return { node: this.selectHost(feasible, totals).name, evaluated, feasible: feasible.length };
  }
}
