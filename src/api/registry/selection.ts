/**
 * @module api/registry/selection
 * Compiles a list/watch request's label and field selectors into one predicate over
 * objects of a kind. Field selectors may use metadata.name, metadata.namespace and the
 * kind's own selectable fields; anything else is rejected like upstream.
 */
import { errors } from "../errors.ts";
import { parseLabelSelector } from "../selectors/labels.ts";
import { parseFieldSelector } from "../selectors/fields.ts";
import type { Obj, ResourceDef } from "./types.ts";

export interface Selection {
  matches(o: Obj): boolean;
  isEverything: boolean;
}

const EVERYTHING: Selection = { matches: () => true, isEverything: true };

export function fieldValues(def: ResourceDef, o: Obj): Record<string, string | undefined> {
  const base: Record<string, string | undefined> = { "metadata.name": o.metadata?.name, "metadata.namespace": def.namespaced ? o.metadata?.namespace : "" };
  return def.selectableFields ? { ...base, ...def.selectableFields(o) } : base;
}

export function compileSelection(def: ResourceDef, labelSelector?: string, fieldSelector?: string): Selection {
  const ls = labelSelector?.trim() ? parseOrThrow(() => parseLabelSelector(labelSelector)) : undefined;
  const fs = fieldSelector?.trim() ? parseOrThrow(() => parseFieldSelector(fieldSelector)) : undefined;
  if (!ls && !fs) return EVERYTHING;
  if (fs) {
    // Reject fields the kind cannot select on (checked against an empty object's field set).
    const known = new Set(Object.keys(fieldValues(def, { metadata: {} })));
    for (const f of fs.fields()) {
      if (!known.has(f)) throw errors.badRequest(`field label not supported: ${f}`);
    }
  }
  return {
    isEverything: false,
    matches(o: Obj) {
      if (ls && !ls.matches((o.metadata?.labels ?? {}) as Record<string, string>)) return false;
      if (fs) {
        const values = fieldValues(def, o);
        if (!fs.matches((f: string) => values[f] ?? "")) return false;
      }
      return true;
    },
  };
}

function parseOrThrow<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw errors.badRequest((e as Error).message);
  }
}
