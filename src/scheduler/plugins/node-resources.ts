/**
 * @module scheduler/plugins/node-resources
 * NodeResourcesFit: requests against allocatable minus what is placed ("Too many pods",
 * "Insufficient cpu", "Insufficient memory", "Insufficient ephemeral-storage",
 * "Insufficient <scalar>" — every shortage is reported). Scores: LeastAllocated over
 * cpu and memory with the non-zero requests (weight 1 each), and
 * NodeResourcesBalancedAllocation (1 − standard deviation of the requested fractions).
 */
import { MAX_NODE_SCORE, type FilterPlugin, type ScorePlugin } from "../framework.ts";
import type { NodeInfo } from "../node-info.ts";
import type { PodInfo } from "../pod-info.ts";
import { unschedulable, type Status } from "../status.ts";

export const FIT = "NodeResourcesFit";
export const BALANCED = "NodeResourcesBalancedAllocation";

const TOO_MANY_PODS = "Too many pods";
const INSUFFICIENT_CPU = "Insufficient cpu";
const INSUFFICIENT_MEMORY = "Insufficient memory";
const INSUFFICIENT_EPHEMERAL = "Insufficient ephemeral-storage";

const single = new Map<string, Status>();
function rejectWith(reasons: string[]): Status {
  if (reasons.length === 1) {
    let s = single.get(reasons[0]!);
    if (!s) single.set(reasons[0]!, (s = unschedulable(FIT, reasons[0]!)));
    return s;
  }
  return unschedulable(FIT, ...reasons);
}

/** The reasons the pod does not fit (empty: it fits). */
export function insufficientResources(pod: PodInfo, node: NodeInfo): string[] {
  const out: string[] = [];
  if (node.pods.size + 1 > node.allocatable.allowedPods) out.push(TOO_MANY_PODS);
  if (pod.reqZero) return out;
  const req = pod.req;
  const alloc = node.allocatable;
  const used = node.requested;
  if (req.milliCPU > 0 && req.milliCPU > alloc.milliCPU - used.milliCPU) out.push(INSUFFICIENT_CPU);
  if (req.memory > 0 && req.memory > alloc.memory - used.memory) out.push(INSUFFICIENT_MEMORY);
  if (req.ephemeralStorage > 0 && req.ephemeralStorage > alloc.ephemeralStorage - used.ephemeralStorage) out.push(INSUFFICIENT_EPHEMERAL);
  if (req.scalar) {
    for (const [name, q] of req.scalar) {
      if (q === 0) continue;
      if (q > (alloc.scalar?.get(name) ?? 0) - (used.scalar?.get(name) ?? 0)) out.push(`Insufficient ${name}`);
    }
  }
  return out;
}

export const nodeResourcesFit: FilterPlugin = {
  name: FIT,
  filter(_state, pod, node) {
    // Fast path for the common case: it fits.
    const alloc = node.allocatable;
    const used = node.requested;
    const req = pod.req;
    if (
      node.pods.size + 1 <= alloc.allowedPods &&
      (req.milliCPU === 0 || req.milliCPU <= alloc.milliCPU - used.milliCPU) &&
      (req.memory === 0 || req.memory <= alloc.memory - used.memory) &&
      (req.ephemeralStorage === 0 || req.ephemeralStorage <= alloc.ephemeralStorage - used.ephemeralStorage) &&
      req.scalar === null
    ) {
      return null;
    }
    const reasons = insufficientResources(pod, node);
    return reasons.length ? rejectWith(reasons) : null;
  },
};

/** leastRequestedScore: (capacity − requested) × 100 / capacity, 0 when over capacity. */
export function leastRequestedScore(requested: number, capacity: number): number {
  if (capacity === 0 || requested > capacity) return 0;
  return Math.trunc(((capacity - requested) * MAX_NODE_SCORE) / capacity);
}

/** LeastAllocated over cpu and memory (weights 1, 1), with non-zero requests. */
export function leastAllocatedScore(pod: PodInfo, node: NodeInfo): number {
  const a = node.allocatable;
  let sum = 0;
  let weights = 0;
  if (a.milliCPU !== 0) {
    sum += leastRequestedScore(node.nonZeroCPU + pod.nonZeroCPU, a.milliCPU);
    weights++;
  }
  if (a.memory !== 0) {
    sum += leastRequestedScore(node.nonZeroMem + pod.nonZeroMem, a.memory);
    weights++;
  }
  return weights === 0 ? 0 : Math.trunc(sum / weights);
}

/** balancedResourceScorer over cpu and memory with the actual requests. */
export function balancedAllocationScore(pod: PodInfo, node: NodeInfo): number {
  const a = node.allocatable;
  let f1 = -1;
  let f2 = -1;
  if (a.milliCPU !== 0) f1 = Math.min(1, (node.requested.milliCPU + pod.req.milliCPU) / a.milliCPU);
  if (a.memory !== 0) f2 = Math.min(1, (node.requested.memory + pod.req.memory) / a.memory);
  const std = f1 >= 0 && f2 >= 0 ? Math.abs((f1 - f2) / 2) : 0;
  return Math.trunc((1 - std) * MAX_NODE_SCORE);
}

export const leastAllocated: ScorePlugin = {
  name: FIT,
  weight: 1,
  score(_state, pod, node) {
    return leastAllocatedScore(pod, node);
  },
};

export const balancedAllocation: ScorePlugin = {
  name: BALANCED,
  weight: 1,
  preScore(_state, pod) {
    // Upstream skips best-effort pods (no requests at all): every node would score the same.
    return !pod.reqZero;
  },
  score(_state, pod, node) {
    return balancedAllocationScore(pod, node);
  },
};
