/**
 * @module api/patch/json-patch
 * RFC 6902 JSON patch (`application/json-patch+json`): add, remove, replace, test, move, copy,
 * with RFC 6901 pointers (`~0` = `~`, `~1` = `/`) and `-` to append to an array. Used by
 * `kubectl rollout undo` and `kubectl patch --type=json`.
 *
 * Behaviour follows the library kube-apiserver uses (evanphx/json-patch v4) where kubectl
 * depends on it: `replace` of a missing object member adds it (rollout undo replaces
 * `/metadata/annotations` even when the object has none), negative array indices count from
 * the end, and a missing member compares equal to `null` in `test`. Error messages are the
 * upstream ones. Decoding problems are 400, ops that do not apply are 422, more than 10000
 * ops are 413 (upstream's limit). Pure: the document is copied, never modified.
 */

import { BadPatchError, PatchApplyError, PatchError } from "./errors.ts";
import { clone, deepEqual, has, isObject, setKey, type JsonObject, type JsonValue } from "./json.ts";

/** Upstream's maxJSONPatchOperations. */
export const MAX_JSON_PATCH_OPERATIONS = 10000;

export type JsonPatchOpName = "add" | "remove" | "replace" | "test" | "move" | "copy";

export interface JsonPatchOperation {
  op: JsonPatchOpName;
  path: string;
  from?: string;
  value?: JsonValue;
}

/**
 * Check the shape of a decoded JSON patch body (an array of operation objects with string
 * `op`, `path` and `from`). Unknown op names are accepted here and rejected on apply with
 * upstream's `Unexpected kind: X` (422), like kube-apiserver.
 */
export function decodeJsonPatch(body: unknown): JsonPatchOperation[] {
  if (!Array.isArray(body)) {
    throw new BadPatchError(`json: cannot unmarshal ${jsonKind(body)} into Go value of type jsonpatch.Patch`);
  }
  if (body.length > MAX_JSON_PATCH_OPERATIONS) {
    throw new PatchError(
      `The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${body.length}`,
      413,
      "RequestEntityTooLarge",
    );
  }
  return body.map((op, i) => {
    if (!isObject(op)) {
      throw new BadPatchError(`json: cannot unmarshal ${jsonKind(op)} into Go value of type jsonpatch.Operation`);
    }
    for (const f of ["op", "path", "from"]) {
      if (has(op, f) && op[f] !== null && typeof op[f] !== "string") {
        throw new BadPatchError(`json patch operation ${i}: "${f}" must be a string`);
      }
    }
    return op as unknown as JsonPatchOperation;
  });
}

/** Apply a JSON patch (already decoded or raw) to a document; returns the new document. */
export function applyJsonPatch(doc: JsonValue, patch: unknown): JsonValue {
  const ops = decodeJsonPatch(patch);
  const box: { root: JsonValue } = { root: clone(doc) };
  for (const op of ops) applyOp(box, op);
  return box.root;
}

/** Like applyJsonPatch, for a stored object: the result must still be an object (else 422). */
export function applyJsonPatchToObject(doc: JsonObject, patch: unknown): JsonObject {
  const out = applyJsonPatch(doc, patch);
  if (!isObject(out)) throw new PatchApplyError("the patched document is not a JSON object");
  return out;
}

// ---------------------------------------------------------------------------------------------

const missing = "missing value";
const invalidIndex = "invalid index referenced";

function applyOp(box: { root: JsonValue }, op: JsonPatchOperation): void {
  const kind = typeof op.op === "string" ? op.op : "unknown";
  switch (kind) {
    case "add":
      return opAdd(box, op);
    case "remove":
      return opRemove(box, op);
    case "replace":
      return opReplace(box, op);
    case "test":
      return opTest(box, op);
    case "move":
      return opMove(box, op);
    case "copy":
      return opCopy(box, op);
    default:
      throw new PatchApplyError(`Unexpected kind: ${kind}`);
  }
}

/** Parent container and final reference token of a pointer, or undefined if it does not resolve. */
interface Target {
  parent: JsonObject | JsonValue[] | null; // null: the pointer is the whole document ("")
  key: string;
}

function parsePointer(pointer: string): string[] | undefined {
  if (pointer === "") return [];
  if (!pointer.startsWith("/")) return undefined;
  return pointer
    .slice(1)
    .split("/")
    .map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function findTarget(root: JsonValue, pointer: string): Target | undefined {
  const tokens = parsePointer(pointer);
  if (tokens === undefined) return undefined;
  if (tokens.length === 0) return { parent: null, key: "" };
  let cur: JsonValue = root;
  for (const tok of tokens.slice(0, -1)) {
    let next: JsonValue | undefined;
    if (Array.isArray(cur)) {
      const idx = arrayIndex(tok, cur.length, false);
      next = typeof idx === "number" ? cur[idx] : undefined;
    } else if (isObject(cur)) {
      next = has(cur, tok) ? cur[tok] : undefined;
    }
    if (next === undefined || next === null || (typeof next !== "object")) return undefined;
    cur = next;
  }
  if (!Array.isArray(cur) && !isObject(cur)) return undefined;
  return { parent: cur, key: tokens[tokens.length - 1] as string };
}

/**
 * Resolve an array index token. `forInsert` allows index == length. Negative indices count
 * from the end (upstream's SupportNegativeIndices). Returns an error message on failure.
 */
function arrayIndex(tok: string, length: number, forInsert: boolean): number | string {
  if (!/^-?[0-9]+$/.test(tok)) return `value was not a proper array index: '${tok}'`;
  let idx = Number.parseInt(tok, 10);
  const size = forInsert ? length + 1 : length;
  if (idx >= size || idx < -size) return `Unable to access invalid index: ${idx}: ${invalidIndex}`;
  if (idx < 0) idx += size;
  return idx;
}

function requireValue(op: JsonPatchOperation, kind: string): JsonValue {
  if (!has(op as unknown as JsonObject, "value")) {
    throw new PatchApplyError(`${kind} operation has no value: ${missing}`);
  }
  return clone(op.value as JsonValue);
}

function getAt(t: Target, root: JsonValue): { found: boolean; value?: JsonValue; err?: string } {
  if (t.parent === null) return { found: true, value: root };
  if (Array.isArray(t.parent)) {
    const idx = arrayIndex(t.key, t.parent.length, false);
    if (typeof idx === "string") return { found: false, err: idx };
    return { found: true, value: t.parent[idx] };
  }
  return has(t.parent, t.key) ? { found: true, value: t.parent[t.key] } : { found: false };
}

/** Insert (arrays) or set (objects) a value; returns an error message on failure. */
function addAt(box: { root: JsonValue }, t: Target, value: JsonValue): string | undefined {
  if (t.parent === null) {
    box.root = value;
    return undefined;
  }
  if (Array.isArray(t.parent)) {
    if (t.key === "-") {
      t.parent.push(value);
      return undefined;
    }
    const idx = arrayIndex(t.key, t.parent.length, true);
    if (typeof idx === "string") return idx;
    t.parent.splice(idx, 0, value);
    return undefined;
  }
  setKey(t.parent, t.key, value);
  return undefined;
}

function removeAt(t: Target): string | undefined {
  if (t.parent === null) return `Unable to remove the whole document: ${missing}`;
  if (Array.isArray(t.parent)) {
    const idx = arrayIndex(t.key, t.parent.length, false);
    if (typeof idx === "string") return idx;
    t.parent.splice(idx, 1);
    return undefined;
  }
  if (!has(t.parent, t.key)) return `Unable to remove nonexistent key: ${t.key}: ${missing}`;
  delete t.parent[t.key];
  return undefined;
}

function opAdd(box: { root: JsonValue }, op: JsonPatchOperation): void {
  if (typeof op.path !== "string") throw new PatchApplyError(`add operation failed to decode path: ${missing}`);
  const t = findTarget(box.root, op.path);
  if (!t) throw new PatchApplyError(`add operation does not apply: doc is missing path: "${op.path}": ${missing}`);
  const err = addAt(box, t, requireValue(op, "add"));
  if (err) throw new PatchApplyError(`error in add for path: '${op.path}': ${err}`);
}

function opRemove(box: { root: JsonValue }, op: JsonPatchOperation): void {
  if (typeof op.path !== "string") throw new PatchApplyError(`remove operation failed to decode path: ${missing}`);
  const t = findTarget(box.root, op.path);
  if (!t) throw new PatchApplyError(`remove operation does not apply: doc is missing path: "${op.path}": ${missing}`);
  const err = removeAt(t);
  if (err) throw new PatchApplyError(`error in remove for path: '${op.path}': ${err}`);
}

function opReplace(box: { root: JsonValue }, op: JsonPatchOperation): void {
  if (typeof op.path !== "string") throw new PatchApplyError(`replace operation failed to decode path: ${missing}`);
  const t = findTarget(box.root, op.path);
  if (!t) throw new PatchApplyError(`replace operation does not apply: doc is missing path: ${op.path}: ${missing}`);
  const value = requireValue(op, "replace");
  if (t.parent === null) {
    box.root = value;
    return;
  }
  if (Array.isArray(t.parent)) {
    const idx = arrayIndex(t.key, t.parent.length, false);
    if (typeof idx === "string") {
      throw new PatchApplyError(`replace operation does not apply: doc is missing key: ${op.path}: ${missing}`);
    }
    t.parent[idx] = value;
    return;
  }
  // Upstream (evanphx/json-patch v4) sets a missing object member instead of failing.
  setKey(t.parent, t.key, value);
}

function opTest(box: { root: JsonValue }, op: JsonPatchOperation): void {
  if (typeof op.path !== "string") throw new PatchApplyError(`test operation failed to decode path: ${missing}`);
  const t = findTarget(box.root, op.path);
  if (!t) throw new PatchApplyError(`test operation does not apply: is missing path: ${op.path}: ${missing}`);
  const got = getAt(t, box.root);
  if (got.err) throw new PatchApplyError(`error in test for path: '${op.path}': ${got.err}`);
  const expected = has(op as unknown as JsonObject, "value") ? (op.value as JsonValue) : null;
  const actual = got.found ? (got.value as JsonValue) : null;
  if (!deepEqual(actual, expected)) throw new PatchApplyError(`testing value ${op.path} failed: test failed`);
}

function opMove(box: { root: JsonValue }, op: JsonPatchOperation): void {
  if (typeof op.from !== "string") throw new PatchApplyError(`move operation failed to decode from: ${missing}`);
  if (typeof op.path !== "string") throw new PatchApplyError(`move operation failed to decode path: ${missing}`);
  if (op.path !== op.from && op.path.startsWith(op.from + "/")) {
    throw new PatchApplyError(`move operation does not apply: cannot move ${op.from} into its own child ${op.path}`);
  }
  const from = findTarget(box.root, op.from);
  if (!from) throw new PatchApplyError(`move operation does not apply: doc is missing from path: ${op.from}: ${missing}`);
  const got = getAt(from, box.root);
  if (!got.found) {
    throw new PatchApplyError(`error in move for path: '${from.key}': ${got.err ?? `Unable to remove nonexistent key: ${from.key}: ${missing}`}`);
  }
  if (from.parent === null) {
    if (op.path === "") return;
    throw new PatchApplyError(`move operation does not apply: cannot move the whole document`);
  }
  const err = removeAt(from);
  if (err) throw new PatchApplyError(`error in move for path: '${from.key}': ${err}`);
  const to = findTarget(box.root, op.path);
  if (!to) throw new PatchApplyError(`move operation does not apply: doc is missing destination path: ${op.path}: ${missing}`);
  const err2 = addAt(box, to, got.value as JsonValue);
  if (err2) throw new PatchApplyError(`error in move for path: '${op.path}': ${err2}`);
}

function opCopy(box: { root: JsonValue }, op: JsonPatchOperation): void {
  if (typeof op.from !== "string") throw new PatchApplyError(`copy operation failed to decode from: ${missing}`);
  if (typeof op.path !== "string") throw new PatchApplyError(`copy operation failed to decode path: ${missing}`);
  const from = findTarget(box.root, op.from);
  if (!from) throw new PatchApplyError(`copy operation does not apply: doc is missing from path: ${op.from}: ${missing}`);
  const got = getAt(from, box.root);
  if (!got.found) {
    throw new PatchApplyError(`copy operation does not apply: doc is missing from path: ${op.from}: ${got.err ?? missing}`);
  }
  const to = findTarget(box.root, op.path);
  if (!to) throw new PatchApplyError(`copy operation does not apply: doc is missing destination path: ${op.path}: ${missing}`);
  const err = addAt(box, to, clone(got.value as JsonValue));
  if (err) throw new PatchApplyError(`error while adding value during copy: ${err}`);
}

function jsonKind(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "object") return "object";
  return typeof v;
}
