/**
 * @module api/protobuf
 * Decodes Kubernetes protobuf request bodies (`Content-Type: application/vnd.kubernetes.protobuf`,
 * sent by kubectl ≥ 1.32's typed clients) into the JSON object a JSON client would have sent.
 *
 * Body = magic `k8s\0` + runtime.Unknown { typeMeta(1){apiVersion(1), kind(2)}, raw(2),
 * contentEncoding(3), contentType(4) }, `raw` being the object's message. Responses stay JSON.
 */
import { decodeMessage, type Json } from "./decode.ts";
import { KINDS } from "./descriptors.generated.ts";
import { ProtobufDecodeError, WIRE, readFields } from "./wire.ts";

export { ProtobufDecodeError } from "./wire.ts";
export type { ProtobufErrorCode } from "./wire.ts";
export type { Json } from "./decode.ts";

export const PROTOBUF_CONTENT_TYPE = "application/vnd.kubernetes.protobuf";
const MAGIC = [0x6b, 0x38, 0x73, 0x00];

export interface DecodedObject {
  apiVersion: string;
  kind: string;
  /** The object as JSON, `kind` and `apiVersion` first. */
  object: { [k: string]: Json };
}

export interface Envelope {
  apiVersion: string;
  kind: string;
  raw: Uint8Array;
  contentEncoding: string;
  contentType: string;
  /** Offset of `raw` in the body. */
  rawOffset: number;
}

/** Splits the `k8s\0` + runtime.Unknown envelope. */
export function readEnvelope(body: Uint8Array): Envelope {
  if (body.length < 4 || MAGIC.some((b, i) => body[i] !== b)) {
    throw new ProtobufDecodeError("BadMagic", "provided value is not a Kubernetes protobuf object (missing the k8s\\x00 prefix)", 0);
  }
  const td = new TextDecoder();
  const env: Envelope = { apiVersion: "", kind: "", raw: new Uint8Array(0), contentEncoding: "", contentType: "", rawOffset: 4 };
  for (const f of readFields(body.subarray(4), 4)) {
    if (f.wire !== WIRE.BYTES) continue;
    if (f.num === 1) {
      for (const t of readFields(f.bytes!, f.dataOffset)) {
        if (t.wire !== WIRE.BYTES) continue;
        if (t.num === 1) env.apiVersion = td.decode(t.bytes!);
        else if (t.num === 2) env.kind = td.decode(t.bytes!);
      }
    } else if (f.num === 2) { env.raw = f.bytes!; env.rawOffset = f.dataOffset; }
    else if (f.num === 3) env.contentEncoding = td.decode(f.bytes!);
    else if (f.num === 4) env.contentType = td.decode(f.bytes!);
  }
  return env;
}

/** The protobuf message name of a kind (`apps/v1`, `Deployment` → `apps.v1.Deployment`), if known. */
export function messageForKind(apiVersion: string, kind: string): string | undefined {
  return KINDS[`${apiVersion}/${kind}`] ?? (kind === "DeleteOptions" ? KINDS["meta.k8s.io/v1/DeleteOptions"] : undefined);
}

/**
 * Decodes a protobuf request body. Throws ProtobufDecodeError: BadMagic, Truncated/WireType/Invalid
 * (malformed), ContentEncoding (a compressed raw), UnknownKind (a kind without a descriptor).
 */
export function decodeK8sProtobuf(body: Uint8Array): DecodedObject {
  const env = readEnvelope(body);
  if (env.contentEncoding) throw new ProtobufDecodeError("ContentEncoding", `unsupported content encoding ${JSON.stringify(env.contentEncoding)}`);
  if (!env.kind || !env.apiVersion) throw new ProtobufDecodeError("Invalid", "the protobuf envelope has no apiVersion/kind");
  const message = messageForKind(env.apiVersion, env.kind);
  if (!message) throw new ProtobufDecodeError("UnknownKind", `no protobuf decoding for ${env.apiVersion}, Kind=${env.kind}`);
  const decoded = decodeMessage(env.raw, message, env.rawOffset);
  const object: { [k: string]: Json } = { kind: env.kind, apiVersion: env.apiVersion, ...decoded };
  return { apiVersion: env.apiVersion, kind: env.kind, object };
}

/** True for `application/vnd.kubernetes.protobuf` (parameters ignored). */
export function isProtobufContentType(contentType: string | null | undefined): boolean {
  return !!contentType && contentType.split(";")[0]!.trim().toLowerCase() === PROTOBUF_CONTENT_TYPE;
}
