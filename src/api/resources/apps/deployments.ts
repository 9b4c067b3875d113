/**
 * @module api/resources/apps/deployments
 * Deployments and ReplicaSets: defaults (replicas 1, RollingUpdate 25%/25%,
 * revisionHistoryLimit 10, progressDeadlineSeconds 600, pod template defaults), status
 * reset on create, selector/template validation, strategy checks, selector immutability,
 * the scale subresource and their tables.
 */
import { field } from "../../errors.ts";
import type { Obj, ResourceDef } from "../../registry/types.ts";
import { intOrPercent, isInt, isObj, nonNegative, type Causes } from "../common/causes.ts";
import { ageCell, ageCol, col, containerCells, containersCol, imagesCol, nameCol } from "../common/columns.ts";
import { formatLabelSelector, selectorString } from "../common/label-selector.ts";
import { defaultTemplateOf, requireAlwaysRestart, selectorImmutable, specOf, validateSelectorAndTemplate } from "./common.ts";

export function defaultDeployment(d: Obj) {
  const spec = specOf(d);
  if (spec.replicas === undefined || spec.replicas === null) spec.replicas = 1;
  const strategy = isObj(spec.strategy) ? spec.strategy : (spec.strategy = {});
  if (!strategy.type) strategy.type = "RollingUpdate";
  if (strategy.type === "RollingUpdate") {
    const ru = isObj(strategy.rollingUpdate) ? strategy.rollingUpdate : (strategy.rollingUpdate = {});
    if (ru.maxUnavailable === undefined || ru.maxUnavailable === null) ru.maxUnavailable = "25%";
    if (ru.maxSurge === undefined || ru.maxSurge === null) ru.maxSurge = "25%";
  }
  if (spec.revisionHistoryLimit === undefined || spec.revisionHistoryLimit === null) spec.revisionHistoryLimit = 10;
  if (spec.progressDeadlineSeconds === undefined || spec.progressDeadlineSeconds === null) spec.progressDeadlineSeconds = 600;
  defaultTemplateOf(d);
}

export function validateRollingUpdate(ru: Obj, path: string): Causes {
  const out: Causes = [...intOrPercent(ru.maxUnavailable, `${path}.maxUnavailable`), ...intOrPercent(ru.maxSurge, `${path}.maxSurge`)];
  if (intOrPercentValue(ru.maxUnavailable) === 0 && intOrPercentValue(ru.maxSurge) === 0) {
    out.push(field.invalid(`${path}.maxUnavailable`, ru.maxUnavailable ?? 0, "may not be 0 when `maxSurge` is 0"));
  }
  return out;
}

/** getIntOrPercentValue: 5 → 5, "25%" → 25 (unset counts as 0). */
export function intOrPercentValue(v: unknown): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === "number") return v;
  if (typeof v === "string" && v.endsWith("%")) return Number(v.slice(0, -1));
  return Number.NaN;
}

export function validateDeployment(d: Obj): Causes {
  const spec = specOf(d);
  const out: Causes = [];
  out.push(...nonNegative(spec.replicas, "spec.replicas"));
  out.push(...validateSelectorAndTemplate(spec, "deployment"));
  out.push(...requireAlwaysRestart(spec, "activeDeadlineSeconds in ReplicaSet is not Supported"));
  const strategy = isObj(spec.strategy) ? spec.strategy : {};
  if (strategy.type === "Recreate") {
    if (strategy.rollingUpdate !== undefined && strategy.rollingUpdate !== null) out.push(field.forbidden("spec.strategy.rollingUpdate", "may not be specified when strategy `type` is 'Recreate'"));
  } else if (strategy.type === "RollingUpdate") {
    if (!isObj(strategy.rollingUpdate)) out.push(field.required("spec.strategy.rollingUpdate", "this should be defaulted and never be nil"));
    else out.push(...validateRollingUpdate(strategy.rollingUpdate, "spec.strategy.rollingUpdate"));
  } else out.push(field.notSupported("spec.strategy", strategy, ["Recreate", "RollingUpdate"]));
  out.push(...nonNegative(spec.minReadySeconds, "spec.minReadySeconds"));
  out.push(...nonNegative(spec.revisionHistoryLimit, "spec.revisionHistoryLimit"));
  if (spec.progressDeadlineSeconds !== undefined && spec.progressDeadlineSeconds !== null) {
    out.push(...nonNegative(spec.progressDeadlineSeconds, "spec.progressDeadlineSeconds"));
    if (isInt(spec.progressDeadlineSeconds) && spec.progressDeadlineSeconds <= (spec.minReadySeconds ?? 0)) {
      out.push(field.invalid("spec.progressDeadlineSeconds", spec.progressDeadlineSeconds, "must be greater than minReadySeconds"));
    }
  }
  return out;
}

export function deploymentDef(): ResourceDef {
  return {
    group: "apps",
    version: "v1",
    kind: "Deployment",
    plural: "deployments",
    singular: "deployment",
    shortNames: ["deploy"],
    categories: ["all"],
    namespaced: true,
    statusSubresource: true,
    statusWritesMetadata: ["annotations"],
    generation: true,
    generationIncludesAnnotations: true,
    scale: { specReplicasPath: "spec.replicas", statusReplicasPath: "status.replicas", selector: (o: Obj) => (o.spec?.selector ? selectorString(o.spec.selector) : undefined) },
    defaults: defaultDeployment,
    prepareForCreate(d: Obj) {
      d.status = {};
    },
    validate: validateDeployment,
    validateUpdate: selectorImmutable,
    columns: [
      nameCol,
      col("Ready", "string", "Number of the pod with ready state"),
      col("Up-to-date", "string", "Total number of non-terminated pods targeted by this deployment that have the desired template spec."),
      col("Available", "string", "Total number of available non-terminating pods (ready for at least minReadySeconds) targeted by this deployment."),
      ageCol,
      containersCol,
      imagesCol,
      col("Selector", "string", "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment. It must match the pod template's labels.", 1),
    ],
    cells(d: Obj, now: number) {
      const st = isObj(d.status) ? d.status : {};
      const [names, images] = containerCells(d.spec?.template?.spec?.containers);
      return [d.metadata?.name, `${st.readyReplicas ?? 0}/${d.spec?.replicas ?? 0}`, st.updatedReplicas ?? 0, st.availableReplicas ?? 0, ageCell(d, now), names, images, selectorString(d.spec?.selector)];
    },
  };
}

export function replicaSetDef(): ResourceDef {
  return {
    group: "apps",
    version: "v1",
    kind: "ReplicaSet",
    plural: "replicasets",
    singular: "replicaset",
    shortNames: ["rs"],
    categories: ["all"],
    namespaced: true,
    statusSubresource: true,
    generation: true,
    scale: { specReplicasPath: "spec.replicas", statusReplicasPath: "status.replicas", selector: (o: Obj) => (o.spec?.selector ? selectorString(o.spec.selector) : undefined) },
    defaults(rs: Obj) {
      const spec = specOf(rs);
      if (spec.replicas === undefined || spec.replicas === null) spec.replicas = 1;
      defaultTemplateOf(rs);
    },
    prepareForCreate(rs: Obj) {
      rs.status = { replicas: 0 };
    },
    validate(rs: Obj) {
      const spec = specOf(rs);
      return [
        ...nonNegative(spec.replicas, "spec.replicas"),
        ...nonNegative(spec.minReadySeconds, "spec.minReadySeconds"),
        ...validateSelectorAndTemplate(spec, "deployment"),
        ...requireAlwaysRestart(spec, "activeDeadlineSeconds in ReplicaSet is not Supported"),
      ];
    },
    validateUpdate: selectorImmutable,
    columns: [
      nameCol,
      col("Desired", "integer", "Replicas is the number of desired pods. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicaset"),
      col("Current", "integer", "Replicas is the most recently observed number of non-terminating pods. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicaset"),
      col("Ready", "integer", "The number of non-terminating pods targeted by this ReplicaSet with a Ready Condition."),
      ageCol,
      containersCol,
      imagesCol,
      col("Selector", "string", "Selector is a label query over pods that should match the replica count. Label keys and values that must match in order to be controlled by this replica set. It must match the pod template's labels. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors", 1),
    ],
    cells(rs: Obj, now: number) {
      const st = isObj(rs.status) ? rs.status : {};
      const [names, images] = containerCells(rs.spec?.template?.spec?.containers);
      return [rs.metadata?.name, rs.spec?.replicas ?? 0, st.replicas ?? 0, st.readyReplicas ?? 0, ageCell(rs, now), names, images, formatLabelSelector(rs.spec?.selector)];
    },
    selectableFields: (rs: Obj) => ({ "status.replicas": String(rs.status?.replicas ?? 0) }),
  };
}
