/**
 * @module api/registry/patching
 * Applies a PATCH body of any of the four Kubernetes patch types to an object, and keeps
 * metadata.managedFields current on every write. The engines live in src/api/patch; this
 * module chooses one and maps its errors to API errors.
 */
import { ApiError, errors } from "../errors.ts";
import { jsonMergePatch } from "../patch/json-merge.ts";
import { applyJsonPatch } from "../patch/json-patch.ts";
import { strategicMergePatch } from "../patch/strategic.ts";
import { patchMetaFor } from "../patch/strategy.ts";
import { ApplyConflictError, serverSideApply, updateManagedFields } from "../patch/apply.ts";
import { PatchError } from "../patch/errors.ts";
import type { JsonObject, JsonValue } from "../patch/json.ts";
import type { Obj } from "./types.ts";
import { rfc3339 } from "./objects.ts";

export type PatchType = "json" | "merge" | "strategic" | "apply";

export interface KindRef {
  group: string;
  version: string;
  kind: string;
  statusSubresource?: boolean;
}

export interface PatchOptions {
  manager: string;
  force: boolean;
  now: Date;
  subresource?: "status" | "scale";
}

const NON_SMP_TYPES = ["application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml"];

function apiVersionOf(k: KindRef) {
  return k.group ? `${k.group}/${k.version}` : k.version;
}

/** Fields an apply on this endpoint must neither own nor prune (upstream's reset fields). */
function ignoredFields(k: KindRef, subresource?: string): string[] | undefined {
  if (subresource === "status") return ["spec", "data", "stringData", "type", "immutable", "rules", "subsets"].filter((f) => f !== "status");
  if (k.statusSubresource) return ["status"];
  return undefined;
}

export function applyPatch(kind: KindRef, current: Obj | undefined, type: PatchType, patch: unknown, opts: PatchOptions): Obj {
  try {
    switch (type) {
      case "merge":
        if (patch === null || typeof patch !== "object" || Array.isArray(patch)) throw errors.badRequest("json: cannot unmarshal merge patch: the patch must be a JSON object");
        return jsonMergePatch((current ?? {}) as JsonValue, patch as JsonValue) as Obj;
      case "json":
        return applyJsonPatch((current ?? {}) as JsonValue, patch) as Obj;
      case "strategic": {
        const schema = patchMetaFor(kind.group, kind.version, kind.kind);
        if (!schema) throw errors.unsupportedMediaType("application/strategic-merge-patch+json", NON_SMP_TYPES);
        return strategicMergePatch((current ?? {}) as JsonObject, patch, schema) as Obj;
      }
      case "apply": {
        const res = serverSideApply(current as JsonObject | undefined, patch, {
          manager: opts.manager,
          force: opts.force,
          apiVersion: apiVersionOf(kind),
          time: rfc3339(opts.now),
          schema: patchMetaFor(kind.group, kind.version, kind.kind),
          subresource: opts.subresource,
          ignoredFields: ignoredFields(kind, opts.subresource),
        });
        return res.object as Obj;
      }
    }
  } catch (e) {
    throw toApiError(e);
  }
}

/** Record a non-apply write's manager in metadata.managedFields (operation Update). */
export function trackManagedFields(kind: KindRef, old: Obj | undefined, updated: Obj, manager: string, now: Date, subresource?: "status" | "scale"): Obj {
  try {
    return updateManagedFields(old as JsonObject | undefined, updated as JsonObject, {
      manager,
      apiVersion: apiVersionOf(kind),
      time: rfc3339(now),
      schema: patchMetaFor(kind.group, kind.version, kind.kind),
      subresource,
      ignoredFields: ignoredFields(kind, subresource),
    }) as Obj;
  } catch {
    // Field tracking never fails a write.
    return updated;
  }
}

function toApiError(e: unknown): Error {
  if (e instanceof ApiError) return e;
  if (e instanceof ApplyConflictError) return new ApiError(409, "Conflict", e.message, { causes: e.causes() });
  if (e instanceof PatchError) return new ApiError(e.status, e.reason, e.message);
  return e as Error;
}
