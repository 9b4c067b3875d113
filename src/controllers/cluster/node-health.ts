/**
 * @module controllers/cluster/node-health
 * Pure parts of node lifecycle (upstream's monitorNodeHealth and the tainting passes):
 * - heartbeats: a node is heard from when its Lease's renewTime or its Ready condition's
 *   lastHeartbeatTime changes; the time is the controller's own clock when it saw the
 *   change, so clock skew between nodes and server does not matter;
 * - a node not heard from for the grace period gets its conditions set to Unknown;
 * - taints follow conditions: Ready=False → not-ready, Ready=Unknown → unreachable (both
 *   NoSchedule and NoExecute, the latter with timeAdded), pressure conditions and
 *   spec.unschedulable → their NoSchedule taints; other taints are left alone.
 */
import type { KObj } from "../../client/client.ts";
import type { Taint } from "./tolerations.ts";

export const TAINT_NOT_READY = "node.kubernetes.io/not-ready";
export const TAINT_UNREACHABLE = "node.kubernetes.io/unreachable";
export const TAINT_UNSCHEDULABLE = "node.kubernetes.io/unschedulable";
export const TAINT_MEMORY_PRESSURE = "node.kubernetes.io/memory-pressure";
export const TAINT_DISK_PRESSURE = "node.kubernetes.io/disk-pressure";
export const TAINT_PID_PRESSURE = "node.kubernetes.io/pid-pressure";
export const TAINT_NETWORK_UNAVAILABLE = "node.kubernetes.io/network-unavailable";

const MANAGED_KEYS = new Set([TAINT_NOT_READY, TAINT_UNREACHABLE, TAINT_UNSCHEDULABLE, TAINT_MEMORY_PRESSURE, TAINT_DISK_PRESSURE, TAINT_PID_PRESSURE, TAINT_NETWORK_UNAVAILABLE]);

/** Conditions the node agent reports that become Unknown when it goes silent. */
export const HEALTH_CONDITIONS = ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"];

export interface HealthRecord {
  /** Local time (ms) the last heartbeat was observed. */
  probeMs: number;
  readyHeartbeat?: string;
  leaseRenew?: string;
}

export function condition(node: KObj | undefined, type: string): KObj | undefined {
  return ((node?.status?.conditions ?? []) as KObj[]).find((c) => c.type === type);
}

/** Update the record with what the node and its Lease say now. */
export function observe(rec: HealthRecord | undefined, node: KObj, lease: KObj | undefined, nowMs: number): HealthRecord {
  const readyHeartbeat = condition(node, "Ready")?.lastHeartbeatTime;
  const leaseRenew = lease?.spec?.renewTime;
  if (!rec) return { probeMs: nowMs, readyHeartbeat, leaseRenew };
  if (readyHeartbeat !== rec.readyHeartbeat || leaseRenew !== rec.leaseRenew) return { probeMs: nowMs, readyHeartbeat, leaseRenew };
  return rec;
}

/**
 * The node's conditions after it went silent: the health conditions set to Unknown
 * ("Kubelet stopped posting node status."), or added as Unknown if it never posted them.
 * Null when nothing changes (all already Unknown).
 */
export function silentConditions(node: KObj, nowIso: string): KObj[] | null {
  const conds = ((node.status?.conditions ?? []) as KObj[]).map((c) => ({ ...c }));
  let changed = false;
  for (const type of HEALTH_CONDITIONS) {
    const c = conds.find((x) => x.type === type);
    if (!c) {
      conds.push({ type, status: "Unknown", lastHeartbeatTime: node.metadata.creationTimestamp, lastTransitionTime: nowIso, reason: "NodeStatusNeverUpdated", message: "Kubelet never posted node status." });
      changed = true;
    } else if (c.status !== "Unknown") {
      c.status = "Unknown";
      c.reason = "NodeStatusUnknown";
      c.message = "Kubelet stopped posting node status.";
      c.lastTransitionTime = nowIso;
      changed = true;
    }
  }
  return changed ? conds : null;
}

function want(key: string, effect: Taint["effect"]): Taint {
  return { key, effect };
}

/** The taints the conditions call for (without timeAdded). */
export function conditionTaints(node: KObj): Taint[] {
  const out: Taint[] = [];
  const ready = condition(node, "Ready")?.status;
  if (ready === "False") out.push(want(TAINT_NOT_READY, "NoSchedule"), want(TAINT_NOT_READY, "NoExecute"));
  if (ready === "Unknown") out.push(want(TAINT_UNREACHABLE, "NoSchedule"), want(TAINT_UNREACHABLE, "NoExecute"));
  if (condition(node, "MemoryPressure")?.status === "True") out.push(want(TAINT_MEMORY_PRESSURE, "NoSchedule"));
  if (condition(node, "DiskPressure")?.status === "True") out.push(want(TAINT_DISK_PRESSURE, "NoSchedule"));
  if (condition(node, "PIDPressure")?.status === "True") out.push(want(TAINT_PID_PRESSURE, "NoSchedule"));
  if (condition(node, "NetworkUnavailable")?.status === "True") out.push(want(TAINT_NETWORK_UNAVAILABLE, "NoSchedule"));
  if (node.spec?.unschedulable === true) out.push(want(TAINT_UNSCHEDULABLE, "NoSchedule"));
  return out;
}

/**
 * The node's full taint list: taints this controller does not manage kept as they are,
 * managed ones as the conditions call for (keeping the timeAdded of those already there;
 * NoExecute ones new get `nowIso`). Null when the list does not change.
 */
export function reconcileTaints(node: KObj, nowIso: string): Taint[] | null {
  const cur = (node.spec?.taints ?? []) as Taint[];
  const wanted = conditionTaints(node);
  const same = (a: Taint, b: Taint) => a.key === b.key && a.effect === b.effect;
  // Without a Ready condition (never reported) NoExecute taints stay as they are, like upstream.
  const noReady = !condition(node, "Ready");
  const kept = cur.filter((t) => !MANAGED_KEYS.has(t.key) || (noReady && t.effect === "NoExecute") || wanted.some((w) => same(w, t) && !t.value));
  const added = wanted.filter((w) => !kept.some((t) => same(t, w))).map((w) => (w.effect === "NoExecute" ? { ...w, timeAdded: nowIso } : w));
  if (!added.length && kept.length === cur.length) return null;
  return [...kept, ...added];
}
