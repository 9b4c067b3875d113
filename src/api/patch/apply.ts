/**
 * @module api/patch/apply
 * Server-side apply (`application/apply-patch+yaml`) and the `metadata.managedFields`
 * bookkeeping of every other write, following structured-merge-diff's Updater:
 *
 * - apply merges the configuration into the live object (structure.ts), removes the fields
 *   this manager applied last time but no longer applies (unless another manager owns them),
 *   and records the configuration's fields as the manager's `Apply` entry;
 * - a field another manager owns whose value the apply changes is a conflict; without
 *   `force` the apply fails (409 with FieldManagerConflict causes), with `force` the field
 *   changes owner;
 * - any other write (create, update, patch) gives its manager an `Update` entry for the
 *   fields it added or changed, taking them from other managers without conflict.
 *
 * Limits (documented, deliberate): no defaulting or conversion of the configuration
 * (compare items by the SMP merge key alone: ports by containerPort, not containerPort +
 * protocol); `null` in a configuration means "not specified"; maps are always granular and
 * only lists with a merge strategy are associative or sets (everything else is atomic, which
 * is also what custom resources without list-type markers get); no cap of 10 Update entries.
 * Pure: no clock (the caller passes `time`), inputs are never modified.
 */

import { BadPatchError, PatchError } from "./errors.ts";
import { FieldSet, fieldElement, pathString, type FieldPath } from "./fieldset.ts";
import { clone, deepEqual, has, isObject, type JsonObject, type JsonValue } from "./json.ts";
import type { PatchType } from "./strategy.ts";
import { appliedFieldSet, compareValues, dropNulls, mergeApplied, removeFields, toFieldSet } from "./structure.ts";

export type ManagedFieldsOperation = "Apply" | "Update";

/** One `metadata.managedFields` entry (metav1.ManagedFieldsEntry). */
export interface ManagedFieldsEntry {
  manager: string;
  operation: ManagedFieldsOperation;
  apiVersion: string;
  time?: string;
  fieldsType: "FieldsV1";
  fieldsV1: JsonObject;
  subresource?: string;
}

export interface FieldConflict {
  /** The other manager's name. */
  manager: string;
  operation: ManagedFieldsOperation;
  /** The other manager's apiVersion (shown for Update managers). */
  apiVersion: string;
  /** structured-merge-diff path, e.g. ".data.a" or `.spec.containers[name="nginx"].image`. */
  field: string;
  /** Status cause message: `conflict with "kubectl-client-side-apply" using v1`. */
  message: string;
}

/** Apply conflicts: answer 409 reason Conflict with one FieldManagerConflict cause per entry. */
export class ApplyConflictError extends PatchError {
  override name = "ApplyConflictError";
  constructor(readonly conflicts: FieldConflict[]) {
    super(conflictMessage(conflicts), 409, "Conflict");
  }
  /** Status `details.causes` as kube-apiserver sends them. */
  causes(): { reason: "FieldManagerConflict"; message: string; field: string }[] {
    return this.conflicts.map((c) => ({ reason: "FieldManagerConflict", message: c.message, field: c.field }));
  }
}

export interface ApplyOptions {
  /** fieldManager of the request (required for apply). */
  manager: string;
  force: boolean;
  /** apiVersion of the object as served ("v1", "apps/v1"). */
  apiVersion: string;
  /** RFC 3339 time to stamp on changed entries. */
  time: string;
  /** patchMetaFor(...) of the kind; undefined for custom resources. */
  schema: PatchType | undefined;
  /** "status" or "scale" when applying to a subresource. */
  subresource?: string;
  /**
   * Top-level fields the apply must not touch or own, like upstream's reset fields: pass
   * ["status"] on the main resource of kinds with a status subresource, and every field but
   * "status" (e.g. ["spec"]) on the status subresource.
   */
  ignoredFields?: readonly string[];
}

export interface ApplyResult {
  object: JsonObject;
  /** False when the object (managedFields aside) is unchanged. */
  changed: boolean;
  /** True when there was no live object (the API answers 201). */
  created: boolean;
}

/** Fields never owned: identity and system metadata (upstream's stripmeta set; exact paths, not subtrees). */
const STRIPPED: FieldPath[] = [
  [fieldElement("apiVersion")],
  [fieldElement("kind")],
  [fieldElement("metadata")],
  ...["name", "namespace", "creationTimestamp", "selfLink", "uid", "clusterName", "generation", "managedFields", "resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds"].map(
    (f) => [fieldElement("metadata"), fieldElement(f)],
  ),
];

/**
 * Server-side apply of `config` to `live` (undefined: create). Throws ApplyConflictError
 * (409) on conflicts without force, BadPatchError (400) / PatchApplyError (422) on bad input.
 */
export function serverSideApply(live: JsonObject | undefined, config: unknown, opts: ApplyOptions): ApplyResult {
  if (!opts.manager) throw new BadPatchError("PATCH requests with apply content type require a fieldManager");
  if (!isObject(config)) throw new BadPatchError("error decoding YAML: the applied configuration must be an object");
  const cfgMeta = config.metadata;
  if (isObject(cfgMeta) && Array.isArray(cfgMeta.managedFields) && cfgMeta.managedFields.length > 0) {
    throw new BadPatchError("metadata.managedFields must be nil");
  }
  const ignored = opts.ignoredFields ?? [];
  const cfg = dropNulls(config) as JsonObject;
  for (const f of ignored) delete cfg[f];

  const liveBody = live ? withoutManagedFields(live) : undefined;
  const managers = live ? decodeManagers(live) : new Map<string, Managed>();
  if (live && !hasManagedFields(live)) {
    // Objects written before any field tracking: their fields belong to "before-first-apply".
    const set = strip(toFieldSet(liveBody as JsonObject, opts.schema), ignored);
    if (!set.empty()) managers.set(managerKey("before-first-apply", "Update", opts.apiVersion, opts.subresource), { entry: newEntry("before-first-apply", "Update", opts.apiVersion, opts.subresource), set });
  }

  const key = managerKey(opts.manager, "Apply", opts.apiVersion, opts.subresource);
  const previous = managers.get(key);
  const lastSet = previous?.set ?? new FieldSet();
  const configSet = strip(appliedFieldSet(cfg, opts.schema), ignored);

  const merged = mergeApplied(liveBody ?? {}, cfg, undefined, opts.schema) as JsonObject;
  const others = [...managers.entries()].filter(([k]) => k !== key);
  const keep = others.reduce((acc, [, m]) => acc.union(m.set), configSet.clone());
  removeFields(merged, lastSet.difference(configSet), keep, opts.schema);

  const cmp = compareValues(liveBody ?? {}, merged, opts.schema);
  const changedFields = cmp.modified.union(cmp.added);
  const conflicts: FieldConflict[] = [];
  for (const [, m] of others) {
    const taken = m.set.intersection(changedFields);
    if (taken.empty()) continue;
    for (const p of taken.members()) conflicts.push(conflictFor(m.entry, p));
  }
  if (conflicts.length > 0 && !opts.force) throw new ApplyConflictError(conflicts);
  for (const [k, m] of others) {
    const rest = m.set.difference(changedFields).difference(cmp.removed);
    if (rest.empty()) managers.delete(k);
    else managers.set(k, { ...m, set: rest });
  }

  const changed = !deepEqual(liveBody ?? {}, merged);
  const entryChanged = !previous || changed || !sameSet(previous.set, configSet);
  const entry = previous && !entryChanged ? previous.entry : { ...newEntry(opts.manager, "Apply", opts.apiVersion, opts.subresource), time: opts.time };
  if (configSet.empty()) managers.delete(key);
  else managers.set(key, { entry, set: configSet });

  return { object: withManagedFields(merged, managers), changed, created: live === undefined };
}

export interface UpdateOptions {
  /** Manager of the write: the fieldManager parameter, else managerFromUserAgent(). */
  manager: string;
  apiVersion: string;
  time: string;
  schema: PatchType | undefined;
  subresource?: string;
  /** As in ApplyOptions: top-level fields this write does not own (e.g. ["status"] on the main resource). */
  ignoredFields?: readonly string[];
}

/**
 * managedFields after a non-apply write (create, update, JSON/merge/strategic patch): the
 * writer gets an `Update` entry for what it added or changed, other managers lose those
 * fields and any removed ones. The request's own `metadata.managedFields`, when present,
 * replaces the stored list first (`[]` clears it), as upstream allows. Returns a new object.
 */
export function updateManagedFields(old: JsonObject | undefined, updated: JsonObject, opts: UpdateOptions): JsonObject {
  const ignored = opts.ignoredFields ?? [];
  const requested = isObject(updated.metadata) ? updated.metadata.managedFields : undefined;
  const managers = Array.isArray(requested) ? decodeEntries(requested) : old ? decodeManagers(old) : new Map<string, Managed>();
  const oldBody = old ? withoutManagedFields(old) : {};
  const newBody = withoutManagedFields(updated);
  const cmp = compareValues(oldBody, newBody, opts.schema);
  const changedFields = strip(cmp.modified.union(cmp.added), ignored);
  const key = managerKey(opts.manager, "Update", opts.apiVersion, opts.subresource);
  for (const [k, m] of [...managers]) {
    if (k === key) continue;
    const rest = m.set.difference(changedFields).difference(cmp.removed);
    if (rest.empty()) managers.delete(k);
    else managers.set(k, { ...m, set: rest });
  }
  const previous = managers.get(key);
  const set = (previous?.set ?? new FieldSet()).difference(cmp.removed).union(changedFields);
  if (set.empty()) managers.delete(key);
  else {
    const changed = !changedFields.empty() || !cmp.removed.empty();
    const entry = previous && !changed ? previous.entry : { ...newEntry(opts.manager, "Update", opts.apiVersion, opts.subresource), time: opts.time };
    managers.set(key, { entry, set });
  }
  return withManagedFields(newBody, managers);
}

/**
 * The manager name of a request without `fieldManager`: the user agent up to the first "/"
 * (kubectl/v1.32.5 (linux/amd64) ... -> "kubectl"), as upstream does. Max 128 characters.
 */
export function managerFromUserAgent(userAgent: string | undefined | null): string {
  const name = (userAgent ?? "").split("/")[0] ?? "";
  return name.slice(0, 128) || "unknown";
}

/** Status message of a conflict error, as kube-apiserver words it. */
export function conflictMessage(conflicts: readonly FieldConflict[]): string {
  if (conflicts.length === 1) {
    const c = conflicts[0] as FieldConflict;
    return `Apply failed with 1 conflict: ${c.message}: ${c.field}`;
  }
  const byManager = new Map<string, string[]>();
  for (const c of conflicts) {
    const head = c.message.replace(/^conflict with /, "conflicts with ");
    byManager.set(head, [...(byManager.get(head) ?? []), c.field]);
  }
  const lines: string[] = [];
  for (const head of [...byManager.keys()].sort()) {
    lines.push(`${head}:`);
    for (const f of byManager.get(head) as string[]) lines.push(`- ${f}`);
  }
  return `Apply failed with ${conflicts.length} conflicts: ${lines.join("\n")}`;
}

// ---------------------------------------------------------------------------------------------

interface Managed {
  entry: ManagedFieldsEntry;
  set: FieldSet;
}

/** Identity of an entry: appliers are one entry whatever apiVersion they used, updaters one per apiVersion. */
function managerKey(manager: string, operation: ManagedFieldsOperation, apiVersion: string, subresource?: string): string {
  return JSON.stringify([manager, operation, operation === "Apply" ? "" : apiVersion, subresource ?? ""]);
}

function newEntry(manager: string, operation: ManagedFieldsOperation, apiVersion: string, subresource?: string): ManagedFieldsEntry {
  const e: ManagedFieldsEntry = { manager, operation, apiVersion, fieldsType: "FieldsV1", fieldsV1: {} };
  if (subresource) e.subresource = subresource;
  return e;
}

function hasManagedFields(obj: JsonObject): boolean {
  return isObject(obj.metadata) && Array.isArray(obj.metadata.managedFields) && obj.metadata.managedFields.length > 0;
}

function decodeManagers(obj: JsonObject): Map<string, Managed> {
  const list = isObject(obj.metadata) ? obj.metadata.managedFields : undefined;
  return decodeEntries(Array.isArray(list) ? list : []);
}

function decodeEntries(list: readonly JsonValue[]): Map<string, Managed> {
  const out = new Map<string, Managed>();
  for (const raw of list) {
    if (!isObject(raw) || typeof raw.manager !== "string" || (raw.operation !== "Apply" && raw.operation !== "Update")) continue;
    const entry: ManagedFieldsEntry = {
      manager: raw.manager,
      operation: raw.operation,
      apiVersion: typeof raw.apiVersion === "string" ? raw.apiVersion : "",
      fieldsType: "FieldsV1",
      fieldsV1: {},
    };
    if (typeof raw.time === "string") entry.time = raw.time;
    if (typeof raw.subresource === "string" && raw.subresource) entry.subresource = raw.subresource;
    const set = FieldSet.fromFieldsV1(raw.fieldsV1);
    const key = managerKey(entry.manager, entry.operation, entry.apiVersion, entry.subresource);
    const prev = out.get(key);
    out.set(key, { entry, set: prev ? prev.set.union(set) : set });
  }
  return out;
}

/**
 * The object without metadata.managedFields. Shallow: the top level and metadata are new,
 * everything below is shared with `obj` (callers only read it, or clone before changing).
 */
function withoutManagedFields(obj: JsonObject): JsonObject {
  if (!isObject(obj.metadata) || !has(obj.metadata, "managedFields")) return { ...obj };
  const meta = { ...obj.metadata };
  delete meta.managedFields;
  return { ...obj, metadata: meta };
}

/** The object with managedFields encoded, sorted like upstream (operation, time, manager, apiVersion, subresource). */
function withManagedFields(obj: JsonObject, managers: Map<string, Managed>): JsonObject {
  const entries = [...managers.values()]
    .filter((m) => !m.set.empty())
    .map((m) => ({ ...m.entry, fieldsType: "FieldsV1" as const, fieldsV1: m.set.toFieldsV1() }))
    .sort((a, b) => cmpStr(a.operation, b.operation) || cmpStr(a.time ?? "", b.time ?? "") || cmpStr(a.manager, b.manager) || cmpStr(a.apiVersion, b.apiVersion) || cmpStr(a.subresource ?? "", b.subresource ?? ""));
  const out = { ...obj }; // shallow, like withoutManagedFields: only metadata is changed below
  const meta: JsonObject = isObject(out.metadata) ? { ...out.metadata } : {};
  if (entries.length > 0) meta.managedFields = entries as unknown as JsonValue[];
  else delete meta.managedFields;
  if (entries.length > 0 || isObject(out.metadata)) out.metadata = meta;
  return out;
}

const cmpStr = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

let strippedSet: FieldSet | undefined;

function strip(set: FieldSet, ignoredTopLevel: readonly string[]): FieldSet {
  if (!strippedSet) {
    strippedSet = new FieldSet();
    for (const p of STRIPPED) strippedSet.insert(p);
  }
  const out = set.difference(strippedSet);
  return ignoredTopLevel.length ? out.without(ignoredTopLevel.map((f) => [fieldElement(f)])) : out;
}

function sameSet(a: FieldSet, b: FieldSet): boolean {
  return a.difference(b).empty() && b.difference(a).empty();
}

function conflictFor(entry: ManagedFieldsEntry, path: FieldPath): FieldConflict {
  const who = JSON.stringify(entry.manager);
  const message = entry.operation === "Update" ? `conflict with ${who} using ${entry.apiVersion}` : `conflict with ${who}`;
  return { manager: entry.manager, operation: entry.operation, apiVersion: entry.apiVersion, field: pathString(path), message };
}
