/**
 * @module controllers/cluster/local-path-volume
 * What the local-path provisioner creates, as pure functions: its default StorageClass,
 * the class a claim asks for (its own, or the default), and the hostPath PersistentVolume
 * for a claim on a node: `<root>/<pv name>` (root KITE_LOCAL_PATH_ROOT, default
 * /var/lib/kite/storage; the node agent creates the directory when it mounts the
 * volume), pinned to the node by nodeAffinity on kubernetes.io/hostname.
 */
import type { KObj } from "../../client/client.ts";

export const LOCAL_PATH_PROVISIONER = "kite.io/local-path";
export const LOCAL_PATH_CLASS = "local-path";
export const DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class";
export const SELECTED_NODE_ANNOTATION = "volume.kubernetes.io/selected-node";
export const PROVISIONED_BY_ANNOTATION = "pv.kubernetes.io/provisioned-by";
export const HOSTNAME_LABEL = "kubernetes.io/hostname";
export const DEFAULT_LOCAL_PATH_ROOT = "/var/lib/kite/storage";

export function localPathRoot(env: Record<string, string | undefined> = process.env): string {
  return env.KITE_LOCAL_PATH_ROOT || DEFAULT_LOCAL_PATH_ROOT;
}

export function localPathStorageClass(): KObj {
  return {
    apiVersion: "storage.k8s.io/v1",
    kind: "StorageClass",
    metadata: { name: LOCAL_PATH_CLASS, annotations: { [DEFAULT_CLASS_ANNOTATION]: "true" } },
    provisioner: LOCAL_PATH_PROVISIONER,
    reclaimPolicy: "Delete",
    volumeBindingMode: "WaitForFirstConsumer",
  };
}

export function isDefaultClass(sc: KObj): boolean {
  const a = sc.metadata?.annotations ?? {};
  return a[DEFAULT_CLASS_ANNOTATION] === "true" || a["storageclass.beta.kubernetes.io/is-default-class"] === "true";
}

/** The class name a claim asks for: spec.storageClassName, the beta annotation, or undefined (= the default class). */
export function requestedClass(pvc: KObj): string | undefined {
  return pvc.spec?.storageClassName ?? pvc.metadata?.annotations?.["volume.beta.kubernetes.io/storage-class"];
}

/** The StorageClass that serves the claim ("" asks for no class; unset asks for the default, newest first). */
export function classFor(pvc: KObj, classes: KObj[]): KObj | undefined {
  const name = requestedClass(pvc);
  if (name === "") return undefined;
  if (name !== undefined) return classes.find((c) => c.metadata.name === name);
  const defaults = classes.filter(isDefaultClass).sort((a, b) => (b.metadata.creationTimestamp ?? "").localeCompare(a.metadata.creationTimestamp ?? "") || a.metadata.name.localeCompare(b.metadata.name));
  return defaults[0];
}

export function pvNameFor(pvc: KObj): string {
  return `pvc-${pvc.metadata.uid}`;
}

/** Why the provisioner cannot serve this claim, or null. */
export function unsupported(pvc: KObj): string | null {
  if (pvc.spec?.selector) return "claim Selector is not supported";
  if (pvc.spec?.volumeMode === "Block") return "volumeMode Block is not supported by local-path volumes";
  const bad = ((pvc.spec?.accessModes ?? []) as string[]).filter((m) => m !== "ReadWriteOnce" && m !== "ReadWriteOncePod");
  if (bad.length) return `access mode ${bad.join(", ")} is not supported: local-path volumes live on one node`;
  if (!pvc.spec?.resources?.requests?.storage) return "the claim requests no storage";
  return null;
}

export function localPathVolume(pvc: KObj, sc: KObj, node: KObj | string, root: string): KObj {
  const name = pvNameFor(pvc);
  const nodeName = typeof node === "string" ? node : node.metadata.name;
  const hostname = typeof node === "string" ? node : (node.metadata.labels?.[HOSTNAME_LABEL] ?? node.metadata.name);
  return {
    apiVersion: "v1",
    kind: "PersistentVolume",
    metadata: {
      name,
      annotations: { [PROVISIONED_BY_ANNOTATION]: LOCAL_PATH_PROVISIONER, [SELECTED_NODE_ANNOTATION]: nodeName },
    },
    spec: {
      capacity: { storage: pvc.spec.resources.requests.storage },
      accessModes: pvc.spec.accessModes,
      persistentVolumeReclaimPolicy: sc.reclaimPolicy ?? "Delete",
      storageClassName: sc.metadata.name,
      volumeMode: "Filesystem",
      hostPath: { path: `${root.replace(/\/+$/, "")}/${name}`, type: "DirectoryOrCreate" },
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: HOSTNAME_LABEL, operator: "In", values: [hostname] }] }] } },
      claimRef: { kind: "PersistentVolumeClaim", apiVersion: "v1", namespace: pvc.metadata.namespace, name: pvc.metadata.name, uid: pvc.metadata.uid, resourceVersion: pvc.metadata.resourceVersion },
    },
  };
}

/** Among Ready, schedulable nodes, the one holding the fewest local-path volumes (Immediate binding). */
export function pickNode(nodes: KObj[], volumes: KObj[]): KObj | undefined {
  const count = new Map<string, number>();
  for (const pv of volumes) {
    const n = pv.metadata?.annotations?.[SELECTED_NODE_ANNOTATION];
    if (n && pv.metadata?.annotations?.[PROVISIONED_BY_ANNOTATION] === LOCAL_PATH_PROVISIONER) count.set(n, (count.get(n) ?? 0) + 1);
  }
  const ready = nodes.filter((n) => !n.spec?.unschedulable && ((n.status?.conditions ?? []) as KObj[]).some((c) => c.type === "Ready" && c.status === "True"));
  return ready.sort((a, b) => (count.get(a.metadata.name) ?? 0) - (count.get(b.metadata.name) ?? 0) || a.metadata.name.localeCompare(b.metadata.name))[0];
}
