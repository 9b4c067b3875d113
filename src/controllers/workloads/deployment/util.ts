/**
 * @module controllers/workloads/deployment/util
 * Pure helpers of the Deployment controller, after upstream's deployment/util: revision
 * annotations, the pod-template-hash label, finding the new and old ReplicaSets,
 * surge/unavailable arithmetic, proportional scaling, orderings, and the status
 * predicates (complete, progressing, timed out) behind the Progressing condition.
 */
import type { KObj } from "../../../client/client.ts";
import { normalize } from "../util/hash.ts";
import { resolveFenceposts } from "../util/int-or-percent.ts";
import { getCondition } from "../util/conditions.ts";
import { deepEqual } from "../../../api/registry/objects.ts";

export const POD_TEMPLATE_HASH = "pod-template-hash";
export const REVISION = "deployment.kubernetes.io/revision";
export const REVISION_HISTORY = "deployment.kubernetes.io/revision-history";
export const DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas";
export const MAX_REPLICAS = "deployment.kubernetes.io/max-replicas";
export const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";
export const ROLLBACK_TO = "deprecated.deployment.rollback.to";
/** Longest revision-history annotation kept (upstream --deployment-controller-max-rev-history-length... default 2000). */
export const MAX_REV_HISTORY_CHARS = 2000;

// Condition reasons (Kubernetes' own; kubectl reads them).
export const ReasonReplicaSetUpdated = "ReplicaSetUpdated";
export const ReasonFailedRSCreate = "ReplicaSetCreateError";
export const ReasonNewReplicaSet = "NewReplicaSetCreated";
export const ReasonFoundNewRS = "FoundNewReplicaSet";
export const ReasonNewRSAvailable = "NewReplicaSetAvailable";
export const ReasonTimedOut = "ProgressDeadlineExceeded";
export const ReasonPaused = "DeploymentPaused";
export const ReasonResumed = "DeploymentResumed";
export const ReasonMinimumReplicasAvailable = "MinimumReplicasAvailable";
export const ReasonMinimumReplicasUnavailable = "MinimumReplicasUnavailable";

const SKIP_ANNOTATIONS = new Set([LAST_APPLIED, REVISION, REVISION_HISTORY, DESIRED_REPLICAS, MAX_REPLICAS, ROLLBACK_TO]);

export function replicasOf(o: KObj | undefined | null): number {
  return o?.spec?.replicas ?? 0;
}

export function revisionOf(o: KObj | undefined): number {
  const v = o?.metadata?.annotations?.[REVISION];
  if (v === undefined) return 0;
  const n = Number(v);
  return Number.isInteger(n) ? n : 0;
}

export function maxRevision(rss: KObj[]): number {
  let max = 0;
  for (const rs of rss) max = Math.max(max, revisionOf(rs));
  return max;
}

export function isRollingUpdate(d: KObj): boolean {
  return d.spec?.strategy?.type !== "Recreate";
}

export function maxSurge(d: KObj): number {
  if (!isRollingUpdate(d)) return 0;
  const ru = d.spec?.strategy?.rollingUpdate ?? {};
  return resolveFenceposts(ru.maxSurge, ru.maxUnavailable, replicasOf(d)).surge;
}

export function maxUnavailable(d: KObj): number {
  const replicas = replicasOf(d);
  if (!isRollingUpdate(d) || replicas === 0) return 0;
  const ru = d.spec?.strategy?.rollingUpdate ?? {};
  const { unavailable } = resolveFenceposts(ru.maxSurge, ru.maxUnavailable, replicas);
  return Math.min(unavailable, replicas);
}

/** The template without the pod-template-hash label, in normal form. */
function templateSansHash(t: KObj | undefined): unknown {
  const c = structuredClone(t ?? {});
  if (c.metadata?.labels) delete c.metadata.labels[POD_TEMPLATE_HASH];
  return normalize(c);
}

/** EqualIgnoreHash: templates equal apart from the pod-template-hash label. */
export function equalIgnoreHash(a: KObj | undefined, b: KObj | undefined): boolean {
  return deepEqual(templateSansHash(a), templateSansHash(b));
}

function created(o: KObj): number {
  const t = Date.parse(o.metadata?.creationTimestamp ?? "");
  return Number.isNaN(t) ? 0 : t;
}

/** ReplicaSetsByCreationTimestamp (oldest first, then by name). */
export function byCreation(a: KObj, b: KObj): number {
  return created(a) - created(b) || String(a.metadata.name).localeCompare(String(b.metadata.name));
}

/** ReplicaSetsByRevision (lowest first, ties by creation). */
export function byRevision(a: KObj, b: KObj): number {
  return revisionOf(a) - revisionOf(b) || byCreation(a, b);
}

/** ReplicaSetsBySizeOlder: larger first, then older. */
export function bySizeOlder(a: KObj, b: KObj): number {
  return replicasOf(b) - replicasOf(a) || byCreation(a, b);
}

/** ReplicaSetsBySizeNewer: larger first, then newer. */
export function bySizeNewer(a: KObj, b: KObj): number {
  return replicasOf(b) - replicasOf(a) || byCreation(b, a);
}

/** The oldest ReplicaSet whose template equals the Deployment's (ignoring the hash label). */
export function findNewReplicaSet(d: KObj, rss: KObj[]): KObj | undefined {
  return [...rss].sort(byCreation).find((rs) => equalIgnoreHash(rs.spec?.template, d.spec?.template));
}

export function filterActive(rss: (KObj | undefined)[]): KObj[] {
  return rss.filter((rs): rs is KObj => Boolean(rs) && replicasOf(rs) > 0);
}

/** Sum of spec.replicas. */
export function specReplicas(rss: (KObj | undefined)[]): number {
  let n = 0;
  for (const rs of rss) if (rs) n += replicasOf(rs);
  return n;
}

export function statusSum(rss: (KObj | undefined)[], field: "replicas" | "readyReplicas" | "availableReplicas"): number {
  let n = 0;
  for (const rs of rss) if (rs) n += rs.status?.[field] ?? 0;
  return n;
}

/** Copy the Deployment's annotations (but not the skip list) onto the ReplicaSet. Returns true when changed. */
export function copyDeploymentAnnotations(d: KObj, rs: KObj): boolean {
  const ann = (rs.metadata.annotations ??= {});
  let changed = false;
  for (const [k, v] of Object.entries<string>(d.metadata?.annotations ?? {})) {
    if (SKIP_ANNOTATIONS.has(k) || ann[k] === v) continue;
    ann[k] = v;
    changed = true;
  }
  return changed;
}

/** desired-replicas and max-replicas annotations. Returns true when changed. */
export function setReplicasAnnotations(rs: KObj, desired: number, max: number): boolean {
  const ann = (rs.metadata.annotations ??= {});
  let changed = false;
  if (ann[DESIRED_REPLICAS] !== String(desired)) {
    ann[DESIRED_REPLICAS] = String(desired);
    changed = true;
  }
  if (ann[MAX_REPLICAS] !== String(max)) {
    ann[MAX_REPLICAS] = String(max);
    changed = true;
  }
  return changed;
}

/** SetNewReplicaSetAnnotations: copy annotations, raise the revision (keeping the old one in revision-history). */
export function setNewReplicaSetAnnotations(d: KObj, rs: KObj, newRevision: number, exists: boolean): boolean {
  let changed = copyDeploymentAnnotations(d, rs);
  const ann = (rs.metadata.annotations ??= {});
  const oldRaw: string | undefined = ann[REVISION];
  const old = oldRaw === undefined ? 0 : Number(oldRaw);
  if (oldRaw !== undefined && !Number.isInteger(old)) return changed;
  if (old < newRevision) {
    ann[REVISION] = String(newRevision);
    changed = true;
    if (oldRaw !== undefined) {
      const hist = ann[REVISION_HISTORY] ? `${ann[REVISION_HISTORY]},${oldRaw}` : oldRaw;
      let parts = hist.split(",");
      while (parts.join(",").length > MAX_REV_HISTORY_CHARS && parts.length > 1) parts = parts.slice(1);
      ann[REVISION_HISTORY] = parts.join(",");
    }
  }
  if (!exists && setReplicasAnnotations(rs, replicasOf(d), replicasOf(d) + maxSurge(d))) changed = true;
  return changed;
}

/** Annotations to give a Deployment when rolling back to `rs` (kept for completeness; kubectl does this client-side). */
export function annotationsFromReplicaSet(d: KObj, rs: KObj): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries<string>(d.metadata?.annotations ?? {})) if (SKIP_ANNOTATIONS.has(k)) out[k] = v;
  for (const [k, v] of Object.entries<string>(rs.metadata?.annotations ?? {})) if (!SKIP_ANNOTATIONS.has(k)) out[k] = v;
  return out;
}

export function desiredReplicasAnnotation(rs: KObj): number | undefined {
  const v = rs.metadata?.annotations?.[DESIRED_REPLICAS];
  const n = Number(v);
  return v !== undefined && Number.isInteger(n) ? n : undefined;
}

function maxReplicasAnnotation(rs: KObj): number | undefined {
  const v = rs.metadata?.annotations?.[MAX_REPLICAS];
  const n = Number(v);
  return v !== undefined && Number.isInteger(n) ? n : undefined;
}

/** IsSaturated: the new RS runs exactly the Deployment's replicas, all available. */
export function isSaturated(d: KObj, rs: KObj | undefined): boolean {
  if (!rs) return false;
  return desiredReplicasAnnotation(rs) === replicasOf(d) && (rs.status?.availableReplicas ?? 0) === replicasOf(d) && replicasOf(rs) === replicasOf(d);
}

/** GetProportion: this ReplicaSet's share of a scaling event. */
export function proportion(rs: KObj, d: KObj, toAdd: number, added: number): number {
  if (replicasOf(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const fraction = replicaSetFraction(rs, d);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

function replicaSetFraction(rs: KObj, d: KObj): number {
  if (replicasOf(d) === 0) return -replicasOf(rs);
  const deploymentReplicas = replicasOf(d) + maxSurge(d);
  const annotated = maxReplicasAnnotation(rs) ?? d.status?.replicas ?? 0;
  if (annotated === 0) return 0;
  // Go's math.Round rounds half away from zero.
  const size = (replicasOf(rs) * deploymentReplicas) / annotated;
  return Math.sign(size) * Math.round(Math.abs(size)) - replicasOf(rs);
}

/** NewRSNewReplicas: how big the new ReplicaSet may be now. */
export function newRSNewReplicas(d: KObj, allRSs: KObj[], newRS: KObj): number {
  if (!isRollingUpdate(d)) return replicasOf(d);
  const surge = maxSurge(d);
  const current = specReplicas(allRSs);
  const maxTotal = replicasOf(d) + surge;
  if (current >= maxTotal) return replicasOf(newRS);
  const up = Math.min(maxTotal - current, replicasOf(d) - replicasOf(newRS));
  return replicasOf(newRS) + up;
}

export function hasProgressDeadline(d: KObj): boolean {
  const p = d.spec?.progressDeadlineSeconds;
  return p !== undefined && p !== null && p !== 2147483647;
}

export function hasRevisionHistoryLimit(d: KObj): boolean {
  const l = d.spec?.revisionHistoryLimit;
  return l !== undefined && l !== null && l !== 2147483647;
}

export function deploymentComplete(d: KObj, st: KObj): boolean {
  const r = replicasOf(d);
  return (st.updatedReplicas ?? 0) === r && (st.replicas ?? 0) === r && (st.availableReplicas ?? 0) === r && (st.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0);
}

/** Some progress since the stored status: more updated, ready or available pods, or fewer old ones. */
export function deploymentProgressing(d: KObj, st: KObj): boolean {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (st.replicas ?? 0) - (st.updatedReplicas ?? 0);
  return (st.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) || newOld < oldOld || (st.readyReplicas ?? 0) > (old.readyReplicas ?? 0) || (st.availableReplicas ?? 0) > (old.availableReplicas ?? 0);
}

export function deploymentTimedOut(d: KObj, st: KObj, now: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const c = getCondition(st, "Progressing");
  if (!c) return false;
  if (c.reason === ReasonNewRSAvailable) return false;
  if (c.reason === ReasonTimedOut) return true;
  const from = Date.parse(c.lastUpdateTime ?? "");
  if (Number.isNaN(from)) return false;
  return from + d.spec.progressDeadlineSeconds * 1000 < now;
}
