/**
 * @module scheduler/status
 * Plugin results (upstream framework.Status codes) and the FitError message a pod that
 * fits nowhere gets in its FailedScheduling event and PodScheduled condition:
 * "0/3 nodes are available: 1 node(s) had untolerated taint {k: v}, 2 Insufficient memory.
 * preemption: ..." — reasons counted per node, "<count> <reason>" sorted as strings,
 * exactly as FitError.Error() builds it.
 */

export const Code = {
  Success: 0,
  Error: 1,
  Unschedulable: 2,
  UnschedulableAndUnresolvable: 3,
  Skip: 4,
} as const;
export type Code = (typeof Code)[keyof typeof Code];

export interface Status {
  readonly code: Code;
  readonly reasons: readonly string[];
  /** The plugin that produced it (for the queue: which events may make the pod schedulable). */
  readonly plugin: string;
}

export function unschedulable(plugin: string, ...reasons: string[]): Status {
  return { code: Code.Unschedulable, reasons, plugin };
}

export function unresolvable(plugin: string, ...reasons: string[]): Status {
  return { code: Code.UnschedulableAndUnresolvable, reasons, plugin };
}

export function errorStatus(plugin: string, message: string): Status {
  return { code: Code.Error, reasons: [message], plugin };
}

export function isRejected(s: Status): boolean {
  return s.code === Code.Unschedulable || s.code === Code.UnschedulableAndUnresolvable;
}

export function statusMessage(s: Status): string {
  return s.reasons.join(", ");
}

/** What the filters found: each rejected node's status (absent nodes share one status). */
export interface Diagnosis {
  nodeStatuses: Map<string, Status>;
  /** Status of nodes a PreFilter result excluded (not evaluated), and how many they are. */
  absent?: { status: Status; count: number };
  /** Set when a PreFilter plugin rejected the pod for every node. */
  preFilterMsg?: string;
  /** The PostFilter (preemption) outcome, already prefixed ("preemption: ..."). */
  postFilterMsg?: string;
  /** Plugins that rejected the pod somewhere (queueing hints). */
  plugins: Set<string>;
}

export function newDiagnosis(): Diagnosis {
  return { nodeStatuses: new Map(), plugins: new Set() };
}

/** The "<n> <reason>" histogram, sorted like Go's sort.Strings. */
export function reasonHistogram(d: Pick<Diagnosis, "nodeStatuses" | "absent">): string[] {
  const counts = new Map<string, number>();
  for (const s of d.nodeStatuses.values()) for (const r of s.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  if (d.absent && d.absent.count > 0) for (const r of d.absent.status.reasons) counts.set(r, (counts.get(r) ?? 0) + d.absent.count);
  const out: string[] = [];
  for (const [r, n] of counts) out.push(`${n} ${r}`);
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** FitError.Error() of Kubernetes 1.31+. */
export function fitErrorMessage(numAllNodes: number, d: Diagnosis): string {
  let msg = `0/${numAllNodes} nodes are available:`;
  if (d.preFilterMsg) msg += ` ${d.preFilterMsg}.`;
  else {
    const h = reasonHistogram(d);
    if (h.length) msg += ` ${h.join(", ")}.`;
  }
  if (d.postFilterMsg) msg += ` ${d.postFilterMsg}`;
  return msg;
}
