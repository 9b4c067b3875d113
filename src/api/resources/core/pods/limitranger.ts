/**
 * @module api/resources/core/pods/limitranger
 * The LimitRanger admission plugin for pods: container defaults from the namespace's
 * LimitRanges (recorded in the `kubernetes.io/limit-ranger` annotation), then the
 * min / max / maxLimitRequestRatio constraints per Container and per Pod, refused with
 * 403 Forbidden and upstream's messages.
 */
import { errors } from "../../../errors.ts";
import type { Obj, RegistryAccess } from "../../../registry/types.ts";
import { asArray, isObj } from "../../common/causes.ts";
import { Quantity } from "../../quantity.ts";

type List = Map<string, Quantity>;

function parse(list: unknown): List {
  const m: List = new Map();
  for (const [k, v] of Object.entries(isObj(list) ? list : {})) {
    const q = Quantity.tryParse(v);
    if (q) m.set(k, q);
  }
  return m;
}

function mergeDefaults(c: Obj, item: Obj, notes: string[], prefix: string) {
  const res = isObj(c.resources) ? c.resources : (c.resources = {});
  const setReq: string[] = [];
  const setLim: string[] = [];
  for (const [k, v] of Object.entries(isObj(item.default) ? item.default : {})) {
    const lim = isObj(res.limits) ? res.limits : (res.limits = {});
    if (!(k in lim)) {
      lim[k] = v;
      setLim.push(k);
    }
  }
  for (const [k, v] of Object.entries(isObj(item.defaultRequest) ? item.defaultRequest : {})) {
    const req = isObj(res.requests) ? res.requests : (res.requests = {});
    if (!(k in req)) {
      req[k] = v;
      setReq.push(k);
    }
  }
  if (setReq.length) notes.push(`${setReq.sort().join(", ")} request for ${prefix} ${c.name}`);
  if (setLim.length) notes.push(`${setLim.sort().join(", ")} limit for ${prefix} ${c.name}`);
}

/** Values compared like requestLimitEnforcedValues: milli precision unless huge. */
function observed(q: Quantity | undefined, enforced: Quantity): number {
  if (!q) return 0;
  return enforced.valueBig() <= 9_000_000_000_000_000n / 1000n ? q.milliValue() : q.value();
}
function enforcedValue(q: Quantity): number {
  return q.valueBig() <= 9_000_000_000_000_000n / 1000n ? q.milliValue() : q.value();
}

function check(kind: string, item: Obj, requests: List, limits: List, errs: string[]) {
  for (const [name, min] of parse(item.min)) {
    const req = requests.get(name);
    const lim = limits.get(name);
    if (!req) errs.push(`minimum ${name} usage per ${kind} is ${min}.  No request is specified`);
    else if (observed(req, min) < enforcedValue(min)) errs.push(`minimum ${name} usage per ${kind} is ${min}, but request is ${req}`);
    else if (lim && observed(lim, min) < enforcedValue(min)) errs.push(`minimum ${name} usage per ${kind} is ${min}, but limit is ${lim}`);
  }
  for (const [name, max] of parse(item.max)) {
    const req = requests.get(name);
    const lim = limits.get(name);
    if (!lim) errs.push(`maximum ${name} usage per ${kind} is ${max}.  No limit is specified`);
    else if (observed(lim, max) > enforcedValue(max)) errs.push(`maximum ${name} usage per ${kind} is ${max}, but limit is ${lim}`);
    else if (req && observed(req, max) > enforcedValue(max)) errs.push(`maximum ${name} usage per ${kind} is ${max}, but request is ${req}`);
  }
  for (const [name, ratio] of parse(item.maxLimitRequestRatio)) {
    const req = requests.get(name);
    const lim = limits.get(name);
    if (!req || req.isZero()) errs.push(`${name} max limit to request ratio per ${kind} is ${ratio}, but no request is specified or request is 0`);
    else if (!lim || lim.isZero()) errs.push(`${name} max limit to request ratio per ${kind} is ${ratio}, but no limit is specified or limit is 0`);
    else {
      const r = lim.asApproximateFloat64() / req.asApproximateFloat64();
      if (r > ratio.asApproximateFloat64()) errs.push(`${name} max limit to request ratio per ${kind} is ${ratio}, but provided ratio is ${r.toFixed(6)}`);
    }
  }
}

/** Pod-level totals: sum of containers, at least the largest init container. */
function podTotals(spec: Obj, field: "requests" | "limits"): List {
  const sum: List = new Map();
  for (const c of asArray(spec.containers)) {
    for (const [k, q] of parse(c?.resources?.[field])) sum.set(k, sum.has(k) ? sum.get(k)!.add(q) : q);
  }
  for (const c of asArray(spec.initContainers)) {
    for (const [k, q] of parse(c?.resources?.[field])) if (!sum.has(k) || sum.get(k)!.cmp(q) < 0) sum.set(k, q);
  }
  return sum;
}

export async function applyLimitRanges(pod: Obj, registry: RegistryAccess): Promise<void> {
  const ns = pod.metadata?.namespace;
  if (!ns) return;
  const ranges = await registry.list("", "limitranges", ns);
  if (ranges.length === 0) return;
  const spec = pod.spec as Obj;
  const notes: string[] = [];
  for (const lr of ranges) {
    for (const item of asArray(lr.spec?.limits)) {
      if (item?.type !== "Container") continue;
      for (const c of asArray(spec.initContainers)) if (isObj(c)) mergeDefaults(c, item, notes, "init container");
      for (const c of asArray(spec.containers)) if (isObj(c)) mergeDefaults(c, item, notes, "container");
    }
  }
  if (notes.length) {
    const meta = pod.metadata as Obj;
    meta.annotations = { ...(isObj(meta.annotations) ? meta.annotations : {}), "kubernetes.io/limit-ranger": `LimitRanger plugin set: ${notes.join("; ")}` };
  }
  const errs: string[] = [];
  for (const lr of ranges) {
    for (const item of asArray(lr.spec?.limits)) {
      if (item?.type === "Container") {
        for (const c of [...asArray(spec.initContainers), ...asArray(spec.containers)]) check("Container", item, parse(c?.resources?.requests), parse(c?.resources?.limits), errs);
      } else if (item?.type === "Pod") {
        check("Pod", item, podTotals(spec, "requests"), podTotals(spec, "limits"), errs);
      }
    }
  }
  if (errs.length) {
    const name = pod.metadata?.name ?? pod.metadata?.generateName ?? "";
    throw errors.forbidden(`pods "${name}" is forbidden: ${errs.length === 1 ? errs[0] : `[${errs.join(", ")}]`}`);
  }
}
