/**
 * @module api/resources/apps/common
 * What the apps/v1 workload kinds share: the selector/template contract (selector
 * required, non-empty, matching the template labels, immutable), pod template defaults
 * and validation with restartPolicy Always, and the Containers/Images table cells.
 */
import { field } from "../../errors.ts";
import type { Obj } from "../../registry/types.ts";
import { isObj, nonNegative, type Causes } from "../common/causes.ts";
import { isEmptySelector, selectorMatches, validateLabelSelector } from "../common/label-selector.ts";
import { validatePodTemplate } from "../core/pods/validation.ts";
import { defaultPodTemplate } from "../core/pods/defaults.ts";
import { deepEqual } from "../../registry/objects.ts";

export function specOf(o: Obj): Obj {
  return isObj(o.spec) ? o.spec : (o.spec = {});
}

/** Selector + template checks of ValidateReplicaSetSpec / ValidateDeploymentSpec / DaemonSet / StatefulSet. */
export function validateSelectorAndTemplate(spec: Obj, kindWord: string): Causes {
  const out: Causes = [];
  const sel = spec.selector;
  if (sel === undefined || sel === null) out.push(field.required("spec.selector", ""));
  else {
    out.push(...validateLabelSelector(sel, "spec.selector"));
    if (isEmptySelector(sel)) out.push(field.invalid("spec.selector", sel, `empty selector is invalid for ${kindWord}`));
  }
  const template = spec.template;
  if (!isObj(template)) {
    out.push(field.required("spec.template", ""));
    return out;
  }
  const labels = isObj(template.metadata?.labels) ? template.metadata.labels : {};
  if (isObj(sel) && !isEmptySelector(sel) && !selectorMatches(sel, labels)) {
    out.push(field.invalid("spec.template.metadata.labels", labels, "`selector` does not match template `labels`"));
  }
  out.push(...validatePodTemplate(template, "spec.template"));
  return out;
}

/** Template restartPolicy must be Always (the pod-level enum error was already reported otherwise). */
export function requireAlwaysRestart(spec: Obj, activeDeadlineMessage: string | undefined, useInvalidForDeadline = false): Causes {
  const tspec = isObj(spec.template?.spec) ? spec.template.spec : {};
  const out: Causes = [];
  if (["OnFailure", "Never"].includes(tspec.restartPolicy)) out.push(field.notSupported("spec.template.spec.restartPolicy", tspec.restartPolicy, ["Always"]));
  if (tspec.activeDeadlineSeconds !== undefined && tspec.activeDeadlineSeconds !== null && activeDeadlineMessage) {
    out.push(
      useInvalidForDeadline
        ? field.invalid("spec.template.spec.activeDeadlineSeconds", tspec.activeDeadlineSeconds, activeDeadlineMessage)
        : field.forbidden("spec.template.spec.activeDeadlineSeconds", activeDeadlineMessage),
    );
  }
  return out;
}

export function selectorImmutable(o: Obj, old: Obj): Causes {
  const a = old.spec?.selector;
  const b = o.spec?.selector;
  return deepEqual(a, b) ? [] : [field.invalid("spec.selector", b ?? null, "field is immutable")];
}

export function defaultTemplateOf(o: Obj) {
  defaultPodTemplate(specOf(o).template);
}

export { nonNegative };
