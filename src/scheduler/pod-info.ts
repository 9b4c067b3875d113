/**
 * @module scheduler/pod-info
 * PodInfo: everything the scheduler needs from a pod, computed once per pod version
 * (upstream framework.PodInfo plus the pre-computed requests): requests and their
 * non-zero variant, tolerations, host ports, node affinity, pod (anti-)affinity terms,
 * spread constraints, controller owner and claimed PVCs.
 */
import type { KObj } from "../client/client.ts";
import { affinityTerm, NO_LABELS, preferredNodeTerms, requiredNodeAffinity, toTolerations, type AffinityTerm, type Labels, type PreferredNodeTerm, type RequiredNodeAffinity, type Toleration, type WeightedAffinityTerm } from "./matchers.ts";
import { isZeroRequest, podRequests, type Resources } from "./resources.ts";

export const DEFAULT_SCHEDULER_NAME = "default-scheduler";

export interface HostPort {
  ip: string;
  protocol: string;
  port: number;
}

export interface OwnerRef {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
}

export interface PodInfo {
  pod: KObj;
  uid: string;
  namespace: string;
  name: string;
  /** namespace/name */
  key: string;
  labels: Labels;
  priority: number;
  nodeName: string;
  schedulerName: string;
  /** deletionTimestamp is set. */
  terminating: boolean;
  /** Requests for the Fit filter and the "requested" (balanced) scorer. */
  req: Resources;
  /** True if the pod requests nothing at all (Fit then only checks the pod count). */
  reqZero: boolean;
  /** CPU/memory with missing requests defaulted to 100m/200Mi (least-allocated scoring, NodeInfo.NonZeroRequested). */
  nonZeroCPU: number;
  nonZeroMem: number;
  tolerations: Toleration[];
  hostPorts: HostPort[] | null;
  requiredNodeAffinity: RequiredNodeAffinity | null;
  preferredNodeTerms: PreferredNodeTerm[] | null;
  requiredAffinity: AffinityTerm[] | null;
  requiredAntiAffinity: AffinityTerm[] | null;
  preferredAffinity: WeightedAffinityTerm[] | null;
  preferredAntiAffinity: WeightedAffinityTerm[] | null;
  /** Any (anti-)affinity term, required or preferred (NodeInfo.PodsWithAffinity). */
  hasAffinity: boolean;
  spreadConstraints: KObj[] | null;
  controller: OwnerRef | null;
  /** Names of PVCs the pod's volumes use (ephemeral volumes: <pod>-<volume>). */
  claims: string[] | null;
  gates: string[] | null;
  nominatedNodeName: string;
  /** Start time for preemption tie-breaks (status.startTime or creation). */
  startTime: number;
}

function hostPorts(spec: KObj): HostPort[] | null {
  let out: HostPort[] | null = null;
  const add = (containers: unknown, sidecarsOnly: boolean) => {
    if (!Array.isArray(containers)) return;
    for (const c of containers as KObj[]) {
      if (sidecarsOnly && c?.restartPolicy !== "Always") continue;
      for (const p of (c?.ports ?? []) as KObj[]) {
        const port = Number(p?.hostPort ?? 0);
        if (!(port > 0)) continue;
        (out ??= []).push({ ip: p.hostIP || "0.0.0.0", protocol: p.protocol || "TCP", port });
      }
    }
  };
  add(spec.containers, false);
  add(spec.initContainers, true);
  return out;
}

function terms(ns: string, list: unknown): AffinityTerm[] | null {
  if (!Array.isArray(list) || list.length === 0) return null;
  return list.map((t) => affinityTerm(ns, t));
}

function weighted(ns: string, list: unknown): WeightedAffinityTerm[] | null {
  if (!Array.isArray(list) || list.length === 0) return null;
  return list.map((w: KObj) => ({ ...affinityTerm(ns, w?.podAffinityTerm ?? {}), weight: Number(w?.weight ?? 0) }));
}

function claimNames(podName: string, spec: KObj): string[] | null {
  let out: string[] | null = null;
  for (const v of (spec.volumes ?? []) as KObj[]) {
    if (v?.persistentVolumeClaim?.claimName) (out ??= []).push(String(v.persistentVolumeClaim.claimName));
    else if (v?.ephemeral) (out ??= []).push(`${podName}-${v.name}`);
  }
  return out;
}

function controllerOf(meta: KObj): OwnerRef | null {
  for (const r of (meta.ownerReferences ?? []) as KObj[]) {
    if (r?.controller === true) return { apiVersion: String(r.apiVersion ?? ""), kind: String(r.kind ?? ""), name: String(r.name ?? ""), uid: String(r.uid ?? "") };
  }
  return null;
}

export function podInfo(pod: KObj): PodInfo {
  const meta = pod.metadata ?? {};
  const spec = pod.spec ?? {};
  const namespace = String(meta.namespace ?? "");
  const name = String(meta.name ?? "");
  const req = podRequests(spec);
  const nz = podRequests(spec, true);
  const aff = spec.affinity ?? {};
  const requiredAffinity = terms(namespace, aff.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution);
  const requiredAntiAffinity = terms(namespace, aff.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution);
  const preferredAffinity = weighted(namespace, aff.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution);
  const preferredAntiAffinity = weighted(namespace, aff.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution);
  const gates = Array.isArray(spec.schedulingGates) && spec.schedulingGates.length ? spec.schedulingGates.map((g: KObj) => String(g?.name ?? "")) : null;
  const started = Date.parse(pod.status?.startTime ?? meta.creationTimestamp ?? "");
  return {
    pod,
    uid: String(meta.uid ?? ""),
    namespace,
    name,
    key: `${namespace}/${name}`,
    labels: meta.labels ?? NO_LABELS,
    priority: Number(spec.priority ?? 0),
    nodeName: String(spec.nodeName ?? ""),
    schedulerName: String(spec.schedulerName || DEFAULT_SCHEDULER_NAME),
    terminating: !!meta.deletionTimestamp,
    req,
    reqZero: isZeroRequest(req),
    nonZeroCPU: nz.milliCPU,
    nonZeroMem: nz.memory,
    tolerations: toTolerations(spec.tolerations),
    hostPorts: hostPorts(spec),
    requiredNodeAffinity: requiredNodeAffinity(spec),
    preferredNodeTerms: preferredNodeTerms(spec),
    requiredAffinity,
    requiredAntiAffinity,
    preferredAffinity,
    preferredAntiAffinity,
    hasAffinity: !!(requiredAffinity || requiredAntiAffinity || preferredAffinity || preferredAntiAffinity),
    spreadConstraints: Array.isArray(spec.topologySpreadConstraints) && spec.topologySpreadConstraints.length ? spec.topologySpreadConstraints : null,
    controller: controllerOf(meta),
    claims: claimNames(name, spec),
    gates,
    nominatedNodeName: String(pod.status?.nominatedNodeName ?? ""),
    startTime: Number.isFinite(started) ? started : 0,
  };
}

/** Pods that no longer hold node resources (the scheduler's informer upstream filters these out). */
export function isTerminal(pod: KObj): boolean {
  const phase = pod.status?.phase;
  return phase === "Succeeded" || phase === "Failed";
}
