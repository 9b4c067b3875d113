/**
 * @module api/resources/common/label-selector
 * metav1.LabelSelector (matchLabels + matchExpressions) as used in specs: validation
 * with upstream's messages, matching against a label set, and the selector string form
 * (`app=web,tier in (a,b)`) that Tables, Scale and describe print.
 */
import { field } from "../../errors.ts";
import { isQualifiedName, isValidLabelValue, validateLabels } from "../../validation/meta.ts";
import type { Obj } from "../../registry/types.ts";
import { asArray, idx, isObj, type Causes } from "./causes.ts";

export function validateLabelSelector(sel: unknown, path: string): Causes {
  if (sel === undefined || sel === null) return [];
  if (!isObj(sel)) return [field.invalid(path, sel, "must be an object")];
  const out: Causes = [...validateLabels(sel.matchLabels, `${path}.matchLabels`)];
  asArray(sel.matchExpressions).forEach((expr, i) => {
    const p = idx(`${path}.matchExpressions`, i);
    const values = asArray<unknown>(expr?.values);
    switch (expr?.operator) {
      case "In":
      case "NotIn":
        if (values.length === 0) out.push(field.required(`${p}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
        break;
      case "Exists":
      case "DoesNotExist":
        if (values.length > 0) out.push(field.forbidden(`${p}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
        break;
      default:
        out.push(field.invalid(`${p}.operator`, expr?.operator ?? "", "not a valid selector operator"));
    }
    const k = typeof expr?.key === "string" ? expr.key : "";
    for (const m of isQualifiedName(k)) out.push(field.invalid(`${p}.key`, k, m));
    values.forEach((v, j) => {
      const s = typeof v === "string" ? v : String(v);
      for (const m of isValidLabelValue(s)) out.push(field.invalid(idx(`${p}.values`, j), v, m));
    });
  });
  return out;
}

export function isEmptySelector(sel: unknown): boolean {
  if (!isObj(sel)) return true;
  return Object.keys(isObj(sel.matchLabels) ? sel.matchLabels : {}).length === 0 && asArray(sel.matchExpressions).length === 0;
}

/** Whether a LabelSelector selects a label set. A missing selector selects nothing (labels.Nothing). */
export function selectorMatches(sel: unknown, labels: Record<string, string> | undefined): boolean {
  if (!isObj(sel)) return false;
  const l = labels ?? {};
  for (const [k, v] of Object.entries(isObj(sel.matchLabels) ? sel.matchLabels : {})) if (l[k] !== v) return false;
  for (const e of asArray(sel.matchExpressions)) {
    const has = Object.prototype.hasOwnProperty.call(l, e.key);
    const vals = asArray<string>(e.values);
    switch (e.operator) {
      case "In":
        if (!has || !vals.includes(l[e.key]!)) return false;
        break;
      case "NotIn":
        if (has && vals.includes(l[e.key]!)) return false;
        break;
      case "Exists":
        if (!has) return false;
        break;
      case "DoesNotExist":
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** LabelSelectorAsSelector(sel).String(): requirements sorted by key, values sorted. "" for empty. */
export function selectorString(sel: unknown): string {
  if (!isObj(sel)) return "";
  const reqs: { key: string; text: string }[] = [];
  for (const [k, v] of Object.entries(isObj(sel.matchLabels) ? sel.matchLabels : {})) reqs.push({ key: k, text: `${k}=${v}` });
  for (const e of asArray(sel.matchExpressions)) {
    const vals = [...asArray<string>(e.values)].sort();
    const text =
      e.operator === "In" ? `${e.key} in (${vals.join(",")})`
      : e.operator === "NotIn" ? `${e.key} notin (${vals.join(",")})`
      : e.operator === "Exists" ? `${e.key}`
      : e.operator === "DoesNotExist" ? `!${e.key}`
      : `${e.key}?`;
    reqs.push({ key: e.key, text });
  }
  return reqs
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((r) => r.text)
    .join(",");
}

/** metav1.FormatLabelSelector: "<none>" for empty or missing. */
export function formatLabelSelector(sel: unknown): string {
  return selectorString(sel) || "<none>";
}

/** labels.FormatLabels: sorted `k=v` pairs, "<none>" when empty. */
export function formatLabels(labels: Obj | undefined | null): string {
  const entries = Object.entries(labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.length ? entries.map(([k, v]) => `${k}=${v}`).join(",") : "<none>";
}
