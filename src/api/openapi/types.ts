/**
 * @module api/openapi/types
 * What the OpenAPI builders need to know about a served resource, plus the naming rules
 * (operation ids, schema names of custom resources, document paths) v2 and v3 share.
 */
import type { GVK, Schema } from "../schema/index.ts";

export interface SubresourceInfo {
  /** `status`, `scale`, `eviction`, `token`, `log`, `binding`… */
  name: string;
  /** get, update, patch, create. */
  verbs: string[];
  /** Kind sent and returned; default: the parent kind. `log` and friends have none (plain text). */
  kind?: GVK | null;
}

export interface ResourceInfo {
  group: string;
  version: string;
  kind: string;
  /** Defaults to `${kind}List`. */
  listKind?: string;
  plural: string;
  namespaced: boolean;
  /** get, list, watch, create, update, patch, delete, deletecollection. */
  verbs: string[];
  subresources?: SubresourceInfo[];
  /**
   * Custom resources: the CRD version's `openAPIV3Schema`. Built-in kinds leave it out and use the
   * generated schemas.
   */
  schema?: Schema;
}

/** The shape of a served resource definition (api/registry's ResourceDef fits it). */
export interface ResourceDefLike {
  group: string;
  version: string;
  kind: string;
  listKind?: string;
  plural: string;
  namespaced: boolean;
  /** Default: every verb. */
  verbs?: string[];
  statusSubresource?: boolean;
  scale?: unknown;
  subresources?: Record<string, { verbs: string[]; responseKind?: GVK }>;
}

const EVERY_VERB = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

/**
 * ResourceInfo of a resource definition: `status` (same kind) and `scale` (autoscaling/v1 Scale)
 * subresources from their flags, others with their response kind (none: plain text, like log).
 * Pass `schema` for a custom resource (its CRD version's openAPIV3Schema).
 */
export function resourceInfoOf(def: ResourceDefLike, schema?: Schema): ResourceInfo {
  const subresources: SubresourceInfo[] = [];
  if (def.statusSubresource) subresources.push({ name: "status", verbs: ["get", "patch", "update"] });
  if (def.scale) subresources.push({ name: "scale", verbs: ["get", "patch", "update"], kind: { group: "autoscaling", version: "v1", kind: "Scale" } });
  for (const [name, h] of Object.entries(def.subresources ?? {})) {
    if (name === "status" || name === "scale") continue;
    subresources.push({ name, verbs: h.verbs, kind: h.responseKind ?? null });
  }
  const info: ResourceInfo = {
    group: def.group, version: def.version, kind: def.kind, plural: def.plural, namespaced: def.namespaced,
    verbs: def.verbs ?? EVERY_VERB,
  };
  if (def.listKind) info.listKind = def.listKind;
  if (subresources.length) info.subresources = subresources.sort((a, b) => (a.name < b.name ? -1 : 1));
  if (schema) info.schema = schema;
  return info;
}

/** `v1` → `v1`, `apps/v1` → `apps/v1`. */
export function groupVersionOf(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}

/** Document path under /openapi/v3/: `api/v1`, `apis/apps/v1`. */
export function v3PathOf(groupVersion: string): string {
  return groupVersion.includes("/") ? `apis/${groupVersion}` : `api/${groupVersion}`;
}

/** Inverse of v3PathOf, or undefined for something else. */
export function groupVersionOfV3Path(path: string): string | undefined {
  const p = path.replace(/^\/+|\/+$/g, "");
  let m = /^api\/([^/]+)$/.exec(p);
  if (m) return m[1];
  m = /^apis\/([^/]+)\/([^/]+)$/.exec(p);
  return m ? `${m[1]}/${m[2]}` : undefined;
}

/** URL prefix of a group version: `/api/v1`, `/apis/apps/v1`. */
export function apiPrefix(group: string, version: string): string {
  return group ? `/apis/${group}/${version}` : `/api/${version}`;
}

/** `rbac.authorization.k8s.io` → `RbacAuthorization`, `` → `Core`, `example.com` → `ExampleCom`. */
export function groupToken(group: string): string {
  if (!group) return "Core";
  const g = group.endsWith(".k8s.io") ? group.slice(0, -".k8s.io".length) : group;
  return g.split(/[.-]/).filter(Boolean).map((w) => w[0]!.toUpperCase() + w.slice(1)).join("");
}

/** Operation-id stem as upstream: `AppsV1` + `Namespaced` + `Deployment` + `Scale`. */
export function opStem(r: { group: string; version: string }): string {
  return groupToken(r.group) + r.version[0]!.toUpperCase() + r.version.slice(1);
}

/** Schema name upstream gives a custom resource: `example.com` v1 Widget → `com.example.v1.Widget`. */
export function customSchemaName(group: string, version: string, kind: string): string {
  return `${group.split(".").reverse().join(".")}.${version}.${kind}`;
}

export const STATUS_SCHEMA = "io.k8s.apimachinery.pkg.apis.meta.v1.Status";
export const DELETE_OPTIONS_SCHEMA = "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions";
export const PATCH_SCHEMA = "io.k8s.apimachinery.pkg.apis.meta.v1.Patch";
export const OBJECT_META_SCHEMA = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";
export const LIST_META_SCHEMA = "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta";

export class OpenApiError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "OpenApiError";
  }
}
