/**
 * @module agent/fieldpath
 * The downward API's fieldRef paths (metadata.name, metadata.labels['app'],
 * status.podIP, …) evaluated against a pod, for env vars and downwardAPI volumes.
 */
import type { KObj } from "../client/client.ts";

export class FieldPathError extends Error {
  override name = "FieldPathError";
}

export interface PodAddresses {
  podIPs: string[];
  hostIPs: string[];
}

/** `key="value"` lines sorted by key, as the kubelet writes labels/annotations files. */
export function formatMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${JSON.stringify(m![k])}`)
    .join("\n");
}

const SUBSCRIPT = /^metadata\.(labels|annotations)\['(.*)'\]$/;

/** Value of `path` for `pod`; `whole` allows metadata.labels/annotations (volumes only). */
export function podFieldValue(pod: KObj, path: string, addr: PodAddresses, whole = false): string {
  const m = pod.metadata ?? {};
  const sub = SUBSCRIPT.exec(path);
  if (sub) return (m[sub[1]!] ?? {})[sub[2]!] ?? "";
  switch (path) {
    case "metadata.name":
      return m.name ?? "";
    case "metadata.namespace":
      return m.namespace ?? "";
    case "metadata.uid":
      return m.uid ?? "";
    case "spec.nodeName":
      return pod.spec?.nodeName ?? "";
    case "spec.serviceAccountName":
      return pod.spec?.serviceAccountName ?? "";
    case "status.podIP":
      return addr.podIPs[0] ?? "";
    case "status.podIPs":
      return addr.podIPs.join(",");
    case "status.hostIP":
      return addr.hostIPs[0] ?? "";
    case "status.hostIPs":
      return addr.hostIPs.join(",");
    case "metadata.labels":
    case "metadata.annotations":
      if (whole) return formatMap(m[path.slice(9)]);
  }
  throw new FieldPathError(`unsupported fieldRef fieldPath ${JSON.stringify(path)}`);
}
