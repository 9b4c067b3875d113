/**
 * @module controllers/workloads/deployment/sync
 * The parts of a Deployment sync shared by both strategies (upstream sync.go): finding
 * or creating the new ReplicaSet `<name>-<pod-template-hash>` with the next revision,
 * proportional scaling on replica changes and while paused, ScalingReplicaSet events,
 * revisionHistoryLimit cleanup, the paused condition, and the status counts with the
 * Available condition.
 */
import { isAlreadyExists, KubeApiError, type KObj } from "../../../client/client.ts";
import { R } from "../../../client/resources.ts";
import { computeHash } from "../util/hash.ts";
import { getCondition, nowTime, setCondition } from "../util/conditions.ts";
import { controllerOf } from "../util/owner-index.ts";
import { controllerRefFor } from "../util/pods.ts";
import { sameStatus, setCount } from "../util/status.ts";
import { updateDeploymentStatus, updateReplicaSet, type DeploymentEnv } from "./env.ts";
import {
  byCreation,
  byRevision,
  bySizeNewer,
  bySizeOlder,
  equalIgnoreHash,
  filterActive,
  findNewReplicaSet,
  hasProgressDeadline,
  hasRevisionHistoryLimit,
  isRollingUpdate,
  isSaturated,
  maxRevision,
  maxSurge,
  maxUnavailable,
  newRSNewReplicas,
  POD_TEMPLATE_HASH,
  proportion,
  ReasonFailedRSCreate,
  ReasonFoundNewRS,
  ReasonMinimumReplicasAvailable,
  ReasonMinimumReplicasUnavailable,
  ReasonNewReplicaSet,
  ReasonPaused,
  ReasonResumed,
  ReasonTimedOut,
  REVISION,
  replicasOf,
  desiredReplicasAnnotation,
  setNewReplicaSetAnnotations,
  setReplicasAnnotations,
  specReplicas,
  statusSum,
} from "./util.ts";

export interface ReplicaSets {
  newRS?: KObj;
  oldRSs: KObj[];
}

function progressingCondition(status: "True" | "False" | "Unknown", reason: string, message: string, now: number) {
  const t = nowTime(now);
  return { type: "Progressing", status, reason, message, lastUpdateTime: t, lastTransitionTime: t };
}

/** Old ReplicaSets are every owned one but the new one; the new one gets its revision synced (and is created when asked). */
export async function getAllReplicaSetsAndSyncRevision(env: DeploymentEnv, d: KObj, rsList: KObj[], create: boolean): Promise<ReplicaSets> {
  const found = findNewReplicaSet(d, rsList);
  const oldRSs = rsList.filter((rs) => rs.metadata.uid !== found?.metadata.uid);
  const newRS = await getNewReplicaSet(env, d, rsList, oldRSs, found, create);
  // Later steps of this sync must see the ReplicaSet as just written, not the cached version.
  const i = newRS ? rsList.findIndex((rs) => rs.metadata.uid === newRS.metadata.uid) : -1;
  if (newRS && i >= 0) rsList[i] = newRS;
  return { newRS, oldRSs };
}

async function getNewReplicaSet(env: DeploymentEnv, d: KObj, rsList: KObj[], oldRSs: KObj[], existing: KObj | undefined, create: boolean): Promise<KObj | undefined> {
  const newRevision = maxRevision(oldRSs) + 1;
  const now = env.now();
  const ann = (d.metadata.annotations ??= {});
  if (existing) {
    const rs = structuredClone(existing);
    const annotationsUpdated = setNewReplicaSetAnnotations(d, rs, newRevision, true);
    const minReadyChanged = (rs.spec.minReadySeconds ?? 0) !== (d.spec.minReadySeconds ?? 0);
    if (annotationsUpdated || minReadyChanged) {
      rs.spec.minReadySeconds = d.spec.minReadySeconds ?? 0;
      return updateReplicaSet(env, rs);
    }
    let needsUpdate = false;
    const rev = rs.metadata.annotations?.[REVISION];
    if (rev !== undefined && ann[REVISION] !== rev) {
      ann[REVISION] = rev;
      needsUpdate = true;
    }
    d.status ??= {};
    if (hasProgressDeadline(d) && !getCondition(d.status, "Progressing")) {
      setCondition(d.status, progressingCondition("True", ReasonFoundNewRS, `Found new replica set "${rs.metadata.name}"`, now));
      needsUpdate = true;
    }
    if (needsUpdate) await updateDeploymentStatus(env, d);
    return rs;
  }
  if (!create) return undefined;

  const ns = d.metadata.namespace;
  const template = structuredClone(d.spec.template ?? {});
  const hash = computeHash(template, d.status?.collisionCount);
  template.metadata ??= {};
  template.metadata.labels = { ...(template.metadata.labels ?? {}), [POD_TEMPLATE_HASH]: hash };
  const selector = structuredClone(d.spec.selector ?? {});
  selector.matchLabels = { ...(selector.matchLabels ?? {}), [POD_TEMPLATE_HASH]: hash };
  const rs: KObj = {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: { name: `${d.metadata.name}-${hash}`, namespace: ns, ownerReferences: [controllerRefFor(d, "apps/v1", "Deployment")], labels: { ...template.metadata.labels } },
    spec: { replicas: 0, minReadySeconds: d.spec.minReadySeconds ?? 0, selector, template },
  };
  rs.spec.replicas = newRSNewReplicas(d, [...oldRSs, rs], rs);
  setNewReplicaSetAnnotations(d, rs, newRevision, false);

  let createdRS: KObj;
  let alreadyExists = false;
  try {
    createdRS = await env.client.create(R.replicasets, ns, rs);
  } catch (e) {
    if (isAlreadyExists(e)) {
      alreadyExists = true;
      const cur = env.cachedReplicaSet(ns, rs.metadata.name) ?? (await env.client.getOrNull(R.replicasets, ns, rs.metadata.name));
      if (cur && controllerOf(cur)?.uid === d.metadata.uid && equalIgnoreHash(d.spec.template, cur.spec?.template)) {
        createdRS = cur;
      } else {
        // A different template hashed to the same name: bump collisionCount and try again.
        d.status ??= {};
        d.status.collisionCount = (d.status.collisionCount ?? 0) + 1;
        await updateDeploymentStatus(env, d);
        throw e;
      }
    } else if (e instanceof KubeApiError && e.code === 403) {
      throw e; // namespace terminating
    } else {
      const msg = `Failed to create new replica set "${rs.metadata.name}": ${(e as Error).message}`;
      if (hasProgressDeadline(d)) {
        d.status ??= {};
        setCondition(d.status, progressingCondition("False", ReasonFailedRSCreate, msg, now));
        await updateDeploymentStatus(env, d).catch(() => {});
      }
      env.recorder.event(d, "Warning", ReasonFailedRSCreate, msg);
      throw e;
    }
  }
  if (!alreadyExists && replicasOf(createdRS) > 0) {
    env.recorder.event(d, "Normal", "ScalingReplicaSet", `Scaled up replica set ${createdRS.metadata.name} from 0 to ${replicasOf(createdRS)}`);
  }
  let needsUpdate = false;
  if (ann[REVISION] !== String(newRevision)) {
    ann[REVISION] = String(newRevision);
    needsUpdate = true;
  }
  if (!alreadyExists && hasProgressDeadline(d)) {
    d.status ??= {};
    setCondition(d.status, progressingCondition("True", ReasonNewReplicaSet, `Created new replica set "${createdRS.metadata.name}"`, now));
    needsUpdate = true;
  }
  if (needsUpdate) await updateDeploymentStatus(env, d);
  return createdRS;
}

/** Scale one ReplicaSet, with a ScalingReplicaSet event. Returns the updated object (or the input when unchanged). */
export async function scaleReplicaSet(env: DeploymentEnv, rs: KObj, newScale: number, d: KObj): Promise<{ scaled: boolean; rs: KObj }> {
  const copy = structuredClone(rs);
  const oldScale = replicasOf(rs);
  const sizeChanged = oldScale !== newScale;
  const annotationsChanged = setReplicasAnnotations(copy, replicasOf(d), replicasOf(d) + maxSurge(d));
  if (!sizeChanged && !annotationsChanged) return { scaled: false, rs };
  copy.spec.replicas = newScale;
  const updated = await updateReplicaSet(env, copy);
  if (sizeChanged) {
    env.recorder.event(d, "Normal", "ScalingReplicaSet", `Scaled ${oldScale < newScale ? "up" : "down"} replica set ${rs.metadata.name} from ${oldScale} to ${newScale}`);
  }
  return { scaled: sizeChanged, rs: updated };
}

export async function scaleReplicaSetAndRecordEvent(env: DeploymentEnv, rs: KObj, newScale: number, d: KObj): Promise<{ scaled: boolean; rs: KObj }> {
  if (replicasOf(rs) === newScale) return { scaled: false, rs };
  return scaleReplicaSet(env, rs, newScale, d);
}

/** FindActiveOrLatest: the only active ReplicaSet, or the newest when none is active; undefined when several are. */
function activeOrLatest(newRS: KObj | undefined, oldRSs: KObj[]): KObj | undefined {
  if (!newRS && oldRSs.length === 0) return undefined;
  const olds = [...oldRSs].sort((a, b) => byCreation(b, a));
  const active = filterActive([...olds, newRS]);
  if (active.length === 0) return newRS ?? olds[0];
  if (active.length === 1) return active[0];
  return undefined;
}

/** Proportional scaling on a replica change or while paused (upstream scale()). */
export async function scale(env: DeploymentEnv, d: KObj, newRS: KObj | undefined, oldRSs: KObj[]): Promise<void> {
  const one = activeOrLatest(newRS, oldRSs);
  if (one) {
    if (replicasOf(one) === replicasOf(d)) return;
    await scaleReplicaSetAndRecordEvent(env, one, replicasOf(d), d);
    return;
  }
  if (isSaturated(d, newRS)) {
    for (const old of filterActive(oldRSs)) await scaleReplicaSetAndRecordEvent(env, old, 0, d);
    return;
  }
  if (!isRollingUpdate(d)) return;
  const all = filterActive([...oldRSs, newRS]);
  const allReplicas = specReplicas(all);
  const allowed = replicasOf(d) > 0 ? replicasOf(d) + maxSurge(d) : 0;
  const toAdd = allowed - allReplicas;
  if (toAdd > 0) all.sort(bySizeNewer);
  else if (toAdd < 0) all.sort(bySizeOlder);
  let added = 0;
  const sizes = new Map<string, number>();
  for (const rs of all) {
    if (toAdd !== 0) {
      const p = proportion(rs, d, toAdd, added);
      sizes.set(rs.metadata.name, replicasOf(rs) + p);
      added += p;
    } else sizes.set(rs.metadata.name, replicasOf(rs));
  }
  for (let i = 0; i < all.length; i++) {
    const rs = all[i]!;
    if (i === 0 && toAdd !== 0) {
      const v = sizes.get(rs.metadata.name)! + (toAdd - added);
      sizes.set(rs.metadata.name, Math.max(0, v));
    }
    await scaleReplicaSet(env, rs, sizes.get(rs.metadata.name)!, d);
  }
}

/** Delete old, empty ReplicaSets beyond revisionHistoryLimit (lowest revisions first). */
export async function cleanupDeployment(env: DeploymentEnv, oldRSs: KObj[], d: KObj): Promise<void> {
  if (!hasRevisionHistoryLimit(d)) return;
  const alive = oldRSs.filter((rs) => !rs.metadata.deletionTimestamp);
  const diff = alive.length - d.spec.revisionHistoryLimit;
  if (diff <= 0) return;
  alive.sort(byRevision);
  for (let i = 0; i < diff; i++) {
    const rs = alive[i]!;
    if ((rs.status?.replicas ?? 0) !== 0 || replicasOf(rs) !== 0 || (rs.metadata.generation ?? 0) > (rs.status?.observedGeneration ?? 0)) continue;
    await env.client.deleteIgnoreNotFound(R.replicasets, rs.metadata.namespace, rs.metadata.name, { preconditions: { uid: rs.metadata.uid } });
  }
}

/** calculateStatus: counts from the ReplicaSets plus the Available condition. */
export function calculateStatus(allRSs: KObj[], newRS: KObj | undefined, d: KObj, now: number): KObj {
  const available = statusSum(allRSs, "availableReplicas");
  const total = specReplicas(allRSs);
  const status: KObj = {};
  status.observedGeneration = d.metadata.generation ?? 1;
  setCount(status, "replicas", statusSum(allRSs, "replicas"));
  setCount(status, "updatedReplicas", statusSum([newRS], "replicas"));
  setCount(status, "readyReplicas", statusSum(allRSs, "readyReplicas"));
  setCount(status, "availableReplicas", available);
  setCount(status, "unavailableReplicas", Math.max(0, total - available));
  if (Array.isArray(d.status?.conditions)) status.conditions = structuredClone(d.status.conditions);
  if (d.status?.collisionCount !== undefined) status.collisionCount = d.status.collisionCount;
  const t = nowTime(now);
  if (available >= replicasOf(d) - maxUnavailable(d)) {
    setCondition(status, { type: "Available", status: "True", reason: ReasonMinimumReplicasAvailable, message: "Deployment has minimum availability.", lastUpdateTime: t, lastTransitionTime: t });
  } else {
    setCondition(status, { type: "Available", status: "False", reason: ReasonMinimumReplicasUnavailable, message: "Deployment does not have minimum availability.", lastUpdateTime: t, lastTransitionTime: t });
  }
  return status;
}

export async function syncDeploymentStatus(env: DeploymentEnv, allRSs: KObj[], newRS: KObj | undefined, d: KObj): Promise<void> {
  const status = calculateStatus(allRSs, newRS, d, env.now());
  if (sameStatus(d.status, status)) return;
  d.status = status;
  await updateDeploymentStatus(env, d);
}

/** A replica count change: an active ReplicaSet's desired-replicas annotation differs from spec.replicas. */
export function isScalingEvent(d: KObj, sets: ReplicaSets): boolean {
  for (const rs of filterActive([...sets.oldRSs, sets.newRS])) {
    const desired = desiredReplicasAnnotation(rs);
    if (desired !== undefined && desired !== replicasOf(d)) return true;
  }
  return false;
}

/** Progressing Unknown DeploymentPaused / DeploymentResumed, so time spent paused never counts against the deadline. */
export async function checkPausedConditions(env: DeploymentEnv, d: KObj): Promise<void> {
  if (!hasProgressDeadline(d)) return;
  d.status ??= {};
  const cond = getCondition(d.status, "Progressing");
  if (cond?.reason === ReasonTimedOut) return;
  const pausedCond = cond?.reason === ReasonPaused;
  const now = env.now();
  let changed = false;
  if (d.spec.paused && !pausedCond) changed = setCondition(d.status, progressingCondition("Unknown", ReasonPaused, "Deployment is paused", now));
  else if (!d.spec.paused && pausedCond) changed = setCondition(d.status, progressingCondition("Unknown", ReasonResumed, "Deployment is resumed", now));
  if (changed) await updateDeploymentStatus(env, d);
}

/** Paused or scaling: resize proportionally, clean up, report. */
export async function syncScaling(env: DeploymentEnv, d: KObj, rsList: KObj[]): Promise<void> {
  const sets = await getAllReplicaSetsAndSyncRevision(env, d, rsList, false);
  await scale(env, d, sets.newRS, sets.oldRSs);
  if (d.spec.paused) await cleanupDeployment(env, sets.oldRSs, d);
  const all = sets.newRS ? [...sets.oldRSs, sets.newRS] : sets.oldRSs;
  await syncDeploymentStatus(env, all, sets.newRS, d);
}

/** A Deployment being deleted: report status only. */
export async function syncStatusOnly(env: DeploymentEnv, d: KObj, rsList: KObj[]): Promise<void> {
  const sets = await getAllReplicaSetsAndSyncRevision(env, d, rsList, false);
  const all = sets.newRS ? [...sets.oldRSs, sets.newRS] : sets.oldRSs;
  await syncDeploymentStatus(env, all, sets.newRS, d);
}

