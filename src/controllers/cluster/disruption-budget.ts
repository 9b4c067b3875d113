/**
 * @module controllers/cluster/disruption-budget
 * Pure parts of upstream's disruption controller: how many pods a PodDisruptionBudget
 * expects and needs healthy, which pods count as healthy, which entries of
 * status.disruptedPods (pods the eviction API let go, not yet seen deleting) still hold,
 * and the resulting status with its DisruptionAllowed condition.
 *
 * - maxUnavailable (int or %) and a percentage minAvailable are relative to the expected
 *   pod count: the summed scale of the pods' controllers (a ReplicaSet owned by a
 *   Deployment counts as the Deployment). Pods without a controller are "unmanaged".
 * - an integer minAvailable is absolute; the expected count is the number of pods.
 * - disruptionsAllowed = currentHealthy - desiredHealthy, never below 0, and 0 while the
 *   budget expects no pods (its first pods may appear before the next sync).
 */
import type { KObj } from "../../client/client.ts";
import { scaledValue } from "../workloads/util/int-or-percent.ts";

/** How long an eviction's entry in status.disruptedPods holds without the pod deleting (upstream: 2 min). */
export const DELETION_TIMEOUT_MS = 2 * 60_000;

export class ExpectedCountError extends Error {
  override name = "ExpectedCountError";
}

/** A pod's controller and its desired replicas, or null when the pod has none. */
export type ScaleOf = (pod: KObj) => { uid: string; replicas: number } | null | "missing";

export interface BudgetCounts {
  expectedPods: number;
  desiredHealthy: number;
  unmanagedPods: string[];
}

function isPodReady(pod: KObj): boolean {
  return ((pod.status?.conditions ?? []) as KObj[]).some((c) => c.type === "Ready" && c.status === "True");
}

/** Sum of the scales of the distinct controllers of `pods` (upstream getExpectedScale). */
function expectedScale(pods: KObj[], scaleOf: ScaleOf): { count: number; unmanaged: string[] } {
  const seen = new Map<string, number>();
  const unmanaged: string[] = [];
  for (const pod of pods) {
    const s = scaleOf(pod);
    if (s === null) {
      unmanaged.push(pod.metadata.name);
      continue;
    }
    if (s === "missing") throw new ExpectedCountError(`found no controllers for pod "${pod.metadata.name}"`);
    seen.set(s.uid, s.replicas);
  }
  let count = 0;
  for (const r of seen.values()) count += r;
  return { count, unmanaged };
}

/** Upstream getExpectedPodCount. Throws ExpectedCountError (or InvalidIntOrPercentError). */
export function expectedCounts(pdb: KObj, pods: KObj[], scaleOf: ScaleOf): BudgetCounts {
  const spec = pdb.spec ?? {};
  if (spec.maxUnavailable !== undefined && spec.maxUnavailable !== null) {
    const { count, unmanaged } = expectedScale(pods, scaleOf);
    const maxUnavailable = scaledValue(spec.maxUnavailable, count, true);
    return { expectedPods: count, desiredHealthy: Math.max(0, count - maxUnavailable), unmanagedPods: unmanaged };
  }
  if (spec.minAvailable !== undefined && spec.minAvailable !== null) {
    if (typeof spec.minAvailable === "number") return { expectedPods: pods.length, desiredHealthy: spec.minAvailable, unmanagedPods: [] };
    const { count, unmanaged } = expectedScale(pods, scaleOf);
    return { expectedPods: count, desiredHealthy: scaledValue(spec.minAvailable, count, true), unmanagedPods: unmanaged };
  }
  return { expectedPods: 0, desiredHealthy: 0, unmanagedPods: [] };
}

/**
 * The entries of status.disruptedPods that still hold: the pod exists, is not deleting
 * yet, and was evicted less than DELETION_TIMEOUT_MS ago. `recheckAtMs` is when the
 * oldest one expires (the budget must be synced again then).
 */
export function liveDisruptedPods(pdb: KObj, pods: KObj[], nowMs: number): { disrupted: Record<string, string>; recheckAtMs: number | null } {
  const byName = new Map(pods.map((p) => [p.metadata.name as string, p]));
  const disrupted: Record<string, string> = {};
  let recheckAtMs: number | null = null;
  for (const [name, at] of Object.entries((pdb.status?.disruptedPods ?? {}) as Record<string, string>)) {
    const pod = byName.get(name);
    if (!pod || pod.metadata.deletionTimestamp) continue;
    const expires = Date.parse(at) + DELETION_TIMEOUT_MS;
    if (!(expires > nowMs)) continue;
    disrupted[name] = at;
    recheckAtMs = recheckAtMs === null ? expires : Math.min(recheckAtMs, expires);
  }
  return { disrupted, recheckAtMs };
}

/** Ready pods not being deleted and not already counted as disrupted. */
export function countHealthy(pods: KObj[], disrupted: Record<string, string>): number {
  return pods.filter((p) => !p.metadata.deletionTimestamp && !(p.metadata.name in disrupted) && isPodReady(p)).length;
}

/** apimeta.SetStatusCondition of DisruptionAllowed: the transition time moves only when the status does. */
function allowedCondition(allowed: boolean, prev: KObj[], observedGeneration: number | undefined, nowIso: string, reason?: string, message = ""): KObj[] {
  const status = allowed ? "True" : "False";
  const old = prev.find((c) => c.type === "DisruptionAllowed");
  const cond: KObj = { type: "DisruptionAllowed", status, reason: allowed ? "SufficientPods" : (reason ?? "InsufficientPods"), message, lastTransitionTime: old && old.status === status ? old.lastTransitionTime : nowIso };
  if (observedGeneration !== undefined) cond.observedGeneration = observedGeneration;
  return [...prev.filter((c) => c.type !== "DisruptionAllowed"), cond];
}

/** The status of a budget whose counts are known (upstream updatePdbStatus). */
export function budgetStatus(pdb: KObj, counts: BudgetCounts, currentHealthy: number, disrupted: Record<string, string>, nowIso: string): KObj {
  let allowed = currentHealthy - counts.desiredHealthy;
  if (counts.expectedPods <= 0 || allowed <= 0) allowed = 0;
  const status: KObj = {
    observedGeneration: pdb.metadata.generation,
    disruptionsAllowed: allowed,
    currentHealthy,
    desiredHealthy: counts.desiredHealthy,
    expectedPods: counts.expectedPods,
    conditions: allowedCondition(allowed > 0, (pdb.status?.conditions ?? []) as KObj[], pdb.metadata.generation, nowIso),
  };
  if (Object.keys(disrupted).length) status.disruptedPods = disrupted;
  return status;
}

/** The fail-safe status when the counts cannot be computed: no disruption allowed (observedGeneration unchanged, as upstream). */
export function failSafeStatus(pdb: KObj, message: string, nowIso: string): KObj {
  return {
    ...(pdb.status ?? {}),
    disruptionsAllowed: 0,
    conditions: allowedCondition(false, (pdb.status?.conditions ?? []) as KObj[], pdb.status?.observedGeneration, nowIso, "SyncFailed", message),
  };
}
