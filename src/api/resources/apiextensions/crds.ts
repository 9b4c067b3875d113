/**
 * @module api/resources/apiextensions/crds
 * The CustomResourceDefinition kind (apiextensions.k8s.io/v1): defaults (singular,
 * listKind, conversion None), status on create (storedVersions and the conditions the
 * establishing controller would set, since kite registers the served resources
 * synchronously), and validation of names, group, scope, versions (exactly one storage
 * version), schemas, subresources and printer columns.
 */
import { field } from "../../errors.ts";
import type { Obj, OpContext, ResourceDef } from "../../registry/types.ts";
import { rfc3339 } from "../../registry/objects.ts";
import { isDNS1035Label, isDNS1123Subdomain } from "../../validation/meta.ts";
import { asArray, enumValue, idx, isObj, nonNegative, type Causes } from "../common/causes.ts";
import { defaultTable } from "../common/columns.ts";
import { compileJSONPath, JSONPathError } from "./jsonpath.ts";
import { structuralErrors } from "./schema.ts";

export function defaultCRD(crd: Obj) {
  const spec = isObj(crd.spec) ? crd.spec : (crd.spec = {});
  const names = isObj(spec.names) ? spec.names : (spec.names = {});
  if (!names.singular && names.kind) names.singular = String(names.kind).toLowerCase();
  if (!names.listKind && names.kind) names.listKind = `${names.kind}List`;
  if (!isObj(spec.conversion)) spec.conversion = { strategy: "None" };
  if (isObj(spec.conversion.webhook?.clientConfig?.service) && spec.conversion.webhook.clientConfig.service.port === undefined) spec.conversion.webhook.clientConfig.service.port = 443;
}

function dns1035(v: unknown, path: string, lower = false, prefix = ""): Causes {
  if (v === undefined || v === null || v === "") return [];
  const s = String(v);
  const errs = isDNS1035Label(lower ? s.toLowerCase() : s);
  return errs.length ? [field.invalid(path, v, prefix + errs.join(","))] : [];
}

function validateNames(names: Obj, path: string): Causes {
  const out: Causes = [];
  for (const f of ["plural", "singular", "kind", "listKind"]) if (!names[f]) out.push(field.required(`${path}.${f}`, ""));
  out.push(...dns1035(names.plural, `${path}.plural`), ...dns1035(names.singular, `${path}.singular`));
  out.push(...dns1035(names.kind, `${path}.kind`, true, "may have mixed case, but should otherwise match: "));
  out.push(...dns1035(names.listKind, `${path}.listKind`, true, "may have mixed case, but should otherwise match: "));
  asArray<string>(names.shortNames).forEach((s, i) => out.push(...dns1035(s, idx(`${path}.shortNames`, i))));
  asArray<string>(names.categories).forEach((s, i) => out.push(...dns1035(s, idx(`${path}.categories`, i))));
  if (names.kind && names.kind === names.listKind) out.push(field.invalid(`${path}.listKind`, names.listKind, "kind and listKind may not be the same"));
  return out;
}

function jsonPathUnder(v: unknown, path: string, prefixes: string[], what: string): Causes {
  if (typeof v !== "string" || !v) return [field.required(path, "")];
  if (!prefixes.some((p) => v.startsWith(p))) return [field.invalid(path, v, `should be a json path under ${what}`)];
  try {
    compileJSONPath(v);
  } catch (e) {
    return [field.invalid(path, v, (e as JSONPathError).message)];
  }
  return [];
}

function validateVersion(v: Obj, path: string): Causes {
  const out: Causes = [];
  out.push(...dns1035(v.name, `${path}.name`));
  if (!v.name) out.push(field.required(`${path}.name`, ""));
  out.push(...structuralErrors(v.schema?.openAPIV3Schema, `${path}.schema.openAPIV3Schema`));
  const sub = isObj(v.subresources) ? v.subresources : {};
  if (isObj(sub.scale)) {
    const sp = `${path}.subresources.scale`;
    out.push(...jsonPathUnder(sub.scale.specReplicasPath, `${sp}.specReplicasPath`, [".spec."], ".spec"));
    out.push(...jsonPathUnder(sub.scale.statusReplicasPath, `${sp}.statusReplicasPath`, [".status."], ".status"));
    if (sub.scale.labelSelectorPath) out.push(...jsonPathUnder(sub.scale.labelSelectorPath, `${sp}.labelSelectorPath`, [".spec.", ".status."], ".spec or .status"));
  }
  asArray(v.additionalPrinterColumns).forEach((c, j) => {
    const cp = idx(`${path}.additionalPrinterColumns`, j);
    if (!c?.name) out.push(field.required(`${cp}.name`, ""));
    out.push(...enumValue(c?.type, `${cp}.type`, ["integer", "number", "string", "boolean", "date"]));
    out.push(...enumValue(c?.format, `${cp}.format`, ["int32", "int64", "float", "double", "byte", "date", "date-time", "password"], false));
    out.push(...nonNegative(c?.priority, `${cp}.priority`));
    if (!c?.jsonPath) out.push(field.required(`${cp}.jsonPath`, ""));
    else {
      try {
        compileJSONPath(c.jsonPath);
      } catch (e) {
        out.push(field.invalid(`${cp}.jsonPath`, c.jsonPath, (e as Error).message));
      }
    }
  });
  asArray(v.selectableFields).forEach((f, j) => {
    const fp = idx(`${path}.selectableFields`, j);
    if (!f?.jsonPath) out.push(field.required(`${fp}.jsonPath`, ""));
    else {
      try {
        compileJSONPath(f.jsonPath);
      } catch (e) {
        out.push(field.invalid(`${fp}.jsonPath`, f.jsonPath, (e as Error).message));
      }
    }
  });
  return out;
}

export function validateCRD(crd: Obj): Causes {
  const spec = isObj(crd.spec) ? crd.spec : {};
  const names = isObj(spec.names) ? spec.names : {};
  const out: Causes = [];
  const group: string = spec.group ?? "";
  if (names.plural && group && crd.metadata?.name !== `${names.plural}.${group}`) {
    out.push(field.invalid("metadata.name", crd.metadata?.name ?? "", 'must be spec.names.plural+"."+spec.group'));
  }
  if (!group) out.push(field.required("spec.group", ""));
  else if (isDNS1123Subdomain(group).length) out.push(field.invalid("spec.group", group, isDNS1123Subdomain(group).join(",")));
  else if (group.split(".").length < 2) out.push(field.invalid("spec.group", group, "should be a domain with at least one dot"));
  out.push(...enumValue(spec.scope, "spec.scope", ["Cluster", "Namespaced"]));
  out.push(...validateNames(names, "spec.names"));
  const versions = asArray(spec.versions);
  const seen = new Set<string>();
  let unique = true;
  let storage = 0;
  versions.forEach((v, i) => {
    if (v?.storage === true) storage++;
    if (seen.has(v?.name)) unique = false;
    seen.add(v?.name);
    out.push(...validateVersion(isObj(v) ? v : {}, idx("spec.versions", i)));
  });
  if (!unique) out.push(field.invalid("spec.versions", versions, "must contain unique version names"));
  if (storage !== 1) out.push(field.invalid("spec.versions", versions, "must have exactly one version marked as storage version"));
  if (spec.preserveUnknownFields === true) out.push(field.invalid("spec.preserveUnknownFields", true, "cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead"));
  out.push(...enumValue(spec.conversion?.strategy, "spec.conversion.strategy", ["None", "Webhook"]));
  return out;
}

function established(crd: Obj): boolean {
  return asArray(crd.status?.conditions).some((c) => c?.type === "Established" && c?.status === "True");
}

export function validateCRDUpdate(crd: Obj, old: Obj): Causes {
  const out: Causes = [];
  if (crd.spec?.group !== old.spec?.group) out.push(field.invalid("spec.group", crd.spec?.group, "field is immutable"));
  if (established(old)) {
    if (crd.spec?.scope !== old.spec?.scope) out.push(field.invalid("spec.scope", crd.spec?.scope, "field is immutable"));
    if (crd.spec?.names?.kind !== old.spec?.names?.kind) out.push(field.invalid("spec.names.kind", crd.spec?.names?.kind, "field is immutable"));
    if (crd.spec?.names?.listKind !== old.spec?.names?.listKind) out.push(field.invalid("spec.names.listKind", crd.spec?.names?.listKind, "field is immutable"));
  }
  const storedVersions = asArray<string>(old.status?.storedVersions);
  const names = new Set(asArray(crd.spec?.versions).map((v) => v?.name));
  for (const sv of storedVersions) {
    if (!names.has(sv)) out.push(field.invalid("status.storedVersions", storedVersions, `must appear in spec.versions`));
  }
  return out;
}

function storageVersion(crd: Obj): string | undefined {
  return asArray(crd.spec?.versions).find((v) => v?.storage === true)?.name;
}

function condition(type: string, reason: string, message: string, now: Date): Obj {
  return { type, status: "True", lastTransitionTime: rfc3339(now), reason, message };
}

export function crdDef(): ResourceDef {
  return {
    group: "apiextensions.k8s.io",
    version: "v1",
    kind: "CustomResourceDefinition",
    plural: "customresourcedefinitions",
    singular: "customresourcedefinition",
    shortNames: ["crd", "crds"],
    categories: ["api-extensions"],
    namespaced: false,
    statusSubresource: true,
    generation: true,
    defaults: defaultCRD,
    prepareForCreate(crd: Obj, ctx: OpContext) {
      const sv = storageVersion(crd);
      crd.status = {
        conditions: [
          condition("NamesAccepted", "NoConflicts", "no conflicts found", ctx.now),
          condition("Established", "InitialNamesAccepted", "the initial names have been accepted", ctx.now),
        ],
        acceptedNames: structuredClone(crd.spec?.names ?? {}),
        storedVersions: sv ? [sv] : [],
      };
    },
    prepareForUpdate(crd: Obj, _old: Obj) {
      // kite registers names synchronously, so accepted names follow the spec.
      const st = isObj(crd.status) ? crd.status : (crd.status = {});
      st.acceptedNames = structuredClone(crd.spec?.names ?? {});
      const sv = storageVersion(crd);
      const stored = asArray<string>(st.storedVersions);
      if (sv && !stored.includes(sv)) st.storedVersions = [...stored, sv];
    },
    validate: validateCRD,
    validateUpdate: validateCRDUpdate,
    columns: defaultTable.columns,
    cells: defaultTable.cells,
  };
}
