/**
 * @module client/resources
 * Group/version/resource coordinates of the kinds kite's own components use.
 */
export interface GVR {
  group: string;
  version: string;
  resource: string;
  namespaced: boolean;
  kind: string;
}

const core = (resource: string, kind: string, namespaced = true): GVR => ({ group: "", version: "v1", resource, namespaced, kind });
const g = (group: string, version: string, resource: string, kind: string, namespaced = true): GVR => ({ group, version, resource, namespaced, kind });

export const R = {
  namespaces: core("namespaces", "Namespace", false),
  nodes: core("nodes", "Node", false),
  pods: core("pods", "Pod"),
  services: core("services", "Service"),
  endpoints: core("endpoints", "Endpoints"),
  configmaps: core("configmaps", "ConfigMap"),
  secrets: core("secrets", "Secret"),
  serviceaccounts: core("serviceaccounts", "ServiceAccount"),
  events: core("events", "Event"),
  persistentvolumes: core("persistentvolumes", "PersistentVolume", false),
  persistentvolumeclaims: core("persistentvolumeclaims", "PersistentVolumeClaim"),
  deployments: g("apps", "v1", "deployments", "Deployment"),
  replicasets: g("apps", "v1", "replicasets", "ReplicaSet"),
  daemonsets: g("apps", "v1", "daemonsets", "DaemonSet"),
  statefulsets: g("apps", "v1", "statefulsets", "StatefulSet"),
  controllerrevisions: g("apps", "v1", "controllerrevisions", "ControllerRevision"),
  jobs: g("batch", "v1", "jobs", "Job"),
  cronjobs: g("batch", "v1", "cronjobs", "CronJob"),
  leases: g("coordination.k8s.io", "v1", "leases", "Lease"),
  endpointslices: g("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice"),
  storageclasses: g("storage.k8s.io", "v1", "storageclasses", "StorageClass", false),
  customresourcedefinitions: g("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", false),
} as const;

export function apiVersion(r: Pick<GVR, "group" | "version">) {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

export function resourcePath(r: GVR, namespace?: string, name?: string, subresource?: string): string {
  let p = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  if (r.namespaced && namespace) p += `/namespaces/${encodeURIComponent(namespace)}`;
  p += `/${r.resource}`;
  if (name) p += `/${encodeURIComponent(name)}`;
  if (subresource) p += `/${subresource}`;
  return p;
}
