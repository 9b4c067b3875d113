/**
 * @module api/resources/groups/rbac
 * rbac.authorization.k8s.io/v1 Roles, ClusterRoles, RoleBindings, ClusterRoleBindings:
 * stored and validated like upstream (rules need verbs, api groups and resources or
 * non-resource URLs; roleRef immutable; subject kinds), with RBAC's lenient names.
 * kite does not enforce RBAC; these objects are for tools that read and write them.
 */
import { field } from "../../errors.ts";
import type { Obj, ResourceDef } from "../../registry/types.ts";
import { deepEqual } from "../../registry/objects.ts";
import { isDNS1123Subdomain } from "../../validation/meta.ts";
import { asArray, idx, isObj, pathSegmentNameErrors, type Causes } from "../common/causes.ts";
import { ageCell, ageCol, col, defaultTable, nameCol } from "../common/columns.ts";
import { validateLabelSelector } from "../common/label-selector.ts";

const GROUP = "rbac.authorization.k8s.io";

export function validatePolicyRule(rule: Obj, namespaced: boolean, path: string): Causes {
  const out: Causes = [];
  if (asArray(rule.verbs).length === 0) out.push(field.required(`${path}.verbs`, "verbs must contain at least one value"));
  if (asArray(rule.nonResourceURLs).length > 0) {
    if (namespaced) out.push(field.invalid(`${path}.nonResourceURLs`, rule.nonResourceURLs, "namespaced rules cannot apply to non-resource URLs"));
    if (asArray(rule.apiGroups).length || asArray(rule.resources).length || asArray(rule.resourceNames).length) {
      out.push(field.invalid(`${path}.nonResourceURLs`, rule.nonResourceURLs, "rules cannot apply to both regular resources and non-resource URLs"));
    }
    return out;
  }
  if (asArray(rule.apiGroups).length === 0) out.push(field.required(`${path}.apiGroups`, "resource rules must supply at least one api group"));
  if (asArray(rule.resources).length === 0) out.push(field.required(`${path}.resources`, "resource rules must supply at least one resource"));
  return out;
}

function roleDef(kind: "Role" | "ClusterRole"): ResourceDef {
  const namespaced = kind === "Role";
  return {
    group: GROUP,
    version: "v1",
    kind,
    plural: namespaced ? "roles" : "clusterroles",
    singular: namespaced ? "role" : "clusterrole",
    namespaced,
    nameValidator: pathSegmentNameErrors,
    validate(r: Obj) {
      const out: Causes = [];
      asArray(r.rules).forEach((rule, i) => out.push(...validatePolicyRule(isObj(rule) ? rule : {}, namespaced, idx("rules", i))));
      if (!namespaced && isObj(r.aggregationRule)) {
        const sels = asArray(r.aggregationRule.clusterRoleSelectors);
        if (sels.length === 0) out.push(field.required("aggregationRule.clusterRoleSelectors", "at least one clusterRoleSelector required if aggregationRule is non-nil"));
        sels.forEach((s, i) => out.push(...validateLabelSelector(s, idx("aggregationRule.clusterRoleSelectors", i))));
      }
      return out;
    },
    columns: defaultTable.columns,
    cells: defaultTable.cells,
  };
}

export const roleDefs = () => [roleDef("Role"), roleDef("ClusterRole")];

function defaultBinding(b: Obj) {
  const ref = isObj(b.roleRef) ? b.roleRef : (b.roleRef = {});
  if (!ref.apiGroup) ref.apiGroup = GROUP;
  for (const s of asArray(b.subjects)) {
    if (!isObj(s) || s.apiGroup) continue;
    if (s.kind === "ServiceAccount") s.apiGroup = "";
    else if (s.kind === "User" || s.kind === "Group") s.apiGroup = GROUP;
  }
}

export function validateSubject(s: Obj, namespaced: boolean, path: string): Causes {
  const out: Causes = [];
  if (!s.name) out.push(field.required(`${path}.name`, ""));
  switch (s.kind) {
    case "ServiceAccount":
      if (s.name) for (const m of isDNS1123Subdomain(String(s.name))) out.push(field.invalid(`${path}.name`, s.name, m));
      if (s.apiGroup) out.push(field.notSupported(`${path}.apiGroup`, s.apiGroup, [""]));
      if (!namespaced && !s.namespace) out.push(field.required(`${path}.namespace`, ""));
      break;
    case "User":
    case "Group":
      if (s.apiGroup !== GROUP) out.push(field.notSupported(`${path}.apiGroup`, s.apiGroup ?? "", [GROUP]));
      break;
    default:
      out.push(field.notSupported(`${path}.kind`, s.kind ?? "", ["ServiceAccount", "User", "Group"]));
  }
  return out;
}

/** rbac.SubjectsStrings: users, groups and "namespace/name" service accounts. */
export function subjectsStrings(subjects: unknown): [string, string, string] {
  const users: string[] = [];
  const groups: string[] = [];
  const sas: string[] = [];
  for (const s of asArray(subjects)) {
    if (s?.kind === "User") users.push(s.name);
    else if (s?.kind === "Group") groups.push(s.name);
    else if (s?.kind === "ServiceAccount") sas.push(`${s.namespace ?? ""}/${s.name}`);
  }
  return [users.join(", "), groups.join(", "), sas.join(", ")];
}

function bindingDef(kind: "RoleBinding" | "ClusterRoleBinding"): ResourceDef {
  const namespaced = kind === "RoleBinding";
  return {
    group: GROUP,
    version: "v1",
    kind,
    plural: namespaced ? "rolebindings" : "clusterrolebindings",
    singular: namespaced ? "rolebinding" : "clusterrolebinding",
    namespaced,
    nameValidator: pathSegmentNameErrors,
    defaults: defaultBinding,
    validate(b: Obj) {
      const out: Causes = [];
      const ref = isObj(b.roleRef) ? b.roleRef : {};
      if (ref.apiGroup !== GROUP) out.push(field.notSupported("roleRef.apiGroup", ref.apiGroup ?? "", [GROUP]));
      const kinds = namespaced ? ["Role", "ClusterRole"] : ["ClusterRole"];
      if (!kinds.includes(ref.kind)) out.push(field.notSupported("roleRef.kind", ref.kind ?? "", kinds));
      if (!ref.name) out.push(field.required("roleRef.name", ""));
      else for (const m of pathSegmentNameErrors(String(ref.name))) out.push(field.invalid("roleRef.name", ref.name, m));
      asArray(b.subjects).forEach((s, i) => out.push(...validateSubject(isObj(s) ? s : {}, namespaced, idx("subjects", i))));
      return out;
    },
    validateUpdate: (b: Obj, old: Obj) => (deepEqual(b.roleRef, old.roleRef) ? [] : [field.invalid("roleRef", b.roleRef ?? null, "cannot change roleRef")]),
    columns: [
      nameCol,
      col("Role", "string", "RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error. This field is immutable."),
      ageCol,
      col("Users", "string", `Users in the ${namespaced ? "roleBinding" : "clusterRoleBinding"}`, 1),
      col("Groups", "string", `Groups in the ${namespaced ? "roleBinding" : "clusterRoleBinding"}`, 1),
      col("ServiceAccounts", "string", `ServiceAccounts in the ${namespaced ? "roleBinding" : "clusterRoleBinding"}`, 1),
    ],
    cells(b: Obj, now: number) {
      const [u, g, s] = subjectsStrings(b.subjects);
      return [b.metadata?.name, `${b.roleRef?.kind ?? ""}/${b.roleRef?.name ?? ""}`, ageCell(b, now), u, g, s];
    },
  };
}

export const bindingDefs = () => [bindingDef("RoleBinding"), bindingDef("ClusterRoleBinding")];
