/**
 * @module scheduler/preemption
 * DefaultPreemption (PostFilter) and the nominator. For a pod that fits nowhere: nodes
 * whose rejection is unresolvable are "Preemption is not helpful for scheduling"; on the
 * others, a dry run removes every lower-priority pod, checks the pod fits, then reprieves
 * victims from the most important down (PDB-violating ones first). The best candidate
 * (fewest PDB violations, lowest top victim priority, smallest priority sum, fewest
 * victims, latest start) has its victims deleted and the pod is nominated to that node;
 * the nominator makes lower-priority pods leave room there meanwhile. Without a candidate
 * the outcome reads like upstream: "preemption: 0/3 nodes are available: 1 No preemption
 * victims found for incoming pod, 2 Preemption is not helpful for scheduling."
 */
import type { KObj } from "../client/client.ts";
import type { Algorithm, Nominator } from "./algorithm.ts";
import type { CycleState, FilterPlugin, Snapshot } from "./framework.ts";
import { fromLabelSelector } from "./matchers.ts";
import type { NodeInfo } from "./node-info.ts";
import type { PodInfo } from "./pod-info.ts";
import { Code, fitErrorMessage, newDiagnosis, unresolvable, type Diagnosis, type Status } from "./status.ts";
import { LabelSelectorError } from "../api/selectors/labels.ts";

export const NAME = "DefaultPreemption";
export const NOT_HELPFUL = "Preemption is not helpful for scheduling";
export const NO_VICTIMS = "No preemption victims found for incoming pod";
const MIN_CANDIDATE_NODES_PERCENTAGE = 10;
const MIN_CANDIDATE_NODES_ABSOLUTE = 100;
const MAX_INT32 = 2147483647;
const NO_VICTIMS_STATUS = unresolvable(NAME, NO_VICTIMS);

export interface Candidate {
  node: string;
  victims: PodInfo[];
  pdbViolations: number;
}

export interface PreemptionOutcome {
  /** "preemption: ..." for the FitError message, or "" when a candidate was found. */
  message: string;
  candidate?: Candidate;
}

const NONE: readonly PodInfo[] = Object.freeze([]);

/** Pods nominated to nodes (status.nominatedNodeName, or set by our own preemption before the status shows). */
export class NominatedPods implements Nominator {
  private byNode = new Map<string, Map<string, PodInfo>>();
  private nodeOf = new Map<string, string>();

  nominatedPods(node: string): readonly PodInfo[] {
    if (this.byNode.size === 0) return NONE;
    const m = this.byNode.get(node);
    return m ? [...m.values()] : NONE;
  }

  /** Record (or clear, with "") the node a pending pod is nominated to. */
  set(p: PodInfo, node: string) {
    this.delete(p.uid);
    if (!node) return;
    let m = this.byNode.get(node);
    if (!m) this.byNode.set(node, (m = new Map()));
    m.set(p.uid, { ...p, nominatedNodeName: node });
    this.nodeOf.set(p.uid, node);
  }

  delete(uid: string) {
    const node = this.nodeOf.get(uid);
    if (node === undefined) return;
    this.nodeOf.delete(uid);
    const m = this.byNode.get(node);
    m?.delete(uid);
    if (m && m.size === 0) this.byNode.delete(node);
  }

  nodeFor(uid: string): string | undefined {
    return this.nodeOf.get(uid);
  }

  clear() {
    this.byNode.clear();
    this.nodeOf.clear();
  }
}

export function moreImportant(a: PodInfo, b: PodInfo): boolean {
  if (a.priority !== b.priority) return a.priority > b.priority;
  return a.startTime < b.startTime;
}

function terminatingByPreemption(p: PodInfo): boolean {
  return p.terminating && (p.pod.status?.conditions ?? []).some((c: KObj) => c?.type === "DisruptionTarget" && c.reason === "PreemptionByScheduler");
}

/** PodEligibleToPreemptOthers: [eligible, message]. */
export function eligibleToPreempt(pod: PodInfo, snap: Snapshot, nominatedStatus: Status | undefined): [boolean, string] {
  if (pod.pod.spec?.preemptionPolicy === "Never") return [false, "not eligible due to preemptionPolicy=Never."];
  if (pod.nominatedNodeName) {
    if (nominatedStatus?.code === Code.UnschedulableAndUnresolvable) return [true, ""];
    const n = snap.get(pod.nominatedNodeName);
    if (n) for (const p of n.pods.values()) if (p.priority < pod.priority && terminatingByPreemption(p)) return [false, "not eligible due to a terminating pod on the nominated node."];
  }
  return [true, ""];
}

/** filterPodsWithPDBViolation. */
export function splitByPDB(victims: PodInfo[], pdbs: readonly KObj[]): [PodInfo[], PodInfo[]] {
  const allowed = pdbs.map((p) => Number(p.status?.disruptionsAllowed ?? 0));
  const violating: PodInfo[] = [];
  const ok: PodInfo[] = [];
  for (const v of victims) {
    let violated = false;
    if (Object.keys(v.labels).length) {
      pdbs.forEach((pdb, i) => {
        if (pdb.metadata?.namespace !== v.namespace) return;
        let sel;
        try {
          sel = fromLabelSelector(pdb.spec?.selector ?? null);
        } catch (e) {
          if (e instanceof LabelSelectorError) return;
          throw e;
        }
        if (sel.nothing || sel.empty() || !sel.matches(v.labels)) return;
        if (pdb.status?.disruptedPods?.[v.name] !== undefined) return;
        allowed[i]!--;
        if (allowed[i]! < 0) violated = true;
      });
    }
    (violated ? violating : ok).push(v);
  }
  return [violating, ok];
}

export interface PreemptionDeps {
  algorithm: Algorithm;
  pdbs(): readonly KObj[];
  random?: () => number;
}

export class Preemption {
  constructor(private readonly deps: PreemptionDeps) {}

  /** SelectVictimsOnNode on a clone of the node: victims, or the status explaining why none work. */
  selectVictims(state: CycleState, pod: PodInfo, original: NodeInfo, filters: readonly FilterPlugin[], snap: Snapshot): { victims: PodInfo[]; violations: number } | Status {
    let any = false;
    for (const p of original.pods.values()) {
      if (p.priority < pod.priority) {
        any = true;
        break;
      }
    }
    if (!any) return NO_VICTIMS_STATUS;
    const node = original.clone();
    const potential: PodInfo[] = [];
    for (const p of [...node.pods.values()]) {
      if (p.priority < pod.priority) {
        potential.push(p);
        node.removePod(p);
        for (const f of filters) f.removePod?.(state, pod, p, node, snap);
      }
    }
    if (potential.length === 0) return NO_VICTIMS_STATUS;
    const fit = this.deps.algorithm.runFilters(state, pod, node, filters, snap);
    if (fit) return fit;
    potential.sort((a, b) => (moreImportant(a, b) ? -1 : moreImportant(b, a) ? 1 : 0));
    const [violating, ok] = splitByPDB(potential, this.deps.pdbs());
    const victims: PodInfo[] = [];
    let violations = 0;
    const reprieve = (p: PodInfo): boolean => {
      node.addPod(p);
      for (const f of filters) f.addPod?.(state, pod, p, node, snap);
      const fits = this.deps.algorithm.runFilters(state, pod, node, filters, snap) === null;
      if (!fits) {
        node.removePod(p);
        for (const f of filters) f.removePod?.(state, pod, p, node, snap);
        victims.push(p);
      }
      return fits;
    };
    for (const p of violating) if (!reprieve(p)) violations++;
    for (const p of ok) reprieve(p);
    if (violating.length && ok.length) victims.sort((a, b) => (moreImportant(a, b) ? -1 : moreImportant(b, a) ? 1 : 0));
    return { victims, violations };
  }

  /**
   * Preempt: find candidates among nodes where preemption may help. `filters` are the
   * cycle's active filters (null when PreFilter rejected the pod).
   */
  preempt(state: CycleState, pod: PodInfo, snap: Snapshot, diagnosis: Diagnosis, filters: readonly FilterPlugin[] | null): PreemptionOutcome {
    const nominatedStatus = pod.nominatedNodeName ? statusOf(diagnosis, pod.nominatedNodeName) : undefined;
    const [eligible, why] = eligibleToPreempt(pod, snap, nominatedStatus);
    if (!eligible) return { message: `preemption: ${why}` };
    const statuses = newDiagnosis();
    const potential: NodeInfo[] = [];
    for (const n of snap.nodes) {
      const s = statusOf(diagnosis, n.name);
      if (!s || s.code === Code.UnschedulableAndUnresolvable || !filters) statuses.nodeStatuses.set(n.name, unresolvable(NAME, NOT_HELPFUL));
      else potential.push(n);
    }
    const candidates: Candidate[] = [];
    if (potential.length) {
      const want = Math.min(potential.length, Math.max(Math.trunc((potential.length * MIN_CANDIDATE_NODES_PERCENTAGE) / 100), MIN_CANDIDATE_NODES_ABSOLUTE));
      const offset = Math.floor((this.deps.random ?? Math.random)() * potential.length);
      let nonViolating = 0;
      for (let i = 0; i < potential.length && nonViolating < want && candidates.length < want; i++) {
        const n = potential[(offset + i) % potential.length]!;
        const r = this.selectVictims(hasLowerPriority(n, pod) ? state.clone() : state, pod, n, filters!, snap);
        if ("code" in r) statuses.nodeStatuses.set(n.name, r);
        else if (r.victims.length === 0) statuses.nodeStatuses.set(n.name, { code: Code.Error, reasons: [`expected at least one victim pod on node "${n.name}"`], plugin: NAME });
        else {
          candidates.push({ node: n.name, victims: r.victims, pdbViolations: r.violations });
          if (r.violations === 0) nonViolating++;
        }
      }
    }
    if (candidates.length === 0) return { message: `preemption: ${fitErrorMessage(statuses.nodeStatuses.size, statuses)}` };
    return { message: "", candidate: pickOneNode(candidates) };
  }
}

function hasLowerPriority(n: NodeInfo, pod: PodInfo): boolean {
  for (const p of n.pods.values()) if (p.priority < pod.priority) return true;
  return false;
}

function statusOf(d: Diagnosis, node: string): Status | undefined {
  return d.nodeStatuses.get(node) ?? d.absent?.status;
}

/** pickOneNodeForPreemption. */
export function pickOneNode(cs: Candidate[]): Candidate {
  const score = (c: Candidate) => {
    const top = c.victims[0]!;
    let sum = 0;
    for (const v of c.victims) sum += v.priority + MAX_INT32 + 1;
    let earliest = Infinity;
    for (const v of c.victims) if (v.priority === top.priority && v.startTime < earliest) earliest = v.startTime;
    return [-c.pdbViolations, -top.priority, -sum, -c.victims.length, earliest];
  };
  let best = cs[0]!;
  let bestScore = score(best);
  for (const c of cs.slice(1)) {
    const s = score(c);
    for (let i = 0; i < s.length; i++) {
      if (s[i]! > bestScore[i]!) {
        best = c;
        bestScore = s;
        break;
      }
      if (s[i]! < bestScore[i]!) break;
    }
  }
  return best;
}
