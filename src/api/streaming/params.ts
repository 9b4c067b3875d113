/**
 * @module api/streaming/params
 * Query-parameter parsing with Go's semantics, shared by the streaming subresources.
 */
import { errors } from "../errors.ts";

/** Go's strconv.ParseBool (an absent parameter is undefined). */
export function parseBool(v: string | null, name: string): boolean | undefined {
  if (v === null) return undefined;
  if (["1", "t", "T", "TRUE", "true", "True"].includes(v)) return true;
  if (["0", "f", "F", "FALSE", "false", "False", ""].includes(v)) return false;
  throw errors.badRequest(`invalid boolean value ${JSON.stringify(v)} for parameter ${name}`);
}

/** A decimal integer parameter (an absent or empty one is undefined). */
export function parseInt64(v: string | null, name: string): number | undefined {
  if (v === null || v === "") return undefined;
  if (!/^-?\d+$/.test(v)) throw errors.badRequest(`invalid integer value ${JSON.stringify(v)} for parameter ${name}`);
  return Number(v);
}
