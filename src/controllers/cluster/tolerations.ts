/**
 * @module controllers/cluster/tolerations
 * Taints and tolerations as upstream's v1 helpers define them: whether a toleration
 * tolerates a taint, the tolerations a pod uses against a node's NoExecute taints, and how
 * long the shortest of them lets the pod stay.
 */
import type { KObj } from "../../client/client.ts";

export interface Taint {
  key: string;
  value?: string;
  effect: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
  timeAdded?: string;
}

export interface Toleration {
  key?: string;
  operator?: "Exists" | "Equal";
  value?: string;
  effect?: string;
  tolerationSeconds?: number;
}

/** Toleration.ToleratesTaint. */
export function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  switch (t.operator ?? "Equal") {
    case "Exists":
      return true;
    case "Equal":
      return (t.value ?? "") === (taint.value ?? "");
    default:
      return false;
  }
}

/** GetMatchingTolerations: every taint needs a toleration; returns the first match for each. */
export function matchingTolerations(taints: Taint[], tolerations: Toleration[]): { ok: boolean; used: Toleration[] } {
  const used: Toleration[] = [];
  for (const taint of taints) {
    const t = tolerations.find((x) => tolerates(x, taint));
    if (!t) return { ok: false, used: [] };
    used.push(t);
  }
  return { ok: true, used };
}

/** getMinTolerationTime in seconds: 0 = now, -1 = forever (no tolerationSeconds on any). */
export function minTolerationSeconds(used: Toleration[]): number {
  if (!used.length) return 0;
  let min = Infinity;
  for (const t of used) {
    if (t.tolerationSeconds === undefined || t.tolerationSeconds === null) continue;
    if (t.tolerationSeconds <= 0) return 0;
    min = Math.min(min, t.tolerationSeconds);
  }
  return min === Infinity ? -1 : min;
}

export function noExecuteTaints(node: KObj | undefined): Taint[] {
  return ((node?.spec?.taints ?? []) as Taint[]).filter((t) => t.effect === "NoExecute");
}
