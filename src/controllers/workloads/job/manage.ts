/**
 * @module controllers/workloads/job/manage
 * How many pods a Job should be running and which (upstream manageJob): NonIndexed jobs
 * run min(parallelism, completions - succeeded) pods (parallelism alone until the first
 * success when completions is unset); Indexed jobs run one pod per missing completion
 * index, up to parallelism. Suspended jobs run none. Pure planning; controller.ts acts.
 */
import type { KObj } from "../../../client/client.ts";
import { podsToDelete } from "../util/pods.ts";
import { completionIndex, isIndexed, isSuspended } from "./util.ts";

export interface Plan {
  /** Pods to delete (extra, duplicate-index, out-of-range or finished-index pods). */
  remove: KObj[];
  /** Pods to create: NonIndexed count or the completion indexes to start. */
  create: number;
  indexes: number[];
}

export function planPods(job: KObj, active: KObj[], succeeded: number, completedIndexes: Set<number>, terminating: number, onlyReplaceFailed: boolean): Plan {
  const parallelism: number = job.spec?.parallelism ?? 1;
  const completions: number | undefined = job.spec?.completions ?? undefined;
  if (isSuspended(job)) return { remove: [...active], create: 0, indexes: [] };
  if (isIndexed(job) && completions !== undefined) return planIndexed(active, parallelism, completions, completedIndexes, onlyReplaceFailed ? terminating : 0);
  let want: number;
  if (completions === undefined) want = succeeded > 0 ? active.length : parallelism;
  else want = Math.max(0, Math.min(completions - succeeded, parallelism));
  const rm = active.length - want;
  if (rm > 0) return { remove: podsToDelete(active, rm), create: 0, indexes: [] };
  let create = want - active.length;
  if (onlyReplaceFailed) create -= terminating;
  return { remove: [], create: Math.max(0, create), indexes: [] };
}

function planIndexed(active: KObj[], parallelism: number, completions: number, completed: Set<number>, terminating: number): Plan {
  const remove: KObj[] = [];
  const running = new Map<number, KObj>();
  for (const p of active) {
    const ix = completionIndex(p);
    if (ix === undefined || ix >= completions || completed.has(ix) || running.has(ix)) remove.push(p);
    else running.set(ix, p);
  }
  const room = parallelism - running.size - terminating;
  const indexes: number[] = [];
  for (let i = 0; i < completions && indexes.length < room; i++) if (!completed.has(i) && !running.has(i)) indexes.push(i);
  return { remove, create: indexes.length, indexes };
}
