/**
 * @module controllers/workloads
 * Controllers of workload kinds: ReplicaSet, Deployment, DaemonSet, StatefulSet, Job, CronJob.
 */
import type { Controller } from "../types.ts";
import { CronJobController } from "./cronjob/controller.ts";
import { DaemonSetController } from "./daemonset/controller.ts";
import { DeploymentController } from "./deployment/controller.ts";
import { JobController } from "./job/controller.ts";
import { TTLAfterFinishedController } from "./job/ttl.ts";
import { ReplicaSetController } from "./replicaset/controller.ts";
import { StatefulSetController } from "./statefulset/controller.ts";

export function workloadControllers(): (() => Controller)[] {
  return [() => new ReplicaSetController(), () => new DeploymentController(), () => new DaemonSetController(), () => new StatefulSetController(), () => new JobController(), () => new TTLAfterFinishedController(), () => new CronJobController()];
}
