/**
 * @module api/registry/fields
 * Unknown-field handling per `fieldValidation` (Strict: 400, Warn: warnings, Ignore:
 * dropped), driven by the kinds' OpenAPI schemas. The schema module installs the checker
 * at server start, which keeps the schemas out of the agent's import graph.
 */
import type { OpContext, Obj, ResourceDef } from "./types.ts";

/** Returns the object to store (unknown fields removed); throws ApiError 400 in Strict mode. */
export type FieldChecker = (def: ResourceDef, obj: Obj, ctx: OpContext) => Obj;
let checker: FieldChecker | undefined;

export function setFieldChecker(c: FieldChecker) {
  checker = c;
}

export function checkFields(def: ResourceDef, obj: Obj, ctx: OpContext): Obj {
  if (!checker) return obj;
  return checker(def, obj, ctx);
}
