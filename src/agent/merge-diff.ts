/**
 * @module agent/merge-diff
 * The JSON merge patch (RFC 7386) that turns one JSON value into another: changed
 * keys with their new value, removed keys as null, arrays replaced whole. The agent
 * sends its status writes this way so only what changed travels.
 */

type Json = unknown;

function isPlainObject(v: Json): v is Record<string, Json> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function jsonEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => jsonEqual(x, b[i]));
  }
  if (isPlainObject(a)) {
    if (!isPlainObject(b)) return false;
    // A key set to null and an absent key mean the same to the API.
    const ka = Object.keys(a).filter((k) => a[k] !== undefined && a[k] !== null);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined && b[k] !== null);
    if (ka.length !== kb.length) return false;
    return ka.every((k) => jsonEqual(a[k], b[k]));
  }
  return false;
}

/**
 * The merge patch from `from` to `to` (both objects); undefined when they are equal.
 * Nulls inside `to` cannot be expressed by a merge patch and are treated as removal.
 */
export function mergePatch(from: Record<string, Json>, to: Record<string, Json>): Record<string, Json> | undefined {
  const out: Record<string, Json> = {};
  let changed = false;
  for (const k of Object.keys(from)) {
    if (from[k] !== undefined && from[k] !== null && (to[k] === undefined || to[k] === null)) {
      out[k] = null;
      changed = true;
    }
  }
  for (const [k, v] of Object.entries(to)) {
    if (v === undefined || v === null) continue;
    const old = from[k];
    if (isPlainObject(v) && isPlainObject(old)) {
      const sub = mergePatch(old, v);
      if (sub !== undefined) {
        out[k] = sub;
        changed = true;
      }
    } else if (!jsonEqual(old, v)) {
      out[k] = v;
      changed = true;
    }
  }
  return changed ? out : undefined;
}

/** Applies a merge patch (RFC 7386) to a copy of `target`. */
export function applyMergePatch(target: Json, patch: Json): Json {
  if (!isPlainObject(patch)) return patch;
  const base: Record<string, Json> = isPlainObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete base[k];
    else base[k] = applyMergePatch(base[k], v);
  }
  return base;
}
