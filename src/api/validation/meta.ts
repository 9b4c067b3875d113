/**
 * @module api/validation/meta
 * Kubernetes' name, label, annotation and object-meta validation with upstream's wording
 * (k8s.io/apimachinery/pkg/util/validation), so kubectl prints the same errors.
 */
import { field, type StatusCause } from "../errors.ts";

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export const msg = {
  dns1123Label:
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
  dns1123Subdomain:
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
  dns1035Label:
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
  qualifiedName:
    "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
  labelValue:
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
};

/** Returns error strings (empty when valid), like validation.IsDNS1123Subdomain. */
export function isDNS1123Subdomain(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 253) errs.push("must be no more than 253 characters");
  if (!DNS1123_SUBDOMAIN.test(v)) errs.push(msg.dns1123Subdomain);
  return errs;
}
export function isDNS1123Label(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 63) errs.push("must be no more than 63 characters");
  if (!DNS1123_LABEL.test(v)) errs.push(msg.dns1123Label);
  return errs;
}
export function isDNS1035Label(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 63) errs.push("must be no more than 63 characters");
  if (!DNS1035_LABEL.test(v)) errs.push(msg.dns1035Label);
  return errs;
}
export function isQualifiedName(v: string): string[] {
  const errs: string[] = [];
  const parts = v.split("/");
  let name = v;
  if (parts.length === 2) {
    const [prefix, n] = parts as [string, string];
    name = n;
    if (prefix.length === 0) errs.push("prefix part must be non-empty");
    else for (const e of isDNS1123Subdomain(prefix)) errs.push("prefix part " + e);
  } else if (parts.length > 2) {
    return [
      "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  }
  if (name.length === 0) errs.push("name part must be non-empty");
  else if (name.length > 63) errs.push("name part must be no more than 63 characters");
  if (name.length && !QUALIFIED_NAME.test(name)) errs.push(msg.qualifiedName);
  return errs;
}
export function isValidLabelValue(v: string): string[] {
  const errs: string[] = [];
  if (v.length > 63) errs.push("must be no more than 63 characters");
  if (!LABEL_VALUE.test(v)) errs.push(msg.labelValue);
  return errs;
}

export function validateLabels(labels: unknown, path: string): StatusCause[] {
  const out: StatusCause[] = [];
  if (labels === undefined || labels === null) return out;
  if (typeof labels !== "object" || Array.isArray(labels)) return [field.invalid(path, labels, "must be a map of string keys to string values")];
  for (const [k, v] of Object.entries(labels as Record<string, unknown>)) {
    for (const e of isQualifiedName(k)) out.push(field.invalid(path, k, e));
    if (typeof v !== "string") out.push(field.invalid(`${path}`, v, "label values must be strings"));
    else for (const e of isValidLabelValue(v)) out.push(field.invalid(path, v, e));
  }
  return out;
}

export function validateAnnotations(ann: unknown, path: string): StatusCause[] {
  const out: StatusCause[] = [];
  if (ann === undefined || ann === null) return out;
  if (typeof ann !== "object" || Array.isArray(ann)) return [field.invalid(path, ann, "must be a map of string keys to string values")];
  let total = 0;
  for (const [k, v] of Object.entries(ann as Record<string, unknown>)) {
    for (const e of isQualifiedName(k.toLowerCase())) out.push(field.invalid(path, k, e));
    if (typeof v !== "string") out.push(field.invalid(path, v, "annotation values must be strings"));
    total += k.length + (typeof v === "string" ? v.length : 0);
  }
  if (total > 256 * 1024) out.push({ reason: "FieldValueTooLong", message: `Too long: must have at most ${256 * 1024} bytes`, field: path });
  return out;
}

export type NameValidator = (name: string) => string[];

/** ObjectMeta checks common to every kind (name, generateName, namespace, labels, annotations...). */
export function validateObjectMeta(meta: Record<string, unknown> | undefined, opts: { namespaced: boolean; nameValidator: NameValidator }): StatusCause[] {
  const out: StatusCause[] = [];
  if (!meta || typeof meta !== "object") return [field.required("metadata")];
  const name = meta.name;
  if (name === undefined || name === "") {
    if (!meta.generateName) out.push(field.required("metadata.name", "name or generateName is required"));
  } else if (typeof name !== "string") {
    out.push(field.invalid("metadata.name", name, "must be a string"));
  } else {
    for (const e of opts.nameValidator(name)) out.push(field.invalid("metadata.name", name, e));
  }
  if (opts.namespaced) {
    const ns = meta.namespace;
    if (!ns) out.push(field.required("metadata.namespace"));
    else if (typeof ns === "string") for (const e of isDNS1123Label(ns)) out.push(field.invalid("metadata.namespace", ns, e));
  } else if (meta.namespace) {
    out.push(field.forbidden("metadata.namespace", "not allowed on this type"));
  }
  out.push(...validateLabels(meta.labels, "metadata.labels"));
  out.push(...validateAnnotations(meta.annotations, "metadata.annotations"));
  if (meta.finalizers !== undefined) {
    if (!Array.isArray(meta.finalizers)) out.push(field.invalid("metadata.finalizers", meta.finalizers, "must be a list"));
    else
      (meta.finalizers as unknown[]).forEach((f, i) => {
        if (typeof f !== "string") out.push(field.invalid(`metadata.finalizers[${i}]`, f, "must be a string"));
        else if (f.includes("/")) for (const e of isQualifiedName(f)) out.push(field.invalid(`metadata.finalizers[${i}]`, f, e));
      });
  }
  if (meta.ownerReferences !== undefined) {
    if (!Array.isArray(meta.ownerReferences)) out.push(field.invalid("metadata.ownerReferences", meta.ownerReferences, "must be a list"));
    else {
      let controllers = 0;
      (meta.ownerReferences as Record<string, unknown>[]).forEach((r, i) => {
        const p = `metadata.ownerReferences[${i}]`;
        if (!r || typeof r !== "object") return out.push(field.invalid(p, r, "must be an object"));
        if (!r.apiVersion) out.push(field.invalid(`${p}.apiVersion`, r.apiVersion ?? "", "version must not be empty"));
        if (!r.kind) out.push(field.invalid(`${p}.kind`, r.kind ?? "", "kind must not be empty"));
        if (!r.name) out.push(field.invalid(`${p}.name`, r.name ?? "", "name must not be empty"));
        if (!r.uid) out.push(field.invalid(`${p}.uid`, r.uid ?? "", "uid must not be empty"));
        if (r.controller === true) controllers++;
      });
      if (controllers > 1) out.push(field.invalid("metadata.ownerReferences", meta.ownerReferences, "Only one reference can have Controller set to true"));
    }
  }
  return out;
}
