/**
 * @module api/patch/strategy
 * Patch-strategy metadata of the built-in kinds: a small hand-written type graph taken from
 * the `patchStrategy` / `patchMergeKey` struct tags of k8s.io/api (the same data upstream's
 * strategic merge patch reads by reflection, and `x-kubernetes-patch-*` in its OpenAPI).
 * Only fields that carry a strategy, or lead to one, are listed; any other field has no
 * strategy (maps merge, lists are replaced), which is also upstream's default.
 *
 * Server-side apply (apply.ts) uses the same data: merge + key = associative list, merge
 * without key = set, anything else atomic. (Upstream's SSA keys ports by containerPort +
 * protocol after defaulting; without defaulting we key by the merge key alone.)
 *
 * Custom resources get no metadata (`patchMetaFor` returns undefined) and the API answers
 * strategic merge patches for them with 415, like kube-apiserver.
 */

export type PatchStrategy = "merge" | "replace" | "retainKeys" | "merge,retainKeys";

/** Patch metadata of one field of a struct. */
export interface PatchField {
  strategy?: PatchStrategy;
  /** patchMergeKey for lists of objects with strategy merge. */
  mergeKey?: string;
  /** Type of the value (for lists: of each element): a key of TYPES, or the type itself. */
  type?: string | PatchType;
}

/** Patch metadata of a struct: only the fields with a strategy or leading to one. */
export interface PatchType {
  name: string;
  fields: Readonly<Record<string, PatchField>>;
}

const m = (mergeKey: string, type?: string): PatchField => ({ strategy: "merge", mergeKey, type });
const t = (type: string): PatchField => ({ type });

const conditions = m("type");

const defs: Record<string, Record<string, PatchField>> = {
  // meta/v1
  ObjectMeta: {
    finalizers: { strategy: "merge" },
    ownerReferences: m("uid"),
  },
  // core/v1
  PodTemplateSpec: { metadata: t("ObjectMeta"), spec: t("PodSpec") },
  PodSpec: {
    volumes: { strategy: "merge,retainKeys", mergeKey: "name" },
    initContainers: m("name", "Container"),
    containers: m("name", "Container"),
    ephemeralContainers: m("name", "Container"),
    imagePullSecrets: m("name"),
    hostAliases: m("ip"),
    topologySpreadConstraints: m("topologyKey"),
    schedulingGates: m("name"),
    resourceClaims: { strategy: "merge,retainKeys", mergeKey: "name" },
  },
  Container: {
    ports: m("containerPort"),
    env: m("name"),
    volumeMounts: m("mountPath"),
    volumeDevices: m("devicePath"),
  },
  PodStatus: {
    conditions,
    podIPs: m("ip"),
    hostIPs: m("ip"),
    resourceClaimStatuses: { strategy: "merge,retainKeys", mergeKey: "name" },
    containerStatuses: t("ContainerStatus"),
    initContainerStatuses: t("ContainerStatus"),
    ephemeralContainerStatuses: t("ContainerStatus"),
  },
  ContainerStatus: { allocatedResourcesStatus: m("name") },
  ServiceSpec: { ports: m("port") },
  ServiceStatus: { conditions },
  ServiceAccount: { metadata: t("ObjectMeta"), secrets: m("name") },
  NodeSpec: { podCIDRs: { strategy: "merge" } },
  NodeStatus: { conditions, addresses: m("type") },
  NamespaceStatus: { conditions },
  PersistentVolumeClaimStatus: { conditions },
  ReplicationControllerSpec: { template: t("PodTemplateSpec") },
  // apps/v1
  DeploymentSpec: { template: t("PodTemplateSpec"), strategy: { strategy: "retainKeys" } },
  WorkloadSpec: { template: t("PodTemplateSpec") },
  StatefulSetSpec: { template: t("PodTemplateSpec"), volumeClaimTemplates: t("PersistentVolumeClaim") },
  PersistentVolumeClaim: { metadata: t("ObjectMeta"), status: t("PersistentVolumeClaimStatus") },
  ConditionsStatus: { conditions },
  // batch/v1
  JobSpec: { template: t("PodTemplateSpec") },
  JobTemplateSpec: { metadata: t("ObjectMeta"), spec: t("JobSpec") },
  CronJobSpec: { jobTemplate: t("JobTemplateSpec") },
  // admissionregistration.k8s.io/v1
  WebhookConfiguration: { metadata: t("ObjectMeta"), webhooks: m("name") },
};

/** Every struct type of the graph, by name. */
export const TYPES: Readonly<Record<string, PatchType>> = Object.fromEntries(
  Object.entries(defs).map(([name, fields]) => [name, { name, fields }]),
);

/** A root type: ObjectMeta + spec/status of the given types. */
function root(name: string, parts: Record<string, string> = {}): PatchType {
  const fields: Record<string, PatchField> = { metadata: t("ObjectMeta") };
  for (const [f, type] of Object.entries(parts)) fields[f] = t(type);
  return { name, fields };
}

const metaOnly = (name: string) => root(name);

/** Roots by "group/Kind" (core group: "/Kind"). Versions share their roots (see patchMetaFor). */
const ROOTS: Record<string, PatchType> = {
  "/Pod": root("Pod", { spec: "PodSpec", status: "PodStatus" }),
  "/PodTemplate": root("PodTemplate", { template: "PodTemplateSpec" }),
  "/ReplicationController": root("ReplicationController", { spec: "ReplicationControllerSpec", status: "ConditionsStatus" }),
  "/Service": root("Service", { spec: "ServiceSpec", status: "ServiceStatus" }),
  "/Endpoints": metaOnly("Endpoints"),
  "/ConfigMap": metaOnly("ConfigMap"),
  "/Secret": metaOnly("Secret"),
  "/ServiceAccount": TYPES.ServiceAccount as PatchType,
  "/Namespace": root("Namespace", { status: "NamespaceStatus" }),
  "/Node": root("Node", { spec: "NodeSpec", status: "NodeStatus" }),
  "/PersistentVolume": metaOnly("PersistentVolume"),
  "/PersistentVolumeClaim": root("PersistentVolumeClaim", { status: "PersistentVolumeClaimStatus" }),
  "/Event": metaOnly("Event"),
  "/ResourceQuota": metaOnly("ResourceQuota"),
  "/LimitRange": metaOnly("LimitRange"),
  "apps/Deployment": root("Deployment", { spec: "DeploymentSpec", status: "ConditionsStatus" }),
  "apps/ReplicaSet": root("ReplicaSet", { spec: "WorkloadSpec", status: "ConditionsStatus" }),
  "apps/DaemonSet": root("DaemonSet", { spec: "WorkloadSpec", status: "ConditionsStatus" }),
  "apps/StatefulSet": root("StatefulSet", { spec: "StatefulSetSpec", status: "ConditionsStatus" }),
  "batch/Job": root("Job", { spec: "JobSpec", status: "ConditionsStatus" }),
  "batch/CronJob": root("CronJob", { spec: "CronJobSpec" }),
  "coordination.k8s.io/Lease": metaOnly("Lease"),
  "discovery.k8s.io/EndpointSlice": metaOnly("EndpointSlice"),
  "autoscaling/HorizontalPodAutoscaler": root("HorizontalPodAutoscaler", { status: "ConditionsStatus" }),
  "admissionregistration.k8s.io/ValidatingWebhookConfiguration": TYPES.WebhookConfiguration as PatchType,
  "admissionregistration.k8s.io/MutatingWebhookConfiguration": TYPES.WebhookConfiguration as PatchType,
};

/**
 * API groups compiled into kube-apiserver. Kinds of these groups that have no entry in ROOTS
 * (Role, Ingress, StorageClass, ...) have no strategy below ObjectMeta, so they get a
 * metadata-only root: strategic merge patch works for them as upstream.
 */
export const BUILTIN_GROUPS: ReadonlySet<string> = new Set([
  "",
  "admissionregistration.k8s.io",
  "apiextensions.k8s.io",
  "apiregistration.k8s.io",
  "apps",
  "authentication.k8s.io",
  "authorization.k8s.io",
  "autoscaling",
  "batch",
  "certificates.k8s.io",
  "coordination.k8s.io",
  "discovery.k8s.io",
  "events.k8s.io",
  "flowcontrol.apiserver.k8s.io",
  "internal.apiserver.k8s.io",
  "networking.k8s.io",
  "node.k8s.io",
  "policy",
  "rbac.authorization.k8s.io",
  "resource.k8s.io",
  "scheduling.k8s.io",
  "storage.k8s.io",
  "storagemigration.k8s.io",
]);

/**
 * The patch metadata root for a kind, or undefined for kinds that are not built in (custom
 * resources), for which strategic merge patch is not supported (415 upstream).
 * `version` is accepted for symmetry with upstream; the metadata is the same in every version
 * kite serves.
 */
export function patchMetaFor(group: string, version: string, kind: string): PatchType | undefined {
  void version;
  const known = ROOTS[`${group}/${kind}`];
  if (known) return known;
  if (BUILTIN_GROUPS.has(group)) return metaOnly(kind);
  return undefined;
}

/** Metadata of `field` in `type` (undefined type or unknown field: no strategy, no type). */
export function lookupField(type: PatchType | undefined, field: string): { meta: PatchField | undefined; type: PatchType | undefined } {
  const meta = type?.fields[field];
  const ref = meta?.type;
  return { meta, type: typeof ref === "string" ? TYPES[ref] : ref };
}

/** Strategy flags of a field. */
export function strategyOf(meta: PatchField | undefined): { merge: boolean; retainKeys: boolean; replace: boolean } {
  const parts = (meta?.strategy ?? "").split(",");
  return { merge: parts.includes("merge"), retainKeys: parts.includes("retainKeys"), replace: parts.includes("replace") };
}
