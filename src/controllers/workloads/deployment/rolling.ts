/**
 * @module controllers/workloads/deployment/rolling
 * The RollingUpdate strategy (upstream rolling.go): grow the new ReplicaSet up to
 * replicas + maxSurge pods in total, shrink old ones while keeping replicas -
 * maxUnavailable pods available (unhealthy old pods go first), and clean up old
 * revisions once the rollout is complete.
 */
import type { KObj } from "../../../client/client.ts";
import type { DeploymentEnv } from "./env.ts";
import { syncRolloutStatus } from "./progress.ts";
import { cleanupDeployment, getAllReplicaSetsAndSyncRevision, scaleReplicaSetAndRecordEvent } from "./sync.ts";
import { byCreation, deploymentComplete, filterActive, maxUnavailable, newRSNewReplicas, replicasOf, specReplicas, statusSum } from "./util.ts";

export async function rolloutRolling(env: DeploymentEnv, d: KObj, rsList: KObj[]): Promise<void> {
  const { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(env, d, rsList, true);
  const all = newRS ? [...oldRSs, newRS] : [...oldRSs];
  if (newRS && (await reconcileNewReplicaSet(env, all, newRS, d))) return syncRolloutStatus(env, all, newRS, d);
  if (await reconcileOldReplicaSets(env, all, filterActive(oldRSs), newRS, d)) return syncRolloutStatus(env, all, newRS, d);
  if (deploymentComplete(d, d.status ?? {})) await cleanupDeployment(env, oldRSs, d);
  return syncRolloutStatus(env, all, newRS, d);
}

async function reconcileNewReplicaSet(env: DeploymentEnv, all: KObj[], newRS: KObj, d: KObj): Promise<boolean> {
  if (replicasOf(newRS) === replicasOf(d)) return false;
  if (replicasOf(newRS) > replicasOf(d)) return (await scaleReplicaSetAndRecordEvent(env, newRS, replicasOf(d), d)).scaled;
  return (await scaleReplicaSetAndRecordEvent(env, newRS, newRSNewReplicas(d, all, newRS), d)).scaled;
}

async function reconcileOldReplicaSets(env: DeploymentEnv, all: KObj[], oldRSs: KObj[], newRS: KObj | undefined, d: KObj): Promise<boolean> {
  if (specReplicas(oldRSs) === 0) return false;
  const allPods = specReplicas(all);
  const minAvailable = replicasOf(d) - maxUnavailable(d);
  const newUnavailable = newRS ? replicasOf(newRS) - (newRS.status?.availableReplicas ?? 0) : 0;
  const maxScaledDown = allPods - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return false;
  const { rss, cleaned } = await cleanupUnhealthyReplicas(env, oldRSs, d, maxScaledDown);
  const all2 = newRS ? [...rss, newRS] : rss;
  const scaledDown = await scaleDownOldReplicaSets(env, all2, rss, d);
  return cleaned + scaledDown > 0;
}

/** Scale down old ReplicaSets' unavailable pods first (they cost no availability). */
async function cleanupUnhealthyReplicas(env: DeploymentEnv, oldRSs: KObj[], d: KObj, maxCleanup: number): Promise<{ rss: KObj[]; cleaned: number }> {
  const rss = [...oldRSs].sort(byCreation);
  let total = 0;
  for (let i = 0; i < rss.length; i++) {
    if (total >= maxCleanup) break;
    const rs = rss[i]!;
    const available = rs.status?.availableReplicas ?? 0;
    if (replicasOf(rs) === 0 || replicasOf(rs) === available) continue;
    const n = Math.min(maxCleanup - total, replicasOf(rs) - available);
    const res = await scaleReplicaSetAndRecordEvent(env, rs, replicasOf(rs) - n, d);
    rss[i] = res.rs;
    total += n;
  }
  return { rss, cleaned: total };
}

/** Scale down old ReplicaSets (oldest first) by as much as availability allows. */
async function scaleDownOldReplicaSets(env: DeploymentEnv, all: KObj[], oldRSs: KObj[], d: KObj): Promise<number> {
  const minAvailable = replicasOf(d) - maxUnavailable(d);
  const available = statusSum(all, "availableReplicas");
  if (available <= minAvailable) return 0;
  const rss = [...oldRSs].sort(byCreation);
  const want = available - minAvailable;
  let total = 0;
  for (const rs of rss) {
    if (total >= want) break;
    if (replicasOf(rs) === 0) continue;
    const n = Math.min(replicasOf(rs), want - total);
    await scaleReplicaSetAndRecordEvent(env, rs, replicasOf(rs) - n, d);
    total += n;
  }
  return total;
}
