/**
 * @module api/resources/core/namespaces
 * The Namespace kind: `kubernetes.io/metadata.name` label, the "kubernetes" finalizer in
 * spec.finalizers and phase Active on create; spec.finalizers and status are kept on
 * main-resource updates (only the finalize subresource changes them upstream).
 */
import { field } from "../../errors.ts";
import type { Obj, ResourceDef } from "../../registry/types.ts";
import { isDNS1123Label, isQualifiedName } from "../../validation/meta.ts";
import { asArray, idx, isObj, type Causes } from "../common/causes.ts";
import { ageCell, ageCol, col, nameCol } from "../common/columns.ts";

export const NAMESPACE_FINALIZER = "kubernetes";

export function validateNamespaceFinalizers(finalizers: unknown, path: string): Causes {
  const out: Causes = [];
  asArray<string>(finalizers).forEach((f, i) => {
    const p = idx(path, i);
    if (typeof f !== "string") return out.push(field.invalid(p, f, "must be a string"));
    for (const m of isQualifiedName(f)) out.push(field.invalid(p, f, m));
    if (!f.includes("/") && f !== NAMESPACE_FINALIZER) out.push(field.invalid(p, f, "name is neither a standard finalizer name nor is it fully qualified"));
  });
  return out;
}

const IMMORTAL_NAMESPACES = new Set(["default", "kube-system", "kube-public"]);

export function namespaceDef(): ResourceDef {
  return {
    group: "",
    version: "v1",
    kind: "Namespace",
    plural: "namespaces",
    singular: "namespace",
    shortNames: ["ns"],
    namespaced: false,
    statusSubresource: true,
    generation: false,
    nameValidator: isDNS1123Label,
    defaults(ns: Obj) {
      const name = ns.metadata?.name;
      if (name) {
        const m = ns.metadata;
        if (!isObj(m.labels)) m.labels = {};
        m.labels["kubernetes.io/metadata.name"] = name;
      }
    },
    prepareForCreate(ns: Obj) {
      ns.status = { phase: "Active" };
      const spec = isObj(ns.spec) ? ns.spec : (ns.spec = {});
      const fins = asArray<string>(spec.finalizers);
      if (!fins.includes(NAMESPACE_FINALIZER)) spec.finalizers = [...fins, NAMESPACE_FINALIZER];
    },
    prepareForUpdate(ns: Obj, old: Obj) {
      if (old.spec?.finalizers !== undefined) ns.spec = { ...(isObj(ns.spec) ? ns.spec : {}), finalizers: old.spec.finalizers };
      else if (isObj(ns.spec)) delete ns.spec.finalizers;
    },
    validate(ns: Obj) {
      const out: Causes = validateNamespaceFinalizers(ns.spec?.finalizers, "spec.finalizers");
      const phase = ns.status?.phase;
      if (phase !== undefined && phase !== "Active" && phase !== "Terminating") out.push(field.notSupported("status.phase", phase, ["Active", "Terminating"]));
      return out;
    },
    columns: [nameCol, col("Status", "string", "The status of the namespace"), ageCol],
    cells: (ns: Obj, now: number) => [ns.metadata?.name, ns.status?.phase ?? "", ageCell(ns, now)],
    selectableFields: (ns: Obj) => ({ "status.phase": ns.status?.phase ?? "" }),
    // Deleting a namespace marks it Terminating; it stays until the namespace controller has
    // emptied it and removed "kubernetes" from spec.finalizers through /finalize.
    finalizeSubresource: true,
    // Like upstream's NamespaceLifecycle admission: the system namespaces cannot be deleted.
    undeletable: (ns: Obj) => (IMMORTAL_NAMESPACES.has(ns.metadata?.name) ? "this namespace may not be deleted" : undefined),
    beforeDelete(ns: Obj) {
      ns.status = { ...(isObj(ns.status) ? ns.status : {}), phase: "Terminating" };
    },
    deletionPending: (ns: Obj) => asArray<string>(ns.spec?.finalizers).length > 0,
  };
}
