/**
 * @module agent/locator
 * The streaming side's PodLocator answered from the agent's runtime cache (no engine
 * call per kubectl logs/exec), falling back to the label-based locator over the engine
 * for what the cache does not have yet (e.g. a container created a moment ago).
 */
import type { PodRef } from "../tunnel/types.ts";
import type { RuntimeCache } from "./runtime-cache.ts";
import { type ContainerInfo, LABELS } from "./runtime/types.ts";
import type { PodLocator } from "./streaming/locator.ts";
import { restartCountOf } from "./names.ts";

function belongs(labels: Record<string, string>, nodeName: string, pod: PodRef): boolean {
  return labels[LABELS.nodeName] === nodeName && labels[LABELS.podNamespace] === pod.namespace && labels[LABELS.podName] === pod.name && (!pod.uid || labels[LABELS.podUid] === pod.uid);
}

function newestFirst(a: ContainerInfo, b: ContainerInfo): number {
  return restartCountOf(b.labels) - restartCountOf(a.labels) || (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0);
}

export function cacheLocator(cache: RuntimeCache, nodeName: string, fallback: PodLocator): PodLocator {
  const containersOf = (pod: PodRef): ContainerInfo[] => {
    if (pod.uid) return cache.pod(pod.uid).containers.filter((c) => belongs(c.labels, nodeName, pod));
    const out: ContainerInfo[] = [];
    for (const uid of cache.uids()) for (const c of cache.pod(uid).containers) if (belongs(c.labels, nodeName, pod)) out.push(c);
    return out;
  };
  return {
    async container(pod, name) {
      const list = containersOf(pod).filter((c) => c.labels[LABELS.containerName] === name).sort(newestFirst);
      if (list.length === 0) return fallback.container(pod, name);
      return { current: list[0], previous: list[1] };
    },
    async containerById(pod, id) {
      const bare = id.includes("://") ? id.slice(id.indexOf("://") + 3) : id;
      const hit = containersOf(pod).find((c) => c.id === bare || c.id.startsWith(bare));
      return hit ?? fallback.containerById(pod, id);
    },
    async podIP(pod) {
      const uids = pod.uid ? [pod.uid] : [...cache.uids()];
      for (const uid of uids) {
        const sb = cache.pod(uid).sandboxes.find((s) => s.state === "ready" && belongs(s.labels, nodeName, pod));
        if (sb) return sb.ip;
      }
      return fallback.podIP(pod);
    },
  };
}
