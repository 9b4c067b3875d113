/**
 * @module api/patch/strategic
 * Strategic merge patch (`application/strategic-merge-patch+json`) applied the way
 * kube-apiserver applies it (k8s.io/apimachinery strategicpatch.StrategicMergeMapPatch):
 *
 * - maps merge recursively, `key: null` deletes;
 * - lists with strategy merge: lists of maps merge by `patchMergeKey` (update in place or
 *   append), `{"<key>": X, "$patch": "delete"}` removes X, `{"$patch": "replace"}` replaces
 *   the list; lists of scalars are a set union, `$deleteFromPrimitiveList/<f>` removes values;
 * - lists without a strategy are replaced;
 * - `$setElementOrder/<f>` gives the final order (server-only items keep their place);
 * - `$retainKeys` on a map drops every key not listed, then merges;
 * - `$patch: replace | delete` on a map; `$patch: merge` is accepted as the default (upstream
 *   rejects it; the documented meaning is "merge", so we honour it).
 *
 * Differences from upstream, all in the direction of never storing a directive: values that
 * are new to the object are merged into an empty value (so directives nested in them are
 * applied, not stored), and lists the schema does not know as merge lists are treated as
 * merge lists when the patch itself proves it (`$setElementOrder` entries or `$patch: delete`
 * items naming a single key). Errors are typed (400 malformed, 422 does not apply).
 */

import { BadPatchError, PatchApplyError } from "./errors.ts";
import { clone, deepEqual, has, isObject, setKey, typeName, type JsonObject, type JsonValue } from "./json.ts";
import { lookupField, strategyOf, type PatchField, type PatchType } from "./strategy.ts";
import { indexOf, normalizeElementOrder, partition } from "./strategic-order.ts";

const PATCH = "$patch";
const RETAIN_KEYS = "$retainKeys";
const SET_ORDER = "$setElementOrder";
const DELETE_PRIMITIVE = "$deleteFromPrimitiveList";

/**
 * Apply a strategic merge patch to an object. `schema` is the kind's root from
 * `patchMetaFor` (undefined: no strategies known, every list is replaced). Returns a new
 * object; neither input is modified. Throws BadPatchError (400) or PatchApplyError (422).
 */
export function strategicMergePatch(original: JsonObject, patch: unknown, schema: PatchType | undefined): JsonObject {
  if (!isObject(patch)) {
    throw new BadPatchError(`json: cannot unmarshal ${typeName(patch)} into Go value of type map[string]interface {}`);
  }
  const out = mergeMap(clone(original), clone(patch), schema);
  const leak = findDirective(out, "");
  if (leak !== undefined) throw new Error(`internal error: strategic merge patch left directive ${leak} in the object`);
  return out;
}

/** Merge `patch` into `original` (both owned by the caller and modified). */
function mergeMap(original: JsonObject, patch: JsonObject, type: PatchType | undefined): JsonObject {
  if (has(patch, PATCH)) {
    const directive = patch[PATCH];
    delete patch[PATCH];
    if (directive === "replace") return mergeMap({}, patch, type);
    if (directive === "delete") return {};
    if (directive !== "merge") throw badPatchType(directive, patch);
  }
  applyRetainKeys(original, patch);
  applySetElementOrder(original, patch, type);

  const deletions: [string, JsonValue][] = [];
  for (const key of Object.keys(patch)) {
    const value = patch[key] as JsonValue;
    if (key.startsWith("$")) {
      if (key.startsWith(DELETE_PRIMITIVE + "/")) {
        deletions.push([directiveTarget(key, DELETE_PRIMITIVE), value]);
        continue;
      }
      throw unknownDirective(key);
    }
    if (value === null) {
      delete original[key];
      continue;
    }
    const { meta, type: sub } = lookupField(type, key);
    const current = has(original, key) ? original[key] : undefined;
    let merged: JsonValue | typeof DROP;
    if (current === undefined || current === null || kindOf(current) !== kindOf(value)) {
      merged = fresh(value, meta, sub, key);
    } else if (Array.isArray(current)) {
      merged = mergeList(current, value as JsonValue[], meta, sub, key);
    } else if (isObject(current)) {
      merged = strategyOf(meta).replace ? fresh(value, meta, sub, key) : mergeMap(current, value as JsonObject, sub);
    } else {
      merged = value;
    }
    if (merged === DROP) delete original[key];
    else setKey(original, key, merged);
  }
  for (const [key, values] of deletions) {
    if (!Array.isArray(values)) throw new BadPatchError("invalid patch format of primitive list");
    const current = has(original, key) ? original[key] : undefined;
    if (Array.isArray(current)) setKey(original, key, current.filter((v) => !values.some((d) => deepEqual(d, v))));
  }
  return original;
}

/** Marker: the value must not be stored (a new map that carries `$patch: delete`). */
const DROP = Symbol("drop");

/** A patch value for a field the object does not have (or has with another type). */
function fresh(value: JsonValue, meta: PatchField | undefined, type: PatchType | undefined, field: string): JsonValue | typeof DROP {
  if (isObject(value)) {
    if (value[PATCH] === "delete") return DROP;
    return mergeMap({}, value, type);
  }
  if (Array.isArray(value)) return mergeList([], value, meta, type, field);
  return value;
}

/** `$retainKeys: [..]`: check the patch only sets listed keys, then drop unlisted keys. */
function applyRetainKeys(original: JsonObject, patch: JsonObject): void {
  if (!has(patch, RETAIN_KEYS)) return;
  const keep = patch[RETAIN_KEYS];
  delete patch[RETAIN_KEYS];
  if (!Array.isArray(keep)) throw new BadPatchError("invalid patch format of retainKeys");
  const set = new Set(keep.filter((k): k is string => typeof k === "string"));
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || k.startsWith(DELETE_PRIMITIVE) || k.startsWith(SET_ORDER)) continue;
    if (!set.has(k)) throw new BadPatchError("invalid patch format of retainKeys");
  }
  for (const k of Object.keys(original)) if (!set.has(k)) delete original[k];
}

/** Process every `$setElementOrder/<field>` of this map together with its list (upstream's mergePatchIntoOriginal). */
function applySetElementOrder(original: JsonObject, patch: JsonObject, type: PatchType | undefined): void {
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(SET_ORDER)) continue;
    const order = patch[key];
    delete patch[key];
    const field = directiveTarget(key, SET_ORDER);
    if (!Array.isArray(order)) throw new BadPatchError("invalid patch format of setElementOrder list");
    const { type: sub, meta } = lookupField(type, field);
    const mergeKey = listMergeKey(meta, order, has(patch, field) ? patch[field] : undefined);
    const foundOriginal = has(original, field) && original[field] !== null;
    const foundPatch = has(patch, field);
    const originalList = foundOriginal ? original[field] : undefined;
    const patchList = foundPatch ? patch[field] : undefined;
    if (foundOriginal && !Array.isArray(originalList)) {
      throw new PatchApplyError(`expected a list at ${field} for $setElementOrder, but the object has a ${typeName(originalList)}`);
    }
    if (foundPatch && !Array.isArray(patchList)) throw new BadPatchError("invalid patch format of setElementOrder list");
    if (!foundOriginal && !foundPatch) continue;
    validateOrder((patchList as JsonValue[] | undefined) ?? [], order, mergeKey);

    const mergeMeta: PatchField = { ...meta, strategy: meta?.strategy?.includes("merge") ? meta.strategy : "merge", mergeKey };
    const serverOrder = (originalList as JsonValue[] | undefined) ?? [];
    const merged = foundPatch
      ? mergeList(foundOriginal ? serverOrder : [], patchList as JsonValue[], mergeMeta, sub, field)
      : serverOrder;
    const { inList, notInList } = partition(merged, order, mergeKey);
    setKey(original, field, normalizeElementOrder(inList, notInList, order, serverOrder, mergeKey));
    delete patch[field];
  }
}

/**
 * Merge key of a list named by `$setElementOrder`: the schema's, or (schema gap) the single
 * key every order entry names. Undefined means a list of scalars.
 */
function listMergeKey(meta: PatchField | undefined, order: JsonValue[], patchList: JsonValue | undefined): string | undefined {
  if (strategyOf(meta).merge) return meta?.mergeKey;
  const sample = [...order, ...(Array.isArray(patchList) ? patchList : [])];
  if (sample.length === 0 || sample.every((v) => !isObject(v))) return undefined;
  const keys = new Set<string>();
  for (const v of order) {
    if (!isObject(v) || Object.keys(v).length !== 1) throw new BadPatchError("invalid patch format of setElementOrder list");
    keys.add(Object.keys(v)[0] as string);
  }
  if (keys.size !== 1) throw new BadPatchError("invalid patch format of setElementOrder list");
  return [...keys][0];
}

/** The patch list (deletions aside) must be a subsequence of the `$setElementOrder` list. */
function validateOrder(patchList: JsonValue[], order: JsonValue[], mergeKey: string | undefined): void {
  if (order.length === 0 || patchList.length === 0) return;
  const items = patchList.filter((it) => !(isObject(it) && has(it, PATCH)));
  let p = 0;
  for (let o = 0; p < items.length && o < order.length; o++) {
    const it = items[p] as JsonValue;
    if (mergeKey !== undefined) requireMergeKey(it, mergeKey);
    if (indexOf([order[o] as JsonValue], it, mergeKey) === 0) p++;
  }
  if (p < items.length) {
    throw new BadPatchError(
      `the order in patch list: ${JSON.stringify(patchList)} doesn't match ${SET_ORDER} list: ${JSON.stringify(order)}`,
    );
  }
}

/** Merge a patch list into a live list according to the field's strategy. */
function mergeList(
  original: JsonValue[],
  patch: JsonValue[],
  meta: PatchField | undefined,
  elemType: PatchType | undefined,
  field: string,
): JsonValue[] {
  let strategy = strategyOf(meta);
  let mergeKey = meta?.mergeKey;
  if (!strategy.merge) {
    const inferred = inferMergeKey(patch);
    if (inferred === undefined) return cleanAtomicList(patch, elemType);
    strategy = { ...strategy, merge: true };
    mergeKey = inferred;
  }
  if (original.length === 0 && patch.length === 0) return original;
  const kind = elementKind(original, patch, field);

  if (kind !== "map") {
    for (const it of patch) if (isObject(it) && has(it, PATCH)) throw badPatchType(it[PATCH], it);
    const merged: JsonValue[] = [];
    for (const v of [...original, ...patch]) if (!merged.some((m) => deepEqual(m, v))) merged.push(v);
    const { inList, notInList } = partition(merged, patch, undefined);
    return normalizeElementOrder(inList, notInList, patch, original, undefined);
  }
  if (mergeKey === undefined) throw new PatchApplyError(`cannot merge lists without merge key for ${field}`);

  // Directive items first: deletions edit the live list, a replace marker replaces it.
  let live = original;
  let replace = false;
  const items: JsonObject[] = [];
  for (const raw of patch) {
    const it = raw as JsonObject;
    if (!has(it, PATCH)) {
      items.push(it);
      continue;
    }
    const directive = it[PATCH];
    if (directive === "delete") {
      const id = requireMergeKey(it, mergeKey);
      live = live.filter((x) => !(isObject(x) && x[mergeKey as string] === id));
    } else if (directive === "replace") {
      replace = true;
    } else if (directive !== "merge") {
      throw badPatchType(directive, it);
    }
  }
  if (replace) return items.map((it) => mergeMap({}, it, elemType));

  const merged = [...live];
  for (const it of items) {
    const id = requireMergeKey(it, mergeKey);
    const at = merged.findIndex((x) => isObject(x) && x[mergeKey as string] === id);
    if (at >= 0) merged[at] = mergeMap(merged[at] as JsonObject, it, elemType);
    else merged.push(mergeMap({}, it, elemType));
  }
  const { inList, notInList } = partition(merged, items, mergeKey);
  return normalizeElementOrder(inList, notInList, items, live, mergeKey);
}

/**
 * A list without merge strategy is replaced by the patch list. Marker items carrying `$patch`
 * cannot be stored; maps are merged into empty maps so nested directives are applied.
 */
function cleanAtomicList(patch: JsonValue[], elemType: PatchType | undefined): JsonValue[] {
  const out: JsonValue[] = [];
  for (const it of patch) {
    if (isObject(it)) {
      if (has(it, PATCH)) continue;
      out.push(mergeMap({}, it, elemType));
    } else {
      out.push(it);
    }
  }
  return out;
}

/** Schema gap: `{"$patch":"delete","<k>":v}` items prove a merge list keyed by <k>. */
function inferMergeKey(patch: JsonValue[]): string | undefined {
  let key: string | undefined;
  for (const it of patch) {
    if (!isObject(it) || it[PATCH] !== "delete") continue;
    const others = Object.keys(it).filter((k) => k !== PATCH);
    if (others.length !== 1) return undefined;
    if (key !== undefined && key !== others[0]) return undefined;
    key = others[0];
  }
  return key;
}

function elementKind(a: JsonValue[], b: JsonValue[], field: string): string {
  let kind: string | undefined;
  for (const v of [...a, ...b]) {
    const k = Array.isArray(v) ? "list" : isObject(v) ? "map" : typeof v;
    if (k === "list") throw new PatchApplyError("lists of lists are not supported");
    if (kind === undefined) kind = k;
    else if (kind !== k && (kind === "map" || k === "map")) {
      throw new PatchApplyError(`list element types are not identical in ${field}`);
    }
  }
  return kind ?? "scalar";
}

function requireMergeKey(item: JsonValue, mergeKey: string): JsonValue {
  if (!isObject(item)) throw new BadPatchError(`expected a map in a list merged by ${mergeKey}, but received a ${typeName(item)}`);
  if (!has(item, mergeKey)) {
    throw new BadPatchError(`map: ${JSON.stringify(item)} does not contain declared merge key: ${mergeKey}`);
  }
  return item[mergeKey] as JsonValue;
}

function kindOf(v: JsonValue): string {
  return Array.isArray(v) ? "list" : isObject(v) ? "map" : "scalar";
}

function directiveTarget(key: string, prefix: string): string {
  const slash = key.indexOf("/");
  const field = key.slice(slash + 1);
  if (slash < 0 || key.slice(0, slash) !== prefix || field === "") {
    throw new BadPatchError(
      prefix === SET_ORDER ? "invalid patch format of setElementOrder list" : "invalid patch format of primitive list",
    );
  }
  return field;
}

function unknownDirective(key: string): BadPatchError {
  if (key.startsWith(SET_ORDER)) return new BadPatchError("invalid patch format of setElementOrder list");
  if (key.startsWith(DELETE_PRIMITIVE)) return new BadPatchError("invalid patch format of primitive list");
  return new BadPatchError(`unknown patch directive: ${key}`);
}

function badPatchType(directive: JsonValue | undefined, where: JsonObject): BadPatchError {
  return new BadPatchError(`unknown patch type: ${String(directive)} in map: ${JSON.stringify(where)}`);
}

/** Path of the first directive key left in a value, if any (a bug guard: nothing may leak). */
function findDirective(v: JsonValue, path: string): string | undefined {
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const f = findDirective(v[i] as JsonValue, `${path}[${i}]`);
      if (f) return f;
    }
  } else if (isObject(v)) {
    for (const k of Object.keys(v)) {
      if (k === PATCH || k === RETAIN_KEYS || k.startsWith(SET_ORDER + "/") || k.startsWith(DELETE_PRIMITIVE + "/")) {
        return `${path}.${k}`;
      }
      const f = findDirective(v[k] as JsonValue, `${path}.${k}`);
      if (f) return f;
    }
  }
  return undefined;
}
