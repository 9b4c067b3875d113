/**
 * @module api/resources/core/pods/update
 * ValidatePodUpdate: a pod's spec is immutable except container images,
 * activeDeadlineSeconds (set or lowered), added tolerations, and
 * terminationGracePeriodSeconds going from negative to 1. Anything else is refused with
 * upstream's Forbidden message followed by a short diff of what changed.
 */
import { field } from "../../../errors.ts";
import type { Obj } from "../../../registry/types.ts";
import { clone, deepEqual } from "../../../registry/objects.ts";
import { asArray, isInt, isObj, type Causes } from "../../common/causes.ts";
import { validateTolerations } from "./validation.ts";

export const POD_UPDATE_MESSAGE =
  "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

const MAX_INT32 = 2147483647;

/** Changed leaf paths between two JSON values, for the Forbidden message. */
export function diffPaths(a: unknown, b: unknown, path = "", out: string[] = [], limit = 20): string[] {
  if (out.length >= limit || deepEqual(a, b)) return out;
  if (isObj(a) && isObj(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) diffPaths(a[k], b[k], path ? `${path}.${k}` : k, out, limit);
    return out;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    a.forEach((v, i) => diffPaths(v, b[i], `${path}[${i}]`, out, limit));
    return out;
  }
  out.push(`  ${path}: ${JSON.stringify(a) ?? "<unset>"} -> ${JSON.stringify(b) ?? "<unset>"}`);
  return out;
}

function onlyAddedTolerations(next: unknown, old: unknown, path: string): Causes {
  const newT = asArray(next);
  for (const o of asArray(old)) {
    const found = newT.some((n) => {
      const oc = { ...o, tolerationSeconds: n?.tolerationSeconds };
      if (oc.tolerationSeconds === undefined) delete oc.tolerationSeconds;
      return deepEqual(oc, n);
    });
    if (!found) return [field.forbidden(path, "existing toleration can not be modified except its tolerationSeconds")];
  }
  return validateTolerations(next, path);
}

export function validatePodUpdate(pod: Obj, old: Obj): Causes {
  const spec = isObj(pod.spec) ? pod.spec : {};
  const oldSpec = isObj(old.spec) ? old.spec : {};
  const out: Causes = [];
  for (const kind of ["containers", "initContainers"]) {
    if (asArray(spec[kind]).length !== asArray(oldSpec[kind]).length) {
      return [field.forbidden(`spec.${kind}`, "pod updates may not add or remove containers")];
    }
  }
  const ads = spec.activeDeadlineSeconds;
  if (ads !== undefined && ads !== null) {
    if (!isInt(ads) || ads < 0 || ads > MAX_INT32) return [field.invalid("spec.activeDeadlineSeconds", ads, `must be between 0 and ${MAX_INT32}, inclusive`)];
    if (isInt(oldSpec.activeDeadlineSeconds) && oldSpec.activeDeadlineSeconds < ads) {
      return [field.invalid("spec.activeDeadlineSeconds", ads, "must be less than or equal to previous value")];
    }
  } else if (oldSpec.activeDeadlineSeconds !== undefined && oldSpec.activeDeadlineSeconds !== null) {
    out.push(field.invalid("spec.activeDeadlineSeconds", null, "must not update from a positive integer to nil value"));
  }
  out.push(...onlyAddedTolerations(spec.tolerations, oldSpec.tolerations, "spec.tolerations"));
  const oldGates = new Set(asArray(oldSpec.schedulingGates).map((g) => g?.name));
  for (const g of asArray(spec.schedulingGates)) {
    if (!oldGates.has(g?.name)) out.push(field.forbidden("spec.schedulingGates", `only deletion is allowed, but found new scheduling gate '${g?.name}'`));
  }

  // Munge the updatable fields to their old values, then compare.
  const munged = clone(spec);
  for (const kind of ["containers", "initContainers"]) {
    asArray(munged[kind]).forEach((c, i) => {
      if (isObj(c)) c.image = asArray(oldSpec[kind])[i]?.image;
    });
  }
  const setOrDelete = (k: string, v: unknown) => {
    if (v === undefined) delete munged[k];
    else munged[k] = clone(v);
  };
  setOrDelete("activeDeadlineSeconds", oldSpec.activeDeadlineSeconds);
  setOrDelete("tolerations", oldSpec.tolerations);
  setOrDelete("schedulingGates", oldSpec.schedulingGates);
  if (isInt(oldSpec.terminationGracePeriodSeconds) && oldSpec.terminationGracePeriodSeconds < 0 && munged.terminationGracePeriodSeconds === 1) {
    munged.terminationGracePeriodSeconds = oldSpec.terminationGracePeriodSeconds;
  }
  // Gated pods may gain nodeSelector entries and lose scheduling gates.
  if (asArray(oldSpec.schedulingGates).length > 0) {
    const oldSel = isObj(oldSpec.nodeSelector) ? oldSpec.nodeSelector : {};
    const newSel = isObj(spec.nodeSelector) ? spec.nodeSelector : {};
    if (Object.entries(oldSel).every(([k, v]) => newSel[k] === v)) setOrDelete("nodeSelector", oldSpec.nodeSelector);
  }
  if (!deepEqual(munged, oldSpec)) {
    const diff = diffPaths(oldSpec, munged);
    out.push(field.forbidden("spec", `${POD_UPDATE_MESSAGE}\n${diff.join("\n")}`));
  }
  return out;
}
