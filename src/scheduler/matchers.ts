/**
 * @module scheduler/matchers
 * The matching rules the scheduler's plugins share, compiled once per pod: tolerations
 * against taints (v1 Toleration.ToleratesTaint), node selector terms (nodeSelector plus
 * requiredDuringScheduling node affinity, with matchFields on metadata.name), and pod
 * affinity terms (label selector over namespaces / a namespace selector), with upstream's
 * semantics for empty and invalid terms (they match nothing).
 */
import type { KObj } from "../client/client.ts";
import { EVERYTHING, fromLabelSelector, LabelSelector, LabelSelectorError, newRequirement, NOTHING, selectorFromSet, type LabelOperator, type LabelRequirement } from "../api/selectors/labels.ts";

export type Labels = Readonly<Record<string, string>>;
export const NO_LABELS: Labels = Object.freeze({});

export interface Taint {
  key: string;
  value: string;
  effect: string;
}

export interface Toleration {
  key: string;
  operator: string;
  value: string;
  effect: string;
}

export function toTolerations(list: unknown): Toleration[] {
  if (!Array.isArray(list)) return [];
  return list.filter((t) => t && typeof t === "object").map((t: KObj) => ({ key: t.key ?? "", operator: t.operator ?? "", value: t.value ?? "", effect: t.effect ?? "" }));
}

export function toTaints(list: unknown): Taint[] {
  if (!Array.isArray(list)) return [];
  return list.filter((t) => t && typeof t === "object").map((t: KObj) => ({ key: t.key ?? "", value: t.value ?? "", effect: t.effect ?? "" }));
}

/** v1 Toleration.ToleratesTaint. */
export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  if (t.operator === "" || t.operator === "Equal") return t.value === taint.value;
  return t.operator === "Exists";
}

export function toleratesAny(tolerations: readonly Toleration[], taint: Taint): boolean {
  for (const t of tolerations) if (toleratesTaint(t, taint)) return true;
  return false;
}

/** The first taint (of those `relevant`) no toleration tolerates, like FindMatchingUntoleratedTaint. */
export function findUntoleratedTaint(taints: readonly Taint[], tolerations: readonly Toleration[], relevant: (t: Taint) => boolean): Taint | undefined {
  for (const taint of taints) {
    if (!relevant(taint)) continue;
    if (!toleratesAny(tolerations, taint)) return taint;
  }
  return undefined;
}

export const doNotSchedule = (t: Taint) => t.effect === "NoSchedule" || t.effect === "NoExecute";

// --- node selectors ------------------------------------------------------------------

const NODE_OPS: Record<string, LabelOperator> = { In: "in", NotIn: "notin", Exists: "exists", DoesNotExist: "!", Gt: "gt", Lt: "lt" };

interface FieldRequirement {
  op: "in" | "notin";
  values: readonly string[];
}

/** One compiled NodeSelectorTerm; `valid: false` terms match nothing (upstream skips them with an error). */
export interface CompiledNodeTerm {
  labels: LabelSelector | null;
  fields: FieldRequirement[] | null;
  valid: boolean;
}

export function compileNodeSelectorTerm(term: KObj | null | undefined): CompiledNodeTerm {
  const exprs = Array.isArray(term?.matchExpressions) ? term.matchExpressions : [];
  const fieldsIn = Array.isArray(term?.matchFields) ? term.matchFields : [];
  if (exprs.length === 0 && fieldsIn.length === 0) return { labels: null, fields: null, valid: false };
  try {
    let labels: LabelSelector | null = null;
    if (exprs.length) {
      const reqs: LabelRequirement[] = [];
      for (const e of exprs as KObj[]) {
        const op = NODE_OPS[e?.operator];
        if (!op) throw new LabelSelectorError(`${JSON.stringify(e?.operator)} is not a valid node selector operator`);
        reqs.push(newRequirement(String(e.key ?? ""), op, Array.isArray(e.values) ? e.values.map(String) : []));
      }
      labels = new LabelSelector(reqs);
    }
    let fields: FieldRequirement[] | null = null;
    if (fieldsIn.length) {
      fields = [];
      for (const f of fieldsIn as KObj[]) {
        if (f?.key !== "metadata.name") throw new LabelSelectorError(`not a valid field selector key: ${f?.key}`);
        const values = Array.isArray(f.values) ? f.values.map(String) : [];
        if (f.operator === "In" || f.operator === "NotIn") {
          if (values.length !== 1) throw new LabelSelectorError("field selector requires exactly one value");
          fields.push({ op: f.operator === "In" ? "in" : "notin", values });
        } else throw new LabelSelectorError(`${JSON.stringify(f.operator)} is not a valid field selector operator`);
      }
    }
    return { labels, fields, valid: true };
  } catch (e) {
    if (e instanceof LabelSelectorError) return { labels: null, fields: null, valid: false };
    throw e;
  }
}

export function nodeTermMatches(t: CompiledNodeTerm, nodeName: string, labels: Labels): boolean {
  if (!t.valid) return false;
  if (t.labels && !t.labels.matches(labels)) return false;
  if (t.fields) {
    for (const f of t.fields) {
      const has = f.values.includes(nodeName);
      if (f.op === "in" ? !has : has) return false;
    }
  }
  return true;
}

/** nodeSelector AND (any of the required node affinity terms), like nodeaffinity.RequiredNodeAffinity. */
export interface RequiredNodeAffinity {
  selector: LabelSelector | null;
  terms: CompiledNodeTerm[] | null;
}

export function requiredNodeAffinity(spec: KObj | undefined): RequiredNodeAffinity | null {
  const ns = spec?.nodeSelector;
  const selector = ns && typeof ns === "object" && Object.keys(ns).length ? selectorFromSet(ns) : null;
  const req = spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  const terms = req && typeof req === "object" ? (Array.isArray(req.nodeSelectorTerms) ? req.nodeSelectorTerms : []).map(compileNodeSelectorTerm) : null;
  if (!selector && !terms) return null;
  return { selector, terms };
}

export function requiredNodeAffinityMatches(a: RequiredNodeAffinity | null, nodeName: string, labels: Labels): boolean {
  if (!a) return true;
  if (a.selector && !a.selector.matches(labels)) return false;
  if (a.terms) {
    for (const t of a.terms) if (nodeTermMatches(t, nodeName, labels)) return true;
    return false;
  }
  return true;
}

export interface PreferredNodeTerm {
  weight: number;
  term: CompiledNodeTerm;
}

export function preferredNodeTerms(spec: KObj | undefined): PreferredNodeTerm[] | null {
  const list = spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution;
  if (!Array.isArray(list) || list.length === 0) return null;
  const out: PreferredNodeTerm[] = [];
  for (const p of list as KObj[]) {
    const weight = Number(p?.weight ?? 0);
    if (!weight) continue;
    out.push({ weight, term: compileNodeSelectorTerm(p.preference) });
  }
  return out.length ? out : null;
}

// --- pod affinity terms --------------------------------------------------------------

export interface AffinityTerm {
  namespaces: ReadonlySet<string>;
  /** NOTHING when the term has no namespaceSelector. */
  nsSelector: LabelSelector;
  selector: LabelSelector;
  topologyKey: string;
  /** Identity for caches: selector, namespaces, namespace selector. */
  key: string;
}

export interface WeightedAffinityTerm extends AffinityTerm {
  weight: number;
}

function safeSelector(ls: unknown): LabelSelector {
  try {
    return fromLabelSelector(ls as never);
  } catch (e) {
    if (e instanceof LabelSelectorError) return NOTHING;
    throw e;
  }
}

/** framework.newAffinityTerm: namespaces default to the pod's own when neither namespaces nor a namespaceSelector is given. */
export function affinityTerm(podNamespace: string, term: KObj): AffinityTerm {
  const listed = Array.isArray(term?.namespaces) ? (term.namespaces as string[]) : [];
  const hasNsSel = term?.namespaceSelector !== undefined && term?.namespaceSelector !== null;
  const namespaces = new Set(listed.length === 0 && !hasNsSel ? [podNamespace] : listed);
  const nsSelector = hasNsSel ? safeSelector(term.namespaceSelector) : NOTHING;
  const selector = safeSelector(term?.labelSelector ?? null);
  const topologyKey = String(term?.topologyKey ?? "");
  const key = `${selector.nothing ? "<none>" : selector.toString()}|${[...namespaces].sort().join(",")}|${hasNsSel ? (nsSelector.nothing ? "<none>" : nsSelector.toString()) : "-"}`;
  return { namespaces, nsSelector, selector, topologyKey, key };
}

/** AffinityTerm.Matches: the pod is in one of the namespaces (or its namespace's labels match the selector) and its labels match. */
export function affinityTermMatches(t: AffinityTerm, namespace: string, labels: Labels, nsLabels: Labels | undefined): boolean {
  if (t.namespaces.has(namespace) || (!t.nsSelector.nothing && t.nsSelector.matches(nsLabels ?? NO_LABELS))) {
    return t.selector.matches(labels);
  }
  return false;
}

export { EVERYTHING, NOTHING, LabelSelector, fromLabelSelector, selectorFromSet };
