/**
 * @module controllers/workloads/replicaset/status
 * ReplicaSet status from its active pods (upstream calculateStatus): replicas,
 * fullyLabeledReplicas (pods carrying every template label), readyReplicas,
 * availableReplicas (ready for minReadySeconds), and the ReplicaFailure condition while
 * creating or deleting pods fails. Zero counts are omitted as Go's omitempty does.
 */
import type { KObj } from "../../../client/client.ts";
import { isPodAvailable, isPodReady } from "../util/pods.ts";
import { getCondition, nowTime, removeCondition, setCondition } from "../util/conditions.ts";
import { setCount } from "../util/status.ts";

export function calculateReplicaSetStatus(rs: KObj, pods: KObj[], manageError: unknown, diff: number, now = Date.now()): KObj {
  const status: KObj = structuredClone(rs.status ?? {});
  const templateLabels: Record<string, string> = rs.spec?.template?.metadata?.labels ?? {};
  const minReady = rs.spec?.minReadySeconds ?? 0;
  let fully = 0;
  let ready = 0;
  let available = 0;
  for (const p of pods) {
    const labels = p.metadata?.labels ?? {};
    if (Object.entries(templateLabels).every(([k, v]) => labels[k] === v)) fully++;
    if (isPodReady(p)) {
      ready++;
      if (isPodAvailable(p, minReady, now)) available++;
    }
  }
  const failure = getCondition(status, "ReplicaFailure");
  if (manageError && !failure) {
    setCondition(status, { type: "ReplicaFailure", status: "True", reason: diff < 0 ? "FailedCreate" : "FailedDelete", message: (manageError as Error).message ?? String(manageError), lastTransitionTime: nowTime(now) });
  } else if (!manageError && failure) removeCondition(status, "ReplicaFailure");
  status.replicas = pods.length;
  setCount(status, "fullyLabeledReplicas", fully);
  setCount(status, "readyReplicas", ready);
  setCount(status, "availableReplicas", available);
  return status;
}

