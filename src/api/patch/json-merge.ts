/**
 * @module api/patch/json-merge
 * RFC 7386 JSON merge patch (`application/merge-patch+json`), as used by kubectl label,
 * annotate, scale, `patch --type=merge` and client-side apply of custom resources.
 * Objects merge recursively, `null` deletes a member, anything else (arrays included)
 * replaces the target wholesale. Pure: inputs are never modified and the result shares
 * no objects with them.
 */

import { BadPatchError } from "./errors.ts";
import { clone, has, isObject, setKey, type JsonObject, type JsonValue } from "./json.ts";

/**
 * Apply a merge patch to any JSON value, exactly as RFC 7386 §2 defines it. `target` may be
 * undefined (absent member). Nulls inside values that are added are dropped, as the RFC says.
 */
export function jsonMergePatch(target: JsonValue | undefined, patch: JsonValue): JsonValue {
  return mergeInto(target === undefined ? undefined : clone(target), patch);
}

/** The RFC algorithm on a target the caller owns (it is modified in place). */
function mergeInto(target: JsonValue | undefined, patch: JsonValue): JsonValue {
  if (!isObject(patch)) return clone(patch);
  const out: JsonObject = isObject(target) ? target : {};
  for (const name of Object.keys(patch)) {
    const value = patch[name] as JsonValue;
    if (value === null) {
      if (has(out, name)) delete out[name];
      continue;
    }
    setKey(out, name, mergeInto(has(out, name) ? out[name] : undefined, value));
  }
  return out;
}

/**
 * Apply a merge patch to a stored object, as kube-apiserver does for
 * `application/merge-patch+json`. The patch must be a JSON object: `null` or any other type
 * is answered 400 "Invalid JSON Patch" (upstream's ErrBadJSONPatch), because the result
 * could not be an object.
 */
export function mergePatchObject(target: JsonObject, patch: unknown): JsonObject {
  if (!isObject(patch)) throw new BadPatchError("Invalid JSON Patch");
  return jsonMergePatch(target, patch) as JsonObject;
}
