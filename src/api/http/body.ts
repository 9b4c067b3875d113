/**
 * @module api/http/body
 * Request body decoding by Content-Type: JSON, YAML and Kubernetes protobuf for object
 * writes; the four patch media types for PATCH.
 */
import YAML from "yaml";
import { errors } from "../errors.ts";
import type { PatchType } from "../registry/patching.ts";
import { queryBool } from "./request-info.ts";

const OBJECT_TYPES = ["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"];
const PATCH_TYPES: Record<string, PatchType> = {
  "application/json-patch+json": "json",
  "application/merge-patch+json": "merge",
  "application/strategic-merge-patch+json": "strategic",
  "application/apply-patch+yaml": "apply",
  "application/apply-patch+cbor": "apply",
};

function mediaType(req: Request): string {
  return (req.headers.get("content-type") ?? "application/json").split(";")[0]!.trim().toLowerCase();
}

type ProtobufDecoder = (bytes: Uint8Array) => unknown;
let protobufDecoder: ProtobufDecoder | undefined;
/** The protobuf module registers itself here (kept out of the agent's import graph). */
export function setProtobufDecoder(d: ProtobufDecoder) {
  protobufDecoder = d;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw errors.badRequest(`couldn't get version/kind; json parse error: ${(e as Error).message}`);
  }
}

function parseYaml(text: string): unknown {
  try {
    return YAML.parse(text);
  } catch (e) {
    throw errors.badRequest(`error converting YAML to JSON: ${(e as Error).message.split("\n")[0]}`);
  }
}

/** Body of POST/PUT (an object). Returns undefined for an empty body. */
export async function readObjectBody(req: Request): Promise<unknown> {
  const mt = mediaType(req);
  if (mt === "application/vnd.kubernetes.protobuf") {
    const bytes = new Uint8Array(await req.arrayBuffer());
    if (!protobufDecoder) throw errors.unsupportedMediaType(mt, OBJECT_TYPES.slice(0, 2));
    return protobufDecoder(bytes);
  }
  const text = await req.text();
  if (text.trim() === "") return undefined;
  if (mt === "application/json" || mt.endsWith("+json")) return parseJson(text);
  if (mt === "application/yaml" || mt === "application/x-yaml" || mt === "text/yaml") return parseYaml(text);
  throw errors.unsupportedMediaType(mt, OBJECT_TYPES);
}

export async function readPatchBody(req: Request): Promise<{ type: PatchType; patch: unknown }> {
  const mt = mediaType(req);
  const type = PATCH_TYPES[mt];
  if (!type) throw errors.unsupportedMediaType(mt, Object.keys(PATCH_TYPES));
  const text = await req.text();
  const patch = type === "apply" ? parseYaml(text) : parseJson(text);
  return { type, patch };
}

/** DeleteOptions from the body (kubectl) or query parameters. */
export async function readDeleteOptions(req: Request, q: URLSearchParams): Promise<Record<string, unknown>> {
  let body: Record<string, unknown> = {};
  const bytes = new Uint8Array(await req.arrayBuffer().catch(() => new ArrayBuffer(0)));
  if (bytes.length) {
    const mt = mediaType(req);
    const v = mt === "application/vnd.kubernetes.protobuf" && protobufDecoder ? protobufDecoder(bytes) : parseJson(new TextDecoder().decode(bytes));
    if (v && typeof v === "object") body = v as Record<string, unknown>;
  }
  const g = q.get("gracePeriodSeconds");
  if (g !== null) body.gracePeriodSeconds = Number(g);
  const p = q.get("propagationPolicy");
  if (p) body.propagationPolicy = p;
  const o = q.get("orphanDependents");
  if (o !== null) body.orphanDependents = queryBool(q, "orphanDependents");
  if (body.dryRun !== undefined && body.dryRun !== null) {
    const d = body.dryRun;
    if (!Array.isArray(d) || d.some((x) => x !== "All")) throw errors.badRequest(`dryRun: Unsupported value: ${JSON.stringify(d)}: supported values: "All"`);
    if (d.length === 0) delete body.dryRun;
  }
  const qd = q.getAll("dryRun");
  if (qd.length) body.dryRun = qd;
  if (body.propagationPolicy !== undefined && !["Orphan", "Background", "Foreground"].includes(body.propagationPolicy as string)) {
    throw errors.badRequest(`propagationPolicy: Unsupported value: "${body.propagationPolicy}": supported values: "Foreground", "Background", "Orphan"`);
  }
  if (body.gracePeriodSeconds !== undefined && (!Number.isInteger(body.gracePeriodSeconds) || (body.gracePeriodSeconds as number) < 0)) {
    throw errors.badRequest(`gracePeriodSeconds: Invalid value: ${body.gracePeriodSeconds}: must be a non-negative integer`);
  }
  return body;
}
