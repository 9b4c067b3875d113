/**
 * @module scheduler/node-info
 * NodeInfo: one node and the pods placed on it (bound or assumed), with the aggregates the
 * filters read in O(1): requested and non-zero requested resources, used host ports, pods
 * with (anti-)affinity. Taints include those upstream's node lifecycle controller derives
 * from conditions (Ready False/Unknown → not-ready/unreachable, pressure conditions), so a
 * node that is not Ready is refused with the same message a real cluster prints even
 * before a controller has tainted it.
 */
import type { KObj } from "../client/client.ts";
import { NO_LABELS, toTaints, type Labels, type Taint } from "./matchers.ts";
import type { HostPort, PodInfo } from "./pod-info.ts";
import { emptyResources, nodeAllocatable, type NodeAllocatable, type Resources } from "./resources.ts";

export const LABEL_HOSTNAME = "kubernetes.io/hostname";
export const LABEL_ZONE = "topology.kubernetes.io/zone";
export const LABEL_REGION = "topology.kubernetes.io/region";

export const TAINT_NOT_READY = "node.kubernetes.io/not-ready";
export const TAINT_UNREACHABLE = "node.kubernetes.io/unreachable";

const CONDITION_TAINTS: [string, string][] = [
  ["MemoryPressure", "node.kubernetes.io/memory-pressure"],
  ["DiskPressure", "node.kubernetes.io/disk-pressure"],
  ["PIDPressure", "node.kubernetes.io/pid-pressure"],
  ["NetworkUnavailable", "node.kubernetes.io/network-unavailable"],
];

/** spec.taints plus the NoSchedule taints upstream's controllers put on nodes with these conditions. */
export function effectiveTaints(node: KObj): Taint[] {
  const taints = toTaints(node.spec?.taints);
  const has = (key: string) => taints.some((t) => t.key === key && t.effect === "NoSchedule");
  const conds: KObj[] = Array.isArray(node.status?.conditions) ? node.status.conditions : [];
  const ready = conds.find((c) => c?.type === "Ready");
  if (!ready || ready.status !== "True") {
    const key = ready?.status === "False" ? TAINT_NOT_READY : TAINT_UNREACHABLE;
    if (!has(key)) taints.push({ key, value: "", effect: "NoSchedule" });
  }
  for (const [type, key] of CONDITION_TAINTS) {
    if (conds.some((c) => c?.type === type && c.status === "True") && !has(key)) taints.push({ key, value: "", effect: "NoSchedule" });
  }
  return taints;
}

export function isNodeReady(node: KObj): boolean {
  const conds: KObj[] = Array.isArray(node.status?.conditions) ? node.status.conditions : [];
  return conds.some((c) => c?.type === "Ready" && c.status === "True");
}

export class NodeInfo {
  node: KObj | null = null;
  labels: Labels = NO_LABELS;
  taints: Taint[] = [];
  unschedulable = false;
  allocatable: NodeAllocatable = { ...emptyResources(), allowedPods: 0 };
  readonly requested: Resources = emptyResources();
  nonZeroCPU = 0;
  nonZeroMem = 0;
  readonly pods = new Map<string, PodInfo>();
  /** Pods with any (anti-)affinity term. */
  readonly podsWithAffinity = new Set<PodInfo>();
  /** Pods with required anti-affinity terms. */
  readonly podsWithRequiredAntiAffinity = new Set<PodInfo>();
  /** ip → "protocol/port" → count. */
  private readonly usedPorts = new Map<string, Map<string, number>>();
  /** Bumped on every change (preemption dry runs and tests compare it). */
  generation = 0;

  constructor(readonly name: string) {}

  setNode(node: KObj) {
    this.node = node;
    this.labels = node.metadata?.labels ?? NO_LABELS;
    this.taints = effectiveTaints(node);
    this.unschedulable = node.spec?.unschedulable === true;
    this.allocatable = nodeAllocatable(node);
    this.generation++;
  }

  clearNode() {
    this.node = null;
    this.generation++;
  }

  addPod(p: PodInfo) {
    if (this.pods.has(p.uid)) this.removePod(this.pods.get(p.uid)!);
    this.pods.set(p.uid, p);
    this.account(p, 1);
  }

  removePod(p: PodInfo): boolean {
    const cur = this.pods.get(p.uid);
    if (!cur) return false;
    this.pods.delete(p.uid);
    this.account(cur, -1);
    return true;
  }

  private account(p: PodInfo, sign: 1 | -1) {
    const r = this.requested;
    r.milliCPU += sign * p.req.milliCPU;
    r.memory += sign * p.req.memory;
    r.ephemeralStorage += sign * p.req.ephemeralStorage;
    if (p.req.scalar) {
      r.scalar ??= new Map();
      for (const [k, v] of p.req.scalar) r.scalar.set(k, (r.scalar.get(k) ?? 0) + sign * v);
    }
    this.nonZeroCPU += sign * p.nonZeroCPU;
    this.nonZeroMem += sign * p.nonZeroMem;
    if (p.hasAffinity) {
      if (sign > 0) this.podsWithAffinity.add(p);
      else this.podsWithAffinity.delete(p);
    }
    if (p.requiredAntiAffinity) {
      if (sign > 0) this.podsWithRequiredAntiAffinity.add(p);
      else this.podsWithRequiredAntiAffinity.delete(p);
    }
    if (p.hostPorts) for (const hp of p.hostPorts) this.port(hp, sign);
    this.generation++;
  }

  private port(hp: HostPort, sign: 1 | -1) {
    let m = this.usedPorts.get(hp.ip);
    if (!m) this.usedPorts.set(hp.ip, (m = new Map()));
    const k = `${hp.protocol}/${hp.port}`;
    const n = (m.get(k) ?? 0) + sign;
    if (n <= 0) m.delete(k);
    else m.set(k, n);
    if (m.size === 0) this.usedPorts.delete(hp.ip);
  }

  /** HostPortInfo.CheckConflict: 0.0.0.0 conflicts with the port on any IP; a specific IP with itself and 0.0.0.0. */
  portConflict(hp: HostPort): boolean {
    if (this.usedPorts.size === 0) return false;
    const k = `${hp.protocol}/${hp.port}`;
    if (hp.ip === "0.0.0.0") {
      for (const m of this.usedPorts.values()) if (m.has(k)) return true;
      return false;
    }
    return !!(this.usedPorts.get("0.0.0.0")?.has(k) || this.usedPorts.get(hp.ip)?.has(k));
  }

  /** A copy for preemption dry runs: same node, its own pod set and aggregates. */
  clone(): NodeInfo {
    const c = new NodeInfo(this.name);
    if (this.node) c.setNode(this.node);
    for (const p of this.pods.values()) c.addPod(p);
    return c;
  }
}
