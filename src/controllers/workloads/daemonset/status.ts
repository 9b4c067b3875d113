/**
 * @module controllers/workloads/daemonset/status
 * DaemonSet status (upstream updateDaemonSetStatus): per node that should run the pod,
 * the oldest daemon pod decides ready / available / updated; pods on nodes that should
 * not run it are misscheduled.
 */
import type { KObj } from "../../../client/client.ts";
import { CONTROLLER_REVISION_HASH } from "../util/history.ts";
import { isPodAvailable, isPodReady } from "../util/pods.ts";
import { nodeShouldRunDaemonPod } from "./placement.ts";

/** podByCreationTimestampAndPhase: scheduled first, then oldest, then by name. */
export function byScheduledThenAge(a: KObj, b: KObj): number {
  const sa = a.spec?.nodeName ? 0 : 1;
  const sb = b.spec?.nodeName ? 0 : 1;
  if (sa !== sb) return sa - sb;
  const ta = Date.parse(a.metadata.creationTimestamp ?? "") || 0;
  const tb = Date.parse(b.metadata.creationTimestamp ?? "") || 0;
  return ta - tb || String(a.metadata.name).localeCompare(String(b.metadata.name));
}

/** IsPodUpdated: the pod carries the current revision hash (or template generation). */
export function isPodUpdated(pod: KObj, hash: string, templateGeneration: string | undefined): boolean {
  const labels = pod.metadata?.labels ?? {};
  return (hash !== "" && labels[CONTROLLER_REVISION_HASH] === hash) || (templateGeneration !== undefined && labels["pod-template-generation"] === templateGeneration);
}

export function templateGeneration(ds: KObj): string | undefined {
  return ds.metadata?.annotations?.["deprecated.daemonset.template.generation"];
}

export function calculateDaemonSetStatus(ds: KObj, nodes: KObj[], byNode: Map<string, KObj[]>, hash: string, now: number): KObj {
  let desired = 0;
  let current = 0;
  let misscheduled = 0;
  let ready = 0;
  let updated = 0;
  let available = 0;
  const minReady = ds.spec?.minReadySeconds ?? 0;
  const gen = templateGeneration(ds);
  for (const node of nodes) {
    const { shouldRun } = nodeShouldRunDaemonPod(node, ds);
    const pods = byNode.get(node.metadata.name) ?? [];
    const scheduled = pods.length > 0;
    if (!shouldRun) {
      if (scheduled) misscheduled++;
      continue;
    }
    desired++;
    if (!scheduled) continue;
    current++;
    const pod = [...pods].sort(byScheduledThenAge)[0]!;
    if (isPodReady(pod)) {
      ready++;
      if (isPodAvailable(pod, minReady, now)) available++;
    }
    if (isPodUpdated(pod, hash, gen)) updated++;
  }
  const status: KObj = { ...(ds.status ?? {}), currentNumberScheduled: current, numberMisscheduled: misscheduled, desiredNumberScheduled: desired, numberReady: ready };
  const opt = (k: string, v: number) => (v ? (status[k] = v) : delete status[k]);
  opt("updatedNumberScheduled", updated);
  opt("numberAvailable", available);
  opt("numberUnavailable", desired - available);
  return status;
}
