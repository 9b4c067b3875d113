/**
 * @module controllers/workloads/daemonset/placement
 * Where DaemonSet pods belong (upstream NodeShouldRunDaemonPod): a node must match the
 * template's nodeName, nodeSelector and required node affinity, and its NoSchedule /
 * NoExecute taints must be tolerated — with the tolerations every daemon pod gets
 * (not-ready, unreachable, pressure, unschedulable, network-unavailable for host
 * network). A pod already on a node keeps running unless a NoExecute taint is not
 * tolerated. Pods are placed like upstream: node affinity on metadata.name for the
 * scheduler to honour (spec.nodeName is left to the scheduler).
 */
import type { KObj } from "../../../client/client.ts";
import { nodeMatchesPodSpec, untoleratedTaint, type Taint } from "../util/node-match.ts";

const DAEMON_TOLERATIONS: KObj[] = [
  { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute" },
  { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute" },
  { key: "node.kubernetes.io/disk-pressure", operator: "Exists", effect: "NoSchedule" },
  { key: "node.kubernetes.io/memory-pressure", operator: "Exists", effect: "NoSchedule" },
  { key: "node.kubernetes.io/pid-pressure", operator: "Exists", effect: "NoSchedule" },
  { key: "node.kubernetes.io/unschedulable", operator: "Exists", effect: "NoSchedule" },
];
const NETWORK_UNAVAILABLE: KObj = { key: "node.kubernetes.io/network-unavailable", operator: "Exists", effect: "NoSchedule" };

function sameToleration(a: KObj, b: KObj): boolean {
  return (a.key ?? "") === (b.key ?? "") && (a.operator ?? "") === (b.operator ?? "") && (a.value ?? "") === (b.value ?? "") && (a.effect ?? "") === (b.effect ?? "") && a.tolerationSeconds === b.tolerationSeconds;
}

/** AddOrUpdateDaemonPodTolerations (mutates the pod spec). */
export function addDaemonTolerations(spec: KObj) {
  const list: KObj[] = Array.isArray(spec.tolerations) ? spec.tolerations : [];
  const wanted = spec.hostNetwork ? [...DAEMON_TOLERATIONS, NETWORK_UNAVAILABLE] : DAEMON_TOLERATIONS;
  for (const t of wanted) {
    const i = list.findIndex((x) => (x.key ?? "") === t.key && (x.effect ?? "") === t.effect);
    if (i < 0) list.push({ ...t });
    else if (!sameToleration(list[i]!, t)) list[i] = { ...t };
  }
  spec.tolerations = list;
}

const memo = new WeakMap<object, KObj>();

/** The template's pod spec with the daemon tolerations (memoized per DaemonSet version). */
function daemonPodSpec(ds: KObj): KObj {
  const cached = memo.get(ds);
  if (cached) return cached;
  const s: KObj = structuredClone(ds.spec?.template?.spec ?? {});
  addDaemonTolerations(s);
  memo.set(ds, s);
  return s;
}

export interface Placement {
  /** A daemon pod should be created here. */
  shouldRun: boolean;
  /** An existing daemon pod may stay. */
  shouldContinueRunning: boolean;
}

export function nodeShouldRunDaemonPod(node: KObj, ds: KObj): Placement {
  const spec = daemonPodSpec(ds);
  const no = { shouldRun: false, shouldContinueRunning: false };
  if (spec.nodeName && spec.nodeName !== node.metadata.name) return no;
  if (!nodeMatchesPodSpec(spec, node)) return no;
  const taints: Taint[] = node.spec?.taints ?? [];
  const blocking = untoleratedTaint(taints, spec.tolerations, (t) => t.effect === "NoSchedule" || t.effect === "NoExecute");
  if (blocking) {
    const evicting = untoleratedTaint(taints, spec.tolerations, (t) => t.effect === "NoExecute");
    return { shouldRun: false, shouldContinueRunning: !evicting };
  }
  return { shouldRun: true, shouldContinueRunning: true };
}

/** ReplaceDaemonSetPodNodeNameNodeAffinity: require exactly this node (mutates the spec). */
export function pinToNode(spec: KObj, nodeName: string) {
  const term = { matchFields: [{ key: "metadata.name", operator: "In", values: [nodeName] }] };
  spec.affinity ??= {};
  spec.affinity.nodeAffinity ??= {};
  spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution = { nodeSelectorTerms: [term] };
}

/** The node a daemon pod is for: spec.nodeName, or the single metadata.name its affinity requires. */
export function targetNodeName(pod: KObj): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  const terms: KObj[] = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  for (const t of terms) {
    for (const f of t?.matchFields ?? []) {
      if (f.key === "metadata.name" && f.operator === "In" && Array.isArray(f.values) && f.values.length === 1) return f.values[0];
    }
  }
  return undefined;
}
