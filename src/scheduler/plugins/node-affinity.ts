/**
 * @module scheduler/plugins/node-affinity
 * NodeAffinity: spec.nodeSelector and requiredDuringScheduling node affinity must match
 * the node; terms that pin metadata.name narrow the cycle to those nodes up front (the
 * rest count as "node(s) didn't satisfy plugin(s) [NodeAffinity]", as upstream reports
 * for DaemonSet pods). Scoring sums the weights of matching preferred terms.
 */
import type { KObj } from "../../client/client.ts";
import { SKIP, type FilterPlugin, type PreFilterResult, type ScorePlugin } from "../framework.ts";
import { nodeTermMatches, requiredNodeAffinityMatches } from "../matchers.ts";
import { unresolvable, type Status } from "../status.ts";
import { defaultNormalize } from "./normalize.ts";

export const NAME = "NodeAffinity";
export const ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector";
export const ERR_REASON_CONFLICT = "pod affinity terms conflict";
const REJECT = unresolvable(NAME, ERR_REASON_POD);

/** The node names `metadata.name In` field terms allow (union over terms, intersection within one), or null for all nodes. */
export function nodeNamesFromAffinity(spec: KObj | undefined): Set<string> | null {
  const terms = spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (!Array.isArray(terms)) return null;
  let names: Set<string> | null = null;
  for (const t of terms as KObj[]) {
    let termNames: Set<string> | null = null;
    for (const r of (t?.matchFields ?? []) as KObj[]) {
      if (r?.key !== "metadata.name" || r.operator !== "In") continue;
      const s = new Set<string>((r.values ?? []).map(String));
      termNames = termNames === null ? s : intersect(termNames, s);
    }
    if (termNames === null) return null;
    names = new Set([...(names ?? []), ...termNames]);
  }
  return names;
}

function intersect(a: ReadonlySet<string>, b: ReadonlySet<string>): Set<string> {
  const out = new Set<string>();
  for (const x of a) if (b.has(x)) out.add(x);
  return out;
}

export const nodeAffinityFilter: FilterPlugin = {
  name: NAME,
  preFilter(_state, pod): Status | PreFilterResult | typeof SKIP | null {
    if (!pod.requiredNodeAffinity) return SKIP;
    const names = nodeNamesFromAffinity(pod.pod.spec);
    if (names === null) return null;
    if (names.size === 0) return unresolvable(NAME, ERR_REASON_CONFLICT);
    return { nodeNames: names };
  },
  filter(_state, pod, node) {
    return requiredNodeAffinityMatches(pod.requiredNodeAffinity, node.name, node.labels) ? null : REJECT;
  },
};

export const nodeAffinityScore: ScorePlugin = {
  name: NAME,
  weight: 2,
  preScore(_state, pod) {
    return pod.preferredNodeTerms !== null;
  },
  score(_state, pod, node) {
    let n = 0;
    for (const t of pod.preferredNodeTerms!) if (nodeTermMatches(t.term, node.name, node.labels)) n += t.weight;
    return n;
  },
  normalize(_state, _pod, _nodes, scores) {
    defaultNormalize(scores, false);
  },
};
