/**
 * @module api/registry/codec
 * Stored form of API objects: JSON without metadata.resourceVersion (the store's
 * modRevision is the resourceVersion). Decoding memoises per KeyValue, so one watch
 * event fanned out to many watchers is parsed once.
 */
import type { KeyValue } from "../../store/types.ts";
import type { Obj } from "./types.ts";

const decoded = new WeakMap<KeyValue, Obj>();

export function encodeObject(obj: Obj): string {
  const rv = obj.metadata?.resourceVersion;
  if (rv === undefined) return JSON.stringify(obj);
  delete obj.metadata.resourceVersion;
  try {
    return JSON.stringify(obj);
  } finally {
    obj.metadata.resourceVersion = rv;
  }
}

/**
 * The object stored in `kv`, with resourceVersion set. The result is shared: callers that
 * mutate it must clone first (see decodeMutable).
 */
export function decodeShared(kv: KeyValue): Obj {
  let o = decoded.get(kv);
  if (!o) {
    o = JSON.parse(kv.value) as Obj;
    (o.metadata ??= {}).resourceVersion = String(kv.modRevision);
    decoded.set(kv, o);
  }
  return o;
}

export function decodeMutable(kv: KeyValue): Obj {
  const o = JSON.parse(kv.value) as Obj;
  (o.metadata ??= {}).resourceVersion = String(kv.modRevision);
  return o;
}

/** Decode a value with an explicit resourceVersion (deleted objects carry the delete revision). */
export function decodeAt(value: string, rv: number): Obj {
  const o = JSON.parse(value) as Obj;
  (o.metadata ??= {}).resourceVersion = String(rv);
  return o;
}
