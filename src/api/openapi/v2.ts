/**
 * @module api/openapi/v2
 * The Swagger 2.0 document (`GET /openapi/v2`) of every served resource, as a JSON object; the
 * protobuf form kubectl asks for is v2-protobuf.ts. kubectl 1.27/1.28 need it to decide that the
 * server validates fields (a PATCH operation per GVK with a `fieldValidation` query parameter) and
 * parse it before using v3 for explain. Definitions are the v3 schemas rewritten for Swagger 2.0:
 * `#/definitions/` references with their description beside them, Quantity and IntOrString as
 * strings (upstream's v2 forms), and what v2 cannot say (oneOf, nullable…) left out.
 */
import type { Schema } from "../schema/index.ts";
import { closure } from "../schema/index.ts";
import { type Operation, type Param, type PathEntry, operations, referencedSchemas } from "./operations.ts";
import type { ResourceInfo } from "./types.ts";
import { schemaSpace } from "./v3.ts";

export interface V2Options {
  /** `info.version`; default "unversioned". */
  version?: string;
  /** Include `definitions` (default true). */
  definitions?: boolean;
}

/** A Swagger 2.0 document as plain JSON. */
export interface SwaggerDoc {
  swagger: "2.0";
  info: { title: string; version: string };
  paths: Record<string, Record<string, unknown>>;
  definitions: Record<string, Record<string, unknown>>;
  securityDefinitions?: Record<string, unknown>;
  security?: unknown[];
}

const V3_REF = "#/components/schemas/";
const V2_REF = "#/definitions/";
const CODES: Record<string, string> = { "200": "OK", "201": "Created", "202": "Accepted" };
const PRODUCES = ["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"];

/** The whole Swagger 2.0 document of `resources` (all group versions). */
export function openApiV2Doc(resources: ResourceInfo[], opts: V2Options = {}): SwaggerDoc {
  const { nameOf, lookup } = schemaSpace(resources);
  const entries = operations(resources, nameOf);
  const paths: SwaggerDoc["paths"] = {};
  for (const e of entries) paths[e.path] = renderPath(e);
  const definitions: SwaggerDoc["definitions"] = {};
  if (opts.definitions !== false) {
    const roots = new Set(referencedSchemas(entries));
    for (const r of resources) roots.add(nameOf({ group: r.group, version: r.version, kind: r.kind }));
    for (const name of closure([...roots], lookup)) definitions[name] = toV2(lookup(name)!, name) as Record<string, unknown>;
  }
  return {
    swagger: "2.0",
    info: { title: "Kubernetes", version: opts.version ?? "unversioned" },
    paths,
    definitions,
    securityDefinitions: { BearerToken: { description: "Bearer Token authentication", in: "header", name: "authorization", type: "apiKey" } },
    security: [{ BearerToken: [] }],
  };
}

/** Rewrites a v3 schema (as generated, or a CRD's) into its Swagger 2.0 form. */
export function toV2(s: Schema, name?: string): Record<string, unknown> {
  if (name === "io.k8s.apimachinery.pkg.api.resource.Quantity") return { description: s.description, type: "string" };
  if (name === "io.k8s.apimachinery.pkg.util.intstr.IntOrString") return { description: s.description, format: "int-or-string", type: "string" };
  const out: Record<string, unknown> = {};
  const ref = s.$ref ?? (s.allOf?.length === 1 ? s.allOf[0]!.$ref : undefined);
  if (ref) {
    out.$ref = V2_REF + ref.slice(V3_REF.length);
    if (s.description) out.description = s.description;
    copyExtensions(s, out);
    return out;
  }
  if (s.description !== undefined) out.description = s.description;
  if (s.type) out.type = s.type;
  if (s.format) out.format = s.format;
  for (const k of ["maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum", "maxLength", "minLength", "pattern", "maxItems", "minItems", "multipleOf"] as const) {
    if (s[k] !== undefined) out[k] = s[k];
  }
  if (s.enum) out.enum = s.enum;
  if (s.properties) {
    const props: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(s.properties)) props[k] = toV2(v);
    out.properties = props;
    if (s.required?.length) {
      const req = s.required.filter((r) => r in props);
      if (req.length) out.required = req;
    }
    if (!out.type) out.type = "object";
  }
  if (s.type === "array") out.items = s.items ? toV2(s.items) : {};
  if (s.additionalProperties !== undefined) {
    out.additionalProperties = typeof s.additionalProperties === "boolean" ? s.additionalProperties : toV2(s.additionalProperties);
  }
  copyExtensions(s, out);
  return out;
}

function copyExtensions(s: Schema, out: Record<string, unknown>) {
  for (const [k, v] of Object.entries(s)) if (k.startsWith("x-")) out[k] = v;
}

/** Parameters without their descriptions: nothing reads them from v2, and they are most of its paths' bytes. */
function renderParam(p: Param): Record<string, unknown> {
  const out: Record<string, unknown> = { in: p.in, name: p.name };
  if (p.required) out.required = true;
  out.type = p.type;
  out.uniqueItems = true;
  return out;
}

function renderOp(o: Operation): Record<string, unknown> {
  const out: Record<string, unknown> = { description: o.description, operationId: o.operationId };
  out.consumes = o.body ? o.body.contentTypes : ["*/*"];
  out.produces = o.responses["200"] && "text" in o.responses["200"] ? ["text/plain", "application/json"] : PRODUCES;
  out.schemes = ["https"];
  out.tags = [o.tag];
  const params = o.params.map(renderParam);
  if (o.body) params.unshift({ in: "body", name: "body", required: o.body.required, schema: { $ref: V2_REF + o.body.schema } });
  if (params.length) out.parameters = params;
  const responses: Record<string, unknown> = {};
  for (const [code, payload] of Object.entries(o.responses)) {
    responses[code] = { description: CODES[code] ?? "OK", schema: "schema" in payload ? { $ref: V2_REF + payload.schema } : { type: "string" } };
  }
  responses["401"] = { description: "Unauthorized" };
  out.responses = responses;
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
