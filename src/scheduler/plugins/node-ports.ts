/**
 * @module scheduler/plugins/node-ports
 * NodePorts: the pod's host ports (hostIP, protocol, hostPort) must be free on the node;
 * 0.0.0.0 conflicts with the same port on any address.
 */
import { SKIP, type FilterPlugin } from "../framework.ts";
import { unschedulable } from "../status.ts";

export const NAME = "NodePorts";
export const ERR_REASON_PORTS = "node(s) didn't have free ports for the requested pod ports";
const REJECT = unschedulable(NAME, ERR_REASON_PORTS);

export const nodePorts: FilterPlugin = {
  name: NAME,
  preFilter(_state, pod) {
    return pod.hostPorts ? null : SKIP;
  },
  filter(_state, pod, node) {
    for (const hp of pod.hostPorts!) if (node.portConflict(hp)) return REJECT;
    return null;
  },
};
