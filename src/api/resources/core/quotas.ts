/**
 * @module api/resources/core/quotas
 * ResourceQuotas and LimitRanges: quantity canonicalisation and validation, the
 * LimitRangeItem defaults (default ← max, defaultRequest ← default ← min for
 * containers), min ≤ defaultRequest ≤ default ≤ max checks, and their tables. Quota
 * enforcement and LimitRanger admission are not part of the kinds.
 */
import { field } from "../../errors.ts";
import type { Obj, ResourceDef } from "../../registry/types.ts";
import { asArray, enumValue, idx, isObj, key, type Causes } from "../common/causes.ts";
import { ageCell, col, defaultTable, nameCol, CREATED_DESC } from "../common/columns.ts";
import { canonicalizeResourceList, parseResourceList, validateQuotaResourceList } from "../common/resource-list.ts";
import type { Quantity } from "../quantity.ts";

const QUOTA_SCOPES = ["BestEffort", "CrossNamespacePodAffinity", "NotBestEffort", "NotTerminating", "PriorityClass", "Terminating"];

/** REQUEST and LIMIT cells: "cpu: 0/1, pods: 1/10" from status.hard and status.used. */
export function quotaCells(q: Obj): [string, string] {
  const hard = isObj(q.status?.hard) ? q.status.hard : {};
  const used = isObj(q.status?.used) ? q.status.used : {};
  const req: string[] = [];
  const lim: string[] = [];
  for (const name of Object.keys(hard).sort()) {
    const text = `${name}: ${used[name] ?? "0"}/${hard[name]}`;
    (name.split(".")[0] === "limits" && name.includes(".") ? lim : req).push(text);
  }
  return [req.join(", "), lim.join(", ")];
}

export function resourceQuotaDef(): ResourceDef {
  return {
    group: "",
    version: "v1",
    kind: "ResourceQuota",
    plural: "resourcequotas",
    singular: "resourcequota",
    shortNames: ["quota"],
    namespaced: true,
    statusSubresource: true,
    generation: false,
    defaults(q: Obj) {
      canonicalizeResourceList(q.spec?.hard);
      canonicalizeResourceList(q.status?.hard);
      canonicalizeResourceList(q.status?.used);
    },
    prepareForCreate(q: Obj) {
      q.status = {};
    },
    validate(q: Obj) {
      const spec = isObj(q.spec) ? q.spec : {};
      const out: Causes = [...validateQuotaResourceList(spec.hard, "spec.hard")];
      out.push(...validateQuotaResourceList(q.status?.hard, "status.hard"), ...validateQuotaResourceList(q.status?.used, "status.used"));
      asArray<string>(spec.scopes).forEach((s, i) => out.push(...enumValue(s, idx("spec.scopes", i), QUOTA_SCOPES)));
      asArray(spec.scopeSelector?.matchExpressions).forEach((e, i) => {
        const p = idx("spec.scopeSelector.matchExpressions", i);
        out.push(...enumValue(e?.scopeName, `${p}.scopeName`, QUOTA_SCOPES));
        out.push(...enumValue(e?.operator, `${p}.operator`, ["DoesNotExist", "Exists", "In", "NotIn"]));
      });
      return out;
    },
    columns: [nameCol, col("Age", "string", CREATED_DESC), col("Request", "string", "Request represents a minimum amount of cpu/memory that a container may consume."), col("Limit", "string", "Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.")],
    cells(q: Obj, now: number) {
      const [r, l] = quotaCells(q);
      return [q.metadata?.name, ageCell(q, now), r, l];
    },
  };
}

export function defaultLimitRangeItem(item: Obj) {
  for (const f of ["max", "min", "default", "defaultRequest", "maxLimitRequestRatio"]) canonicalizeResourceList(item[f]);
  if (item.type !== "Container") return;
  const def: Obj = isObj(item.default) ? { ...item.default } : {};
  const defReq: Obj = isObj(item.defaultRequest) ? { ...item.defaultRequest } : {};
  for (const [k, v] of Object.entries(isObj(item.max) ? item.max : {})) if (!(k in def)) def[k] = v;
  for (const [k, v] of Object.entries(def)) if (!(k in defReq)) defReq[k] = v;
  for (const [k, v] of Object.entries(isObj(item.min) ? item.min : {})) if (!(k in defReq)) defReq[k] = v;
  if (Object.keys(def).length) item.default = def;
  if (Object.keys(defReq).length) item.defaultRequest = defReq;
}

export function validateLimitRange(lr: Obj): Causes {
  const out: Causes = [];
  const limits = asArray(lr.spec?.limits);
  limits.forEach((item, i) => {
    const p = idx("spec.limits", i);
    if (!isObj(item)) return out.push(field.invalid(p, item, "must be an object"));
    out.push(...enumValue(item.type, `${p}.type`, ["Container", "PersistentVolumeClaim", "Pod"]));
    const lists: Record<string, Map<string, Quantity>> = {};
    for (const f of ["max", "min", "default", "defaultRequest", "maxLimitRequestRatio"]) lists[f] = parseResourceList(item[f], `${p}.${f}`, out);
    if (item.type === "Pod") {
      if (lists.default!.size) out.push(field.forbidden(`${p}.default`, "may not be specified when `type` is 'Pod'"));
      if (lists.defaultRequest!.size) out.push(field.forbidden(`${p}.defaultRequest`, "may not be specified when `type` is 'Pod'"));
    }
    const names = new Set(Object.values(lists).flatMap((m) => [...m.keys()]));
    for (const name of names) {
      const mn = lists.min!.get(name);
      const mx = lists.max!.get(name);
      const d = lists.default!.get(name);
      const dr = lists.defaultRequest!.get(name);
      if (mn && mx && mn.cmp(mx) > 0) out.push(field.invalid(key(`${p}.min`, name), mn.toString(), `min value ${mn} is greater than max value ${mx}`));
      if (dr && mn && mn.cmp(dr) > 0) out.push(field.invalid(key(`${p}.defaultRequest`, name), dr.toString(), `min value ${mn} is greater than default request value ${dr}`));
      if (dr && mx && dr.cmp(mx) > 0) out.push(field.invalid(key(`${p}.defaultRequest`, name), dr.toString(), `default request value ${dr} is greater than max value ${mx}`));
      if (dr && d && dr.cmp(d) > 0) out.push(field.invalid(key(`${p}.defaultRequest`, name), dr.toString(), `default request value ${dr} is greater than default limit value ${d}`));
      if (d && mn && mn.cmp(d) > 0) out.push(field.invalid(key(`${p}.default`, name), d.toString(), `min value ${mn} is greater than default value ${d}`));
      if (d && mx && d.cmp(mx) > 0) out.push(field.invalid(key(`${p}.default`, name), d.toString(), `default value ${d} is greater than max value ${mx}`));
      const ratio = lists.maxLimitRequestRatio!.get(name);
      if (ratio && ratio.asApproximateFloat64() < 1) out.push(field.invalid(key(`${p}.maxLimitRequestRatio`, name), ratio.toString(), "ratio must be greater than or equal to 1"));
    }
  });
  return out;
}

export function limitRangeDef(): ResourceDef {
  return {
    group: "",
    version: "v1",
    kind: "LimitRange",
    plural: "limitranges",
    singular: "limitrange",
    shortNames: ["limits"],
    namespaced: true,
    defaults(lr: Obj) {
      for (const item of asArray(lr.spec?.limits)) if (isObj(item)) defaultLimitRangeItem(item);
    },
    validate: validateLimitRange,
    columns: defaultTable.columns,
    cells: defaultTable.cells,
  };
}


