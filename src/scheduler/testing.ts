/**
 * @module scheduler/testing
 * Builders for the scheduler's unit tests: Node and Pod objects shaped like the API's
 * (defaults the server would add are left out unless a test needs them) and a cache
 * filled with them.
 */
import type { KObj } from "../client/client.ts";
import { SchedulerCache } from "./cache.ts";
import { CycleState, SKIP, type FilterPlugin, type PreFilterResult, type ScorePlugin } from "./framework.ts";
import type { Status } from "./status.ts";
import { podInfo, type PodInfo } from "./pod-info.ts";

export interface NodeSpec {
  cpu?: string;
  memory?: string;
  pods?: string;
  ephemeral?: string;
  extra?: Record<string, string>;
  labels?: Record<string, string>;
  taints?: KObj[];
  unschedulable?: boolean;
  /** "True" (default), "False", "Unknown" or null (no Ready condition). */
  ready?: string | null;
  conditions?: KObj[];
}

export function makeNode(name: string, s: NodeSpec = {}): KObj {
  const alloc: Record<string, string> = { cpu: s.cpu ?? "4", memory: s.memory ?? "8Gi", pods: s.pods ?? "110", ...(s.ephemeral ? { "ephemeral-storage": s.ephemeral } : {}), ...(s.extra ?? {}) };
  const conditions: KObj[] = [...(s.conditions ?? [])];
  if (s.ready !== null) conditions.push({ type: "Ready", status: s.ready ?? "True" });
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: { name, uid: `uid-${name}`, labels: { "kubernetes.io/hostname": name, ...(s.labels ?? {}) } },
    spec: { ...(s.taints ? { taints: s.taints } : {}), ...(s.unschedulable ? { unschedulable: true } : {}) },
    status: { allocatable: alloc, capacity: alloc, conditions },
  };
}

export interface PodSpecOpts {
  namespace?: string;
  cpu?: string;
  memory?: string;
  requests?: Record<string, string>;
  labels?: Record<string, string>;
  nodeName?: string;
  priority?: number;
  tolerations?: KObj[];
  nodeSelector?: Record<string, string>;
  affinity?: KObj;
  hostPorts?: { port: number; protocol?: string; ip?: string }[];
  topologySpreadConstraints?: KObj[];
  volumes?: KObj[];
  owner?: { kind: string; name: string; uid?: string; apiVersion?: string };
  gates?: string[];
  deleting?: boolean;
  created?: string;
  preemptionPolicy?: string;
  spec?: KObj;
}

let seq = 0;
export function makePod(name: string, o: PodSpecOpts = {}): KObj {
  const requests: Record<string, string> = { ...(o.cpu ? { cpu: o.cpu } : {}), ...(o.memory ? { memory: o.memory } : {}), ...(o.requests ?? {}) };
  const container: KObj = { name: "c", image: "busybox", resources: Object.keys(requests).length ? { requests } : {} };
  if (o.hostPorts) container.ports = o.hostPorts.map((p) => ({ containerPort: p.port, hostPort: p.port, protocol: p.protocol ?? "TCP", ...(p.ip ? { hostIP: p.ip } : {}) }));
  const ns = o.namespace ?? "default";
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: ns,
      uid: `uid-${ns}-${name}`,
      labels: o.labels ?? {},
      creationTimestamp: o.created ?? new Date(Date.UTC(2026, 0, 1, 0, 0, seq++)).toISOString(),
      ...(o.owner ? { ownerReferences: [{ apiVersion: o.owner.apiVersion ?? "apps/v1", kind: o.owner.kind, name: o.owner.name, uid: o.owner.uid ?? `uid-${o.owner.name}`, controller: true }] } : {}),
      ...(o.deleting ? { deletionTimestamp: "2026-01-01T00:00:00Z" } : {}),
    },
    spec: {
      containers: [container],
      schedulerName: "default-scheduler",
      priority: o.priority ?? 0,
      ...(o.nodeName ? { nodeName: o.nodeName } : {}),
      ...(o.tolerations ? { tolerations: o.tolerations } : {}),
      ...(o.nodeSelector ? { nodeSelector: o.nodeSelector } : {}),
      ...(o.affinity ? { affinity: o.affinity } : {}),
      ...(o.topologySpreadConstraints ? { topologySpreadConstraints: o.topologySpreadConstraints } : {}),
      ...(o.volumes ? { volumes: o.volumes } : {}),
      ...(o.gates ? { schedulingGates: o.gates.map((name) => ({ name })) } : {}),
      ...(o.preemptionPolicy ? { preemptionPolicy: o.preemptionPolicy } : {}),
      ...(o.spec ?? {}),
    },
    status: { phase: o.nodeName ? "Running" : "Pending" },
  };
}

export function pi(name: string, o: PodSpecOpts = {}): PodInfo {
  return podInfo(makePod(name, o));
}

/** A cache holding these nodes and (assigned) pods. */
export function cacheWith(nodes: KObj[], pods: KObj[] = []): SchedulerCache {
  const c = new SchedulerCache();
  for (const n of nodes) c.setNode(n);
  for (const p of pods) c.upsertPod(p);
  return c;
}

/** Run a filter plugin's PreFilter then Filter for one node: the status, null (passes), or "skip". */
export function filterOnce(plugin: FilterPlugin, pod: PodInfo, node: string, snap: SchedulerCache, state = new CycleState()): Status | null | "skip" | PreFilterResult {
  const pre = plugin.preFilter?.(state, pod, snap) ?? null;
  if (pre === SKIP) return "skip";
  if (pre && ("code" in pre || "nodeNames" in pre)) return pre;
  const info = snap.get(node);
  if (!info) throw new Error(`no node ${node}`);
  return plugin.filter(state, pod, info, snap);
}

/** Run a score plugin over the named nodes (PreScore, Score, NormalizeScore); null if it skipped. */
export function scoreAll(plugin: ScorePlugin, pod: PodInfo, nodes: string[], snap: SchedulerCache): number[] | null {
  const state = new CycleState();
  const infos = nodes.map((n) => snap.get(n)!);
  if (plugin.preScore && !plugin.preScore(state, pod, infos, snap)) return null;
  const scores = infos.map((n) => plugin.score(state, pod, n, snap));
  plugin.normalize?.(state, pod, infos, scores);
  return scores;
}
