/**
 * @module scheduler/plugins/taint-toleration
 * TaintToleration: a node with a NoSchedule/NoExecute taint the pod does not tolerate is
 * refused ("node(s) had untolerated taint {key: value}"); scoring prefers nodes with fewer
 * untolerated PreferNoSchedule taints (normalized in reverse).
 */
import type { FilterPlugin, ScorePlugin } from "../framework.ts";
import { doNotSchedule, findUntoleratedTaint, toleratesAny, type Taint, type Toleration } from "../matchers.ts";
import { unresolvable, type Status } from "../status.ts";
import { defaultNormalize } from "./normalize.ts";

export const NAME = "TaintToleration";

const messages = new Map<string, Status>();
function reject(t: Taint): Status {
  const reason = `node(s) had untolerated taint {${t.key}: ${t.value}}`;
  let s = messages.get(reason);
  if (!s) {
    if (messages.size > 1000) messages.clear();
    messages.set(reason, (s = unresolvable(NAME, reason)));
  }
  return s;
}

export const taintTolerationFilter: FilterPlugin = {
  name: NAME,
  filter(_state, pod, node) {
    if (node.taints.length === 0) return null;
    const t = findUntoleratedTaint(node.taints, pod.tolerations, doNotSchedule);
    return t ? reject(t) : null;
  },
};

const PREFER_KEY = "PreScoreTaintToleration";

export function countIntolerableTaintsPreferNoSchedule(taints: readonly Taint[], tolerations: readonly Toleration[]): number {
  let n = 0;
  for (const t of taints) {
    if (t.effect !== "PreferNoSchedule") continue;
    if (!toleratesAny(tolerations, t)) n++;
  }
  return n;
}

export const taintTolerationScore: ScorePlugin = {
  name: NAME,
  weight: 3,
  preScore(state, pod, _nodes, snap) {
    // Without PreferNoSchedule taints every node scores 100: skipping keeps the ranking.
    if (snap.preferNoScheduleNodes === 0) return false;
    // Only tolerations with effect PreferNoSchedule or empty are considered.
    state.write(PREFER_KEY, pod.tolerations.filter((t) => t.effect === "" || t.effect === "PreferNoSchedule"));
    return true;
  },
  score(state, _pod, node) {
    if (node.taints.length === 0) return 0;
    return countIntolerableTaintsPreferNoSchedule(node.taints, state.read<Toleration[]>(PREFER_KEY) ?? []);
  },
  normalize(_state, _pod, _nodes, scores) {
    defaultNormalize(scores, true);
  },
};
