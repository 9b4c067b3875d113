/**
 * @module controllers/workloads/util/conditions
 * status.conditions helpers with upstream semantics: setting a condition whose status and
 * reason are unchanged is a no-op; a status change moves lastTransitionTime, a reason or
 * message change keeps it.
 */
import type { KObj } from "../../../client/client.ts";
import { rfc3339 } from "../../../api/registry/objects.ts";

export interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  lastUpdateTime?: string;
  lastProbeTime?: string | null;
}

export function nowTime(now = Date.now()): string {
  return rfc3339(new Date(now));
}

export function getCondition(status: KObj | undefined, type: string): Condition | undefined {
  const cs = status?.conditions;
  return Array.isArray(cs) ? cs.find((c: Condition) => c?.type === type) : undefined;
}

export function removeCondition(status: KObj, type: string) {
  if (!Array.isArray(status.conditions)) return;
  status.conditions = status.conditions.filter((c: Condition) => c?.type !== type);
  if (status.conditions.length === 0) delete status.conditions;
}

/** SetDeploymentCondition & co. Returns true when the conditions changed. */
export function setCondition(status: KObj, cond: Condition): boolean {
  const cur = getCondition(status, cond.type);
  if (cur && cur.status === cond.status && cur.reason === cond.reason) return false;
  const next = { ...cond };
  if (cur && cur.status === cond.status && cur.lastTransitionTime) next.lastTransitionTime = cur.lastTransitionTime;
  const rest = Array.isArray(status.conditions) ? status.conditions.filter((c: Condition) => c?.type !== cond.type) : [];
  status.conditions = [...rest, next];
  return true;
}
