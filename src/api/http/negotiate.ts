/**
 * @module api/http/negotiate
 * Accept-header negotiation for resource responses: plain JSON, Table, or
 * PartialObjectMetadata(List), as client-go and kubectl request them.
 */
export type As = "object" | "table" | "partial";

export function negotiateAs(accept: string | null): As {
  if (!accept) return "object";
  for (const part of accept.split(",")) {
    const p = part.replace(/\s+/g, "");
    if (p.includes("as=Table") && p.includes("g=meta.k8s.io")) return "table";
    if ((p.includes("as=PartialObjectMetadataList") || p.includes("as=PartialObjectMetadata")) && p.includes("g=meta.k8s.io")) return "partial";
    if (p.startsWith("application/json") || p.startsWith("*/*") || p.startsWith("application/vnd.kubernetes.protobuf") || p.startsWith("application/yaml")) return "object";
  }
  return "object";
}
