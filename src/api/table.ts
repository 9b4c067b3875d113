/**
 * @module api/table
 * Server-side printing: converts objects to meta.k8s.io/v1 Table with each kind's own
 * columns (kubectl prints the cells verbatim; kubectl-wire.md §2.2).
 */
import type { ColumnDef, Obj, ResourceDef } from "./registry/types.ts";
import { age } from "./registry/objects.ts";

export type IncludeObject = "None" | "Metadata" | "Object";

const NAME_COL: ColumnDef = { name: "Name", type: "string", format: "name", description: "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names" };
const AGE_COL: ColumnDef = { name: "Age", type: "string", description: "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata" };

export function columnsOf(def: ResourceDef): ColumnDef[] {
  return def.columns ?? [NAME_COL, AGE_COL];
}

export function cellsOf(def: ResourceDef, o: Obj, now: number): unknown[] {
  if (def.cells) return def.cells(o, now);
  return [o.metadata?.name, age(o.metadata?.creationTimestamp, now)];
}

export function partialObjectMetadata(o: Obj): Obj {
  return { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: o.metadata };
}

function rowObject(o: Obj, include: IncludeObject): Obj | undefined {
  if (include === "None") return undefined;
  if (include === "Object") return o;
  return partialObjectMetadata(o);
}

export function toTable(def: ResourceDef, items: Obj[], opts: { resourceVersion?: string; continue?: string; remainingItemCount?: number; include: IncludeObject; withColumns?: boolean; now?: number }): Obj {
  const now = opts.now ?? Date.now();
  const columnDefinitions = opts.withColumns === false ? [] : columnsOf(def).map((c) => ({ name: c.name, type: c.type, format: c.format ?? "", description: c.description ?? "", priority: c.priority ?? 0 }));
  const metadata: Obj = {};
  if (opts.resourceVersion !== undefined) metadata.resourceVersion = opts.resourceVersion;
  if (opts.continue) metadata.continue = opts.continue;
  if (opts.remainingItemCount !== undefined) metadata.remainingItemCount = opts.remainingItemCount;
  return {
    kind: "Table",
    apiVersion: "meta.k8s.io/v1",
    metadata,
    columnDefinitions,
    rows: items.map((o) => {
      const row: Obj = { cells: cellsOf(def, o, now) };
      const ro = rowObject(o, opts.include);
      if (ro) row.object = ro;
      return row;
    }),
  };
}
