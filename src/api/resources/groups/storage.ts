/**
 * @module api/resources/groups/storage
 * storage.k8s.io/v1 StorageClasses: defaults (reclaimPolicy Delete, volumeBindingMode
 * Immediate), provisioner/parameter rules, and the table with "(default)" on the class
 * annotated storageclass.kubernetes.io/is-default-class.
 */
import { field } from "../../errors.ts";
import type { Obj, ResourceDef } from "../../registry/types.ts";
import { deepEqual } from "../../registry/objects.ts";
import { isQualifiedName } from "../../validation/meta.ts";
import { enumValue, isObj, type Causes } from "../common/causes.ts";
import { ageCell, ageCol, col, nameCol } from "../common/columns.ts";

export function isDefaultStorageClass(sc: Obj): boolean {
  const a = sc.metadata?.annotations ?? {};
  return a["storageclass.kubernetes.io/is-default-class"] === "true" || a["storageclass.beta.kubernetes.io/is-default-class"] === "true";
}

export function storageClassDef(): ResourceDef {
  return {
    group: "storage.k8s.io",
    version: "v1",
    kind: "StorageClass",
    plural: "storageclasses",
    singular: "storageclass",
    shortNames: ["sc"],
    namespaced: false,
    defaults(sc: Obj) {
      if (!sc.reclaimPolicy) sc.reclaimPolicy = "Delete";
      if (!sc.volumeBindingMode) sc.volumeBindingMode = "Immediate";
    },
    validate(sc: Obj) {
      const out: Causes = [];
      if (!sc.provisioner) out.push(field.required("provisioner", ""));
      else for (const m of isQualifiedName(String(sc.provisioner).toLowerCase())) out.push(field.invalid("provisioner", sc.provisioner, m));
      if (sc.parameters !== undefined && sc.parameters !== null) {
        if (!isObj(sc.parameters)) out.push(field.invalid("parameters", sc.parameters, "must be a map of strings"));
        else {
          let size = 0;
          for (const [k, v] of Object.entries(sc.parameters)) {
            if (!k) out.push(field.invalid("parameters", sc.parameters, "key may not be empty"));
            size += k.length + String(v).length;
          }
          if (Object.keys(sc.parameters).length > 512) out.push(field.invalid("parameters", sc.parameters, "must have at most 512 parameters"));
          if (size > 256 * 1024) out.push(field.invalid("parameters", "", "total size of parameters must be less than 262144 bytes"));
        }
      }
      out.push(...enumValue(sc.reclaimPolicy, "reclaimPolicy", ["Delete", "Retain"]));
      out.push(...enumValue(sc.volumeBindingMode, "volumeBindingMode", ["Immediate", "WaitForFirstConsumer"]));
      return out;
    },
    validateUpdate(sc: Obj, old: Obj) {
      const out: Causes = [];
      if (!deepEqual(sc.parameters ?? {}, old.parameters ?? {})) out.push(field.forbidden("parameters", "updates to parameters are forbidden."));
      if (sc.provisioner !== old.provisioner) out.push(field.forbidden("provisioner", "updates to provisioner are forbidden."));
      if (sc.reclaimPolicy !== old.reclaimPolicy) out.push(field.forbidden("reclaimPolicy", "updates to reclaimPolicy are forbidden."));
      if (sc.volumeBindingMode !== old.volumeBindingMode) out.push(field.invalid("volumeBindingMode", sc.volumeBindingMode, "field is immutable"));
      return out;
    },
    columns: [
      nameCol,
      col("Provisioner", "string", "provisioner indicates the type of the provisioner."),
      col("ReclaimPolicy", "string", "reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class. Defaults to Delete."),
      col("VolumeBindingMode", "string", "volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.  When unset, VolumeBindingImmediate is used. This field is only honored by servers that enable the VolumeScheduling feature."),
      col("AllowVolumeExpansion", "string", "allowVolumeExpansion shows whether the storage class allow volume expand."),
      ageCol,
    ],
    cells: (sc: Obj, now: number) => [
      `${sc.metadata?.name}${isDefaultStorageClass(sc) ? " (default)" : ""}`,
      sc.provisioner ?? "",
      sc.reclaimPolicy ?? "Delete",
      sc.volumeBindingMode ?? "Immediate",
      sc.allowVolumeExpansion === true,
      ageCell(sc, now),
    ],
  };
}
