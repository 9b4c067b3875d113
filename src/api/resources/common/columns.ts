/**
 * @module api/resources/common/columns
 * Table column definitions shared by kinds (Name, Age, Created At, Containers...) with
 * upstream's descriptions, and cell helpers (container names/images, timestamps).
 */
import type { ColumnDef, Obj } from "../../registry/types.ts";
import { age } from "../../registry/objects.ts";
import { asArray } from "./causes.ts";

export const NAME_DESC =
  "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";
export const CREATED_DESC =
  "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

export const nameCol: ColumnDef = { name: "Name", type: "string", format: "name", description: NAME_DESC };
export const ageCol: ColumnDef = { name: "Age", type: "string", description: CREATED_DESC };
/** The default table convertor's second column (kinds without a printer: roles, CRDs...). */
export const createdAtCol: ColumnDef = { name: "Created At", type: "date", description: CREATED_DESC };

export function col(name: string, type: ColumnDef["type"], description: string, priority = 0): ColumnDef {
  return priority ? { name, type, description, priority } : { name, type, description };
}

export const containersCol = col("Containers", "string", "Names of each container in the template.", 1);
export const imagesCol = col("Images", "string", "Images referenced by each container in the template.", 1);

/** layoutContainerCells: comma-joined names and images. */
export function containerCells(containers: unknown): [string, string] {
  const cs = asArray(containers);
  return [cs.map((c) => c?.name ?? "").join(","), cs.map((c) => c?.image ?? "").join(",")];
}

export function ageCell(o: Obj, now: number): string {
  return age(o.metadata?.creationTimestamp, now);
}

/** Default convertor cell: creationTimestamp as RFC 3339 in UTC. */
export function createdAtCell(o: Obj): string {
  const ts = o.metadata?.creationTimestamp;
  if (!ts) return "";
  const t = Date.parse(ts);
  return Number.isNaN(t) ? String(ts) : new Date(t).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** Columns and cells of the default table convertor (Name, Created At). */
export const defaultTable = {
  columns: [nameCol, createdAtCol],
  cells: (o: Obj) => [o.metadata?.name, createdAtCell(o)],
};
