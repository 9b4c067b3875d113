/**
 * @module api/patch/structure
 * The structural walks of server-side apply, driven by the patch metadata of strategy.ts:
 * which fields a value sets (toFieldSet), what changed between two values (compareValues),
 * merging an applied configuration into a live object (mergeApplied), and removing owned
 * fields (removeFields). A list is *associative* when it has strategy merge and a merge key
 * (items are identified by the key), a *set* when it has strategy merge without a key
 * (lists of scalars such as finalizers), and *atomic* otherwise (replaced and owned whole).
 * Maps are always granular. Without metadata (custom resources) every list is atomic.
 */

import { PatchApplyError } from "./errors.ts";
import { FieldSet, fieldElement, keyElement, pathString, valueElement, type FieldPath, type PathElement } from "./fieldset.ts";
import { clone, deepEqual, has, isObject, setKey, type JsonObject, type JsonValue } from "./json.ts";
import { lookupField, strategyOf, type PatchField, type PatchType } from "./strategy.ts";

type ListKind = { kind: "associative"; key: string } | { kind: "set" } | { kind: "atomic" };

function listKind(meta: PatchField | undefined): ListKind {
  const s = strategyOf(meta);
  if (!s.merge) return { kind: "atomic" };
  return meta?.mergeKey ? { kind: "associative", key: meta.mergeKey } : { kind: "set" };
}

/** Path elements of the items of a list, or undefined when they cannot be identified (missing or duplicate keys). */
function itemElements(list: JsonValue[], kind: ListKind): PathElement[] | undefined {
  if (kind.kind === "atomic") return undefined;
  const seen = new Set<string>();
  const out: PathElement[] = [];
  for (const item of list) {
    let el: PathElement;
    if (kind.kind === "associative") {
      if (!isObject(item) || !has(item, kind.key) || item[kind.key] === null) return undefined;
      el = keyElement({ [kind.key]: item[kind.key] as JsonValue });
    } else {
      if (isObject(item) || Array.isArray(item)) return undefined;
      el = valueElement(item);
    }
    if (seen.has(el)) return undefined;
    seen.add(el);
    out.push(el);
  }
  return out;
}

/** Item elements of an applied list; unidentifiable items are an error there (422). */
function requireItemElements(list: JsonValue[], kind: ListKind, path: FieldPath): PathElement[] | undefined {
  if (kind.kind === "atomic") return undefined;
  const els = itemElements(list, kind);
  if (els) return els;
  const what = kind.kind === "associative" ? `every element must have the key field "${kind.key}" and keys must be unique` : "values must be unique scalars";
  throw new PatchApplyError(`${pathString(path)}: ${what}`);
}

const isEmptyContainer = (v: JsonValue) => (Array.isArray(v) && v.length === 0) || (isObject(v) && Object.keys(v).length === 0);

/**
 * The fields a value sets: scalars, atomic lists and empty maps/lists are leaves; list items
 * of associative and set lists are members themselves and (for maps) recurse.
 */
export function toFieldSet(value: JsonValue, type: PatchType | undefined, set = new FieldSet(), path: PathElement[] = []): FieldSet {
  walkSet(value, undefined, type, set.node(path), path.length === 0, undefined);
  return set;
}

/**
 * Adds the fields of `value` below `node` (the FieldSet node of the value's path). `strictPath`
 * is the path itself, tracked only for applied configurations, whose unidentifiable list items
 * are reported with it.
 */
function walkSet(value: JsonValue, meta: PatchField | undefined, type: PatchType | undefined, node: FieldSet, root: boolean, strictPath: PathElement[] | undefined): void {
  if (isObject(value)) {
    const keys = Object.keys(value);
    if (!root && keys.length === 0) {
      node.member = true;
      return;
    }
    for (const k of keys) {
      const v = value[k] as JsonValue;
      if (v === null) continue;
      const f = lookupField(type, k);
      const el = fieldElement(k);
      walkSet(v, f.meta, f.type, node.child(el), false, strictPath && [...strictPath, el]);
    }
    return;
  }
  if (Array.isArray(value)) {
    const kind = listKind(meta);
    const els = value.length === 0 ? undefined : strictPath ? requireItemElements(value, kind, strictPath) : itemElements(value, kind);
    if (!els) {
      node.member = true;
      return;
    }
    for (let i = 0; i < value.length; i++) {
      const item = value[i] as JsonValue;
      const c = node.child(els[i] as PathElement);
      c.member = true;
      if (isObject(item)) walkSet(item, undefined, type, c, false, strictPath && [...strictPath, els[i] as PathElement]);
    }
    return;
  }
  node.member = true;
}

/** Like toFieldSet for an applied configuration: unidentifiable list items are an error. */
export function appliedFieldSet(config: JsonObject, type: PatchType | undefined): FieldSet {
  const set = new FieldSet();
  walkSet(config, undefined, type, set, true, []);
  return set;
}

export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

/** Field-level difference between two objects (structured-merge-diff's Compare). */
export function compareValues(oldValue: JsonObject, newValue: JsonObject, type: PatchType | undefined): Comparison {
  const cmp: Comparison = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  compareAt(oldValue, newValue, undefined, type, [], cmp);
  return cmp;
}

function addSubtree(set: FieldSet, value: JsonValue, meta: PatchField | undefined, type: PatchType | undefined, path: PathElement[]): void {
  const node = set.node(path);
  node.member = true;
  if (isObject(value) || Array.isArray(value)) walkSet(value, meta, type, node, path.length === 0, undefined);
}

function compareAt(a: JsonValue, b: JsonValue, meta: PatchField | undefined, type: PatchType | undefined, path: PathElement[], cmp: Comparison): void {
  if (isObject(a) && isObject(b) && !(path.length > 0 && (isEmptyContainer(a) || isEmptyContainer(b)))) {
    const visit = (k: string) => {
      const inA = has(a, k) && a[k] !== null;
      const inB = has(b, k) && b[k] !== null;
      if (!inA && !inB) return;
      const f = lookupField(type, k);
      const p = [...path, fieldElement(k)];
      if (inA && inB) compareAt(a[k] as JsonValue, b[k] as JsonValue, f.meta, f.type, p, cmp);
      else if (inB) addSubtree(cmp.added, b[k] as JsonValue, f.meta, f.type, p);
      else addSubtree(cmp.removed, a[k] as JsonValue, f.meta, f.type, p);
    };
    // Keys of a, then keys only in b (the union, without building it).
    for (const k of Object.keys(a)) visit(k);
    for (const k of Object.keys(b)) if (!has(a, k)) visit(k);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length > 0 && b.length > 0) {
    const kind = listKind(meta);
    const ea = itemElements(a, kind);
    const eb = itemElements(b, kind);
    if (ea && eb) {
      const byA = new Map(ea.map((el, i) => [el, a[i] as JsonValue]));
      const byB = new Map(eb.map((el, i) => [el, b[i] as JsonValue]));
      for (const [el, va] of byA) {
        const p = [...path, el];
        const vb = byB.get(el);
        if (vb === undefined) addSubtree(cmp.removed, va, undefined, type, p);
        else if (isObject(va) && isObject(vb)) compareAt(va, vb, undefined, type, p, cmp);
        else if (!deepEqual(va, vb)) cmp.modified.insert(p);
      }
      for (const [el, vb] of byB) if (!byA.has(el)) addSubtree(cmp.added, vb, undefined, type, [...path, el]);
      return;
    }
  }
  if (!deepEqual(a, b)) cmp.modified.insert(path);
}

/**
 * Merge an applied configuration into the live object: maps merge key by key, associative
 * and set lists merge item by item (live order kept, new items appended), everything else
 * takes the applied value. `null` in the configuration means "not specified". Returns a new value.
 */
export function mergeApplied(live: JsonValue | undefined, config: JsonValue, meta: PatchField | undefined, type: PatchType | undefined, path: PathElement[] = []): JsonValue {
  if (isObject(config)) {
    const out: JsonObject = isObject(live) ? clone(live) : {};
    for (const [k, v] of Object.entries(config)) {
      if (v === null) continue;
      const f = lookupField(type, k);
      setKey(out, k, mergeApplied(has(out, k) ? out[k] : undefined, v, f.meta, f.type, [...path, fieldElement(k)]));
    }
    return out;
  }
  if (Array.isArray(config)) {
    const kind = listKind(meta);
    const configEls = requireItemElements(config, kind, path);
    const liveEls = Array.isArray(live) ? itemElements(live, kind) : undefined;
    if (!configEls || !liveEls || !Array.isArray(live)) return clone(config);
    const configByEl = new Map(configEls.map((el, i) => [el, config[i] as JsonValue]));
    const out: JsonValue[] = live.map((item, i) => {
      const c = configByEl.get(liveEls[i] as PathElement);
      return c === undefined ? clone(item) : mergeApplied(item, c, undefined, type, [...path, liveEls[i] as PathElement]);
    });
    const liveSet = new Set(liveEls);
    configEls.forEach((el, i) => {
      if (!liveSet.has(el)) out.push(clone(config[i] as JsonValue));
    });
    return out;
  }
  return config;
}

/** A copy of `config` without null members (at any depth), which apply treats as unspecified. */
export function dropNulls(v: JsonValue): JsonValue {
  if (Array.isArray(v)) return v.map(dropNulls);
  if (isObject(v)) {
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) if (x !== null) setKey(out, k, dropNulls(x));
    return out;
  }
  return v;
}

/**
 * Remove from `obj` (in place) every member of `toRemove` unless `keep` has a member at or
 * below it (then only the removable fields beneath are removed). Maps and lists emptied by a
 * removal are removed too, as an omitempty round trip through the typed object would.
 */
export function removeFields(obj: JsonObject, toRemove: FieldSet, keep: FieldSet, type: PatchType | undefined): void {
  removeUnder(obj, toRemove, keep, undefined, type, []);
}

function removeUnder(value: JsonValue, node: FieldSet, keep: FieldSet, meta: PatchField | undefined, type: PatchType | undefined, path: PathElement[]): void {
  for (const [el, child] of node.children) {
    const p = [...path, el];
    const removeWhole = child.member && !keep.hasAtOrBelow(p);
    if (isObject(value) && el.startsWith("f:")) {
      const k = el.slice(2);
      if (!has(value, k)) continue;
      if (removeWhole) {
        delete value[k];
        continue;
      }
      const f = lookupField(type, k);
      const sub = value[k] as JsonValue;
      const wasEmpty = isEmptyContainer(sub);
      removeUnder(sub, child, keep, f.meta, f.type, p);
      if (!wasEmpty && isEmptyContainer(sub) && !keep.hasAtOrBelow(p)) delete value[k];
    } else if (Array.isArray(value)) {
      const els = itemElements(value, listKind(meta));
      const i = els ? els.indexOf(el) : -1;
      if (i < 0) continue;
      if (removeWhole) {
        value.splice(i, 1);
        continue;
      }
      removeUnder(value[i] as JsonValue, child, keep, undefined, type, p);
    }
  }
}
