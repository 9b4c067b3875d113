/**
 * @module controllers/workloads/statefulset/identity
 * A StatefulSet pod's stable identity and storage (upstream stateful_set_utils): name
 * `<set>-<ordinal>` (from spec.ordinals.start), labels `statefulset.kubernetes.io/pod-name`
 * and `apps.kubernetes.io/pod-index`, hostname = pod name and subdomain = serviceName
 * (DNS through the headless Service), one PVC per volumeClaimTemplate named
 * `<template>-<pod>` carrying the set's selector labels, mounted as the template's volume.
 */
import type { KObj } from "../../../client/client.ts";
import { CONTROLLER_REVISION_HASH } from "../util/history.ts";
import { controllerRefFor, podFromTemplate } from "../util/pods.ts";

export const POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name";
export const POD_INDEX_LABEL = "apps.kubernetes.io/pod-index";

export function startOrdinal(set: KObj): number {
  return set.spec?.ordinals?.start ?? 0;
}

export function podName(set: KObj, ordinal: number): string {
  return `${set.metadata.name}-${ordinal}`;
}

/** Parent name and ordinal from a pod name (`web-3` → ["web", 3]); ordinal -1 when it has none. */
export function parentAndOrdinal(pod: KObj): [string, number] {
  const m = /^(.*)-([0-9]+)$/.exec(pod.metadata?.name ?? "");
  if (!m) return ["", -1];
  const n = Number(m[2]);
  return Number.isSafeInteger(n) ? [m[1]!, n] : ["", -1];
}

export function ordinalOf(pod: KObj): number {
  return parentAndOrdinal(pod)[1];
}

export function isMemberOf(set: KObj, pod: KObj): boolean {
  return parentAndOrdinal(pod)[0] === set.metadata.name;
}

export function inOrdinalRange(set: KObj, ordinal: number): boolean {
  const start = startOrdinal(set);
  return ordinal >= start && ordinal < start + (set.spec?.replicas ?? 1);
}

export function claimName(templateName: string, pod: string): string {
  return `${templateName}-${pod}`;
}

/** The PVCs a pod of this set uses, by template name. */
export function claimsFor(set: KObj, podNameStr: string): Map<string, KObj> {
  const out = new Map<string, KObj>();
  const selectorLabels = set.spec?.selector?.matchLabels ?? {};
  for (const t of set.spec?.volumeClaimTemplates ?? []) {
    const c = structuredClone(t);
    delete c.status;
    c.apiVersion = "v1";
    c.kind = "PersistentVolumeClaim";
    c.metadata = { ...(c.metadata ?? {}), name: claimName(t.metadata.name, podNameStr), namespace: set.metadata.namespace, labels: { ...(c.metadata?.labels ?? {}), ...selectorLabels } };
    out.set(t.metadata.name, c);
  }
  return out;
}

export function updateIdentity(set: KObj, pod: KObj, ordinal: number) {
  pod.metadata.name = podName(set, ordinal);
  pod.metadata.namespace = set.metadata.namespace;
  pod.metadata.labels = { ...(pod.metadata.labels ?? {}), [POD_NAME_LABEL]: pod.metadata.name, [POD_INDEX_LABEL]: String(ordinal) };
}

/** Mount each claim as the volume named after its template (replacing a same-named volume). */
export function updateStorage(set: KObj, pod: KObj) {
  const claims = claimsFor(set, pod.metadata.name);
  if (claims.size === 0) return;
  const volumes: KObj[] = (pod.spec.volumes ?? []).filter((v: KObj) => !claims.has(v.name));
  for (const [name, c] of claims) volumes.push({ name, persistentVolumeClaim: { claimName: c.metadata.name } });
  pod.spec.volumes = volumes;
}

export function identityMatches(set: KObj, pod: KObj): boolean {
  const [parent, ordinal] = parentAndOrdinal(pod);
  return ordinal >= 0 && parent === set.metadata.name && pod.metadata.name === podName(set, ordinal) && pod.metadata.namespace === set.metadata.namespace && pod.metadata.labels?.[POD_NAME_LABEL] === pod.metadata.name && pod.metadata.labels?.[POD_INDEX_LABEL] === String(ordinal);
}

export function storageMatches(set: KObj, pod: KObj): boolean {
  const volumes = new Map<string, KObj>((pod.spec?.volumes ?? []).map((v: KObj) => [v.name, v]));
  for (const [name, c] of claimsFor(set, pod.metadata.name)) {
    if (volumes.get(name)?.persistentVolumeClaim?.claimName !== c.metadata.name) return false;
  }
  return true;
}

/** newStatefulSetPod: the template plus identity, DNS names and storage. */
export function newStatefulSetPod(set: KObj, ordinal: number, revisionName: string): KObj {
  const pod = podFromTemplate(set.spec.template, set.metadata.namespace, controllerRefFor(set, "apps/v1", "StatefulSet"), { name: podName(set, ordinal) });
  updateIdentity(set, pod, ordinal);
  pod.metadata.labels[CONTROLLER_REVISION_HASH] = revisionName;
  pod.spec.hostname = pod.metadata.name;
  if (set.spec.serviceName) pod.spec.subdomain = set.spec.serviceName;
  updateStorage(set, pod);
  return pod;
}

export function podRevision(pod: KObj): string | undefined {
  return pod.metadata?.labels?.[CONTROLLER_REVISION_HASH];
}
