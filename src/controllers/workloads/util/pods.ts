/**
 * @module controllers/workloads/util/pods
 * What workload controllers need to know about pods: active / ready / available (ready
 * for minReadySeconds, from the Ready condition's lastTransitionTime), building a pod from
 * a template with a controller ownerReference, and upstream's order for choosing which
 * pods to delete first when scaling down (ActivePodsWithRanks).
 */
import type { KObj } from "../../../client/client.ts";
import type { OwnerRef } from "./owner-index.ts";

export function podCondition(pod: KObj, type: string): KObj | undefined {
  const cs = pod.status?.conditions;
  return Array.isArray(cs) ? cs.find((c: KObj) => c?.type === type) : undefined;
}

export function isPodReady(pod: KObj): boolean {
  return podCondition(pod, "Ready")?.status === "True";
}

/** Ready, and Ready for at least minReadySeconds (upstream IsPodAvailable). */
export function isPodAvailable(pod: KObj, minReadySeconds: number, now = Date.now()): boolean {
  const c = podCondition(pod, "Ready");
  if (c?.status !== "True") return false;
  if (!minReadySeconds) return true;
  const t = Date.parse(c.lastTransitionTime ?? "");
  return !Number.isNaN(t) && t + minReadySeconds * 1000 < now;
}

/** Milliseconds until a ready pod becomes available, or undefined when it is not ready or already available. */
export function msUntilAvailable(pod: KObj, minReadySeconds: number, now = Date.now()): number | undefined {
  const c = podCondition(pod, "Ready");
  if (c?.status !== "True" || !minReadySeconds) return undefined;
  const t = Date.parse(c.lastTransitionTime ?? "");
  if (Number.isNaN(t)) return undefined;
  const left = t + minReadySeconds * 1000 - now;
  return left >= 0 ? left + 1 : undefined;
}

export function isTerminating(o: KObj): boolean {
  return Boolean(o.metadata?.deletionTimestamp);
}

/** Not finished and not being deleted (upstream IsPodActive). */
export function isPodActive(pod: KObj): boolean {
  const phase = pod.status?.phase;
  return phase !== "Succeeded" && phase !== "Failed" && !isTerminating(pod);
}

export function controllerRefFor(owner: KObj, apiVersion: string, kind: string): OwnerRef {
  return { apiVersion, kind, name: owner.metadata.name, uid: owner.metadata.uid, controller: true, blockOwnerDeletion: true };
}

/** A pod for `template` owned by `ref` (upstream GetPodFromTemplate). */
export function podFromTemplate(template: KObj, namespace: string, ref: OwnerRef, opts: { generateName?: string; name?: string } = {}): KObj {
  const tm = template.metadata ?? {};
  const metadata: KObj = { namespace, ownerReferences: [ref] };
  if (opts.name) metadata.name = opts.name;
  else metadata.generateName = opts.generateName ?? `${ref.name}-`;
  if (tm.labels) metadata.labels = { ...tm.labels };
  if (tm.annotations) metadata.annotations = { ...tm.annotations };
  if (Array.isArray(tm.finalizers) && tm.finalizers.length) metadata.finalizers = [...tm.finalizers];
  return { apiVersion: "v1", kind: "Pod", metadata, spec: structuredClone(template.spec ?? {}) };
}

const PHASE_RANK: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

function deletionCost(pod: KObj): number {
  const v = Number(pod.metadata?.annotations?.["controller.kubernetes.io/pod-deletion-cost"]);
  return Number.isFinite(v) ? v : 0;
}

function restarts(pod: KObj): number {
  let max = 0;
  for (const s of pod.status?.containerStatuses ?? []) max = Math.max(max, s?.restartCount ?? 0);
  return max;
}

function time(s: string | undefined): number | undefined {
  const t = Date.parse(s ?? "");
  return Number.isNaN(t) ? undefined : t;
}

/**
 * Compare for deletion order: negative when `a` should be deleted before `b`.
 * Unassigned < assigned; Pending < Unknown < Running; not ready < ready; lower
 * deletion cost first; more pods of the same owner on its node first (`rank`); ready
 * for a shorter time first; more restarts first; newer first.
 */
export function compareForDeletion(a: KObj, b: KObj, rankA = 0, rankB = 0): number {
  const na = a.spec?.nodeName ? 1 : 0;
  const nb = b.spec?.nodeName ? 1 : 0;
  if (na !== nb) return na - nb;
  const pa = PHASE_RANK[a.status?.phase] ?? 0;
  const pb = PHASE_RANK[b.status?.phase] ?? 0;
  if (pa !== pb) return pa - pb;
  const ra = isPodReady(a) ? 1 : 0;
  const rb = isPodReady(b) ? 1 : 0;
  if (ra !== rb) return ra - rb;
  const ca = deletionCost(a);
  const cb = deletionCost(b);
  if (ca !== cb) return ca - cb;
  if (rankA !== rankB) return rankB - rankA;
  if (ra && rb) {
    const ta = time(podCondition(a, "Ready")?.lastTransitionTime);
    const tb = time(podCondition(b, "Ready")?.lastTransitionTime);
    if (ta !== tb) {
      if (ta === undefined) return -1;
      if (tb === undefined) return 1;
      return tb - ta;
    }
  }
  const xa = restarts(a);
  const xb = restarts(b);
  if (xa !== xb) return xb - xa;
  const ga = time(a.metadata?.creationTimestamp);
  const gb = time(b.metadata?.creationTimestamp);
  if (ga !== gb) {
    if (ga === undefined) return -1;
    if (gb === undefined) return 1;
    return gb - ga;
  }
  return 0;
}

/**
 * The `n` pods to delete first. `related` are active pods of the same owner family (e.g.
 * all ReplicaSets of a Deployment): a pod sharing its node with more of them goes first.
 */
export function podsToDelete(pods: KObj[], n: number, related: KObj[] = pods): KObj[] {
  if (n >= pods.length) return [...pods];
  const perNode = new Map<string, number>();
  for (const p of related) {
    const node = p.spec?.nodeName;
    if (node && isPodActive(p)) perNode.set(node, (perNode.get(node) ?? 0) + 1);
  }
  const rank = (p: KObj) => (p.spec?.nodeName ? (perNode.get(p.spec.nodeName) ?? 0) : 0);
  const ranked = pods.map((p) => ({ p, r: rank(p) }));
  ranked.sort((x, y) => compareForDeletion(x.p, y.p, x.r, y.r));
  return ranked.slice(0, n).map((x) => x.p);
}
