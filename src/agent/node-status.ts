/**
 * @module agent/node-status
 * The Node object this agent registers and the status it keeps current: capacity and
 * allocatable (CPU, memory, pods, ephemeral storage, minus the kubelet's default
 * eviction reserve), addresses, nodeInfo (kernel, OS, runtime, versions), the
 * well-known labels, taints, and the pressure and Ready conditions with the
 * runtime's health. Pure functions of their inputs.
 */
import type { KObj } from "../client/client.ts";
import { rfc3339 } from "../api/registry/objects.ts";
import { KITE_VERSION, KUBE_GIT_VERSION } from "../version.ts";
import type { HostFacts, Pressure } from "./host-info.ts";

export const MAX_PODS = 110;
const EVICTION_MEMORY = 100 * 1024 * 1024;

export interface NodeConfig {
  nodeName: string;
  nodeIps: string[];
  labels: Record<string, string>;
  taints: { key: string; value?: string; effect: string }[];
  /** Port the agent serves logs/exec on (Node.status.daemonEndpoints). */
  daemonPort: number;
}

export interface RuntimeHealth {
  /** "podman://4.3.1" or "" when no runtime answers. */
  runtimeVersion: string;
  /** null when healthy, else why not. */
  problem: string | null;
}

export function nodeLabels(cfg: NodeConfig, arch: string): Record<string, string> {
  return {
    "beta.kubernetes.io/arch": arch,
    "beta.kubernetes.io/os": "linux",
    "kubernetes.io/arch": arch,
    "kubernetes.io/hostname": cfg.nodeName,
    "kubernetes.io/os": "linux",
    ...cfg.labels,
  };
}

function ki(bytes: number): string {
  return `${Math.max(0, Math.floor(bytes / 1024))}Ki`;
}

export function capacity(h: HostFacts): { capacity: Record<string, string>; allocatable: Record<string, string> } {
  const cap = { cpu: String(h.cpus), memory: ki(h.memoryBytes), pods: String(MAX_PODS), "ephemeral-storage": ki(h.disk.totalBytes) };
  const alloc = {
    cpu: cap.cpu,
    memory: ki(h.memoryBytes - EVICTION_MEMORY),
    pods: cap.pods,
    // nodefs.available<10%: allocatable is 90 % of the disk, in bytes as the kubelet reports it.
    "ephemeral-storage": String(Math.floor(h.disk.totalBytes * 0.9)),
  };
  return { capacity: cap, allocatable: alloc };
}

interface CondSpec {
  type: string;
  ok: boolean;
  trueReason: string;
  trueMessage: string;
  falseReason: string;
  falseMessage: string;
}

function conditionsFor(p: Pressure, health: RuntimeHealth): CondSpec[] {
  return [
    { type: "MemoryPressure", ok: p.memory, trueReason: "KubeletHasInsufficientMemory", trueMessage: "kubelet has insufficient memory available", falseReason: "KubeletHasSufficientMemory", falseMessage: "kubelet has sufficient memory available" },
    { type: "DiskPressure", ok: p.disk, trueReason: "KubeletHasDiskPressure", trueMessage: "kubelet has disk pressure", falseReason: "KubeletHasNoDiskPressure", falseMessage: "kubelet has no disk pressure" },
    { type: "PIDPressure", ok: p.pid, trueReason: "KubeletHasInsufficientPID", trueMessage: "kubelet has insufficient PID available", falseReason: "KubeletHasSufficientPID", falseMessage: "kubelet has sufficient PID available" },
    { type: "Ready", ok: health.problem === null, trueReason: "KubeletReady", trueMessage: "kubelet is posting ready status", falseReason: "KubeletNotReady", falseMessage: health.problem ?? "" },
  ];
}

export interface NodeStatusInput {
  cfg: NodeConfig;
  host: HostFacts;
  pressure: Pressure;
  health: RuntimeHealth;
  /** The status currently stored (for transition times). */
  current?: KObj;
  now: Date;
}

export function nodeStatus(i: NodeStatusInput): KObj {
  const now = rfc3339(i.now);
  const old = (i.current?.conditions ?? []) as KObj[];
  const conditions = conditionsFor(i.pressure, i.health).map((c) => {
    const status = c.ok ? "True" : "False";
    const prev = old.find((o) => o.type === c.type);
    return {
      type: c.type,
      status,
      lastHeartbeatTime: now,
      lastTransitionTime: prev && prev.status === status ? (prev.lastTransitionTime ?? now) : now,
      reason: c.ok ? c.trueReason : c.falseReason,
      message: c.ok ? c.trueMessage : c.falseMessage,
    };
  });
  const { capacity: cap, allocatable } = capacity(i.host);
  const addresses = [...i.cfg.nodeIps.map((ip) => ({ type: "InternalIP", address: ip })), { type: "Hostname", address: i.cfg.nodeName }];
  return {
    ...(i.current ?? {}),
    capacity: cap,
    allocatable,
    conditions,
    addresses,
    daemonEndpoints: { kubeletEndpoint: { Port: i.cfg.daemonPort } },
    nodeInfo: {
      machineID: i.host.machineID,
      systemUUID: i.host.systemUUID,
      bootID: i.host.bootID,
      kernelVersion: i.host.kernelVersion,
      osImage: i.host.osImage,
      containerRuntimeVersion: i.health.runtimeVersion || "unknown://",
      kubeletVersion: KUBE_GIT_VERSION,
      kubeProxyVersion: KUBE_GIT_VERSION,
      operatingSystem: "linux",
      architecture: i.host.architecture,
    },
  };
}

/** The Node to create at first registration. */
export function initialNode(cfg: NodeConfig, status: KObj, arch: string): KObj {
  const node: KObj = {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name: cfg.nodeName,
      labels: nodeLabels(cfg, arch),
      annotations: { "node.alpha.kubernetes.io/ttl": "0", "volumes.kubernetes.io/controller-managed-attach-detach": "true", "kite.io/version": KITE_VERSION },
    },
    spec: {},
    status,
  };
  if (cfg.taints.length) node.spec.taints = cfg.taints.map((t) => (t.value !== undefined ? { key: t.key, value: t.value, effect: t.effect } : { key: t.key, effect: t.effect }));
  return node;
}

/** Condition lists compared without heartbeat times: a change worth writing now. */
export function meaningfulChange(a: KObj | undefined, b: KObj): boolean {
  const strip = (s: KObj | undefined) =>
    JSON.stringify({ ...(s ?? {}), conditions: ((s?.conditions ?? []) as KObj[]).map(({ lastHeartbeatTime: _h, ...rest }) => rest) });
  return strip(a) !== strip(b);
}
