/**
 * @module api/openapi
 * OpenAPI for kite's API server: per-group-version v3 documents and their root (v3.ts), the
 * Swagger 2.0 document (v2.ts) and its gnostic protobuf form (v2-protobuf.ts) that kubectl
 * 1.27/1.28 require. Build ResourceInfo from the catalog with resourceInfoOf.
 */
export { type ResourceInfo, type SubresourceInfo, type ResourceDefLike, resourceInfoOf, groupVersionOf, groupVersionOfV3Path, v3PathOf, customSchemaName, OpenApiError } from "./types.ts";
export { type V3Doc, openApiV3Doc, openApiV3Root, v3CacheHeaders, etagOf } from "./v3.ts";
export { type SwaggerDoc, openApiV2Doc } from "./v2.ts";
export { type V2Protobuf, openApiV2Protobuf, encodeOpenApiV2 } from "./v2-protobuf.ts";
