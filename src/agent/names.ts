/**
 * @module agent/names
 * Engine-level names and labels of what the agent creates. Names are unique on a
 * shared engine (pod UID prefix) and readable in `podman ps`; labels carry the
 * identity the agent relies on (node, pod UID, container name, restart count), so a
 * restarted agent adopts its containers and several agents on one engine never touch
 * each other's. Pure functions.
 */
import { LABELS, podLabels } from "./runtime/types.ts";

/** Labels the lifecycle layer adds beside the runtime's LABELS. */
export const AGENT_LABELS = {
  /** "init" or "regular". */
  containerType: "io.kite.container.type",
  /** Hash of the parts of the container spec that force a restart when they change (the image). */
  containerHash: "io.kite.container.hash",
} as const;

export interface PodIdentity {
  namespace: string;
  name: string;
  uid: string;
}

const UNSAFE = /[^a-zA-Z0-9_.-]/g;

function part(s: string, max: number): string {
  return s.replace(UNSAFE, "-").slice(0, max);
}

/** Short, name-safe prefix of a pod UID. */
export function uidPrefix(uid: string): string {
  return uid.replace(/-/g, "").slice(0, 8) || "nouid";
}

/** `k8s_<ns>_<pod>_<uid8>`: the sandbox (podman pod / docker pause container). */
export function sandboxName(pod: PodIdentity): string {
  return `k8s_${part(pod.namespace, 63)}_${part(pod.name, 120)}_${uidPrefix(pod.uid)}`;
}

/** `k8s_<ns>_<pod>_<uid8>_<container>_<restartCount>`: one attempt of one container. */
export function containerName(pod: PodIdentity, container: string, restartCount: number): string {
  return `${sandboxName(pod)}_${part(container, 63)}_${restartCount}`;
}

export function sandboxLabels(nodeName: string, pod: PodIdentity): Record<string, string> {
  return podLabels({ nodeName, podUid: pod.uid, podName: pod.name, podNamespace: pod.namespace });
}

export function containerLabels(
  nodeName: string,
  pod: PodIdentity,
  c: { name: string; type: "init" | "regular"; restartCount: number; hash: string },
): Record<string, string> {
  return {
    ...podLabels({ nodeName, podUid: pod.uid, podName: pod.name, podNamespace: pod.namespace, containerName: c.name }),
    [LABELS.restartCount]: String(c.restartCount),
    [AGENT_LABELS.containerType]: c.type,
    [AGENT_LABELS.containerHash]: c.hash,
  };
}

/** The restart count a container was created with (0 when the label is missing or bad). */
export function restartCountOf(labels: Record<string, string>): number {
  const n = Number(labels[LABELS.restartCount]);
  return Number.isInteger(n) && n >= 0 ? n : 0;
}

/** Hash of what makes a running container outdated: today only the image (the one mutable field). */
export function containerHash(c: { image?: string }): string {
  return Bun.hash(String(c.image ?? "")).toString(36);
}
