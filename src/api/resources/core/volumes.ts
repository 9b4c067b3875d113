/**
 * @module api/resources/core/volumes
 * PersistentVolumes and PersistentVolumeClaims: defaults (reclaim policy, volume mode),
 * phase Pending on create, validation of capacity, access modes and sources, the
 * immutability rules on update, and their tables (CAPACITY, ACCESS MODES "RWO,ROX"...).
 */
import { field } from "../../errors.ts";
import type { Obj, OpContext, RegistryAccess, ResourceDef } from "../../registry/types.ts";
import { rfc3339 } from "../../registry/objects.ts";
import { isDNS1123Subdomain } from "../../validation/meta.ts";
import { asArray, enumValue, isObj, key, type Causes } from "../common/causes.ts";
import { ageCell, ageCol, col, nameCol } from "../common/columns.ts";
import { canonicalizeResourceList, parseResourceList } from "../common/resource-list.ts";
import { validateLabelSelector } from "../common/label-selector.ts";
import { diffPaths } from "./pods/update.ts";

const ACCESS_MODES = ["ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"];
const PV_SOURCES = [
  "gcePersistentDisk", "awsElasticBlockStore", "hostPath", "glusterfs", "nfs", "rbd", "quobyte", "iscsi", "cinder", "cephfs", "fc",
  "flocker", "flexVolume", "azureFile", "vsphereVolume", "azureDisk", "photonPersistentDisk", "portworxVolume", "scaleIO", "local",
  "storageos", "csi",
];

/** helper.GetAccessModesAsString: "RWO,ROX,RWX,RWOP" in that order. */
export function accessModesString(modes: unknown): string {
  const set = new Set(asArray<string>(modes));
  const out: string[] = [];
  if (set.has("ReadWriteOnce")) out.push("RWO");
  if (set.has("ReadOnlyMany")) out.push("ROX");
  if (set.has("ReadWriteMany")) out.push("RWX");
  if (set.has("ReadWriteOncePod")) out.push("RWOP");
  return out.join(",");
}

function storageClassOf(o: Obj): string {
  return o.spec?.storageClassName ?? o.metadata?.annotations?.["volume.beta.kubernetes.io/storage-class"] ?? "";
}

function validateAccessModes(modes: unknown, path: string, required: string): Causes {
  const list = asArray<string>(modes);
  const out: Causes = [];
  if (list.length === 0) out.push(field.required(path, required));
  list.forEach((m) => {
    if (!ACCESS_MODES.includes(m)) out.push(field.notSupported(path, m, ACCESS_MODES));
  });
  if (list.includes("ReadWriteOncePod") && list.length > 1) out.push(field.forbidden(path, "may not use ReadWriteOncePod with other access modes"));
  return out;
}

function storageClassName(v: unknown, path: string): Causes {
  if (v === undefined || v === null || v === "") return [];
  return isDNS1123Subdomain(String(v)).map((m) => field.invalid(path, v, m));
}

// ---- PersistentVolume -------------------------------------------------------------------

export function validatePV(pv: Obj): Causes {
  const spec = isObj(pv.spec) ? pv.spec : {};
  const out: Causes = [];
  out.push(...validateAccessModes(spec.accessModes, "spec.accessModes", ""));
  const cap = isObj(spec.capacity) ? spec.capacity : undefined;
  if (!cap || Object.keys(cap).length === 0) out.push(field.required("spec.capacity", ""));
  else {
    if (!("storage" in cap) || Object.keys(cap).length > 1) out.push(field.notSupported("spec.capacity", cap, ["storage"]));
    const parsed = parseResourceList(cap, "spec.capacity", out);
    const s = parsed.get("storage");
    if (s && s.sign() <= 0) out.push(field.invalid(key("spec.capacity", "storage"), s.toString(), "must be greater than zero"));
  }
  const present = PV_SOURCES.filter((s) => spec[s] !== undefined && spec[s] !== null);
  if (present.length === 0) out.push(field.required("spec", "must specify a volume type"));
  for (const extra of present.slice(1)) out.push(field.forbidden(`spec.${extra}`, "may not specify more than 1 volume type"));
  if (isObj(spec.hostPath) && !spec.hostPath.path) out.push(field.required("spec.hostPath.path", ""));
  if (isObj(spec.local)) {
    if (!spec.local.path) out.push(field.required("spec.local.path", ""));
    if (!isObj(spec.nodeAffinity)) out.push(field.required("spec.nodeAffinity", "Local volume requires node affinity"));
  }
  if (isObj(spec.nfs)) {
    if (!spec.nfs.server) out.push(field.required("spec.nfs.server", ""));
    if (!spec.nfs.path) out.push(field.required("spec.nfs.path", ""));
  }
  if (isObj(spec.csi)) {
    if (!spec.csi.driver) out.push(field.required("spec.csi.driver", ""));
    if (!spec.csi.volumeHandle) out.push(field.required("spec.csi.volumeHandle", ""));
  }
  out.push(...enumValue(spec.persistentVolumeReclaimPolicy, "spec.persistentVolumeReclaimPolicy", ["Delete", "Recycle", "Retain"], false));
  out.push(...enumValue(spec.volumeMode, "spec.volumeMode", ["Block", "Filesystem"], false));
  out.push(...storageClassName(spec.storageClassName, "spec.storageClassName"));
  return out;
}

export function pvDef(): ResourceDef {
  return {
    group: "",
    version: "v1",
    kind: "PersistentVolume",
    plural: "persistentvolumes",
    singular: "persistentvolume",
    shortNames: ["pv"],
    namespaced: false,
    statusSubresource: true,
    generation: false,
    defaults(pv: Obj) {
      const spec = isObj(pv.spec) ? pv.spec : (pv.spec = {});
      if (!spec.persistentVolumeReclaimPolicy) spec.persistentVolumeReclaimPolicy = "Retain";
      if (!spec.volumeMode) spec.volumeMode = "Filesystem";
      canonicalizeResourceList(spec.capacity);
    },
    prepareForCreate(pv: Obj, ctx: OpContext) {
      pv.status = { phase: "Pending", lastPhaseTransitionTime: rfc3339(ctx.now) };
    },
    validate: validatePV,
    validateUpdate(pv: Obj, old: Obj) {
      const out: Causes = [];
      const src = (o: Obj) => Object.fromEntries(PV_SOURCES.filter((s) => o.spec?.[s] !== undefined).map((s) => [s, o.spec[s]]));
      if (JSON.stringify(src(pv)) !== JSON.stringify(src(old))) out.push(field.forbidden("spec.persistentvolumesource", "spec.persistentvolumesource is immutable after creation"));
      if (old.spec?.volumeMode !== pv.spec?.volumeMode) out.push(field.invalid("spec.volumeMode", pv.spec?.volumeMode, "field is immutable"));
      if (isObj(old.spec?.nodeAffinity) && JSON.stringify(old.spec.nodeAffinity) !== JSON.stringify(pv.spec?.nodeAffinity)) out.push(field.invalid("spec.nodeAffinity", pv.spec?.nodeAffinity, "field is immutable"));
      return out;
    },
    columns: [
      nameCol,
      col("Capacity", "string", "capacity is the description of the persistent volume's resources and capacity. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#capacity"),
      col("Access Modes", "string", "accessModes contains all ways the volume can be mounted. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#access-modes"),
      col("Reclaim Policy", "string", "persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim."),
      col("Status", "string", "phase indicates if a volume is available, bound to a claim, or released by a claim."),
      col("Claim", "string", "claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim."),
      col("StorageClass", "string", "StorageClass of the pv"),
      col("VolumeAttributesClass", "string", "VolumeAttributesClass of the pv"),
      col("Reason", "string", "reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI."),
      ageCol,
      col("VolumeMode", "string", "volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state. Value of Filesystem is implied when not included in spec.", 1),
    ],
    cells(pv: Obj, now: number) {
      const spec = isObj(pv.spec) ? pv.spec : {};
      const claim = isObj(spec.claimRef) ? `${spec.claimRef.namespace ?? ""}/${spec.claimRef.name ?? ""}` : "";
      const phase = pv.metadata?.deletionTimestamp ? "Terminating" : (pv.status?.phase ?? "");
      return [pv.metadata?.name, spec.capacity?.storage ?? "0", accessModesString(spec.accessModes), spec.persistentVolumeReclaimPolicy ?? "", phase, claim, storageClassOf(pv), spec.volumeAttributesClassName ?? "<unset>", pv.status?.reason ?? "", ageCell(pv, now), spec.volumeMode ?? "<unset>"];
    },
  };
}

// ---- PersistentVolumeClaim --------------------------------------------------------------

export const PVC_UPDATE_MESSAGE = "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims";

export function validatePVC(pvc: Obj): Causes {
  const spec = isObj(pvc.spec) ? pvc.spec : {};
  const out: Causes = [];
  out.push(...validateAccessModes(spec.accessModes, "spec.accessModes", "at least 1 access mode is required"));
  const req = isObj(spec.resources?.requests) ? spec.resources.requests : {};
  if (!("storage" in req)) out.push(field.required(key("spec.resources", "storage"), ""));
  const parsed = parseResourceList(spec.resources?.requests, "spec.resources.requests", out);
  const s = parsed.get("storage");
  if (s && s.sign() <= 0) out.push(field.invalid(key("spec.resources.requests", "storage"), s.toString(), "must be greater than zero"));
  parseResourceList(spec.resources?.limits, "spec.resources.limits", out);
  out.push(...validateLabelSelector(spec.selector, "spec.selector"));
  out.push(...enumValue(spec.volumeMode, "spec.volumeMode", ["Block", "Filesystem"], false));
  out.push(...storageClassName(spec.storageClassName, "spec.storageClassName"));
  return out;
}

export function pvcDef(): ResourceDef {
  return {
    group: "",
    version: "v1",
    kind: "PersistentVolumeClaim",
    plural: "persistentvolumeclaims",
    singular: "persistentvolumeclaim",
    shortNames: ["pvc"],
    namespaced: true,
    statusSubresource: true,
    generation: false,
    defaults(pvc: Obj) {
      const spec = isObj(pvc.spec) ? pvc.spec : (pvc.spec = {});
      if (!spec.volumeMode) spec.volumeMode = "Filesystem";
      if (isObj(spec.resources)) {
        canonicalizeResourceList(spec.resources.requests);
        canonicalizeResourceList(spec.resources.limits);
      }
      if (isObj(pvc.status)) canonicalizeResourceList(pvc.status.capacity);
    },
    async prepareForCreate(pvc: Obj, _ctx: OpContext, registry: RegistryAccess) {
      pvc.status = { phase: "Pending" };
      // DefaultStorageClass admission: a claim without a class gets the default one.
      const spec = pvc.spec as Obj;
      if (spec.storageClassName === undefined && !spec.volumeName) {
        const classes = await registry.list("storage.k8s.io", "storageclasses");
        const def = classes.find((c) => c.metadata?.annotations?.["storageclass.kubernetes.io/is-default-class"] === "true");
        if (def) spec.storageClassName = def.metadata.name;
      }
    },
    validate: validatePVC,
    validateUpdate(pvc: Obj, old: Obj) {
      const a = structuredClone(isObj(old.spec) ? old.spec : {});
      const b = structuredClone(isObj(pvc.spec) ? pvc.spec : {});
      // Upstream 1.28+: an unbound claim without a class may be given one (retroactive default class).
      if (a.storageClassName === undefined && typeof b.storageClassName === "string" && !a.volumeName) a.storageClassName = b.storageClassName;
      // Binding sets volumeName once; bound claims may be resized.
      if (!a.volumeName && b.volumeName) a.volumeName = b.volumeName;
      const bound = Boolean(old.spec?.volumeName) || old.status?.phase === "Bound";
      if (bound) {
        if (isObj(a.resources) && isObj(b.resources)) a.resources.requests = b.resources.requests;
        a.volumeAttributesClassName = b.volumeAttributesClassName;
        if (a.volumeAttributesClassName === undefined) delete a.volumeAttributesClassName;
      }
      if (JSON.stringify(a) === JSON.stringify(b)) return [];
      return [field.forbidden("spec", `${PVC_UPDATE_MESSAGE}\n${diffPaths(a, b).join("\n")}`)];
    },
    columns: [
      nameCol,
      col("Status", "string", "phase represents the current phase of PersistentVolumeClaim."),
      col("Volume", "string", "volumeName is the binding reference to the PersistentVolume backing this claim."),
      col("Capacity", "string", "capacity represents the actual resources of the underlying volume."),
      col("Access Modes", "string", "accessModes contains the actual access modes the volume backing the PVC has. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#access-modes-1"),
      col("StorageClass", "string", "StorageClass of the pvc"),
      col("VolumeAttributesClass", "string", "VolumeAttributesClass of the pvc"),
      ageCol,
      col("VolumeMode", "string", "volumeMode defines what type of volume is required by the claim. Value of Filesystem is implied when not included in claim spec.", 1),
    ],
    cells(pvc: Obj, now: number) {
      const spec = isObj(pvc.spec) ? pvc.spec : {};
      const phase = pvc.metadata?.deletionTimestamp ? "Terminating" : (pvc.status?.phase ?? "");
      const bound = Boolean(spec.volumeName);
      return [pvc.metadata?.name, phase, spec.volumeName ?? "", bound ? (pvc.status?.capacity?.storage ?? "0") : "", bound ? accessModesString(pvc.status?.accessModes) : "", storageClassOf(pvc), spec.volumeAttributesClassName ?? "<unset>", ageCell(pvc, now), spec.volumeMode ?? "<unset>"];
    },
  };
}


