/**
 * @module controllers/workloads
 * Controllers of workload kinds: ReplicaSet, Deployment, DaemonSet, StatefulSet, Job, CronJob.
 */
import type { Controller } from "../types.ts";

export function workloadControllers(): (() => Controller)[] {
  return [];
}
