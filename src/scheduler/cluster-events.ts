/**
 * @module scheduler/cluster-events
 * Cluster events and queueing hints: which change may make a pod that a given plugin
 * rejected schedulable (upstream EventsToRegister + QueueingHintFn per plugin). The queue
 * moves an unschedulable pod back to active/backoff only when some plugin that rejected it
 * says the event is worth a retry, so heartbeat-only node updates or unrelated pods do not
 * cause retry storms.
 */
import type { KObj } from "../client/client.ts";
import { doNotSchedule, findUntoleratedTaint, requiredNodeAffinityMatches, toleratesAny } from "./matchers.ts";
import type { NodeInfo } from "./node-info.ts";
import type { PodInfo } from "./pod-info.ts";
import { affinityTermMatches } from "./matchers.ts";
import { NAME as UNSCHEDULABLE } from "./plugins/node-unschedulable.ts";
import { NAME as TAINTS } from "./plugins/taint-toleration.ts";
import { NAME as NODE_AFFINITY } from "./plugins/node-affinity.ts";
import { NAME as PORTS } from "./plugins/node-ports.ts";
import { FIT } from "./plugins/node-resources.ts";
import { NAME as VOLUMES } from "./plugins/volume-binding.ts";
import { NAME as SPREAD, parseConstraints } from "./plugins/pod-topology-spread.ts";
import { NAME as AFFINITY } from "./plugins/inter-pod-affinity.ts";

export interface NodeChange {
  labels: boolean;
  taints: boolean;
  allocatable: boolean;
  unschedulable: boolean;
  conditions: boolean;
}

export type ClusterEvent =
  | { kind: "NodeAdd"; node: NodeInfo }
  | { kind: "NodeUpdate"; node: NodeInfo; change: NodeChange }
  | { kind: "NodeDelete"; name: string }
  | { kind: "AssignedPodAdd"; pod: PodInfo }
  | { kind: "AssignedPodUpdate"; old: PodInfo; pod: PodInfo }
  | { kind: "AssignedPodDelete"; pod: PodInfo }
  | { kind: "VolumeChange"; resource: "PersistentVolumeClaim" | "PersistentVolume" | "StorageClass" }
  | { kind: "NamespaceChange" }
  /** Unconditional (periodic flush, forced moves). */
  | { kind: "Wildcard" };

function nodeSig(node: KObj) {
  const conds: KObj[] = Array.isArray(node.status?.conditions) ? node.status.conditions : [];
  return {
    labels: JSON.stringify(node.metadata?.labels ?? {}),
    taints: JSON.stringify(node.spec?.taints ?? []),
    allocatable: JSON.stringify(node.status?.allocatable ?? node.status?.capacity ?? {}),
    unschedulable: node.spec?.unschedulable === true,
    conditions: conds.map((c) => `${c?.type}=${c?.status}`).join(","),
  };
}

/** What changed between two versions of a node, for scheduling (heartbeat timestamps are ignored). */
export function nodeChange(old: KObj, cur: KObj): NodeChange {
  const a = nodeSig(old);
  const b = nodeSig(cur);
  return {
    labels: a.labels !== b.labels,
    taints: a.taints !== b.taints,
    allocatable: a.allocatable !== b.allocatable,
    unschedulable: a.unschedulable !== b.unschedulable,
    conditions: a.conditions !== b.conditions,
  };
}

export function anyNodeChange(c: NodeChange): boolean {
  return c.labels || c.taints || c.allocatable || c.unschedulable || c.conditions;
}

/** Would the pod fit this node's allocatable if it were empty (NodeResourcesFit's isFit)? */
function fitsEmptyNode(pod: PodInfo, node: NodeInfo): boolean {
  const a = node.allocatable;
  if (a.allowedPods < 1) return false;
  const r = pod.req;
  if (r.milliCPU > a.milliCPU || r.memory > a.memory || r.ephemeralStorage > a.ephemeralStorage) return false;
  if (r.scalar) for (const [k, v] of r.scalar) if (v > (a.scalar?.get(k) ?? 0)) return false;
  return true;
}

function podMatchesAnyTerm(pod: PodInfo, other: PodInfo): boolean {
  for (const list of [pod.requiredAffinity, pod.requiredAntiAffinity, pod.preferredAffinity, pod.preferredAntiAffinity]) {
    for (const t of list ?? []) if (affinityTermMatches(t, other.namespace, other.labels, undefined)) return true;
  }
  return false;
}

function otherPodAntiAffinityMatches(pod: PodInfo, other: PodInfo): boolean {
  for (const t of other.requiredAntiAffinity ?? []) if (affinityTermMatches(t, pod.namespace, pod.labels, undefined)) return true;
  return false;
}

function spreadSelectorsMatch(pod: PodInfo, other: PodInfo): boolean {
  if (other.namespace !== pod.namespace || !pod.spreadConstraints) return false;
  for (const c of parseConstraints(pod.spreadConstraints, pod, "DoNotSchedule")) if (c.selector.matches(other.labels)) return true;
  return false;
}

/** Plugins whose hints act on this event; anything else would say "skip" without looking. */
const ALL = [UNSCHEDULABLE, TAINTS, NODE_AFFINITY, PORTS, FIT, VOLUMES, SPREAD, AFFINITY] as const;
export const KNOWN_PLUGINS: ReadonlySet<string> = new Set(ALL);

export function interestedPlugins(ev: ClusterEvent): readonly string[] {
  switch (ev.kind) {
    case "NodeAdd":
    case "Wildcard":
      return ALL;
    case "NodeUpdate": {
      const c = ev.change;
      const out: string[] = [];
      if (c.unschedulable || c.taints) out.push(UNSCHEDULABLE);
      if (c.taints || c.conditions) out.push(TAINTS);
      if (c.labels) out.push(NODE_AFFINITY, VOLUMES, AFFINITY);
      if (c.labels || c.taints) out.push(SPREAD);
      if (c.allocatable) out.push(FIT);
      return out;
    }
    case "NodeDelete":
      return [SPREAD];
    case "AssignedPodAdd":
      return [SPREAD, AFFINITY];
    case "AssignedPodUpdate":
      return [FIT, SPREAD, AFFINITY];
    case "AssignedPodDelete":
      return [PORTS, FIT, SPREAD, AFFINITY];
    case "VolumeChange":
      return [VOLUMES];
    case "NamespaceChange":
      return [AFFINITY];
  }
}

/** QueueingHintFn: may this event make `pod`, rejected by `plugin`, schedulable? */
export function worthRequeuing(plugin: string, pod: PodInfo, ev: ClusterEvent): boolean {
  if (ev.kind === "Wildcard") return true;
  switch (plugin) {
    case UNSCHEDULABLE:
      if (ev.kind === "NodeAdd" || (ev.kind === "NodeUpdate" && (ev.change.unschedulable || ev.change.taints))) {
        return !ev.node.unschedulable || toleratesAny(pod.tolerations, { key: "node.kubernetes.io/unschedulable", value: "", effect: "NoSchedule" });
      }
      return false;
    case TAINTS:
      if (ev.kind === "NodeAdd" || (ev.kind === "NodeUpdate" && (ev.change.taints || ev.change.conditions))) {
        return !findUntoleratedTaint(ev.node.taints, pod.tolerations, doNotSchedule);
      }
      return false;
    case NODE_AFFINITY:
      if (ev.kind === "NodeAdd" || (ev.kind === "NodeUpdate" && ev.change.labels)) return requiredNodeAffinityMatches(pod.requiredNodeAffinity, ev.node.name, ev.node.labels);
      return false;
    case PORTS:
      if (ev.kind === "NodeAdd") return true;
      if (ev.kind === "AssignedPodDelete") return !!ev.pod.hostPorts && !!pod.hostPorts?.some((p) => ev.pod.hostPorts!.some((q) => q.port === p.port && q.protocol === p.protocol));
      return false;
    case FIT:
      if (ev.kind === "AssignedPodDelete") return true;
      if (ev.kind === "AssignedPodUpdate") return ev.pod.req.milliCPU < ev.old.req.milliCPU || ev.pod.req.memory < ev.old.req.memory || ev.pod.terminating !== ev.old.terminating;
      if (ev.kind === "NodeAdd" || (ev.kind === "NodeUpdate" && ev.change.allocatable)) return fitsEmptyNode(pod, ev.node);
      return false;
    case VOLUMES:
      return ev.kind === "VolumeChange" || ev.kind === "NodeAdd" || (ev.kind === "NodeUpdate" && ev.change.labels);
    case SPREAD:
      if (ev.kind === "NodeAdd" || ev.kind === "NodeDelete" || (ev.kind === "NodeUpdate" && (ev.change.labels || ev.change.taints))) return true;
      if (ev.kind === "AssignedPodAdd" || ev.kind === "AssignedPodDelete") return spreadSelectorsMatch(pod, ev.pod);
      if (ev.kind === "AssignedPodUpdate") return spreadSelectorsMatch(pod, ev.pod) || spreadSelectorsMatch(pod, ev.old);
      return false;
    case AFFINITY:
      if (ev.kind === "NodeAdd" || (ev.kind === "NodeUpdate" && ev.change.labels) || ev.kind === "NamespaceChange") return true;
      if (ev.kind === "AssignedPodAdd") return podMatchesAnyTerm(pod, ev.pod);
      if (ev.kind === "AssignedPodDelete") return podMatchesAnyTerm(pod, ev.pod) || otherPodAntiAffinityMatches(pod, ev.pod);
      if (ev.kind === "AssignedPodUpdate") return podMatchesAnyTerm(pod, ev.pod) || podMatchesAnyTerm(pod, ev.old) || otherPodAntiAffinityMatches(pod, ev.old);
      return false;
    default:
      // Unknown plugin (or none recorded): any cluster change may help.
      return true;
  }
}

