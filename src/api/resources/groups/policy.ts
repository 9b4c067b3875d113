/**
 * @module api/resources/groups/policy
 * policy/v1 PodDisruptionBudgets and scheduling.k8s.io/v1 PriorityClasses: validation
 * (minAvailable xor maxUnavailable; reserved "system-" names and the user-definable
 * maximum; immutable value), the single-global-default rule, and their tables. Also the
 * two built-in PriorityClasses upstream creates at start-up.
 */
import { ApiError, field } from "../../errors.ts";
import type { Obj, OpContext, RegistryAccess, ResourceDef } from "../../registry/types.ts";
import { deepEqual } from "../../registry/objects.ts";
import { enumValue, intOrPercent, isInt, isObj, type Causes } from "../common/causes.ts";
import { ageCell, ageCol, col, nameCol } from "../common/columns.ts";
import { validateLabelSelector } from "../common/label-selector.ts";
import { SYSTEM_PRIORITY_CLASSES } from "../core/pods/pod.ts";

function intOrStringText(v: unknown): string {
  return v === undefined || v === null ? "N/A" : String(v);
}

export function pdbDef(): ResourceDef {
  return {
    group: "policy",
    version: "v1",
    kind: "PodDisruptionBudget",
    plural: "poddisruptionbudgets",
    singular: "poddisruptionbudget",
    shortNames: ["pdb"],
    namespaced: true,
    statusSubresource: true,
    generation: true,
    prepareForCreate(pdb: Obj) {
      pdb.status = { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 };
    },
    validate(pdb: Obj) {
      const spec = isObj(pdb.spec) ? pdb.spec : {};
      const out: Causes = [];
      const hasMin = spec.minAvailable !== undefined && spec.minAvailable !== null;
      const hasMax = spec.maxUnavailable !== undefined && spec.maxUnavailable !== null;
      if (hasMin && hasMax) out.push(field.invalid("spec.minAvailable", spec.minAvailable, "minAvailable and maxUnavailable cannot be both set"));
      out.push(...intOrPercent(spec.minAvailable, "spec.minAvailable"), ...intOrPercent(spec.maxUnavailable, "spec.maxUnavailable"));
      out.push(...validateLabelSelector(spec.selector, "spec.selector"));
      out.push(...enumValue(spec.unhealthyPodEvictionPolicy, "spec.unhealthyPodEvictionPolicy", ["AlwaysAllow", "IfHealthyBudget"], false));
      return out;
    },
    columns: [
      nameCol,
      col("Min Available", "string", "The minimum number of pods that must be available."),
      col("Max Unavailable", "string", "The maximum number of pods that may be unavailable."),
      col("Allowed Disruptions", "integer", "Calculated number of pods that may be disrupted at this time."),
      ageCol,
    ],
    cells: (pdb: Obj, now: number) => [pdb.metadata?.name, intOrStringText(pdb.spec?.minAvailable), intOrStringText(pdb.spec?.maxUnavailable), pdb.status?.disruptionsAllowed ?? 0, ageCell(pdb, now)],
  };
}

export const HIGHEST_USER_DEFINABLE_PRIORITY = 1_000_000_000;

/** The PriorityClass objects upstream's apiserver creates at start-up (for the lead to seed). */
export function systemPriorityClasses(): Obj[] {
  return Object.entries(SYSTEM_PRIORITY_CLASSES).map(([name, value]) => ({
    apiVersion: "scheduling.k8s.io/v1",
    kind: "PriorityClass",
    metadata: { name },
    value,
    globalDefault: false,
    description: name === "system-node-critical" ? "Used for system critical pods that must not be moved from their current node." : "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.",
    preemptionPolicy: "PreemptLowerPriority",
  }));
}

export function priorityClassDef(): ResourceDef {
  return {
    group: "scheduling.k8s.io",
    version: "v1",
    kind: "PriorityClass",
    plural: "priorityclasses",
    singular: "priorityclass",
    shortNames: ["pc"],
    namespaced: false,
    defaults(pc: Obj) {
      if (!pc.preemptionPolicy) pc.preemptionPolicy = "PreemptLowerPriority";
    },
    async prepareForCreate(pc: Obj, _ctx: OpContext, registry: RegistryAccess) {
      if (pc.globalDefault !== true) return;
      const existing = (await registry.list("scheduling.k8s.io", "priorityclasses")).find((o) => o.globalDefault === true && o.metadata?.name !== pc.metadata?.name);
      if (existing) {
        throw new ApiError(403, "Forbidden", `priorityclasses.scheduling.k8s.io "${pc.metadata?.name ?? ""}" is forbidden: PriorityClass ${existing.metadata?.name} is already marked as default. Only one default can exist`, { name: pc.metadata?.name, group: "scheduling.k8s.io", kind: "priorityclasses" });
      }
    },
    validate(pc: Obj) {
      const out: Causes = [];
      const name: string = pc.metadata?.name ?? "";
      if (!isInt(pc.value)) out.push(field.invalid("value", pc.value ?? null, "must be an integer"));
      if (name.startsWith("system-")) {
        const known = SYSTEM_PRIORITY_CLASSES[name];
        if (known === undefined) out.push(field.forbidden("metadata.name", `priority class names with 'system-' prefix are reserved for system use only. error: ${name} is not a known system priority class`));
        else if (known !== pc.value) out.push(field.forbidden("metadata.name", `priority class names with 'system-' prefix are reserved for system use only. error: value of ${name} PriorityClass must be ${known}`));
      } else if (isInt(pc.value) && pc.value > HIGHEST_USER_DEFINABLE_PRIORITY) {
        out.push(field.forbidden("value", `maximum allowed value of a user defined priority is ${HIGHEST_USER_DEFINABLE_PRIORITY}`));
      }
      out.push(...enumValue(pc.preemptionPolicy, "preemptionPolicy", ["Never", "PreemptLowerPriority"], false));
      return out;
    },
    validateUpdate(pc: Obj, old: Obj) {
      const out: Causes = [];
      if (pc.value !== old.value) out.push(field.forbidden("value", "may not be changed in an update."));
      if (!deepEqual(pc.preemptionPolicy, old.preemptionPolicy)) out.push(field.invalid("preemptionPolicy", pc.preemptionPolicy ?? null, "field is immutable"));
      return out;
    },
    columns: [
      nameCol,
      col("Value", "integer", "value represents the integer value of this priority class. This is the actual priority that pods receive when they have the name of this class in their pod spec."),
      col("Global-Default", "boolean", "globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class. Only one PriorityClass can be marked as `globalDefault`. However, if more than one PriorityClasses exists with their `globalDefault` field set to true, the smallest value of such global default PriorityClasses will be used as the default priority."),
      ageCol,
      col("PreemptionPolicy", "string", "preemptionPolicy is the Policy for preempting pods with lower priority. One of Never, PreemptLowerPriority. Defaults to PreemptLowerPriority if unset."),
    ],
    cells: (pc: Obj, now: number) => [pc.metadata?.name, pc.value ?? 0, pc.globalDefault === true, ageCell(pc, now), pc.preemptionPolicy ?? ""],
  };
}
