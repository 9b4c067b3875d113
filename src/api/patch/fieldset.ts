/**
 * @module api/patch/fieldset
 * Sets of field paths, the currency of server-side apply ownership, stored as a tree keyed by
 * the path elements of `managedFields[].fieldsV1` (structured-merge-diff's encoding):
 * `f:<field>` a map field, `k:{"name":"x"}` an associative-list item, `v:<json>` a set-list
 * value, `i:<n>` a list index. A node is a *member* when the path itself is in the set;
 * fieldsV1 writes that as `".": {}` when the node also has children, or as `{}` for a leaf.
 * A set is a value once built: insert/node/child only while building a fresh set; the set
 * operations may return an operand or share its subtrees.
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

  /** The child node for `el`, created (as a non-member) when missing. */
  child(el: PathElement): FieldSet {
    let next = this.children.get(el);
    if (!next) this.children.set(el, (next = new FieldSet()));
    return next;
  }

  /** The node at `path`, created (non-members on the way) when missing. */
  node(path: FieldPath): FieldSet {
    let n: FieldSet = this;
    for (const el of path) n = n.child(el);
    return n;
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
    return unionTree(this, other) ?? new FieldSet();
  }

  /** Members of this set that are not members of `other`. */
  difference(other: FieldSet): FieldSet {
    if (other.children.size === 0 && !other.member) return this;
    return filterTree(this, other, false) ?? new FieldSet();
  }

  intersection(other: FieldSet): FieldSet {
    return filterTree(this, other, true) ?? new FieldSet();
  }

  /** The same set without the members at or below any path in `paths`. */
  without(paths: readonly FieldPath[]): FieldSet {
    if (paths.length === 0) return this;
    const cut = new FieldSet();
    for (const p of paths) cut.insert(p);
    return cutTree(this, cut) ?? new FieldSet();
  }

  /** fieldsV1 JSON (`{"f:data":{".":{},"f:a":{}}}`). */
  toFieldsV1(): JsonObject {
    return fieldsV1Of(this) ?? {};
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
// of enumerating member paths (this runs on every write, for managedFields), and share the
// subtrees they do not change.

/** The union, sharing every subtree only one side has (sets are values once built). */
function unionTree(a: FieldSet | undefined, b: FieldSet | undefined): FieldSet | undefined {
  if (!b || (b.children.size === 0 && !b.member)) return a;
  if (!a || (a.children.size === 0 && !a.member)) return b;
  const out = new FieldSet();
  out.member = a.member || b.member;
  for (const [el, child] of a.children) out.children.set(el, unionTree(child, b.children.get(el))!);
  for (const [el, child] of b.children) if (!a.children.has(el)) out.children.set(el, child);
  return out;
}

/** Members of `a` that are (keep=true) or are not (keep=false) members of `b`; undefined when none. */
function filterTree(a: FieldSet, b: FieldSet | undefined, keep: boolean): FieldSet | undefined {
  if (!keep && b === undefined) return a.empty() ? undefined : a;
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
  if (cut === undefined) return a.empty() ? undefined : a;
  if (cut.member) return undefined;
  const out = new FieldSet();
  out.member = a.member;
  for (const [el, child] of a.children) {
    const sub = cutTree(child, cut.children.get(el));
    if (sub) out.children.set(el, sub);
  }
  return out.member || out.children.size > 0 ? out : undefined;
}

/** fieldsV1 of a node in one pass (undefined when nothing below is a member). */
function fieldsV1Of(n: FieldSet): JsonObject | undefined {
  let kids: JsonObject | undefined;
  for (const [el, c] of n.children) {
    const v = fieldsV1Of(c);
    if (v) (kids ??= {})[el] = v;
  }
  if (!kids) return n.member ? {} : undefined;
  return n.member ? { ".": {}, ...kids } : kids;
}

const fieldElements = new Map<string, PathElement>();

/** Path element of a map field (interned: the same few names recur on every write). */
export function fieldElement(name: string): PathElement {
  let el = fieldElements.get(name);
  if (el === undefined) {
    el = `f:${name}`;
    if (fieldElements.size < 100_000) fieldElements.set(name, el);
  }
  return el;
}

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
