/**
 * @module api/registry/fields
 * Unknown-field handling per `fieldValidation` (Strict: 400, Warn: warnings, Ignore),
 * driven by the kinds' OpenAPI schemas.
 */
import type { OpContext, Obj, ResourceDef } from "./types.ts";

export type FieldChecker = (def: ResourceDef, obj: Obj, ctx: OpContext) => void;
let checker: FieldChecker | undefined;

/** The schema module installs the checker (kept out of the agent's import graph). */
export function setFieldChecker(c: FieldChecker) {
  checker = c;
}

export function checkFields(def: ResourceDef, obj: Obj, ctx: OpContext) {
  if (ctx.fieldValidation === "Ignore" || !checker) return;
  checker(def, obj, ctx);
}
