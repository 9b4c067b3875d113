/**
 * @module api/openapi/v3
 * OpenAPI v3 documents as kube-apiserver serves them: the root (`GET /openapi/v3`, one entry per
 * group version with a `?hash=` URL) and one document per group version (`GET /openapi/v3/apis/
 * apps/v1`) with its paths and `components.schemas` (the GV's kinds and everything they
 * reference, so `kubectl explain pods.spec.containers --recursive` works). Custom resources get a
 * schema built from their CRD's `openAPIV3Schema`.
 *
 * The hash is upstream's ETag: upper-case hex SHA-512 of the document bytes. When a request's
 * `?hash=` matches, answer with `Cache-Control: public, immutable` (see v3CacheHeaders) and kubectl
 * stops asking for that document.
 */
import { type GVK, type Schema, closure, resolve, schemaNameFor } from "../schema/index.ts";
import { type Operation, type Param, type PathEntry, operations, referencedSchemas } from "./operations.ts";
import {
  type ResourceInfo, LIST_META_SCHEMA, OBJECT_META_SCHEMA, OpenApiError, customSchemaName, groupVersionOf, v3PathOf,
} from "./types.ts";

export interface V3Doc {
  groupVersion: string;
  /** `apis/apps/v1`, the document's path under /openapi/v3/. */
  path: string;
  /** The document (do not mutate: it is cached). */
  doc: Record<string, unknown>;
  /** Serialised JSON of `doc`: serve these bytes, the hash is theirs. */
  json: string;
  /** Upper-case hex SHA-512 of `json` (kube-openapi's ETag). */
  hash: string;
}

export interface V3Options {
  /** `info.version`; default "unversioned" like upstream's generated documents. */
  version?: string;
}

const REF = "#/components/schemas/";
const CONTENT = ["application/json", "application/yaml"];
const CODES: Record<string, string> = { "200": "OK", "201": "Created", "202": "Accepted" };

const cache = new Map<string, V3Doc>();
const CACHE_MAX = 64;

/**
 * The document of one group version (`v1`, `apps/v1`). Every resource must belong to it.
 * Results are memoised on their inputs.
 */
export function openApiV3Doc(groupVersion: string, resources: ResourceInfo[], opts: V3Options = {}): V3Doc {
  const key = JSON.stringify([groupVersion, resources, opts]);
  const hit = cache.get(key);
  if (hit) return hit;
  for (const r of resources) {
    if (groupVersionOf(r.group, r.version) !== groupVersion) throw new OpenApiError(`${r.plural} is in ${groupVersionOf(r.group, r.version)}, not ${groupVersion}`);
  }
  const { nameOf, lookup } = schemaSpace(resources);
  const entries = operations(resources, nameOf);
  const roots = new Set(referencedSchemas(entries));
  for (const r of resources) roots.add(nameOf({ group: r.group, version: r.version, kind: r.kind }));
  const schemas: Record<string, Schema> = {};
  for (const name of closure([...roots], lookup)) schemas[name] = lookup(name)!;

  const paths: Record<string, unknown> = {};
  for (const e of entries) paths[e.path] = renderPath(e);
  const doc = {
    components: { schemas, securitySchemes: { BearerToken: { description: "Bearer Token authentication", in: "header", name: "authorization", type: "apiKey" } } },
    info: { title: "Kubernetes", version: opts.version ?? "unversioned" },
    openapi: "3.0.0",
    paths,
  };
  const json = JSON.stringify(doc);
  const result: V3Doc = { groupVersion, path: v3PathOf(groupVersion), doc, json, hash: etagOf(json) };
  if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
  cache.set(key, result);
  return result;
}

/** `GET /openapi/v3`: one entry per document, pointing at its hash-pinned URL. */
export function openApiV3Root(docs: { groupVersion: string; hash: string }[]): { paths: Record<string, { serverRelativeURL: string }> } {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const d of [...docs].sort((a, b) => (v3PathOf(a.groupVersion) < v3PathOf(b.groupVersion) ? -1 : 1))) {
    const p = v3PathOf(d.groupVersion);
    paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${d.hash}` };
  }
  return { paths };
}

/**
 * Response headers for a document request, as kube-openapi sets them: with a matching `?hash=`
 * the document is immutable for a year; a stale hash is redirected (301) to the current URL.
 */
export function v3CacheHeaders(doc: V3Doc, requestedHash: string | null | undefined, now = Date.now()): { status: 200 | 301; headers: Record<string, string> } {
  const headers: Record<string, string> = { "Content-Type": "application/json", ETag: `"${doc.hash}"` };
  if (requestedHash) {
    if (requestedHash !== doc.hash) return { status: 301, headers: { Location: `/openapi/v3/${doc.path}?hash=${doc.hash}` } };
    headers["Cache-Control"] = "public, immutable";
    headers["Expires"] = new Date(now + 365 * 86400_000).toUTCString();
    headers["Vary"] = "Accept";
  } else {
    headers["Cache-Control"] = "no-cache, private";
  }
  return { status: 200, headers };
}

/** kube-openapi's ETag of served bytes: upper-case hex SHA-512. */
export function etagOf(data: string | Uint8Array): string {
  return new Bun.CryptoHasher("sha512").update(data).digest("hex").toUpperCase();
}

// ---------------------------------------------------------------------------------------------

/** Names and lookup of the schemas a document may contain: built-in plus custom resources'. */
export function schemaSpace(resources: ResourceInfo[]): { nameOf: (g: GVK) => string; lookup: (name: string) => Schema | undefined } {
  const custom = new Map<string, Schema>();
  const customNames = new Map<string, string>();
  for (const r of resources) {
    if (!r.schema) continue;
    const name = customSchemaName(r.group, r.version, r.kind);
    const listKind = r.listKind ?? `${r.kind}List`;
    const listName = customSchemaName(r.group, r.version, listKind);
    custom.set(name, customResourceSchema(r));
    custom.set(listName, customListSchema(r, name, listKind));
    customNames.set(`${r.group}/${r.version}/${r.kind}`, name);
    customNames.set(`${r.group}/${r.version}/${listKind}`, listName);
  }
  const nameOf = (g: GVK) => {
    const n = customNames.get(`${g.group}/${g.version}/${g.kind}`) ?? schemaNameFor(g.group, g.version, g.kind);
    if (!n) throw new OpenApiError(`no schema for ${groupVersionOf(g.group, g.version)} ${g.kind}`);
    return n;
  };
  return { nameOf, lookup: (name) => custom.get(name) ?? resolve(name) };
}

const API_VERSION_DESC = "APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources";
const KIND_DESC = "Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds";

/** A custom resource's schema: the CRD's openAPIV3Schema plus apiVersion/kind/metadata and the GVK. */
function customResourceSchema(r: ResourceInfo): Schema {
  const s = r.schema ?? {};
  return {
    ...s,
    type: "object",
    properties: {
      apiVersion: { description: API_VERSION_DESC, type: "string" },
      kind: { description: KIND_DESC, type: "string" },
      metadata: { allOf: [{ $ref: REF + OBJECT_META_SCHEMA }], description: "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata" },
      ...(s.properties ?? {}),
    },
    "x-kubernetes-group-version-kind": [{ group: r.group, kind: r.kind, version: r.version }],
  };
}

function customListSchema(r: ResourceInfo, itemName: string, listKind: string): Schema {
  return {
    description: `${listKind} is a list of ${r.kind}`,
    properties: {
      apiVersion: { description: API_VERSION_DESC, type: "string" },
      items: { description: `List of ${r.plural}. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md`, items: { $ref: REF + itemName }, type: "array" },
      kind: { description: KIND_DESC, type: "string" },
      metadata: { allOf: [{ $ref: REF + LIST_META_SCHEMA }], description: "Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds" },
    },
    required: ["items"],
    type: "object",
    "x-kubernetes-group-version-kind": [{ group: r.group, kind: listKind, version: r.version }],
  };
}

function renderParam(p: Param): Record<string, unknown> {
  const out: Record<string, unknown> = { description: p.description, in: p.in, name: p.name };
  if (p.required) out.required = true;
  out.schema = { type: p.type, uniqueItems: true };
  return out;
}

function renderOp(o: Operation): Record<string, unknown> {
  const out: Record<string, unknown> = { description: o.description, operationId: o.operationId };
  if (o.params.length) out.parameters = o.params.map(renderParam);
  if (o.body) {
    const content: Record<string, unknown> = {};
    for (const ct of o.body.contentTypes) content[ct] = { schema: { $ref: REF + o.body.schema } };
    out.requestBody = o.body.required ? { content, required: true } : { content };
  }
  const responses: Record<string, unknown> = {};
  for (const [code, payload] of Object.entries(o.responses)) {
    const content: Record<string, unknown> = {};
    if ("schema" in payload) for (const ct of CONTENT) content[ct] = { schema: { $ref: REF + payload.schema } };
    else content["text/plain"] = { schema: { type: "string" } };
    responses[code] = { content, description: CODES[code] ?? "OK" };
  }
  responses["401"] = { description: "Unauthorized" };
  out.responses = responses;
  out.tags = [o.tag];
  out["x-kubernetes-action"] = o.action;
  if (o.gvk) out["x-kubernetes-group-version-kind"] = { group: o.gvk.group, kind: o.gvk.kind, version: o.gvk.version };
  return out;
}

function renderPath(e: PathEntry): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const o of e.ops) out[o.method] = renderOp(o);
  out.parameters = e.params.map(renderParam);
  return out;
}
