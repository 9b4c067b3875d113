/**
 * @module controllers/workloads/util/selectors
 * Parsed label selectors of cached objects, memoized per object version (informers
 * replace objects on every change, so a WeakMap keyed by the object is always fresh).
 * A selector that does not parse matches nothing.
 */
import type { KObj } from "../../../client/client.ts";
import { fromLabelSelector, NOTHING, type LabelSelector } from "../../../api/selectors/labels.ts";

const cache = new WeakMap<object, LabelSelector>();

/** `obj.spec.selector` as a LabelSelector (nil selects nothing, {} everything). */
export function selectorOf(obj: KObj): LabelSelector {
  let s = cache.get(obj);
  if (!s) {
    try {
      s = fromLabelSelector(obj.spec?.selector);
    } catch {
      s = NOTHING;
    }
    cache.set(obj, s);
  }
  return s;
}

/** True if the selector is `{}` (selects every pod), which workload controllers refuse. */
export function selectsEverything(obj: KObj): boolean {
  const sel = obj.spec?.selector;
  return Boolean(sel) && Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0;
}
