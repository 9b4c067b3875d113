/**
 * @module controllers/workloads/deployment/progress
 * syncRolloutStatus (upstream progress.go): status counts plus the Progressing condition
 * — NewReplicaSetAvailable once complete, ReplicaSetUpdated on any progress (moving
 * lastUpdateTime, which restarts the deadline), ProgressDeadlineExceeded once
 * progressDeadlineSeconds pass without progress — ReplicaFailure copied from the
 * ReplicaSets, and a re-queue for when the deadline would expire.
 */
import type { KObj } from "../../../client/client.ts";
import { getCondition, nowTime, removeCondition, setCondition, type Condition } from "../util/conditions.ts";
import { updateDeploymentStatus, type DeploymentEnv } from "./env.ts";
import { calculateStatus } from "./sync.ts";
import { sameStatus } from "../util/status.ts";
import { deploymentComplete, deploymentProgressing, deploymentTimedOut, hasProgressDeadline, ReasonNewRSAvailable, ReasonReplicaSetUpdated, ReasonTimedOut } from "./util.ts";

export async function syncRolloutStatus(env: DeploymentEnv, allRSs: KObj[], newRS: KObj | undefined, d: KObj): Promise<void> {
  const now = env.now();
  const status = calculateStatus(allRSs, newRS, d, now);
  if (!hasProgressDeadline(d)) removeCondition(status, "Progressing");
  const current = getCondition(d.status, "Progressing");
  const isComplete = (status.replicas ?? 0) === (status.updatedReplicas ?? 0) && current?.reason === ReasonNewRSAvailable;
  if (hasProgressDeadline(d) && !isComplete) {
    const t = nowTime(now);
    const what = newRS ? `ReplicaSet "${newRS.metadata.name}"` : `Deployment "${d.metadata.name}"`;
    if (deploymentComplete(d, status)) {
      setCondition(status, { type: "Progressing", status: "True", reason: ReasonNewRSAvailable, message: `${what} has successfully progressed.`, lastUpdateTime: t, lastTransitionTime: t });
    } else if (deploymentProgressing(d, status)) {
      const cond: Condition = { type: "Progressing", status: "True", reason: ReasonReplicaSetUpdated, message: `${what} is progressing.`, lastUpdateTime: t, lastTransitionTime: t };
      // Progress always moves lastUpdateTime (restarting the deadline), keeping lastTransitionTime while it stays True.
      if (current) {
        if (current.status === "True" && current.lastTransitionTime) cond.lastTransitionTime = current.lastTransitionTime;
        removeCondition(status, "Progressing");
      }
      setCondition(status, cond);
    } else if (deploymentTimedOut(d, status, now)) {
      setCondition(status, { type: "Progressing", status: "False", reason: ReasonTimedOut, message: `${what} has timed out progressing.`, lastUpdateTime: t, lastTransitionTime: t });
    }
  }
  const failure = replicaFailure(allRSs, newRS);
  if (failure) setCondition(status, failure);
  else removeCondition(status, "ReplicaFailure");

  if (!sameStatus(d.status, status)) {
    d.status = status;
    await updateDeploymentStatus(env, d);
  }
  requeueStuck(env, d, status, now);
}

/** A ReplicaFailure condition of the new ReplicaSet (or, failing that, of an old one). */
function replicaFailure(allRSs: KObj[], newRS: KObj | undefined): Condition | undefined {
  const pick = (rs: KObj): Condition | undefined => {
    const c = getCondition(rs.status, "ReplicaFailure");
    return c?.status === "True" ? { type: "ReplicaFailure", status: "True", reason: c.reason, message: c.message, lastTransitionTime: c.lastTransitionTime, lastUpdateTime: c.lastTransitionTime } : undefined;
  };
  if (newRS) {
    const c = pick(newRS);
    if (c) return c;
  }
  for (const rs of allRSs) {
    const c = pick(rs);
    if (c) return c;
  }
  return undefined;
}

/** Come back when the progress deadline would pass, so ProgressDeadlineExceeded is reported on time. */
function requeueStuck(env: DeploymentEnv, d: KObj, status: KObj, now: number) {
  const c = getCondition(status, "Progressing");
  if (!hasProgressDeadline(d) || !c) return;
  if (deploymentComplete(d, status) || c.reason === ReasonTimedOut) return;
  const from = Date.parse(c.lastUpdateTime ?? "");
  if (Number.isNaN(from)) return;
  const after = from + d.spec.progressDeadlineSeconds * 1000 - now;
  if (after < 1000) env.requeueRateLimited(d);
  else env.requeueAfter(d, after + 1000);
}
