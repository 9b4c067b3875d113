/**
 * @module controllers/workloads/job/util
 * Pure Job helpers (upstream job utils): condition bookkeeping with Kubernetes' reasons,
 * finished/suspended checks, which pods count as failed, the pod failure policy
 * (onExitCodes / onPodConditions → FailJob, Ignore, Count), the OnFailure restart
 * budget, completion-index intervals ("0-2,4"), and pod-failure back-off.
 */
import type { KObj } from "../../../client/client.ts";
import { nowTime } from "../util/conditions.ts";

export const TRACKING_FINALIZER = "batch.kubernetes.io/job-tracking";
export const COMPLETION_INDEX = "batch.kubernetes.io/job-completion-index";

export const Reasons = {
  BackoffLimitExceeded: "BackoffLimitExceeded",
  DeadlineExceeded: "DeadlineExceeded",
  PodFailurePolicy: "PodFailurePolicy",
  CompletionsReached: "CompletionsReached",
} as const;

export interface JobCondition {
  type: string;
  status: "True" | "False";
  reason: string;
  message: string;
  lastProbeTime: string;
  lastTransitionTime: string;
}

export function newCondition(type: string, status: "True" | "False", reason: string, message: string, now: number): JobCondition {
  const t = nowTime(now);
  return { type, status, reason, message, lastProbeTime: t, lastTransitionTime: t };
}

export function findCondition(job: KObj, type: string): JobCondition | undefined {
  return (job.status?.conditions ?? []).find((c: JobCondition) => c.type === type);
}

export function conditionTrue(job: KObj, type: string): boolean {
  return findCondition(job, type)?.status === "True";
}

/** ensureJobConditionStatus: add or replace a condition; a False one is not added. Returns true when changed. */
export function ensureCondition(status: KObj, type: string, st: "True" | "False", reason: string, message: string, now: number): boolean {
  const list: JobCondition[] = status.conditions ?? [];
  const i = list.findIndex((c) => c.type === type);
  if (i >= 0) {
    const c = list[i]!;
    if (c.status === st && c.reason === reason && c.message === message) return false;
    list[i] = newCondition(type, st, reason, message, now);
    status.conditions = list;
    return true;
  }
  if (st === "False") return false;
  status.conditions = [...list, newCondition(type, st, reason, message, now)];
  return true;
}

export function isJobFinished(job: KObj): boolean {
  return conditionTrue(job, "Complete") || conditionTrue(job, "Failed");
}

/** The Complete or Failed condition's time, when finished. */
export function finishTime(job: KObj): number | undefined {
  for (const t of ["Complete", "Failed"]) {
    const c = findCondition(job, t);
    if (c?.status === "True") {
      const ms = Date.parse(c.lastTransitionTime);
      return Number.isNaN(ms) ? undefined : ms;
    }
  }
  return undefined;
}

export function isSuspended(job: KObj): boolean {
  return job.spec?.suspend === true;
}

export function isIndexed(job: KObj): boolean {
  return job.spec?.completionMode === "Indexed";
}

/** Only Failed pods are replaced (podReplacementPolicy Failed, or a pod failure policy). */
export function onlyReplaceFailed(job: KObj): boolean {
  return job.spec?.podReplacementPolicy === "Failed" || Boolean(job.spec?.podFailurePolicy);
}

/** isPodFailed: Failed, or (unless only failed pods are replaced) deleted before it succeeded. */
export function isPodFailed(pod: KObj, job: KObj): boolean {
  const phase = pod.status?.phase;
  if (phase === "Failed") return true;
  if (onlyReplaceFailed(job)) return false;
  return Boolean(pod.metadata.deletionTimestamp) && phase !== "Succeeded";
}

export interface PolicyMatch {
  /** A FailJob rule matched: the Job fails with this message. */
  failJobMessage?: string;
  /** False when an Ignore rule matched (not counted towards backoffLimit). */
  count: boolean;
  action?: string;
}

/** matchPodFailurePolicy for one failed pod. */
export function matchPodFailurePolicy(policy: KObj | undefined, pod: KObj): PolicyMatch {
  if (!policy) return { count: true };
  const ns = pod.metadata.namespace;
  const name = pod.metadata.name;
  const rules: KObj[] = policy.rules ?? [];
  for (const [index, rule] of rules.entries()) {
    let failMsg: string | undefined;
    if (rule.onExitCodes) {
      const cs = matchExitCodes(pod, rule.onExitCodes);
      if (!cs) continue;
      failMsg = `Container ${cs.name} for pod ${ns}/${name} failed with exit code ${cs.state.terminated.exitCode} matching ${rule.action} rule at index ${index}`;
    } else if (rule.onPodConditions) {
      const cond = (pod.status?.conditions ?? []).find((c: KObj) => (rule.onPodConditions as KObj[]).some((p) => p.type === c.type && (p.status ?? "True") === c.status));
      if (!cond) continue;
      failMsg = `Pod ${ns}/${name} has condition ${cond.type} matching ${rule.action} rule at index ${index}`;
    } else continue;
    if (rule.action === "Ignore") return { count: false, action: "Ignore" };
    if (rule.action === "Count") return { count: true, action: "Count" };
    if (rule.action === "FailJob") return { count: true, action: "FailJob", failJobMessage: failMsg };
    // FailIndex needs backoffLimitPerIndex (not supported): counted like Count.
    return { count: true, action: rule.action };
  }
  return { count: true };
}

function matchExitCodes(pod: KObj, req: KObj): KObj | undefined {
  for (const list of [pod.status?.containerStatuses ?? [], pod.status?.initContainerStatuses ?? []]) {
    for (const cs of list as KObj[]) {
      const t = cs.state?.terminated;
      if (!t || t.exitCode === 0) continue;
      if (req.containerName && req.containerName !== cs.name) continue;
      const values: number[] = req.values ?? [];
      const hit = req.operator === "In" ? values.includes(t.exitCode) : req.operator === "NotIn" ? !values.includes(t.exitCode) : false;
      if (hit) return cs;
    }
  }
  return undefined;
}

/** restartPolicy OnFailure: container restarts of active pods used up the backoff limit. */
export function pastBackoffLimitOnFailure(job: KObj, activePods: KObj[]): boolean {
  if (job.spec?.template?.spec?.restartPolicy !== "OnFailure") return false;
  let restarts = 0;
  for (const p of activePods) {
    for (const cs of [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])]) restarts += cs?.restartCount ?? 0;
  }
  const limit = job.spec?.backoffLimit ?? 6;
  return limit === 0 ? restarts > 0 : restarts >= limit;
}

/** "0-2,4,6-7" ↔ sorted indexes. */
export function parseIndexes(s: string | undefined, max = Infinity): Set<number> {
  const out = new Set<number>();
  if (!s) return out;
  for (const part of s.split(",")) {
    const [a, b] = part.split("-").map(Number);
    if (a === undefined || Number.isNaN(a)) continue;
    const end = b === undefined || Number.isNaN(b) ? a : b;
    for (let i = a; i <= end && i < max; i++) out.add(i);
  }
  return out;
}

export function formatIndexes(ix: Iterable<number>): string {
  const sorted = [...new Set(ix)].sort((x, y) => x - y);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(",");
}

export function completionIndex(pod: KObj): number | undefined {
  const v = pod.metadata?.annotations?.[COMPLETION_INDEX] ?? pod.metadata?.labels?.[COMPLETION_INDEX];
  const n = Number(v);
  return v !== undefined && Number.isInteger(n) && n >= 0 ? n : undefined;
}

/** When a finished pod finished: its last container termination, else now. */
export function podFinishTime(pod: KObj, now: number): number {
  let t = 0;
  for (const cs of pod.status?.containerStatuses ?? []) {
    const f = Date.parse(cs?.state?.terminated?.finishedAt ?? "");
    if (!Number.isNaN(f)) t = Math.max(t, f);
  }
  return t || now;
}

/** Pod-failure back-off: 10 s doubling per failure since the last success, up to 6 min (upstream defaults). */
export const DEFAULT_BACKOFF_MS = 10_000;
export const MAX_BACKOFF_MS = 360_000;

export interface BackoffRecord {
  failuresAfterLastSuccess: number;
  lastFailureTime?: number;
}

export function nextBackoffRecord(prev: BackoffRecord | undefined, newSucceeded: KObj[], newFailed: KObj[], now: number): BackoffRecord {
  const rec: BackoffRecord = { ...(prev ?? { failuresAfterLastSuccess: 0 }) };
  const lastSuccess = Math.max(0, ...newSucceeded.map((p) => podFinishTime(p, now)));
  const failures = newFailed.map((p) => podFinishTime(p, now)).sort((a, b) => a - b);
  if (newSucceeded.length) {
    rec.failuresAfterLastSuccess = 0;
    rec.lastFailureTime = undefined;
  }
  for (const f of failures) {
    if (newSucceeded.length && f < lastSuccess) continue;
    rec.failuresAfterLastSuccess++;
    rec.lastFailureTime = Math.max(rec.lastFailureTime ?? 0, f);
  }
  return rec;
}

export function remainingBackoff(rec: BackoffRecord | undefined, now: number, base = DEFAULT_BACKOFF_MS, max = MAX_BACKOFF_MS): number {
  if (!rec || rec.failuresAfterLastSuccess === 0 || rec.lastFailureTime === undefined) return 0;
  let d = base;
  for (let i = 1; i < rec.failuresAfterLastSuccess; i++) {
    d *= 2;
    if (d >= max) {
      d = max;
      break;
    }
  }
  const elapsed = now - rec.lastFailureTime;
  return d < elapsed ? 0 : d - elapsed;
}
