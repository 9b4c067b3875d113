/**
 * @module scripts/gen-schemas
 * Generates the OpenAPI-v3-style schemas kite serves (`src/api/schema/generated/*.json`) from the
 * models of the devDependency `@kubernetes/client-node`: descriptions and required-ness come from
 * the `.d.ts` JSDoc, types from each class's `attributeTypeMap`. Only the transitive closure of the
 * kinds kite serves is written, one file per Go package (`io.k8s.api.core.v1.json`, …) plus
 * `index.json` (GVK → schema name, schema name → file).
 *
 * What client-node does not carry (it flattens them) is restored from small tables below, taken from
 * the Go types of k8s.io/api (the same struct tags `generated.proto` and upstream's OpenAPI come from):
 * the Go package of each nested type, which string/map fields are `resource.Quantity`, the
 * `any`-typed fields (RawExtension, FieldsV1, JSON…) and the strategic-merge-patch tags.
 *
 * Run: `bun run gen:schemas`. The output is deterministic (re-running gives identical bytes).
 */
import { readFileSync, readdirSync, writeFileSync, mkdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "..");
const MODELS = join(ROOT, "node_modules/@kubernetes/client-node/dist/gen/models");
const OUT = process.env.GEN_SCHEMAS_OUT ?? join(ROOT, "src/api/schema/generated");
const REF = "#/components/schemas/";

type Schema = Record<string, unknown>;
interface Attr { name: string; baseName: string; type: string; format: string }
interface Prop { json: string; type: string; format: string; description?: string; required: boolean }
interface Model { cls: string; description?: string; props: Prop[] }

// ---------------------------------------------------------------------------------------------
// Served kinds: [group, version, kind, client-node class]. Lists are added when client-node has
// a `<Class>List` model.
export const SERVED: [string, string, string, string][] = [
  ["", "v1", "Namespace", "V1Namespace"],
  ["", "v1", "Node", "V1Node"],
  ["", "v1", "Pod", "V1Pod"],
  ["", "v1", "Service", "V1Service"],
  ["", "v1", "Endpoints", "V1Endpoints"],
  ["", "v1", "ConfigMap", "V1ConfigMap"],
  ["", "v1", "Secret", "V1Secret"],
  ["", "v1", "ServiceAccount", "V1ServiceAccount"],
  ["", "v1", "Event", "CoreV1Event"],
  ["", "v1", "PersistentVolume", "V1PersistentVolume"],
  ["", "v1", "PersistentVolumeClaim", "V1PersistentVolumeClaim"],
  ["", "v1", "ResourceQuota", "V1ResourceQuota"],
  ["", "v1", "LimitRange", "V1LimitRange"],
  ["", "v1", "Binding", "V1Binding"],
  ["autoscaling", "v1", "Scale", "V1Scale"],
  ["policy", "v1", "Eviction", "V1Eviction"],
  ["authentication.k8s.io", "v1", "TokenRequest", "AuthenticationV1TokenRequest"],
  ["apps", "v1", "Deployment", "V1Deployment"],
  ["apps", "v1", "ReplicaSet", "V1ReplicaSet"],
  ["apps", "v1", "DaemonSet", "V1DaemonSet"],
  ["apps", "v1", "StatefulSet", "V1StatefulSet"],
  ["apps", "v1", "ControllerRevision", "V1ControllerRevision"],
  ["batch", "v1", "Job", "V1Job"],
  ["batch", "v1", "CronJob", "V1CronJob"],
  ["coordination.k8s.io", "v1", "Lease", "V1Lease"],
  ["discovery.k8s.io", "v1", "EndpointSlice", "V1EndpointSlice"],
  ["events.k8s.io", "v1", "Event", "EventsV1Event"],
  ["authorization.k8s.io", "v1", "SelfSubjectAccessReview", "V1SelfSubjectAccessReview"],
  ["authorization.k8s.io", "v1", "SelfSubjectRulesReview", "V1SelfSubjectRulesReview"],
  ["authorization.k8s.io", "v1", "SubjectAccessReview", "V1SubjectAccessReview"],
  ["authentication.k8s.io", "v1", "SelfSubjectReview", "V1SelfSubjectReview"],
  ["authentication.k8s.io", "v1", "TokenReview", "V1TokenReview"],
  ["apiextensions.k8s.io", "v1", "CustomResourceDefinition", "V1CustomResourceDefinition"],
  ["storage.k8s.io", "v1", "StorageClass", "V1StorageClass"],
  ["rbac.authorization.k8s.io", "v1", "Role", "V1Role"],
  ["rbac.authorization.k8s.io", "v1", "RoleBinding", "V1RoleBinding"],
  ["rbac.authorization.k8s.io", "v1", "ClusterRole", "V1ClusterRole"],
  ["rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "V1ClusterRoleBinding"],
  ["policy", "v1", "PodDisruptionBudget", "V1PodDisruptionBudget"],
  ["scheduling.k8s.io", "v1", "PriorityClass", "V1PriorityClass"],
  ["networking.k8s.io", "v1", "Ingress", "V1Ingress"],
  ["networking.k8s.io", "v1", "IngressClass", "V1IngressClass"],
  ["networking.k8s.io", "v1", "NetworkPolicy", "V1NetworkPolicy"],
];

/** Meta types served in every group version (upstream lists one GVK per group; we list the ones we serve). */
const META_KINDS: [string, string][] = [
  ["Status", "V1Status"],
  ["DeleteOptions", "V1DeleteOptions"],
  ["WatchEvent", "V1WatchEvent"],
];

/** Go package (upstream OpenAPI prefix) of a group. */
function packageOfGroup(group: string, version: string): string {
  if (group === "") return `io.k8s.api.core.${version}`;
  if (group === "apiextensions.k8s.io") return `io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.${version}`;
  const short = group.replace(/\.k8s\.io$/, "").replace(/\.authorization$/, "").replace(/\.apiserver$/, "");
  return `io.k8s.api.${short}.${version}`;
}
const META = "io.k8s.apimachinery.pkg.apis.meta.v1";
const CORE = "io.k8s.api.core.v1";

/** client-node classes that live in apimachinery's meta/v1. */
const META_CLASSES = new Set([
  "V1ObjectMeta", "V1ListMeta", "V1Status", "V1StatusDetails", "V1StatusCause", "V1DeleteOptions",
  "V1Preconditions", "V1OwnerReference", "V1ManagedFieldsEntry", "V1LabelSelector",
  "V1LabelSelectorRequirement", "V1Condition", "V1WatchEvent", "V1APIResource", "V1APIResourceList",
  "V1APIGroup", "V1APIGroupList", "V1APIVersions", "V1ServerAddressByClientCIDR",
  "V1GroupVersionForDiscovery", "V1FieldSelectorRequirement",
]);

/** Class-name prefixes client-node uses to disambiguate equal short names. */
const PREFIXES: [RegExp, string][] = [
  [/^CoreV1/, CORE],
  [/^EventsV1/, "io.k8s.api.events.v1"],
  [/^DiscoveryV1/, "io.k8s.api.discovery.v1"],
  [/^RbacV1/, "io.k8s.api.rbac.v1"],
  [/^AuthenticationV1/, "io.k8s.api.authentication.v1"],
  [/^StorageV1/, "io.k8s.api.storage.v1"],
  [/^ApiextensionsV1/, "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1"],
  [/^AdmissionregistrationV1/, "io.k8s.api.admissionregistration.v1"],
  [/^FlowcontrolV1/, "io.k8s.api.flowcontrol.v1"],
  [/^ResourceV1/, "io.k8s.api.resource.v1"],
];

/**
 * Nested types whose Go package is not the package of the first served kind that reaches them
 * (checked against the Go types of k8s.io/api: core types only reached from other groups).
 */
const PACKAGE_OVERRIDES: Record<string, string> = {
  V1PodTemplateSpec: CORE,
  V1TopologySelectorTerm: CORE,
  V1TopologySelectorLabelRequirement: CORE,
  V1TypedLocalObjectReference: CORE,
};

/** Fields that are `resource.Quantity` (scalar) or maps of them (`ResourceList`). */
const QUANTITY_FIELDS = new Set<string>([
  "V1ContainerStatus.allocatedResources",
  "V1EmptyDirVolumeSource.sizeLimit",
  "V1LimitRangeItem.default",
  "V1LimitRangeItem.defaultRequest",
  "V1LimitRangeItem.max",
  "V1LimitRangeItem.maxLimitRequestRatio",
  "V1LimitRangeItem.min",
  "V1NodeStatus.allocatable",
  "V1NodeStatus.capacity",
  "V1PersistentVolumeClaimStatus.allocatedResources",
  "V1PersistentVolumeClaimStatus.capacity",
  "V1PersistentVolumeSpec.capacity",
  "V1PodSpec.overhead",
  "V1ResourceFieldSelector.divisor",
  "V1ResourceQuotaSpec.hard",
  "V1ResourceQuotaStatus.hard",
  "V1ResourceQuotaStatus.used",
  "V1ResourceRequirements.limits",
  "V1ResourceRequirements.requests",
  "V1VolumeResourceRequirements.limits",
  "V1VolumeResourceRequirements.requests",
]);

/** Fields client-node types as `any`: the upstream schema they reference. */
const ANY_FIELDS: Record<string, string> = {
  "V1ControllerRevision.data": "io.k8s.apimachinery.pkg.runtime.RawExtension",
  "V1WatchEvent.object": "io.k8s.apimachinery.pkg.runtime.RawExtension",
  "V1ManagedFieldsEntry.fieldsV1": `${META}.FieldsV1`,
  "V1CustomResourceSubresources.status": "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceSubresourceStatus",
  "V1JSONSchemaProps.additionalItems": "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrBool",
  "V1JSONSchemaProps.additionalProperties": "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrBool",
  "V1JSONSchemaProps.default": "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON",
  "V1JSONSchemaProps.enum": "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON",
  "V1JSONSchemaProps.example": "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON",
  "V1JSONSchemaProps.items": "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrArray",
  "V1JSONSchemaProps.dependencies": "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrStringArray",
};

/**
 * client-node drops the description of properties whose type is another model (OpenAPI generator
 * ignores `$ref` siblings). The common ones get upstream's text back.
 */
const FALLBACK_DESCRIPTIONS: Record<string, string> = {
  V1ObjectMeta: "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
  V1ListMeta: "Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
};

/** Hand-written schemas for types client-node flattens or does not have. */
const EXTRA: Record<string, Schema> = {
  [`${META}.Time`]: {
    description: "Time is a wrapper around time.Time which supports correct marshaling to YAML and JSON.  Wrappers are provided for many of the factory methods that the time package offers.",
    type: "string", format: "date-time",
  },
  [`${META}.MicroTime`]: {
    description: "MicroTime is version of Time with microsecond level precision.",
    type: "string", format: "date-time",
  },
  [`${META}.FieldsV1`]: {
    description: "FieldsV1 stores a set of fields in a data structure like a Trie, in JSON format.\n\nEach key is either a '.' representing the field itself, and will always map to an empty set, or a string representing a sub-field or item. The string will follow one of these four formats: 'f:<name>', where <name> is the name of a field in a struct, or key in a map 'v:<value>', where <value> is the exact json formatted value of a list item 'i:<index>', where <index> is position of a item in a list 'k:<keys>', where <keys> is a map of  a list item's key fields to their unique values If a key maps to an empty Fields value, the field that key represents is part of the set.\n\nThe exact format is defined in sigs.k8s.io/structured-merge-diff",
    type: "object",
  },
  "io.k8s.apimachinery.pkg.runtime.RawExtension": {
    description: "RawExtension is used to hold extensions in external versions.",
    type: "object",
  },
  "io.k8s.apimachinery.pkg.util.intstr.IntOrString": {
    description: "IntOrString is a type that can hold an int32 or a string.  When used in JSON or YAML marshalling and unmarshalling, it produces or consumes the inner type.  This allows you to have, for example, a JSON field that can accept a name or number.",
    format: "int-or-string",
    oneOf: [{ type: "integer" }, { type: "string" }],
  },
  "io.k8s.apimachinery.pkg.api.resource.Quantity": {
    description: "Quantity is a fixed-point representation of a number. It provides convenient marshaling/unmarshaling in JSON and YAML, in addition to String() and AsInt64() accessors.\n\nThe serialization format is:\n\n``` <quantity>        ::= <signedNumber><suffix>\n\n\t(Note that <suffix> may be empty, from the \"\" case in <decimalSI>.)\n\n<digit>           ::= 0 | 1 | ... | 9 <digits>          ::= <digit> | <digit><digits> <number>          ::= <digits> | <digits>.<digits> | <digits>. | .<digits> <sign>            ::= \"+\" | \"-\" <signedNumber>    ::= <number> | <sign><number> <suffix>          ::= <binarySI> | <decimalExponent> | <decimalSI> <binarySI>        ::= Ki | Mi | Gi | Ti | Pi | Ei\n\n\t(International System of units; See: http://physics.nist.gov/cuu/Units/binary.html)\n\n<decimalSI>       ::= m | \"\" | k | M | G | T | P | E\n\n\t(Note that 1024 = 1Ki but 1000 = 1k; I didn't choose the capitalization.)\n\n<decimalExponent> ::= \"e\" <signedNumber> | \"E\" <signedNumber> ```\n\nNo matter which of the three exponent forms is used, no quantity may represent a number greater than 2^63-1 in magnitude, nor may it have more than 3 decimal places. Numbers larger or more precise will be capped or rounded up. (E.g.: 0.1m will rounded up to 1m.) This may be extended in the future if we require larger or smaller quantities.",
    oneOf: [{ type: "string" }, { type: "number" }],
  },
  "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON": {
    description: "JSON represents any valid JSON value. These types are supported: bool, int64, float64, string, []interface{}, map[string]interface{} and nil.",
  },
  "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrBool": {
    description: "JSONSchemaPropsOrBool represents JSONSchemaProps or a boolean value. Defaults to true for the boolean property.",
  },
  "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrArray": {
    description: "JSONSchemaPropsOrArray represents a value that can either be a JSONSchemaProps or an array of JSONSchemaProps. Mainly here for serialization purposes.",
  },
  "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrStringArray": {
    description: "JSONSchemaPropsOrStringArray represents a JSONSchemaProps or a string array.",
  },
  "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceSubresourceStatus": {
    description: "CustomResourceSubresourceStatus defines how to serve the status subresource for CustomResources. Status is represented by the `.status` JSON path inside of a CustomResource. When set, * exposes a /status subresource for the custom resource * PUT requests to the /status subresource take a custom resource object, and ignore changes to anything except the status stanza * PATCH requests to the /status subresource take a custom resource object, and ignore changes to anything except the status stanza",
    type: "object",
  },
  [`${META}.Patch`]: {
    description: "Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.",
    type: "object",
  },
  [`${META}.Table`]: {
    description: "Table is a tabular representation of a set of API resources. The server transforms the object into a set of preferred columns for quickly reviewing the objects.",
    properties: {
      apiVersion: { description: "APIVersion defines the versioned schema of this representation of an object.", type: "string" },
      columnDefinitions: {
        description: "columnDefinitions describes each column in the returned items array. The number of cells per row will always match the number of column definitions.",
        items: { $ref: `${REF}${META}.TableColumnDefinition` }, type: "array",
      },
      kind: { description: "Kind is a string value representing the REST resource this object represents.", type: "string" },
      metadata: { allOf: [{ $ref: `${REF}${META}.ListMeta` }], description: "Standard list metadata." },
      rows: {
        description: "rows is the list of items in the table.",
        items: { $ref: `${REF}${META}.TableRow` }, type: "array",
      },
    },
    required: ["columnDefinitions", "rows"],
    type: "object",
    "x-kubernetes-group-version-kind": [{ group: "meta.k8s.io", kind: "Table", version: "v1" }],
  },
  [`${META}.TableColumnDefinition`]: {
    description: "TableColumnDefinition contains information about a column returned in the Table.",
    properties: {
      description: { description: "description is a human readable description of this column.", type: "string" },
      format: { description: "format is an optional OpenAPI type modifier for this column. A format modifies the type and imposes additional rules, like date or time formatting for a string. The 'name' format is applied to the primary identifier column which has type 'string' to assist in clients identifying column is the resource name.", type: "string" },
      name: { description: "name is a human readable name for the column.", type: "string" },
      priority: { description: "priority is an integer defining the relative importance of this column compared to others. Lower numbers are considered higher priority. Columns that may be omitted in limited space scenarios should be given a higher priority.", format: "int32", type: "integer" },
      type: { description: "type is an OpenAPI type definition for this column, such as number, integer, string, or array.", type: "string" },
    },
    required: ["name", "type", "format", "description", "priority"],
    type: "object",
  },
  [`${META}.TableRow`]: {
    description: "TableRow is an individual row in a table.",
    properties: {
      cells: { description: "cells will be as wide as the column definitions array and may contain strings, numbers (float64 or int64), booleans, simple maps, lists, or null.", items: {}, type: "array" },
      conditions: { description: "conditions describe additional status of a row that are relevant for a human user.", items: { type: "object" }, type: "array" },
      object: { allOf: [{ $ref: "#/components/schemas/io.k8s.apimachinery.pkg.runtime.RawExtension" }], description: "This field contains the requested additional information about each object based on the includeObject policy when requesting the Table." },
    },
    required: ["cells"],
    type: "object",
  },
};

// ---------------------------------------------------------------------------------------------
// Reading client-node models.

const modelCache = new Map<string, Model>();
const modelFiles = new Set(readdirSync(MODELS).filter((f) => f.endsWith(".d.ts")).map((f) => f.slice(0, -5)));

async function loadModel(cls: string): Promise<Model> {
  const cached = modelCache.get(cls);
  if (cached) return cached;
  if (!modelFiles.has(cls)) throw new Error(`client-node has no model ${cls}`);
  const mod = await import(join(MODELS, `${cls}.js`));
  const attrs: Attr[] = mod[cls].attributeTypeMap;
  const dts = readFileSync(join(MODELS, `${cls}.d.ts`), "utf8");
  const { classDoc, props } = parseDts(dts, cls);
  const model: Model = {
    cls,
    description: classDoc,
    props: attrs.map((a) => {
      const p = props.get(a.name);
      if (!p) throw new Error(`${cls}.${a.name}: not declared in .d.ts`);
      return { json: a.baseName, type: a.type, format: a.format, description: p.doc, required: p.required };
    }),
  };
  modelCache.set(cls, model);
  return model;
}

/** Pulls the class JSDoc and, per TypeScript property name, its JSDoc and required-ness. */
function parseDts(src: string, cls: string) {
  const lines = src.split("\n");
  const props = new Map<string, { doc?: string; required: boolean }>();
  let classDoc: string | undefined;
  let pending: string[] | null = null;
  let doc: string | undefined;
  let inClass = false;
  let depth = 0;
  for (const raw of lines) {
    const line = raw.trim();
    if (line.startsWith("/**")) { pending = []; continue; }
    if (pending) {
      if (line.startsWith("*/")) { doc = pending.join("\n").trim() || undefined; pending = null; continue; }
      pending.push(line.replace(/^\* ?/, "").replace(/\\(["'\\])/g, "$1"));
      continue;
    }
    if (line.startsWith(`export declare class ${cls}`)) { classDoc = doc; doc = undefined; inClass = true; continue; }
    if (!inClass) { if (line) doc = undefined; continue; }
    const m = /^'([^']+)'(\?)?:/.exec(line);
    if (m && depth === 0) { props.set(m[1]!, { doc, required: !m[2] }); doc = undefined; }
    else if (line && !line.startsWith("static") && depth === 0 && !m) doc = undefined;
    depth += (line.match(/\{/g) ?? []).length - (line.match(/\}/g) ?? []).length;
    if (depth < 0) break;
  }
  if (classDoc === "No description provided (generated by Openapi Generator https://github.com/openapitools/openapi-generator)") classDoc = undefined;
  return { classDoc, props };
}

// ---------------------------------------------------------------------------------------------
// Types → schema.

const PRIMS = new Set(["string", "number", "boolean", "Date", "V1MicroTime", "any", "IntOrString"]);
/** Class names a client-node type string refers to. */
function referencedClasses(type: string): string[] {
  return (type.match(/[A-Za-z0-9]+/g) ?? []).filter((t) => !PRIMS.has(t) && t !== "Array" && t !== "key" && modelFiles.has(t));
}

function refTo(name: string): Schema { return { $ref: REF + name }; }

function typeSchema(type: string, format: string, key: string, nameOf: (cls: string) => string): Schema {
  const arr = /^Array<(.+)>$/.exec(type);
  if (arr) return { type: "array", items: typeSchema(arr[1]!, format, key, nameOf) };
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) return { type: "object", additionalProperties: typeSchema(map[1]!, format, key, nameOf) };
  switch (type) {
    case "string":
      if (QUANTITY_FIELDS.has(key)) return refTo("io.k8s.apimachinery.pkg.api.resource.Quantity");
      return format === "byte" ? { type: "string", format: "byte" } : { type: "string" };
    case "number":
      if (format === "int32" || format === "int64") return { type: "integer", format };
      return format ? { type: "number", format } : { type: "number" };
    case "boolean":
      return { type: "boolean" };
    case "Date":
    case "V1MicroTime":
      return refTo(format === "date-time-micro" ? `${META}.MicroTime` : `${META}.Time`);
    case "IntOrString":
      return refTo("io.k8s.apimachinery.pkg.util.intstr.IntOrString");
    case "any": {
      const target = ANY_FIELDS[key];
      if (!target) throw new Error(`${key}: type any has no mapping in ANY_FIELDS`);
      return refTo(target);
    }
  }
  if (!modelFiles.has(type)) throw new Error(`${key}: unknown type ${type}`);
  return refTo(nameOf(type));
}

/** Upstream wraps a `$ref` in `allOf` when it has siblings (description, default…). */
function withDescription(s: Schema, description?: string): Schema {
  if (!description) return s;
  if (s.$ref) return { allOf: [s], description };
  return { description, ...s };
}

// ---------------------------------------------------------------------------------------------
// Closure and packages.

async function main() {
  const pkgOf = new Map<string, string>();
  const order: string[] = [];
  const seen = new Set<string>();
  const gvkOf = new Map<string, { group: string; version: string; kind: string }[]>();

  const roots: { cls: string; pkg: string; gvk?: { group: string; version: string; kind: string } }[] = [];
  // core first so that types shared with other groups land in core, like upstream.
  const served = [...SERVED].sort((a, b) => (a[0] === "" ? 0 : 1) - (b[0] === "" ? 0 : 1));
  for (const [group, version, kind, cls] of served) {
    const pkg = packageOfGroup(group, version);
    roots.push({ cls, pkg, gvk: { group, version, kind } });
    if (modelFiles.has(`${cls}List`)) roots.push({ cls: `${cls}List`, pkg, gvk: { group, version, kind: `${kind}List` } });
  }
  for (const [, cls] of META_KINDS) roots.push({ cls, pkg: META });

  function classPackage(cls: string, fallback: string): string {
    if (META_CLASSES.has(cls)) return META;
    if (PACKAGE_OVERRIDES[cls]) return PACKAGE_OVERRIDES[cls]!;
    for (const [re, pkg] of PREFIXES) if (re.test(cls)) return pkg;
    return fallback;
  }
  function shortName(cls: string): string {
    for (const [re] of PREFIXES) if (re.test(cls)) return cls.replace(re, "");
    return cls.replace(/^V\d+((alpha|beta)\d+)?/, "");
  }

  for (const root of roots) {
    const rootPkg = META_CLASSES.has(root.cls) ? META : root.pkg;
    const queue = [root.cls];
    if (!pkgOf.has(root.cls)) pkgOf.set(root.cls, classPackage(root.cls, rootPkg));
    while (queue.length) {
      const cls = queue.shift()!;
      if (seen.has(cls)) continue;
      seen.add(cls);
      order.push(cls);
      const model = await loadModel(cls);
      for (const p of model.props) {
        for (const dep of referencedClasses(p.type)) {
          if (!pkgOf.has(dep)) pkgOf.set(dep, classPackage(dep, rootPkg));
          if (!seen.has(dep)) queue.push(dep);
        }
      }
    }
    if (root.gvk) {
      const list = gvkOf.get(root.cls) ?? [];
      list.push(root.gvk);
      gvkOf.set(root.cls, list);
    }
  }
  // Meta kinds carry one GVK per served group version, as upstream does.
  const groupVersions = [...new Set(SERVED.map(([g, v]) => `${g}/${v}`))].sort();
  for (const [kind, cls] of META_KINDS) {
    gvkOf.set(cls, groupVersions.map((gv) => { const [group, version] = gv.split("/"); return { group: group!, version: version!, kind }; }));
  }

  const nameOf = (cls: string) => {
    const pkg = pkgOf.get(cls);
    if (!pkg) throw new Error(`no package for ${cls}`);
    return `${pkg}.${shortName(cls)}`;
  };

  const schemas: Record<string, Schema> = { ...EXTRA };
  for (const cls of order) {
    const model = await loadModel(cls);
    const name = nameOf(cls);
    if (schemas[name] && !EXTRA[name]) throw new Error(`two classes map to ${name}`);
    const properties: Record<string, Schema> = {};
    const required: string[] = [];
    for (const p of [...model.props].sort((a, b) => (a.json < b.json ? -1 : a.json > b.json ? 1 : 0))) {
      const key = `${cls}.${p.json}`;
      const description = p.description ?? FALLBACK_DESCRIPTIONS[p.type];
      let s = withDescription(typeSchema(p.type, p.format, key, nameOf), description);
      const patch = PATCH_TAGS[key];
      if (patch) {
        const [strategy, mergeKey] = patch.split(":");
        s = { ...s, ...(mergeKey ? { "x-kubernetes-patch-merge-key": mergeKey } : {}), "x-kubernetes-patch-strategy": strategy };
      }
      properties[p.json] = s;
      if (p.required) required.push(p.json);
    }
    const schema: Schema = {};
    if (model.description) schema.description = model.description;
    schema.properties = properties;
    if (required.length) schema.required = required;
    schema.type = "object";
    const gvks = gvkOf.get(cls);
    if (gvks) schema["x-kubernetes-group-version-kind"] = gvks;
    schemas[name] = schema;
  }

  // Check every $ref resolves.
  const check = (v: unknown, at: string) => {
    if (Array.isArray(v)) v.forEach((x) => check(x, at));
    else if (v && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        if (k === "$ref" && typeof x === "string") { const n = String(x).slice(REF.length); if (!schemas[n]) throw new Error(`${at}: dangling $ref ${n}`); }
        else check(x, at);
      }
    }
  };
  for (const [n, s] of Object.entries(schemas)) check(s, n);

  // Write one file per package.
  const byPkg = new Map<string, Record<string, Schema>>();
  for (const name of Object.keys(schemas).sort()) {
    const pkg = name.slice(0, name.lastIndexOf("."));
    const m = byPkg.get(pkg) ?? {};
    m[name] = schemas[name]!;
    byPkg.set(pkg, m);
  }
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const index: { gvk: Record<string, string>; packages: string[] } = { gvk: {}, packages: [...byPkg.keys()].sort() };
  let total = 0;
  for (const [pkg, m] of [...byPkg].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const text = JSON.stringify(m);
    total += text.length;
    writeFileSync(join(OUT, `${pkg}.json`), text + "\n");
  }
  for (const [name, s] of Object.entries(schemas).sort(([a], [b]) => (a < b ? -1 : 1))) {
    for (const g of (s["x-kubernetes-group-version-kind"] as { group: string; version: string; kind: string }[] | undefined) ?? []) {
      const key = `${g.group}/${g.version}/${g.kind}`;
      if (!index.gvk[key] || !name.startsWith(META)) index.gvk[key] = name;
    }
  }
  writeFileSync(join(OUT, "index.json"), JSON.stringify(index) + "\n");

  const goTypes: Record<string, string> = {};
  for (const [key, t] of Object.entries(GO_TYPES).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const [cls, field] = key.split(".") as [string, string];
    if (!pkgOf.has(cls)) continue;
    goTypes[`${nameOf(cls)}.${field}`] = t;
  }
  writeFileSync(join(OUT, "go-types.json"), JSON.stringify(goTypes) + "\n");

  // Static require() per package, so `bun build --compile` embeds them and nothing is parsed
  // before a schema of that package is asked for.
  const loaders = [
    "/** Generated by scripts/gen-schemas.ts: do not edit. Lazy loaders of the schema files. */",
    "/* eslint-disable */",
    "export const PACKAGE_LOADERS: Record<string, () => Record<string, Record<string, unknown>>> = {",
    ...[...byPkg.keys()].sort().map((pkg) => `  "${pkg}": () => require("./${pkg}.json"),`),
    "};",
    "export const loadIndex = (): { gvk: Record<string, string>; packages: string[] } => require(\"./index.json\");",
    "export const loadGoTypes = (): Record<string, string> => require(\"./go-types.json\");",
    "",
  ];
  writeFileSync(join(OUT, "loaders.ts"), loaders.join("\n"));
  console.log(`${Object.keys(schemas).length} schemas in ${byPkg.size} packages, ${total} bytes`);
}

// ---------------------------------------------------------------------------------------------
// Tables from the Go types of k8s.io/api (struct tags), keyed by Go short type name.

/** `Class.jsonField` → `strategy[:mergeKey]` (the `patchStrategy`/`patchMergeKey` struct tags). */
const PATCH_TAGS: Record<string, string> = {
  "V1Container.env": "merge:name",
  "V1Container.ports": "merge:containerPort",
  "V1Container.volumeDevices": "merge:devicePath",
  "V1Container.volumeMounts": "merge:mountPath",
  "V1ContainerStatus.allocatedResourcesStatus": "merge:name",
  "V1ContainerStatus.volumeMounts": "merge:mountPath",
  "V1DaemonSetStatus.conditions": "merge:type",
  "V1DeploymentSpec.strategy": "retainKeys",
  "V1DeploymentStatus.conditions": "merge:type",
  "V1EphemeralContainer.env": "merge:name",
  "V1EphemeralContainer.ports": "merge:containerPort",
  "V1EphemeralContainer.volumeDevices": "merge:devicePath",
  "V1EphemeralContainer.volumeMounts": "merge:mountPath",
  "V1JobStatus.conditions": "merge:type",
  "V1NamespaceStatus.conditions": "merge:type",
  "V1NodeSpec.podCIDRs": "merge",
  "V1NodeStatus.addresses": "merge:type",
  "V1NodeStatus.conditions": "merge:type",
  "V1ObjectMeta.finalizers": "merge",
  "V1ObjectMeta.ownerReferences": "merge:uid",
  "V1PersistentVolumeClaimStatus.conditions": "merge:type",
  "V1PodDisruptionBudgetSpec.selector": "replace",
  "V1PodDisruptionBudgetStatus.conditions": "merge:type",
  "V1PodSpec.containers": "merge:name",
  "V1PodSpec.ephemeralContainers": "merge:name",
  "V1PodSpec.hostAliases": "merge:ip",
  "V1PodSpec.imagePullSecrets": "merge:name",
  "V1PodSpec.initContainers": "merge:name",
  "V1PodSpec.resourceClaims": "merge,retainKeys:name",
  "V1PodSpec.schedulingGates": "merge:name",
  "V1PodSpec.topologySpreadConstraints": "merge:topologyKey",
  "V1PodSpec.volumes": "merge,retainKeys:name",
  "V1PodStatus.conditions": "merge:type",
  "V1PodStatus.hostIPs": "merge:ip",
  "V1PodStatus.podIPs": "merge:ip",
  "V1PodStatus.resourceClaimStatuses": "merge,retainKeys:name",
  "V1ReplicaSetStatus.conditions": "merge:type",
  "V1ServiceAccount.secrets": "merge:name",
  "V1ServiceSpec.ports": "merge:port",
  "V1ServiceStatus.conditions": "merge:type",
  "V1StatefulSetStatus.conditions": "merge:type",
};

/**
 * Fields whose Go type is a named non-struct type (`v1.Protocol`, `[]v1.Capability`,
 * `v1.ResourceList`, `types.UID`…). Only used to word decode errors exactly like kube-apiserver
 * (`… of type v1.Protocol`); written to `go-types.json`, loaded only when such an error happens.
 */
const GO_TYPES: Record<string, string> = {
  "CoreV1EndpointPort.protocol": "v1.Protocol",
  "DiscoveryV1EndpointPort.protocol": "v1.Protocol",
  "V1AppArmorProfile.type": "v1.AppArmorProfileType",
  "V1AttachedVolume.name": "v1.UniqueVolumeName",
  "V1AzureDiskVolumeSource.cachingMode": "v1.AzureDataDiskCachingMode",
  "V1AzureDiskVolumeSource.kind": "v1.AzureDataDiskKind",
  "V1BoundObjectReference.uid": "types.UID",
  "V1Capabilities.add": "[]v1.Capability",
  "V1Capabilities.drop": "[]v1.Capability",
  "V1Condition.status": "v1.ConditionStatus",
  "V1ConfigMapNodeConfigSource.uid": "types.UID",
  "V1Container.imagePullPolicy": "v1.PullPolicy",
  "V1Container.restartPolicy": "v1.ContainerRestartPolicy",
  "V1Container.terminationMessagePolicy": "v1.TerminationMessagePolicy",
  "V1ContainerPort.protocol": "v1.Protocol",
  "V1ContainerResizePolicy.resourceName": "v1.ResourceName",
  "V1ContainerResizePolicy.restartPolicy": "v1.ResourceResizeRestartPolicy",
  "V1ContainerStatus.allocatedResources": "v1.ResourceList",
  "V1ContainerStatus.stopSignal": "v1.Signal",
  "V1CronJobSpec.concurrencyPolicy": "v1.ConcurrencyPolicy",
  "V1DaemonSetCondition.status": "v1.ConditionStatus",
  "V1DaemonSetCondition.type": "v1.DaemonSetConditionType",
  "V1DaemonSetUpdateStrategy.type": "v1.DaemonSetUpdateStrategyType",
  "V1DeleteOptions.propagationPolicy": "v1.DeletionPropagation",
  "V1DeploymentCondition.status": "v1.ConditionStatus",
  "V1DeploymentCondition.type": "v1.DeploymentConditionType",
  "V1DeploymentStrategy.type": "v1.DeploymentStrategyType",
  "V1EmptyDirVolumeSource.medium": "v1.StorageMedium",
  "V1EndpointSlice.addressType": "v1.AddressType",
  "V1EphemeralContainer.imagePullPolicy": "v1.PullPolicy",
  "V1EphemeralContainer.restartPolicy": "v1.ContainerRestartPolicy",
  "V1EphemeralContainer.terminationMessagePolicy": "v1.TerminationMessagePolicy",
  "V1FieldSelectorRequirement.operator": "v1.FieldSelectorOperator",
  "V1HTTPGetAction.scheme": "v1.URIScheme",
  "V1HTTPIngressPath.pathType": "v1.PathType",
  "V1HostPathVolumeSource.type": "v1.HostPathType",
  "V1ImageVolumeSource.pullPolicy": "v1.PullPolicy",
  "V1IngressPortStatus.protocol": "v1.Protocol",
  "V1JobCondition.status": "v1.ConditionStatus",
  "V1JobCondition.type": "v1.JobConditionType",
  "V1JobSpec.completionMode": "v1.CompletionMode",
  "V1JobSpec.podReplacementPolicy": "v1.PodReplacementPolicy",
  "V1LabelSelectorRequirement.operator": "v1.LabelSelectorOperator",
  "V1LeaseSpec.strategy": "v1.CoordinatedLeaseStrategy",
  "V1Lifecycle.stopSignal": "v1.Signal",
  "V1LimitRangeItem.default": "v1.ResourceList",
  "V1LimitRangeItem.defaultRequest": "v1.ResourceList",
  "V1LimitRangeItem.max": "v1.ResourceList",
  "V1LimitRangeItem.maxLimitRequestRatio": "v1.ResourceList",
  "V1LimitRangeItem.min": "v1.ResourceList",
  "V1LimitRangeItem.type": "v1.LimitType",
  "V1LoadBalancerIngress.ipMode": "v1.LoadBalancerIPMode",
  "V1ManagedFieldsEntry.operation": "v1.ManagedFieldsOperationType",
  "V1ModifyVolumeStatus.status": "v1.PersistentVolumeClaimModifyVolumeStatus",
  "V1NamespaceCondition.status": "v1.ConditionStatus",
  "V1NamespaceCondition.type": "v1.NamespaceConditionType",
  "V1NamespaceSpec.finalizers": "[]v1.FinalizerName",
  "V1NamespaceStatus.phase": "v1.NamespacePhase",
  "V1NodeAddress.type": "v1.NodeAddressType",
  "V1NodeCondition.status": "v1.ConditionStatus",
  "V1NodeCondition.type": "v1.NodeConditionType",
  "V1NodeSelectorRequirement.operator": "v1.NodeSelectorOperator",
  "V1NodeStatus.allocatable": "v1.ResourceList",
  "V1NodeStatus.capacity": "v1.ResourceList",
  "V1NodeStatus.phase": "v1.NodePhase",
  "V1NodeStatus.volumesInUse": "[]v1.UniqueVolumeName",
  "V1ObjectMeta.uid": "types.UID",
  "V1ObjectReference.uid": "types.UID",
  "V1OwnerReference.uid": "types.UID",
  "V1PersistentVolumeClaimCondition.status": "v1.ConditionStatus",
  "V1PersistentVolumeClaimCondition.type": "v1.PersistentVolumeClaimConditionType",
  "V1PersistentVolumeClaimSpec.accessModes": "[]v1.PersistentVolumeAccessMode",
  "V1PersistentVolumeClaimSpec.volumeMode": "v1.PersistentVolumeMode",
  "V1PersistentVolumeClaimStatus.accessModes": "[]v1.PersistentVolumeAccessMode",
  "V1PersistentVolumeClaimStatus.allocatedResources": "v1.ResourceList",
  "V1PersistentVolumeClaimStatus.capacity": "v1.ResourceList",
  "V1PersistentVolumeClaimStatus.phase": "v1.PersistentVolumeClaimPhase",
  "V1PersistentVolumeSpec.accessModes": "[]v1.PersistentVolumeAccessMode",
  "V1PersistentVolumeSpec.capacity": "v1.ResourceList",
  "V1PersistentVolumeSpec.persistentVolumeReclaimPolicy": "v1.PersistentVolumeReclaimPolicy",
  "V1PersistentVolumeSpec.volumeMode": "v1.PersistentVolumeMode",
  "V1PersistentVolumeStatus.phase": "v1.PersistentVolumePhase",
  "V1PodCondition.status": "v1.ConditionStatus",
  "V1PodCondition.type": "v1.PodConditionType",
  "V1PodDisruptionBudgetSpec.unhealthyPodEvictionPolicy": "v1.UnhealthyPodEvictionPolicyType",
  "V1PodFailurePolicyOnExitCodesRequirement.operator": "v1.PodFailurePolicyOnExitCodesOperator",
  "V1PodFailurePolicyOnPodConditionsPattern.status": "v1.ConditionStatus",
  "V1PodFailurePolicyOnPodConditionsPattern.type": "v1.PodConditionType",
  "V1PodFailurePolicyRule.action": "v1.PodFailurePolicyAction",
  "V1PodOS.name": "v1.OSName",
  "V1PodReadinessGate.conditionType": "v1.PodConditionType",
  "V1PodSecurityContext.fsGroupChangePolicy": "v1.PodFSGroupChangePolicy",
  "V1PodSecurityContext.seLinuxChangePolicy": "v1.PodSELinuxChangePolicy",
  "V1PodSecurityContext.supplementalGroupsPolicy": "v1.SupplementalGroupsPolicy",
  "V1PodSpec.dnsPolicy": "v1.DNSPolicy",
  "V1PodSpec.overhead": "v1.ResourceList",
  "V1PodSpec.preemptionPolicy": "v1.PreemptionPolicy",
  "V1PodSpec.restartPolicy": "v1.RestartPolicy",
  "V1PodStatus.phase": "v1.PodPhase",
  "V1PodStatus.qosClass": "v1.PodQOSClass",
  "V1PodStatus.resize": "v1.PodResizeStatus",
  "V1PortStatus.protocol": "v1.Protocol",
  "V1Preconditions.uid": "types.UID",
  "V1PriorityClass.preemptionPolicy": "v1.PreemptionPolicy",
  "V1ReplicaSetCondition.status": "v1.ConditionStatus",
  "V1ReplicaSetCondition.type": "v1.ReplicaSetConditionType",
  "V1ResourceHealth.health": "v1.ResourceHealthStatus",
  "V1ResourceHealth.resourceID": "v1.ResourceID",
  "V1ResourceQuotaSpec.hard": "v1.ResourceList",
  "V1ResourceQuotaSpec.scopes": "[]v1.ResourceQuotaScope",
  "V1ResourceQuotaStatus.hard": "v1.ResourceList",
  "V1ResourceQuotaStatus.used": "v1.ResourceList",
  "V1ResourceRequirements.limits": "v1.ResourceList",
  "V1ResourceRequirements.requests": "v1.ResourceList",
  "V1ResourceStatus.name": "v1.ResourceName",
  "V1ScopedResourceSelectorRequirement.operator": "v1.ScopeSelectorOperator",
  "V1ScopedResourceSelectorRequirement.scopeName": "v1.ResourceQuotaScope",
  "V1SeccompProfile.type": "v1.SeccompProfileType",
  "V1Secret.type": "v1.SecretType",
  "V1SecurityContext.procMount": "v1.ProcMountType",
  "V1ServicePort.protocol": "v1.Protocol",
  "V1ServiceSpec.externalTrafficPolicy": "v1.ServiceExternalTrafficPolicy",
  "V1ServiceSpec.internalTrafficPolicy": "v1.ServiceInternalTrafficPolicy",
  "V1ServiceSpec.ipFamilies": "[]v1.IPFamily",
  "V1ServiceSpec.ipFamilyPolicy": "v1.IPFamilyPolicy",
  "V1ServiceSpec.sessionAffinity": "v1.ServiceAffinity",
  "V1ServiceSpec.type": "v1.ServiceType",
  "V1StatefulSetCondition.status": "v1.ConditionStatus",
  "V1StatefulSetCondition.type": "v1.StatefulSetConditionType",
  "V1StatefulSetPersistentVolumeClaimRetentionPolicy.whenDeleted": "v1.PersistentVolumeClaimRetentionPolicyType",
  "V1StatefulSetPersistentVolumeClaimRetentionPolicy.whenScaled": "v1.PersistentVolumeClaimRetentionPolicyType",
  "V1StatefulSetSpec.podManagementPolicy": "v1.PodManagementPolicyType",
  "V1StatefulSetUpdateStrategy.type": "v1.StatefulSetUpdateStrategyType",
  "V1Status.reason": "v1.StatusReason",
  "V1StatusCause.reason": "v1.CauseType",
  "V1StatusDetails.uid": "types.UID",
  "V1StorageClass.reclaimPolicy": "v1.PersistentVolumeReclaimPolicy",
  "V1StorageClass.volumeBindingMode": "v1.VolumeBindingMode",
  "V1Taint.effect": "v1.TaintEffect",
  "V1Toleration.effect": "v1.TaintEffect",
  "V1Toleration.operator": "v1.TolerationOperator",
  "V1TopologySpreadConstraint.nodeAffinityPolicy": "v1.NodeInclusionPolicy",
  "V1TopologySpreadConstraint.nodeTaintsPolicy": "v1.NodeInclusionPolicy",
  "V1TopologySpreadConstraint.whenUnsatisfiable": "v1.UnsatisfiableConstraintAction",
  "V1UncountedTerminatedPods.failed": "[]types.UID",
  "V1UncountedTerminatedPods.succeeded": "[]types.UID",
  "V1VolumeMount.mountPropagation": "v1.MountPropagationMode",
  "V1VolumeMount.recursiveReadOnly": "v1.RecursiveReadOnlyMode",
  "V1VolumeMountStatus.recursiveReadOnly": "v1.RecursiveReadOnlyMode",
  "V1VolumeResourceRequirements.limits": "v1.ResourceList",
  "V1VolumeResourceRequirements.requests": "v1.ResourceList",
};

if (import.meta.main) await main();
