/**
 * @module agent/streaming/locator
 * Finds the runtime objects a stream request names: a pod container's current and
 * previous instance, and the pod's network address. The default locator reads the labels
 * kite puts on everything it creates (agent/runtime/types.ts LABELS) and only ever
 * returns objects of this node; the kubelet may pass its own (e.g. from its pod cache).
 */
import { type ContainerInfo, type ContainerRuntime, LABELS, NotFoundError } from "../runtime/types.ts";
import type { PodRef } from "../../tunnel/types.ts";

export interface ContainerInstances {
  /** The newest instance (running or not). */
  current?: ContainerInfo;
  /** The instance before it (kubectl logs --previous). */
  previous?: ContainerInfo;
}

export interface PodLocator {
  /** Instances of one container of a pod on this node. */
  container(pod: PodRef, name: string): Promise<ContainerInstances>;
  /** A container by runtime id, if it belongs to `pod` on this node; null otherwise. */
  containerById(pod: PodRef, id: string): Promise<ContainerInfo | null>;
  /** The pod's IP on this node ("" for host network, null if the pod has no sandbox here). */
  podIP(pod: PodRef): Promise<string | null>;
}

/** "podman://abc" / "docker://abc" / "abc" → "abc". */
export function bareContainerId(id: string): string {
  const i = id.indexOf("://");
  return i >= 0 ? id.slice(i + 3) : id;
}

function restartCount(c: ContainerInfo): number {
  const n = Number(c.labels[LABELS.restartCount]);
  return Number.isFinite(n) ? n : -1;
}

/** Newest first: by restart count label, then creation time. */
export function byNewest(a: ContainerInfo, b: ContainerInfo): number {
  return restartCount(b) - restartCount(a) || (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0);
}

function belongs(c: ContainerInfo, nodeName: string, pod: PodRef): boolean {
  const l = c.labels;
  if (l[LABELS.nodeName] !== nodeName) return false;
  if (pod.uid && l[LABELS.podUid] !== pod.uid) return false;
  return l[LABELS.podNamespace] === pod.namespace && l[LABELS.podName] === pod.name;
}

function podFilter(nodeName: string, pod: PodRef): Record<string, string> {
  const f: Record<string, string> = { [LABELS.nodeName]: nodeName, [LABELS.podNamespace]: pod.namespace, [LABELS.podName]: pod.name };
  if (pod.uid) f[LABELS.podUid] = pod.uid;
  return f;
}

/** The label-based locator over a container runtime. */
export function runtimeLocator(runtime: ContainerRuntime, nodeName: string): PodLocator {
  return {
    async container(pod, name) {
      const all = (await runtime.listContainers({ ...podFilter(nodeName, pod), [LABELS.containerName]: name })).filter((c) => belongs(c, nodeName, pod));
      all.sort(byNewest);
      return { current: all[0], previous: all[1] };
    },
    async containerById(pod, id) {
      try {
        const c = await runtime.inspectContainer(bareContainerId(id));
        return belongs(c, nodeName, pod) ? c : null;
      } catch (e) {
        if (e instanceof NotFoundError) return null;
        throw e;
      }
    },
    async podIP(pod) {
      const sandboxes = (await runtime.listSandboxes(podFilter(nodeName, pod))).filter((s) => s.state === "ready");
      return sandboxes[0]?.ip ?? null;
    },
  };
}
