/**
 * @module controllers/workloads/deployment/recreate
 * The Recreate strategy (upstream recreate.go): scale every old ReplicaSet to zero, wait
 * until none of their pods is left running, then create/scale the new ReplicaSet to the
 * full replica count.
 */
import type { KObj } from "../../../client/client.ts";
import type { DeploymentEnv } from "./env.ts";
import { syncRolloutStatus } from "./progress.ts";
import { cleanupDeployment, getAllReplicaSetsAndSyncRevision, scaleReplicaSetAndRecordEvent } from "./sync.ts";
import { deploymentComplete, filterActive, replicasOf, statusSum } from "./util.ts";

export async function rolloutRecreate(env: DeploymentEnv, d: KObj, rsList: KObj[], podsOf: (rs: KObj) => KObj[]): Promise<void> {
  let { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(env, d, rsList, false);
  let all = newRS ? [...oldRSs, newRS] : [...oldRSs];
  let scaledDown = false;
  for (const rs of filterActive(oldRSs)) if ((await scaleReplicaSetAndRecordEvent(env, rs, 0, d)).scaled) scaledDown = true;
  if (scaledDown) return syncRolloutStatus(env, all, newRS, d);
  if (oldPodsRunning(oldRSs, podsOf)) return syncRolloutStatus(env, all, newRS, d);
  if (!newRS) {
    ({ newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(env, d, rsList, true));
    all = newRS ? [...oldRSs, newRS] : [...oldRSs];
  }
  if (newRS) await scaleReplicaSetAndRecordEvent(env, newRS, replicasOf(d), d);
  if (deploymentComplete(d, d.status ?? {})) await cleanupDeployment(env, oldRSs, d);
  return syncRolloutStatus(env, all, newRS, d);
}

/** Any old ReplicaSet still reporting pods, or any of their pods not yet Succeeded/Failed. */
function oldPodsRunning(oldRSs: KObj[], podsOf: (rs: KObj) => KObj[]): boolean {
  if (statusSum(oldRSs, "replicas") > 0) return true;
  for (const rs of oldRSs) {
    for (const p of podsOf(rs)) {
      const phase = p.status?.phase;
      if (phase !== "Failed" && phase !== "Succeeded") return true;
    }
  }
  return false;
}
