/**
 * @module api/patch/strategic-order
 * List ordering of strategic merge patch, as upstream's normalizeElementOrder /
 * mergeSortedSlice do it: items named by the patch (or by `$setElementOrder`) take the
 * patch's order, items only on the server keep the order they had, and the two sequences are
 * interleaved using the live list as the reference, so a server-only item stays in front of
 * a patch item that followed it before. Getting this exactly right is what makes a second
 * `kubectl apply` of the same file print `unchanged`.
 */

import { isObject, type JsonValue } from "./json.ts";

/** Identity of a list item: its merge-key value for lists of maps, the item itself otherwise. */
export function itemId(item: JsonValue, mergeKey: string | undefined): JsonValue | undefined {
  if (mergeKey === undefined) return item;
  return isObject(item) ? item[mergeKey] : undefined;
}

/** Index of the item with the same identity in `list`, or -1 (Go `==` on scalars: type and value). */
export function indexOf(list: readonly JsonValue[], item: JsonValue, mergeKey: string | undefined): number {
  const id = itemId(item, mergeKey);
  if (id === undefined) return -1;
  for (let i = 0; i < list.length; i++) {
    if (itemId(list[i] as JsonValue, mergeKey) === id) return i;
  }
  return -1;
}

/** Split `items` into those whose identity appears in `by` and the rest, keeping their order. */
export function partition(
  items: readonly JsonValue[],
  by: readonly JsonValue[],
  mergeKey: string | undefined,
): { inList: JsonValue[]; notInList: JsonValue[] } {
  const inList: JsonValue[] = [];
  const notInList: JsonValue[] = [];
  for (const it of items) (indexOf(by, it, mergeKey) >= 0 ? inList : notInList).push(it);
  return { inList, notInList };
}

/** Stable sort of `items` by position in `order`; items absent from `order` keep their relative order at the end. */
export function sortByOrder(items: readonly JsonValue[], order: readonly JsonValue[], mergeKey: string | undefined): JsonValue[] {
  const decorated = items.map((it, i) => ({ it, i, at: indexOf(order, it, mergeKey) }));
  decorated.sort((a, b) => {
    if (a.at >= 0 && b.at >= 0) return a.at - b.at || a.i - b.i;
    if (a.at >= 0) return -1;
    if (b.at >= 0) return 1;
    return a.i - b.i;
  });
  return decorated.map((d) => d.it);
}

/**
 * Final order of a merged list. `patchItems` are ordered by `patchOrder`, `serverOnly` by
 * `serverOrder` (the live list before the patch); then each server-only item is placed in
 * front of the first patch item that came after it in the live list (upstream's
 * mergeSortedSlice: a patch item unknown to the live list is never preceded by a pending
 * server-only item).
 */
export function normalizeElementOrder(
  patchItems: readonly JsonValue[],
  serverOnly: readonly JsonValue[],
  patchOrder: readonly JsonValue[],
  serverOrder: readonly JsonValue[],
  mergeKey: string | undefined,
): JsonValue[] {
  const right = sortByOrder(patchItems, patchOrder, mergeKey);
  const left = sortByOrder(serverOnly, serverOrder, mergeKey);
  const out: JsonValue[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++] as JsonValue);
    else if (j >= right.length) out.push(left[i++] as JsonValue);
    else {
      const li = indexOf(serverOrder, left[i] as JsonValue, mergeKey);
      const ri = indexOf(serverOrder, right[j] as JsonValue, mergeKey);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++] as JsonValue);
      else out.push(right[j++] as JsonValue);
    }
  }
  return out;
}
