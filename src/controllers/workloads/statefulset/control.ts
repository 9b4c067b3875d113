/**
 * @module controllers/workloads/statefulset/control
 * One StatefulSet update pass (upstream defaultStatefulSetControl.updateStatefulSet),
 * independent of the API so its ordering can be unit-tested: replicas are the pods of
 * ordinals [start, start+replicas), the rest are condemned. With OrderedReady, pods are
 * created one at a time in ordinal order, each only when every predecessor is Running
 * and Ready (and available for minReadySeconds), and condemned pods are deleted one at a
 * time from the highest ordinal; Parallel does both without waiting. Failed or finished
 * pods are recreated. RollingUpdate then deletes the highest-ordinal pod not at the
 * update revision (down to the partition), one at a time, waiting for health.
 */
import type { KObj } from "../../../client/client.ts";
import { isPodAvailable, isPodReady, isTerminating } from "../util/pods.ts";
import { slowStartBatch } from "../util/slow-start.ts";
import { newStatefulSetPod, identityMatches, ordinalOf, podRevision, startOrdinal, storageMatches } from "./identity.ts";

export interface StatefulPodOps {
  /** Create the pod's missing PVCs, then the pod. */
  createPod(set: KObj, pod: KObj): Promise<void>;
  deletePod(set: KObj, pod: KObj): Promise<void>;
  /** Fix identity/storage labels and volumes of an existing pod. */
  updatePod(set: KObj, pod: KObj): Promise<void>;
  createMissingClaims(set: KObj, pod: KObj): Promise<void>;
  /** PVC ownerReferences per persistentVolumeClaimRetentionPolicy: true when already right. */
  claimsMatchRetention(set: KObj, pod: KObj): boolean;
  updateClaimRetention(set: KObj, pod: KObj): Promise<void>;
  event(set: KObj, type: "Normal" | "Warning", reason: string, message: string): void;
}

export interface Revisions {
  current: KObj;
  update: KObj;
  /** The set at the current and update revisions (templates applied). */
  currentSet: KObj;
  updateSet: KObj;
}

const phase = (p: KObj): string => p.status?.phase ?? "";
const isCreated = (p: KObj) => phase(p) !== "";
const isRunningAndReady = (p: KObj) => phase(p) === "Running" && isPodReady(p);
const isRunningAndAvailable = (p: KObj, minReady: number, now: number) => phase(p) === "Running" && isPodAvailable(p, minReady, now);
const isHealthy = (p: KObj) => isRunningAndReady(p) && !isTerminating(p);

export function computeReplicaStatus(pods: KObj[], minReady: number, current: KObj, update: KObj, now: number) {
  const s = { replicas: 0, readyReplicas: 0, availableReplicas: 0, currentReplicas: 0, updatedReplicas: 0 };
  for (const p of pods) {
    if (isCreated(p)) s.replicas++;
    if (isRunningAndReady(p)) {
      s.readyReplicas++;
      if (isRunningAndAvailable(p, minReady, now)) s.availableReplicas++;
    }
    if (isCreated(p) && !isTerminating(p)) {
      const r = podRevision(p);
      if (r === current.metadata.name) s.currentReplicas++;
      if (r === update.metadata.name) s.updatedReplicas++;
    }
  }
  return s;
}

/** Which revision a new pod gets: the current one below the partition (or below currentReplicas without one). */
function newVersionedPod(revs: Revisions, ordinal: number): KObj {
  const cs = revs.currentSet;
  const start = startOrdinal(cs);
  const ru = cs.spec?.updateStrategy?.rollingUpdate;
  const rolling = cs.spec?.updateStrategy?.type === "RollingUpdate";
  const belowCurrent = (rolling && !ru && ordinal < start + (cs.status?.currentReplicas ?? 0)) || (ru && ordinal < start + (ru.partition ?? 0));
  return belowCurrent ? newStatefulSetPod(cs, ordinal, revs.current.metadata.name) : newStatefulSetPod(revs.updateSet, ordinal, revs.update.metadata.name);
}

async function runForAll(n: number, fn: (i: number) => Promise<boolean>, monotonic: boolean): Promise<boolean> {
  if (monotonic) {
    for (let i = 0; i < n; i++) if (await fn(i)) return true;
    return false;
  }
  const { error } = await slowStartBatch(n, 1, async (i) => void (await fn(i)));
  if (error) throw error;
  return false;
}

export interface UpdateResult {
  status: ReturnType<typeof computeReplicaStatus>;
  /** Pods after this pass (replicas with in-memory replacements, and condemned). */
  replicas: KObj[];
  condemned: KObj[];
}

export async function updateStatefulSet(set: KObj, revs: Revisions, pods: KObj[], ops: StatefulPodOps, now = Date.now()): Promise<UpdateResult> {
  const minReady = set.spec?.minReadySeconds ?? 0;
  const start = startOrdinal(set);
  const count: number = set.spec?.replicas ?? 1;
  const replicas: (KObj | undefined)[] = new Array(count).fill(undefined);
  const condemned: KObj[] = [];
  for (const p of pods) {
    const ord = ordinalOf(p);
    if (ord >= start && ord < start + count) replicas[ord - start] = p;
    else if (ord >= 0) condemned.push(p);
  }
  for (let i = 0; i < count; i++) replicas[i] ??= newVersionedPod(revs, start + i);
  const live = replicas as KObj[];
  condemned.sort((a, b) => ordinalOf(b) - ordinalOf(a));
  const unavailable = (p: KObj) => !isHealthy(p) || !isRunningAndAvailable(p, minReady, now);
  let firstUnhealthy: KObj | undefined = live.find(unavailable);
  if (!firstUnhealthy) for (let i = condemned.length - 1; i >= 0; i--) if (unavailable(condemned[i]!)) { firstUnhealthy = condemned[i]; break; }

  const result = (): UpdateResult => ({ status: computeReplicaStatus([...live, ...condemned], minReady, revs.current, revs.update, now), replicas: live, condemned });
  if (set.metadata.deletionTimestamp) return result();
  const monotonic = set.spec?.podManagementPolicy !== "Parallel";

  const processReplica = async (i: number): Promise<boolean> => {
    let p = live[i]!;
    if (phase(p) === "Failed" || phase(p) === "Succeeded") {
      if (phase(p) === "Failed") ops.event(set, "Warning", "RecreatingFailedPod", `StatefulSet ${set.metadata.namespace}/${set.metadata.name} is recreating failed Pod ${p.metadata.name}`);
      else ops.event(set, "Normal", "RecreatingTerminatedPod", `StatefulSet ${set.metadata.namespace}/${set.metadata.name} is recreating terminated Pod ${p.metadata.name}`);
      await ops.deletePod(set, p);
      p = live[i] = newVersionedPod(revs, start + i);
    }
    if (!isCreated(p)) {
      await ops.createPod(set, p);
      return monotonic;
    }
    if (phase(p) === "Pending") await ops.createMissingClaims(set, p);
    if (isTerminating(p) && monotonic) return true;
    if (!isRunningAndReady(p) && monotonic) return true;
    if (!isRunningAndAvailable(p, minReady, now) && monotonic) return true;
    const retention = ops.claimsMatchRetention(revs.updateSet, p);
    if (identityMatches(set, p) && storageMatches(set, p) && retention) return false;
    await ops.updatePod(revs.updateSet, structuredClone(p));
    return false;
  };
  if (await runForAll(live.length, processReplica, monotonic)) return result();

  const processCondemned = async (i: number): Promise<boolean> => {
    const p = condemned[i]!;
    if (!ops.claimsMatchRetention(set, p)) await ops.updateClaimRetention(set, p);
    if (isTerminating(p)) return monotonic;
    if (!isRunningAndReady(p) && monotonic && p !== firstUnhealthy) return true;
    if (!isRunningAndAvailable(p, minReady, now) && monotonic && p !== firstUnhealthy) return true;
    await ops.deletePod(set, p);
    return monotonic;
  };
  if (await runForAll(condemned.length, processCondemned, monotonic)) return result();

  const status = result();
  if (set.spec?.updateStrategy?.type === "OnDelete") return status;
  const partition: number = set.spec?.updateStrategy?.rollingUpdate?.partition ?? 0;
  for (let target = live.length - 1; target >= partition; target--) {
    const p = live[target]!;
    if (podRevision(p) !== revs.update.metadata.name && !isTerminating(p)) {
      await ops.deletePod(set, p);
      status.status.currentReplicas--;
      return status;
    }
    if (!isHealthy(p)) return status;
  }
  return status;
}
