/**
 * @module api/patch/fieldset
 * Sets of field paths, the currency of server-side apply ownership, stored as a tree keyed by
 * the path elements of `managedFields[].fieldsV1` (structured-merge-diff's encoding):
 * `f:<field>` a map field, `k:{"name":"x"}` an associative-list item, `v:<json>` a set-list
 * value, `i:<n>` a list index. A node is a *member* when the path itself is in the set;
 * fieldsV1 writes that as `".": {}` when the node also has children, or as `{}` for a leaf.
 */

import { isObject, type JsonObject, type JsonValue } from "./json.ts";

export type PathElement = string;
export type FieldPath = readonly PathElement[];

export class FieldSet {
  member = false;
  readonly children = new Map<PathElement, FieldSet>();

  /** Add `path` as a member (creating the nodes on the way). */
  insert(path: FieldPath): this {
    let node: FieldSet = this;
    for (const el of path) {
      let next = node.children.get(el);
      if (!next) {
        next = new FieldSet();
        node.children.set(el, next);
      }
      node = next;
    }
    node.member = true;
    return this;
  }

  /** The node at `path`, if any. */
  at(path: FieldPath): FieldSet | undefined {
    let node: FieldSet | undefined = this;
    for (const el of path) {
      node = node.children.get(el);
      if (!node) return undefined;
    }
    return node;
  }

  has(path: FieldPath): boolean {
    return this.at(path)?.member ?? false;
  }

  /** True if `path` or anything below it is a member. */
  hasAtOrBelow(path: FieldPath): boolean {
    const node = this.at(path);
    return node !== undefined && !node.empty();
  }

  empty(): boolean {
    if (this.member) return false;
    for (const c of this.children.values()) if (!c.empty()) return false;
    return true;
  }

  /** Every member path, depth first in insertion order. */
  members(prefix: PathElement[] = []): FieldPath[] {
    const out: FieldPath[] = [];
    if (this.member) out.push([...prefix]);
    for (const [el, child] of this.children) out.push(...child.members([...prefix, el]));
    return out;
  }

  clone(): FieldSet {
    const out = new FieldSet();
    out.member = this.member;
    for (const [el, c] of this.children) out.children.set(el, c.clone());
    return out;
  }

  union(other: FieldSet): FieldSet {
    const out = this.clone();
    mergeInto(out, other);
    return out;
  }

  /** Members of this set that are not members of `other`. */
  difference(other: FieldSet): FieldSet {
    return filterTree(this, other, false) ?? new FieldSet();
  }

  intersection(other: FieldSet): FieldSet {
    return filterTree(this, other, true) ?? new FieldSet();
  }

  /** The same set without the members at or below any path in `paths`. */
  without(paths: readonly FieldPath[]): FieldSet {
    if (paths.length === 0) return this.clone();
    const cut = new FieldSet();
    for (const p of paths) cut.insert(p);
    return cutTree(this, cut) ?? new FieldSet();
  }

  /** fieldsV1 JSON (`{"f:data":{".":{},"f:a":{}}}`). */
  toFieldsV1(): JsonObject {
    const out: JsonObject = {};
    if (this.member && this.children.size > 0) out["."] = {};
    for (const [el, c] of this.children) if (!c.empty()) out[el] = c.toFieldsV1();
    return out;
  }

  /** Parse fieldsV1 JSON; unknown shapes are ignored. */
  static fromFieldsV1(v: unknown): FieldSet {
    const set = new FieldSet();
    const walk = (node: FieldSet, obj: JsonObject) => {
      for (const [k, child] of Object.entries(obj)) {
        if (!isObject(child)) continue;
        if (k === ".") {
          node.member = true;
          continue;
        }
        const next = new FieldSet();
        node.children.set(k, next);
        if (Object.keys(child).length === 0) next.member = true;
        else walk(next, child);
      }
    };
    if (isObject(v)) walk(set, v);
    return set;
  }
}

// Tree walks behind union/difference/intersection/without: they visit each node once instead
// of enumerating member paths (this runs on every write, for managedFields).

function mergeInto(into: FieldSet, from: FieldSet): void {
  if (from.member) into.member = true;
  for (const [el, child] of from.children) {
    let next = into.children.get(el);
    if (!next) into.children.set(el, (next = new FieldSet()));
    mergeInto(next, child);
  }
}

/** Members of `a` that are (keep=true) or are not (keep=false) members of `b`; undefined when none. */
function filterTree(a: FieldSet, b: FieldSet | undefined, keep: boolean): FieldSet | undefined {
  if (!keep && b === undefined) return a.empty() ? undefined : a.clone();
  if (keep && b === undefined) return undefined;
  const out = new FieldSet();
  out.member = a.member && (keep ? b!.member : !b!.member);
  for (const [el, child] of a.children) {
    const sub = filterTree(child, b!.children.get(el), keep);
    if (sub) out.children.set(el, sub);
  }
  return out.member || out.children.size > 0 ? out : undefined;
}

/** `a` without everything at or below the member paths of `cut`; undefined when nothing is left. */
function cutTree(a: FieldSet, cut: FieldSet | undefined): FieldSet | undefined {
  if (cut === undefined) return a.empty() ? undefined : a.clone();
  if (cut.member) return undefined;
  const out = new FieldSet();
  out.member = a.member;
  for (const [el, child] of a.children) {
    const sub = cutTree(child, cut.children.get(el));
    if (sub) out.children.set(el, sub);
  }
  return out.member || out.children.size > 0 ? out : undefined;
}

/** Path element of a map field. */
export const fieldElement = (name: string): PathElement => `f:${name}`;

/** Path element of an associative-list item: its key fields, sorted, as compact JSON. */
export function keyElement(keys: Readonly<Record<string, JsonValue>>): PathElement {
  const sorted: JsonObject = {};
  for (const k of Object.keys(keys).sort()) sorted[k] = keys[k] as JsonValue;
  return `k:${JSON.stringify(sorted)}`;
}

/** Path element of a set-list value. */
export const valueElement = (v: JsonValue): PathElement => `v:${JSON.stringify(v)}`;

/** structured-merge-diff's Path.String(): `.spec.containers[name="nginx"].image`, `[="x"]`, `[0]`. */
export function pathString(path: FieldPath): string {
  let out = "";
  for (const el of path) {
    const kind = el.slice(0, 2);
    const body = el.slice(2);
    if (kind === "f:") out += `.${body}`;
    else if (kind === "k:") {
      let keys: JsonObject = {};
      try {
        const parsed = JSON.parse(body) as unknown;
        if (isObject(parsed)) keys = parsed;
      } catch {
        // leave empty
      }
      out += `[${Object.entries(keys)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(",")}]`;
    } else if (kind === "v:") out += `[=${body}]`;
    else if (kind === "i:") out += `[${body}]`;
    else out += el;
  }
  return out;
}
