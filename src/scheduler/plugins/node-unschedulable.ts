/**
 * @module scheduler/plugins/node-unschedulable
 * NodeUnschedulable: a cordoned node (spec.unschedulable) takes only pods that tolerate
 * the node.kubernetes.io/unschedulable:NoSchedule taint.
 */
import type { FilterPlugin } from "../framework.ts";
import { toleratesAny } from "../matchers.ts";
import { unresolvable } from "../status.ts";

export const NAME = "NodeUnschedulable";
export const ERR_REASON_UNSCHEDULABLE = "node(s) were unschedulable";
const TAINT = { key: "node.kubernetes.io/unschedulable", value: "", effect: "NoSchedule" };
const REJECT = unresolvable(NAME, ERR_REASON_UNSCHEDULABLE);

export const nodeUnschedulable: FilterPlugin = {
  name: NAME,
  filter(_state, pod, node) {
    if (!node.unschedulable) return null;
    return toleratesAny(pod.tolerations, TAINT) ? null : REJECT;
  },
};
