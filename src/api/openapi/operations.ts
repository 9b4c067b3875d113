/**
 * @module api/openapi/operations
 * The REST operations of served resources, independent of the OpenAPI version: paths, verbs,
 * operation ids, query parameters and the schemas of bodies and responses, named like
 * kube-apiserver's (`patchAppsV1NamespacedDeploymentScale` with `x-kubernetes-action: patch`).
 * v3.ts and v2.ts render them. kubectl reads the PATCH operation's `fieldValidation` parameter
 * and `x-kubernetes-group-version-kind` to decide that the server validates fields.
 */
import type { GVK } from "../schema/index.ts";
import {
  type ResourceInfo, DELETE_OPTIONS_SCHEMA, PATCH_SCHEMA, STATUS_SCHEMA, apiPrefix, opStem,
} from "./types.ts";

export interface Param {
  name: string;
  in: "query" | "path";
  type: "string" | "boolean" | "integer";
  description: string;
  required?: boolean;
}

/** What a response carries: a named schema, plain text, or nothing. */
export type Payload = { schema: string } | { text: true };

export interface Operation {
  method: "get" | "put" | "post" | "delete" | "patch";
  action: string;
  operationId: string;
  description: string;
  gvk?: GVK;
  params: Param[];
  body?: { schema: string; contentTypes: string[]; required: boolean };
  /** HTTP code → payload. */
  responses: Record<string, Payload>;
  tag: string;
}

export interface PathEntry {
  path: string;
  params: Param[];
  ops: Operation[];
}

const P = (name: string, type: Param["type"], description: string): Param => ({ name, in: "query", type, description });

const PRETTY = P("pretty", "string", "If 'true', then the output is pretty printed.");
const DRY_RUN = P("dryRun", "string", "When present, indicates that modifications should not be persisted. Valid values are: - All: all dry run stages will be processed");
const FIELD_MANAGER = P("fieldManager", "string", "fieldManager is a name associated with the actor or entity that is making these changes.");
const FIELD_VALIDATION = P("fieldValidation", "string", "fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: Ignore, Warn (the default), Strict.");
const FORCE = P("force", "boolean", "Force is going to \"force\" Apply requests. It means user will re-acquire conflicting fields owned by other people. Force flag must be unset for non-apply patch requests.");
const LIST_PARAMS: Param[] = [
  P("allowWatchBookmarks", "boolean", "allowWatchBookmarks requests watch events with type \"BOOKMARK\". Servers that do not implement bookmarks may ignore this flag and bookmarks are sent at the server's discretion."),
  P("continue", "string", "The continue option should be set when retrieving more results from the server."),
  P("fieldSelector", "string", "A selector to restrict the list of returned objects by their fields. Defaults to everything."),
  P("labelSelector", "string", "A selector to restrict the list of returned objects by their labels. Defaults to everything."),
  P("limit", "integer", "limit is a maximum number of responses to return for a list call."),
  P("resourceVersion", "string", "resourceVersion sets a constraint on what resource versions a request may be served from."),
  P("resourceVersionMatch", "string", "resourceVersionMatch determines how resourceVersion is applied to list calls."),
  P("sendInitialEvents", "boolean", "`sendInitialEvents=true` may be set together with `watch=true`."),
  P("timeoutSeconds", "integer", "Timeout for the list/watch call. This limits the duration of the call, regardless of any activity or inactivity."),
  P("watch", "boolean", "Watch for changes to the described resources and return them as a stream of add, update, and remove notifications. Specify resourceVersion."),
];
const DELETE_PARAMS: Param[] = [
  DRY_RUN,
  P("gracePeriodSeconds", "integer", "The duration in seconds before the object should be deleted. Value must be non-negative integer. The value zero indicates delete immediately."),
  P("ignoreStoreReadErrorWithClusterBreakingPotential", "boolean", "if set to true, it will trigger an unsafe deletion of the resource in case the normal deletion flow fails with a corrupt object error."),
  P("orphanDependents", "boolean", "Deprecated: please use the PropagationPolicy, this field will be deprecated in 1.7."),
  P("propagationPolicy", "string", "Whether and how garbage collection will be performed: Orphan, Background or Foreground."),
];
const NAME = (what: string): Param => ({ name: "name", in: "path", type: "string", description: `name of the ${what}`, required: true });
const NAMESPACE: Param = { name: "namespace", in: "path", type: "string", description: "object name and auth scope, such as for teams and projects", required: true };

export const PATCH_CONTENT_TYPES = [
  "application/apply-patch+yaml",
  "application/json-patch+json",
  "application/merge-patch+json",
  "application/strategic-merge-patch+json",
];

/** Schema name of a kind: built-in (via `nameOf`) or custom. */
export type SchemaNamer = (gvk: GVK) => string;

/**
 * Path entries for `resources`, sorted by path. `nameOf` maps a GVK to its schema name (the
 * caller knows whether it is a custom resource).
 */
export function operations(resources: ResourceInfo[], nameOf: SchemaNamer): PathEntry[] {
  const paths = new Map<string, PathEntry>();
  const entry = (path: string, params: Param[]) => {
    let e = paths.get(path);
    if (!e) { e = { path, params, ops: [] }; paths.set(path, e); }
    return e;
  };
  for (const r of resources) {
    const gvk: GVK = { group: r.group, version: r.version, kind: r.kind };
    const listGVK: GVK = { ...gvk, kind: r.listKind ?? `${r.kind}List` };
    const kindSchema = nameOf(gvk);
    const tag = `${opStem(r).replace(/^(.)/, (c) => c.toLowerCase())}`.replace(/V(\d)/, "_v$1");
    const stem = opStem(r);
    const ns = r.namespaced ? "Namespaced" : "";
    const base = apiPrefix(r.group, r.version);
    const coll = r.namespaced ? `${base}/namespaces/{namespace}/${r.plural}` : `${base}/${r.plural}`;
    const collParams = r.namespaced ? [NAMESPACE, PRETTY] : [PRETTY];
    const item = `${coll}/{name}`;
    const itemParams = r.namespaced ? [NAME(r.kind), NAMESPACE, PRETTY] : [NAME(r.kind), PRETTY];
    const has = (v: string) => r.verbs.includes(v);
    const op = (o: Omit<Operation, "tag">): Operation => ({ ...o, tag });

    if (has("list")) {
      const listSchema = nameOf(listGVK);
      entry(coll, collParams).ops.push(op({
        method: "get", action: "list", operationId: `list${stem}${ns}${r.kind}`, gvk,
        description: `list or watch objects of kind ${r.kind}`, params: LIST_PARAMS, responses: { "200": { schema: listSchema } },
      }));
      if (r.namespaced) {
        entry(`${base}/${r.plural}`, [PRETTY]).ops.push(op({
          method: "get", action: "list", operationId: `list${stem}${r.kind}ForAllNamespaces`, gvk,
          description: `list or watch objects of kind ${r.kind}`, params: LIST_PARAMS, responses: { "200": { schema: listSchema } },
        }));
      }
    }
    if (has("create")) {
      entry(coll, collParams).ops.push(op({
        method: "post", action: "post", operationId: `create${stem}${ns}${r.kind}`, gvk, description: `create ${article(r.kind)}`,
        params: [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION], body: { schema: kindSchema, contentTypes: ["*/*"], required: true },
        responses: { "200": { schema: kindSchema }, "201": { schema: kindSchema }, "202": { schema: kindSchema } },
      }));
    }
    if (has("deletecollection")) {
      entry(coll, collParams).ops.push(op({
        method: "delete", action: "deletecollection", operationId: `delete${stem}Collection${ns}${r.kind}`, gvk,
        description: `delete collection of ${r.kind}`, params: [...DELETE_PARAMS, ...LIST_PARAMS.filter((p) => p.name !== "allowWatchBookmarks" && p.name !== "watch")],
        body: { schema: DELETE_OPTIONS_SCHEMA, contentTypes: ["*/*"], required: false }, responses: { "200": { schema: STATUS_SCHEMA } },
      }));
    }
    if (has("get")) {
      entry(item, itemParams).ops.push(op({
        method: "get", action: "get", operationId: `read${stem}${ns}${r.kind}`, gvk,
        description: `read the specified ${r.kind}`, params: [], responses: { "200": { schema: kindSchema } },
      }));
    }
    if (has("update")) {
      entry(item, itemParams).ops.push(op({
        method: "put", action: "put", operationId: `replace${stem}${ns}${r.kind}`, gvk, description: `replace the specified ${r.kind}`,
        params: [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION], body: { schema: kindSchema, contentTypes: ["*/*"], required: true },
        responses: { "200": { schema: kindSchema }, "201": { schema: kindSchema } },
      }));
    }
    if (has("patch")) {
      entry(item, itemParams).ops.push(op({
        method: "patch", action: "patch", operationId: `patch${stem}${ns}${r.kind}`, gvk, description: `partially update the specified ${r.kind}`,
        params: [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION, FORCE], body: { schema: PATCH_SCHEMA, contentTypes: PATCH_CONTENT_TYPES, required: true },
        responses: { "200": { schema: kindSchema }, "201": { schema: kindSchema } },
      }));
    }
    if (has("delete")) {
      entry(item, itemParams).ops.push(op({
        method: "delete", action: "delete", operationId: `delete${stem}${ns}${r.kind}`, gvk, description: `delete ${article(r.kind)}`,
        params: DELETE_PARAMS, body: { schema: DELETE_OPTIONS_SCHEMA, contentTypes: ["*/*"], required: false },
        responses: { "200": { schema: STATUS_SCHEMA }, "202": { schema: STATUS_SCHEMA } },
      }));
    }
    for (const sub of r.subresources ?? []) {
      const subKind = sub.kind === undefined ? gvk : sub.kind;
      const payload: Payload = subKind ? { schema: nameOf(subKind) } : { text: true };
      const subPath = `${item}/${sub.name}`;
      const subName = sub.name.split(/[-_]/).map((w) => w[0]!.toUpperCase() + w.slice(1)).join("");
      const id = (verb: string) => `${verb}${stem}${ns}${r.kind}${subName}`;
      const e = entry(subPath, itemParams.map((p) => (p.name === "name" ? NAME(subKind?.kind ?? r.kind) : p)));
      const subGVK = subKind ?? undefined;
      if (sub.verbs.includes("get")) {
        e.ops.push(op({ method: "get", action: "get", operationId: id("read"), gvk: subGVK, description: `read ${sub.name} of the specified ${r.kind}`, params: [], responses: { "200": payload } }));
      }
      if (sub.verbs.includes("create") && "schema" in payload) {
        e.ops.push(op({
          method: "post", action: "post", operationId: id("create"), gvk: subGVK, description: `create ${sub.name} of ${article(r.kind)}`,
          params: [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION], body: { schema: payload.schema, contentTypes: ["*/*"], required: true },
          responses: { "200": payload, "201": payload, "202": payload },
        }));
      }
      if (sub.verbs.includes("update") && "schema" in payload) {
        e.ops.push(op({
          method: "put", action: "put", operationId: id("replace"), gvk: subGVK, description: `replace ${sub.name} of the specified ${r.kind}`,
          params: [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION], body: { schema: payload.schema, contentTypes: ["*/*"], required: true },
          responses: { "200": payload, "201": payload },
        }));
      }
      if (sub.verbs.includes("patch") && "schema" in payload) {
        e.ops.push(op({
          method: "patch", action: "patch", operationId: id("patch"), gvk: subGVK, description: `partially update ${sub.name} of the specified ${r.kind}`,
          params: [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION, FORCE], body: { schema: PATCH_SCHEMA, contentTypes: PATCH_CONTENT_TYPES, required: true },
          responses: { "200": payload, "201": payload },
        }));
      }
    }
  }
  const order = ["get", "put", "post", "delete", "patch"];
  return [...paths.values()]
    .map((e) => ({ ...e, ops: e.ops.sort((a, b) => order.indexOf(a.method) - order.indexOf(b.method)) }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function article(kind: string): string {
  return /^[AEIOU]/.test(kind) ? `an ${kind}` : `a ${kind}`;
}

/** Schema names an operation list refers to (bodies and responses). */
export function referencedSchemas(entries: PathEntry[]): string[] {
  const out = new Set<string>();
  for (const e of entries) {
    for (const o of e.ops) {
      if (o.body) out.add(o.body.schema);
      for (const p of Object.values(o.responses)) if ("schema" in p) out.add(p.schema);
    }
  }
  return [...out].sort();
}
