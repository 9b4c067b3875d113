/**
 * @module controllers/workloads/util/node-match
 * Whether a pod spec fits a node by the rules a DaemonSet must check itself: tolerations
 * against taints (v1 Toleration.ToleratesTaint), spec.nodeSelector, and required node
 * affinity (nodeSelectorTerms ORed; within a term matchExpressions on labels and
 * matchFields on metadata.name ANDed; In/NotIn/Exists/DoesNotExist/Gt/Lt; an empty or
 * invalid term matches nothing), like component-helpers' nodeaffinity.
 */
import type { KObj } from "../../../client/client.ts";

export interface Taint {
  key: string;
  value?: string;
  effect: string;
}

export function toleratesTaint(t: KObj, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  const op = t.operator ?? "";
  if (op === "" || op === "Equal") return (t.value ?? "") === (taint.value ?? "");
  return op === "Exists";
}

/** The first taint passing `relevant` that no toleration tolerates. */
export function untoleratedTaint(taints: Taint[] | undefined, tolerations: KObj[] | undefined, relevant: (t: Taint) => boolean): Taint | undefined {
  for (const taint of taints ?? []) {
    if (!relevant(taint)) continue;
    if (!(tolerations ?? []).some((t) => toleratesTaint(t, taint))) return taint;
  }
  return undefined;
}

function requirementMatches(r: KObj, value: string | undefined): boolean {
  const values: string[] = r.values ?? [];
  switch (r.operator) {
    case "In":
      return value !== undefined && values.includes(value);
    case "NotIn":
      return value === undefined || !values.includes(value);
    case "Exists":
      return value !== undefined;
    case "DoesNotExist":
      return value === undefined;
    case "Gt":
    case "Lt": {
      if (value === undefined || values.length !== 1) return false;
      const a = Number(value);
      const b = Number(values[0]);
      if (!Number.isInteger(a) || !Number.isInteger(b)) return false;
      return r.operator === "Gt" ? a > b : a < b;
    }
    default:
      return false;
  }
}

function termMatches(term: KObj, node: KObj): boolean {
  const exprs: KObj[] = term?.matchExpressions ?? [];
  const fields: KObj[] = term?.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const labels: Record<string, string> = node.metadata?.labels ?? {};
  for (const e of exprs) if (!requirementMatches(e, labels[e.key])) return false;
  for (const f of fields) {
    if (f.key !== "metadata.name") return false;
    if (!requirementMatches(f, node.metadata?.name)) return false;
  }
  return true;
}

/** spec.nodeSelector and required node affinity both match the node. */
export function nodeMatchesPodSpec(spec: KObj, node: KObj): boolean {
  const labels: Record<string, string> = node.metadata?.labels ?? {};
  for (const [k, v] of Object.entries<string>(spec.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const terms: KObj[] | undefined = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (terms === undefined || terms === null) return true;
  return terms.some((t) => termMatches(t, node));
}
