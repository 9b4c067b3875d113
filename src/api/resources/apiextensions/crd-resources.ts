/**
 * @module api/resources/apiextensions/crd-resources
 * crdToResourceDefs: the ResourceDefs a CustomResourceDefinition serves, one per served
 * version — scope, names, categories, status and scale subresources, generation,
 * schema pruning/defaulting/validation, additionalPrinterColumns as Table columns
 * (evaluated like the apiextensions table convertor: dates humanised, integers and
 * booleans typed, strings printed via JSONPath) and selectableFields.
 */
import { field } from "../../errors.ts";
import type { ColumnDef, Obj, ResourceDef } from "../../registry/types.ts";
import { age } from "../../registry/objects.ts";
import { asArray, isObj, type Causes } from "../common/causes.ts";
import { nameCol, CREATED_DESC } from "../common/columns.ts";
import { compileJSONPath, evalJSONPath, printJSONPathValue, type CompiledPath } from "./jsonpath.ts";
import { pruneAndDefault, validateSchema } from "./schema.ts";

interface PrinterColumn {
  name: string;
  type: ColumnDef["type"];
  format?: string;
  description?: string;
  priority?: number;
  jsonPath: string;
}

const DEFAULT_COLUMNS: PrinterColumn[] = [{ name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp", description: CREATED_DESC }];

/** cellForJSONValue from the apiextensions table convertor. */
export function cellFor(type: string, value: unknown, now: number): unknown {
  if (value === null || value === undefined) return null;
  switch (type) {
    case "integer":
      return typeof value === "number" ? Math.trunc(value) : null;
    case "number":
      return typeof value === "number" ? value : null;
    case "boolean":
      return typeof value === "boolean" ? value : null;
    case "date":
      if (typeof value !== "string") return null;
      return Number.isNaN(Date.parse(value)) ? "<invalid>" : age(value, now);
    case "string":
      return printJSONPathValue(value);
  }
  return null;
}

/** Strip the leading "." of a CRD JSON path to the dotted form ScaleSpec uses. */
function dotted(jsonPath: unknown): string | undefined {
  return typeof jsonPath === "string" && jsonPath.startsWith(".") ? jsonPath.slice(1) : undefined;
}

export function crdToResourceDefs(crd: Obj): ResourceDef[] {
  const spec = isObj(crd.spec) ? crd.spec : {};
  const names = isObj(spec.names) ? spec.names : {};
  const namespaced = spec.scope !== "Cluster";
  const out: ResourceDef[] = [];
  for (const v of asArray(spec.versions)) {
    if (!isObj(v) || v.served === false) continue;
    const schema = isObj(v.schema?.openAPIV3Schema) ? v.schema.openAPIV3Schema : undefined;
    const sub = isObj(v.subresources) ? v.subresources : {};
    const hasStatus = isObj(sub.status);
    const scaleSpec = isObj(sub.scale) ? sub.scale : undefined;
    const cols: PrinterColumn[] = asArray<PrinterColumn>(v.additionalPrinterColumns).length ? asArray<PrinterColumn>(v.additionalPrinterColumns) : DEFAULT_COLUMNS;
    const compiled: { col: PrinterColumn; path: CompiledPath | undefined }[] = cols.map((c) => {
      try {
        return { col: c, path: compileJSONPath(c.jsonPath) };
      } catch {
        return { col: c, path: undefined };
      }
    });
    const selectable: { name: string; path: CompiledPath }[] = [];
    for (const f of asArray(v.selectableFields)) {
      try {
        selectable.push({ name: String(f.jsonPath).replace(/^\./, ""), path: compileJSONPath(f.jsonPath) });
      } catch {
        // Validated on the CRD; a bad path simply selects nothing.
      }
    }
    const def: ResourceDef = {
      group: spec.group,
      version: v.name,
      kind: names.kind,
      listKind: names.listKind,
      plural: names.plural,
      singular: names.singular ?? String(names.kind ?? "").toLowerCase(),
      shortNames: asArray<string>(names.shortNames),
      categories: asArray<string>(names.categories),
      namespaced,
      statusSubresource: hasStatus,
      generation: true,
      allowCreateOnUpdate: false,
      defaults(obj: Obj) {
        if (schema) pruneAndDefault(obj, schema, true);
      },
      prepareForCreate(obj: Obj) {
        // With a status subresource, status is not taken from the create request.
        if (hasStatus) delete obj.status;
      },
      validate(obj: Obj): Causes {
        if (!schema) return [];
        const causes = validateSchema(obj, schema, "", [], true);
        if (scaleSpec) {
          const sp = dotted(scaleSpec.specReplicasPath);
          const val = sp ? sp.split(".").reduce<unknown>((o, k) => (isObj(o) ? o[k] : undefined), obj) : undefined;
          if (val !== undefined && !(Number.isInteger(val) && (val as number) >= 0)) {
            causes.push(field.invalid(sp!, val, "should be a non-negative integer"));
          }
        }
        return causes;
      },
      columns: [nameCol, ...compiled.map(({ col }) => ({ name: col.name, type: col.type, format: col.format, description: col.description ?? (col.name === "Age" ? CREATED_DESC : ""), priority: col.priority ?? 0 }) as ColumnDef)],
      cells(obj: Obj, now: number) {
        return [obj.metadata?.name, ...compiled.map(({ col, path }) => (path ? cellFor(col.type, evalJSONPath(path, obj)[0], now) : null))];
      },
    };
    if (scaleSpec) {
      def.scale = {
        specReplicasPath: dotted(scaleSpec.specReplicasPath) ?? "spec.replicas",
        statusReplicasPath: dotted(scaleSpec.statusReplicasPath) ?? "status.replicas",
        ...(dotted(scaleSpec.labelSelectorPath) ? { labelSelectorPath: dotted(scaleSpec.labelSelectorPath) } : {}),
      };
    }
    if (selectable.length) {
      def.selectableFields = (obj: Obj) => {
        const r: Record<string, string | undefined> = {};
        for (const s of selectable) {
          const got = evalJSONPath(s.path, obj)[0];
          r[s.name] = got === undefined || got === null ? "" : typeof got === "object" ? JSON.stringify(got) : String(got);
        }
        return r;
      };
    }
    out.push(def);
  }
  return out;
}


