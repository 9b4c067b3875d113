/**
 * @module controllers/workloads/daemonset/update
 * The DaemonSet RollingUpdate strategy (upstream rollingUpdate): without surge, delete old
 * pods (unavailable ones first) while at most maxUnavailable nodes lack an available
 * updated pod; with maxSurge, start the new pod beside the old one on up to maxSurge
 * nodes and delete the old pod once the new one is available.
 */
import type { KObj } from "../../../client/client.ts";
import { scaledValue } from "../util/int-or-percent.ts";
import { isPodAvailable } from "../util/pods.ts";
import { nodeShouldRunDaemonPod } from "./placement.ts";
import { isPodUpdated, templateGeneration } from "./status.ts";

export interface RolloutPlan {
  deletePods: KObj[];
  createOnNodes: string[];
}

/** findUpdatedPodsOnNode: at most one new and one old live pod, else not ok. */
function podsOnNode(ds: KObj, pods: KObj[], hash: string): { newPod?: KObj; oldPod?: KObj; ok: boolean } {
  let newPod: KObj | undefined;
  let oldPod: KObj | undefined;
  const gen = templateGeneration(ds);
  for (const p of pods) {
    if (p.metadata.deletionTimestamp) continue;
    if (isPodUpdated(p, hash, gen)) {
      if (newPod) return { ok: false };
      newPod = p;
    } else {
      if (oldPod) return { ok: false };
      oldPod = p;
    }
  }
  return { newPod, oldPod, ok: true };
}

export function surgeAndUnavailable(ds: KObj, desired: number): { surge: number; unavailable: number } {
  const ru = ds.spec?.updateStrategy?.rollingUpdate ?? {};
  const surge = scaledValue(ru.maxSurge ?? 0, desired, true);
  let unavailable = scaledValue(ru.maxUnavailable ?? 1, desired, true);
  if (desired > 0 && surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

export function allowsSurge(ds: KObj): boolean {
  const ru = ds.spec?.updateStrategy?.rollingUpdate;
  if (ds.spec?.updateStrategy?.type !== "RollingUpdate" || !ru) return false;
  const v = ru.maxSurge;
  return v !== undefined && v !== null && v !== 0 && v !== "0" && v !== "0%";
}

export function planRollingUpdate(ds: KObj, nodes: KObj[], byNode: Map<string, KObj[]>, hash: string, now: number): RolloutPlan {
  const nodesByName = new Map(nodes.map((n) => [n.metadata.name as string, n]));
  const all = new Map(byNode);
  let desired = 0;
  for (const n of nodes) {
    if (!nodeShouldRunDaemonPod(n, ds).shouldRun) continue;
    desired++;
    if (!all.has(n.metadata.name)) all.set(n.metadata.name, []);
  }
  const { surge, unavailable } = surgeAndUnavailable(ds, desired);
  const minReady = ds.spec?.minReadySeconds ?? 0;
  const names = [...all.keys()].sort();

  if (surge === 0) {
    let numUnavailable = 0;
    const replace: KObj[] = [];
    const candidates: KObj[] = [];
    for (const name of names) {
      const { newPod, oldPod, ok } = podsOnNode(ds, all.get(name)!, hash);
      if (!ok) {
        numUnavailable++;
        continue;
      }
      if ((!oldPod && !newPod) || (oldPod && newPod)) numUnavailable++;
      else if (newPod) {
        if (!isPodAvailable(newPod, minReady, now)) numUnavailable++;
      } else if (oldPod) {
        if (!isPodAvailable(oldPod, minReady, now)) replace.push(oldPod);
        else if (numUnavailable < unavailable) candidates.push(oldPod);
      }
    }
    const room = Math.min(Math.max(0, unavailable - numUnavailable), candidates.length);
    return { deletePods: [...replace, ...candidates.slice(0, room)], createOnNodes: [] };
  }

  const createOnNodes: string[] = [];
  const deletePods: KObj[] = [];
  let numSurge = 0;
  for (const name of names) {
    const { newPod, oldPod, ok } = podsOnNode(ds, all.get(name)!, hash);
    if (!ok) {
      numSurge++;
      continue;
    }
    if (!oldPod) continue;
    if (!newPod) {
      if (!isPodAvailable(oldPod, minReady, now)) {
        const node = nodesByName.get(name);
        if (node && nodeShouldRunDaemonPod(node, ds).shouldRun) createOnNodes.push(name);
      } else if (numSurge < surge) {
        numSurge++;
        createOnNodes.push(name);
      }
      continue;
    }
    if (!isPodAvailable(newPod, minReady, now)) {
      numSurge++;
      continue;
    }
    deletePods.push(oldPod);
  }
  return { deletePods, createOnNodes };
}
