/**
 * @module scheduler/default-selector
 * helper.DefaultSelector: the label selector that says which pods are "replicas of the
 * same thing" for the system-default spreading — the selectors of the Services that select
 * the pod, merged, plus the selector of its controlling ReplicaSet or StatefulSet.
 */
import type { KObj } from "../client/client.ts";
import { fromLabelSelector, LabelSelector, selectorFromSet } from "./matchers.ts";
import type { PodInfo } from "./pod-info.ts";
import { LabelSelectorError, type LabelRequirement } from "../api/selectors/labels.ts";

export interface SelectorSources {
  /** Services in the pod's namespace. */
  services(namespace: string): Iterable<KObj>;
  /** The controlling object, if it is a ReplicaSet or StatefulSet (apps/v1) that exists. */
  controller(kind: "ReplicaSet" | "StatefulSet", namespace: string, name: string): KObj | undefined;
}

/** null when nothing selects the pod (no default spreading then). */
export function defaultSelector(pod: PodInfo, src: SelectorSources): LabelSelector | null {
  const merged: Record<string, string> = {};
  let any = false;
  for (const svc of src.services(pod.namespace)) {
    const sel = svc.spec?.selector;
    if (!sel || typeof sel !== "object" || Object.keys(sel).length === 0) continue;
    if (!selectorFromSet(sel).matches(pod.labels)) continue;
    Object.assign(merged, sel);
    any = true;
  }
  let reqs: LabelRequirement[] = any ? [...selectorFromSet(merged).requirements] : [];
  const owner = pod.controller;
  if (owner && owner.apiVersion === "apps/v1" && (owner.kind === "ReplicaSet" || owner.kind === "StatefulSet")) {
    const obj = src.controller(owner.kind, pod.namespace, owner.name);
    if (obj) {
      try {
        const s = fromLabelSelector(obj.spec?.selector ?? null);
        if (!s.nothing) reqs = [...reqs, ...s.requirements];
      } catch (e) {
        if (!(e instanceof LabelSelectorError)) throw e;
      }
    }
  }
  // Sorted by key like labels.Selector.Add, so equal selectors print (and count) the same.
  return reqs.length ? new LabelSelector(reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) : null;
}
