/**
 * @module api/resources/apps/daemonsets
 * DaemonSets, StatefulSets and ControllerRevisions: defaults (update strategies,
 * revisionHistoryLimit, StatefulSet podManagementPolicy / PVC retention /
 * volumeClaimTemplates), validation including StatefulSet's limited updatable fields,
 * and their tables.
 */
import { field } from "../../errors.ts";
import type { Obj, ResourceDef } from "../../registry/types.ts";
import { deepEqual } from "../../registry/objects.ts";
import { asArray, enumValue, idx, intOrPercent, isObj, nonNegative, type Causes } from "../common/causes.ts";
import { ageCell, ageCol, col, containerCells, containersCol, imagesCol, nameCol, CREATED_DESC } from "../common/columns.ts";
import { formatLabelSelector, formatLabels, selectorString } from "../common/label-selector.ts";
import { canonicalizeResourceList } from "../common/resource-list.ts";
import { defaultTemplateOf, requireAlwaysRestart, selectorImmutable, specOf, validateSelectorAndTemplate } from "./common.ts";
import { intOrPercentValue } from "./deployments.ts";
import { validatePVC } from "../core/volumes.ts";
import { isDNS1123Subdomain } from "../../validation/meta.ts";

export function daemonSetDef(): ResourceDef {
  return {
    group: "apps",
    version: "v1",
    kind: "DaemonSet",
    plural: "daemonsets",
    singular: "daemonset",
    shortNames: ["ds"],
    categories: ["all"],
    namespaced: true,
    statusSubresource: true,
    generation: true,
    defaults(ds: Obj) {
      const spec = specOf(ds);
      const us = isObj(spec.updateStrategy) ? spec.updateStrategy : (spec.updateStrategy = {});
      if (!us.type) us.type = "RollingUpdate";
      if (us.type === "RollingUpdate") {
        const ru = isObj(us.rollingUpdate) ? us.rollingUpdate : (us.rollingUpdate = {});
        if (ru.maxUnavailable === undefined || ru.maxUnavailable === null) ru.maxUnavailable = 1;
        if (ru.maxSurge === undefined || ru.maxSurge === null) ru.maxSurge = 0;
      }
      if (spec.revisionHistoryLimit === undefined || spec.revisionHistoryLimit === null) spec.revisionHistoryLimit = 10;
      defaultTemplateOf(ds);
    },
    prepareForCreate(ds: Obj) {
      ds.status = { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 };
    },
    validate(ds: Obj) {
      const spec = specOf(ds);
      const out: Causes = [...validateSelectorAndTemplate(spec, "daemonset")];
      out.push(...requireAlwaysRestart(spec, "activeDeadlineSeconds must be nil for DaemonSets", true));
      out.push(...nonNegative(spec.minReadySeconds, "spec.minReadySeconds"), ...nonNegative(spec.revisionHistoryLimit, "spec.revisionHistoryLimit"));
      const us = isObj(spec.updateStrategy) ? spec.updateStrategy : {};
      out.push(...enumValue(us.type, "spec.updateStrategy.type", ["OnDelete", "RollingUpdate"]));
      if (us.type === "RollingUpdate" && isObj(us.rollingUpdate)) {
        const ru = us.rollingUpdate;
        const p = "spec.updateStrategy.rollingUpdate";
        out.push(...intOrPercent(ru.maxUnavailable, `${p}.maxUnavailable`), ...intOrPercent(ru.maxSurge, `${p}.maxSurge`));
        if (intOrPercentValue(ru.maxUnavailable) === 0 && intOrPercentValue(ru.maxSurge) === 0) {
          out.push(field.invalid(`${p}.maxUnavailable`, ru.maxUnavailable ?? 0, "may not be 0 when `maxSurge` is 0"));
        }
      }
      return out;
    },
    validateUpdate: selectorImmutable,
    columns: [
      nameCol,
      col("Desired", "integer", "The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod). More info: https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/"),
      col("Current", "integer", "The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod. More info: https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/"),
      col("Ready", "integer", "numberReady is the number of nodes that should be running the daemon pod and have one or more of the daemon pod running with a Ready Condition."),
      col("Up-to-date", "integer", "The total number of nodes that are running updated daemon pod"),
      col("Available", "integer", "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)"),
      col("Node Selector", "string", "NodeSelector is a selector which must be true for the pod to fit on a node. Selector which must match a node's labels for the pod to be scheduled on that node. More info: https://kubernetes.io/docs/concepts/configuration/assign-pod-node/"),
      ageCol,
      containersCol,
      imagesCol,
      col("Selector", "string", "A label query over pods that are managed by the daemon set. Must match in order to be controlled. It must match the pod template's labels. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors", 1),
    ],
    cells(ds: Obj, now: number) {
      const st = isObj(ds.status) ? ds.status : {};
      const [names, images] = containerCells(ds.spec?.template?.spec?.containers);
      return [ds.metadata?.name, st.desiredNumberScheduled ?? 0, st.currentNumberScheduled ?? 0, st.numberReady ?? 0, st.updatedNumberScheduled ?? 0, st.numberAvailable ?? 0, formatLabels(ds.spec?.template?.spec?.nodeSelector), ageCell(ds, now), names, images, formatLabelSelector(ds.spec?.selector)];
    },
  };
}

export const STATEFULSET_UPDATE_MESSAGE =
  "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden";

export function defaultStatefulSet(sts: Obj) {
  const spec = specOf(sts);
  if (!spec.podManagementPolicy) spec.podManagementPolicy = "OrderedReady";
  const us = isObj(spec.updateStrategy) ? spec.updateStrategy : (spec.updateStrategy = {});
  if (!us.type) {
    us.type = "RollingUpdate";
    if (!isObj(us.rollingUpdate)) us.rollingUpdate = {};
  }
  if (us.type === "RollingUpdate" && isObj(us.rollingUpdate) && (us.rollingUpdate.partition === undefined || us.rollingUpdate.partition === null)) us.rollingUpdate.partition = 0;
  const ret = isObj(spec.persistentVolumeClaimRetentionPolicy) ? spec.persistentVolumeClaimRetentionPolicy : (spec.persistentVolumeClaimRetentionPolicy = {});
  if (!ret.whenDeleted) ret.whenDeleted = "Retain";
  if (!ret.whenScaled) ret.whenScaled = "Retain";
  if (spec.replicas === undefined || spec.replicas === null) spec.replicas = 1;
  if (spec.revisionHistoryLimit === undefined || spec.revisionHistoryLimit === null) spec.revisionHistoryLimit = 10;
  for (const t of asArray(spec.volumeClaimTemplates)) {
    if (!isObj(t)) continue;
    const ts = isObj(t.spec) ? t.spec : (t.spec = {});
    if (!ts.volumeMode) ts.volumeMode = "Filesystem";
    if (isObj(ts.resources)) canonicalizeResourceList(ts.resources.requests);
    const st = isObj(t.status) ? t.status : (t.status = {});
    if (!st.phase) st.phase = "Pending";
  }
  defaultTemplateOf(sts);
}

export function statefulSetDef(): ResourceDef {
  return {
    group: "apps",
    version: "v1",
    kind: "StatefulSet",
    plural: "statefulsets",
    singular: "statefulset",
    shortNames: ["sts"],
    categories: ["all"],
    namespaced: true,
    statusSubresource: true,
    generation: true,
    scale: { specReplicasPath: "spec.replicas", statusReplicasPath: "status.replicas", selector: (o: Obj) => (o.spec?.selector ? selectorString(o.spec.selector) : undefined) },
    defaults: defaultStatefulSet,
    prepareForCreate(sts: Obj) {
      sts.status = { replicas: 0, availableReplicas: 0 };
    },
    validate(sts: Obj) {
      const spec = specOf(sts);
      const out: Causes = [];
      out.push(...enumValue(spec.podManagementPolicy, "spec.podManagementPolicy", ["OrderedReady", "Parallel"]));
      const us = isObj(spec.updateStrategy) ? spec.updateStrategy : {};
      out.push(...enumValue(us.type, "spec.updateStrategy.type", ["OnDelete", "RollingUpdate"]));
      if (us.type === "OnDelete" && us.rollingUpdate !== undefined && us.rollingUpdate !== null) {
        out.push(field.invalid("spec.updateStrategy.rollingUpdate", us.rollingUpdate, "only allowed for updateStrategy 'RollingUpdate'"));
      }
      if (isObj(us.rollingUpdate)) out.push(...nonNegative(us.rollingUpdate.partition, "spec.updateStrategy.rollingUpdate.partition"));
      const ret = isObj(spec.persistentVolumeClaimRetentionPolicy) ? spec.persistentVolumeClaimRetentionPolicy : {};
      out.push(...enumValue(ret.whenDeleted, "spec.persistentVolumeClaimRetentionPolicy.whenDeleted", ["Retain", "Delete"]));
      out.push(...enumValue(ret.whenScaled, "spec.persistentVolumeClaimRetentionPolicy.whenScaled", ["Retain", "Delete"]));
      out.push(...nonNegative(spec.replicas, "spec.replicas"), ...nonNegative(spec.minReadySeconds, "spec.minReadySeconds"));
      if (spec.serviceName) for (const m of isDNS1123Subdomain(String(spec.serviceName))) out.push(field.invalid("spec.serviceName", spec.serviceName, m));
      // volumeMounts may name a volumeClaimTemplate: the controller adds those volumes to each pod.
      const claims = asArray(spec.volumeClaimTemplates).map((t) => t?.metadata?.name).filter((n): n is string => typeof n === "string");
      const tspec = isObj(spec.template?.spec) ? spec.template.spec : undefined;
      const existing = new Set(asArray(tspec?.volumes).map((v) => v?.name));
      const withClaims = tspec && claims.length
        ? { ...spec, template: { ...spec.template, spec: { ...tspec, volumes: [...asArray(tspec.volumes), ...claims.filter((n) => !existing.has(n)).map((n) => ({ name: n, persistentVolumeClaim: { claimName: n } }))] } } }
        : spec;
      out.push(...validateSelectorAndTemplate(withClaims, "statefulset"));
      out.push(...requireAlwaysRestart(spec, "activeDeadlineSeconds in StatefulSet is not Supported"));
      asArray(spec.volumeClaimTemplates).forEach((t, i) => {
        const p = idx("spec.volumeClaimTemplates", i);
        if (!t?.metadata?.name) out.push(field.required(`${p}.metadata.name`, ""));
        for (const c of validatePVC(isObj(t) ? t : {})) out.push({ ...c, field: c.field ? `${p}.${c.field}` : p });
      });
      return out;
    },
    validateUpdate(sts: Obj, old: Obj) {
      const a = structuredClone(isObj(sts.spec) ? sts.spec : {});
      const b = isObj(old.spec) ? old.spec : {};
      for (const f of ["replicas", "template", "updateStrategy", "minReadySeconds", "ordinals", "revisionHistoryLimit", "persistentVolumeClaimRetentionPolicy"]) {
        if (b[f] === undefined) delete a[f];
        else a[f] = b[f];
      }
      return deepEqual(a, b) ? [] : [field.forbidden("spec", STATEFULSET_UPDATE_MESSAGE)];
    },
    columns: [nameCol, col("Ready", "string", "Number of the pod with ready state"), col("Age", "string", CREATED_DESC), containersCol, imagesCol],
    cells(sts: Obj, now: number) {
      const [names, images] = containerCells(sts.spec?.template?.spec?.containers);
      return [sts.metadata?.name, `${sts.status?.readyReplicas ?? 0}/${sts.spec?.replicas ?? 0}`, ageCell(sts, now), names, images];
    },
  };
}

export function controllerRevisionDef(): ResourceDef {
  return {
    group: "apps",
    version: "v1",
    kind: "ControllerRevision",
    plural: "controllerrevisions",
    singular: "controllerrevision",
    namespaced: true,
    validate(cr: Obj) {
      return nonNegative(cr.revision ?? 0, "revision");
    },
    validateUpdate(cr: Obj, old: Obj) {
      return deepEqual(cr.data, old.data) ? [] : [field.invalid("data", cr.data ?? null, "field is immutable")];
    },
    columns: [nameCol, col("Controller", "string", "Controller of the object"), col("Revision", "string", "Revision indicates the revision of the state represented by Data."), ageCol],
    cells(cr: Obj, now: number) {
      const ref = asArray(cr.metadata?.ownerReferences).find((r) => r?.controller === true);
      let controller = "<none>";
      if (ref) {
        const group = String(ref.apiVersion ?? "").includes("/") ? String(ref.apiVersion).split("/")[0] : "";
        controller = `${(group ? `${ref.kind}.${group}` : ref.kind).toLowerCase()}/${ref.name}`;
      }
      return [cr.metadata?.name, controller, cr.revision ?? 0, ageCell(cr, now)];
    },
  };
}
