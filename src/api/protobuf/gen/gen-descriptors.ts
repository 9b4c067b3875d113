/**
 * @module api/protobuf/gen/gen-descriptors
 * Dev tool: writes ../descriptors.generated.ts, the compact protobuf descriptor table of the kinds
 * typed clients send as `application/vnd.kubernetes.protobuf`, from the Go types compiled into the
 * kubectl binaries installed here (see extract-go-types.ts; the struct tags are the source of
 * k8s.io/api's generated.proto). Field sets of kubectl 1.32 and 1.33 are merged.
 *
 *   bun src/api/protobuf/gen/gen-descriptors.ts [kubectl binaries…]
 *
 * Defaults to kubectl.1.32 and kubectl.1.33 beside the `kubectl` on PATH.
 */
import { realpathSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { GO_KIND, extractGoTypes, type GoField, type GoTypes } from "./extract-go-types.ts";

/** Kinds decoded from protobuf: apiVersion/kind → Go type. */
const ROOTS: [string, string][] = [
  ["v1/ConfigMap", "k8s.io/api/core/v1.ConfigMap"],
  ["v1/Secret", "k8s.io/api/core/v1.Secret"],
  ["v1/Namespace", "k8s.io/api/core/v1.Namespace"],
  ["v1/Service", "k8s.io/api/core/v1.Service"],
  ["v1/ServiceAccount", "k8s.io/api/core/v1.ServiceAccount"],
  ["v1/ResourceQuota", "k8s.io/api/core/v1.ResourceQuota"],
  ["v1/Pod", "k8s.io/api/core/v1.Pod"],
  ["v1/Node", "k8s.io/api/core/v1.Node"],
  ["v1/Endpoints", "k8s.io/api/core/v1.Endpoints"],
  ["v1/Event", "k8s.io/api/core/v1.Event"],
  ["v1/PersistentVolume", "k8s.io/api/core/v1.PersistentVolume"],
  ["v1/PersistentVolumeClaim", "k8s.io/api/core/v1.PersistentVolumeClaim"],
  ["v1/LimitRange", "k8s.io/api/core/v1.LimitRange"],
  ["v1/Binding", "k8s.io/api/core/v1.Binding"],
  ["apps/v1/Deployment", "k8s.io/api/apps/v1.Deployment"],
  ["apps/v1/ReplicaSet", "k8s.io/api/apps/v1.ReplicaSet"],
  ["apps/v1/DaemonSet", "k8s.io/api/apps/v1.DaemonSet"],
  ["apps/v1/StatefulSet", "k8s.io/api/apps/v1.StatefulSet"],
  ["apps/v1/ControllerRevision", "k8s.io/api/apps/v1.ControllerRevision"],
  ["batch/v1/Job", "k8s.io/api/batch/v1.Job"],
  ["batch/v1/CronJob", "k8s.io/api/batch/v1.CronJob"],
  ["autoscaling/v1/Scale", "k8s.io/api/autoscaling/v1.Scale"],
  ["policy/v1/Eviction", "k8s.io/api/policy/v1.Eviction"],
  ["policy/v1/PodDisruptionBudget", "k8s.io/api/policy/v1.PodDisruptionBudget"],
  ["authentication.k8s.io/v1/TokenRequest", "k8s.io/api/authentication/v1.TokenRequest"],
  ["authentication.k8s.io/v1/TokenReview", "k8s.io/api/authentication/v1.TokenReview"],
  ["authentication.k8s.io/v1/SelfSubjectReview", "k8s.io/api/authentication/v1.SelfSubjectReview"],
  ["authorization.k8s.io/v1/SelfSubjectAccessReview", "k8s.io/api/authorization/v1.SelfSubjectAccessReview"],
  ["authorization.k8s.io/v1/SelfSubjectRulesReview", "k8s.io/api/authorization/v1.SelfSubjectRulesReview"],
  ["authorization.k8s.io/v1/SubjectAccessReview", "k8s.io/api/authorization/v1.SubjectAccessReview"],
  ["authorization.k8s.io/v1/LocalSubjectAccessReview", "k8s.io/api/authorization/v1.LocalSubjectAccessReview"],
  ["rbac.authorization.k8s.io/v1/Role", "k8s.io/api/rbac/v1.Role"],
  ["rbac.authorization.k8s.io/v1/RoleBinding", "k8s.io/api/rbac/v1.RoleBinding"],
  ["rbac.authorization.k8s.io/v1/ClusterRole", "k8s.io/api/rbac/v1.ClusterRole"],
  ["rbac.authorization.k8s.io/v1/ClusterRoleBinding", "k8s.io/api/rbac/v1.ClusterRoleBinding"],
  ["scheduling.k8s.io/v1/PriorityClass", "k8s.io/api/scheduling/v1.PriorityClass"],
  ["networking.k8s.io/v1/Ingress", "k8s.io/api/networking/v1.Ingress"],
  ["coordination.k8s.io/v1/Lease", "k8s.io/api/coordination/v1.Lease"],
  ["discovery.k8s.io/v1/EndpointSlice", "k8s.io/api/discovery/v1.EndpointSlice"],
  ["events.k8s.io/v1/Event", "k8s.io/api/events/v1.Event"],
  ["storage.k8s.io/v1/StorageClass", "k8s.io/api/storage/v1.StorageClass"],
  ["meta.k8s.io/v1/DeleteOptions", "k8s.io/apimachinery/pkg/apis/meta/v1.DeleteOptions"],
];

/** Go types with their own protobuf form, decoded by hand (see ../decode.ts). */
const SPECIAL: Record<string, string> = {
  "k8s.io/apimachinery/pkg/apis/meta/v1.Time": "T",
  "k8s.io/apimachinery/pkg/apis/meta/v1.MicroTime": "MT",
  "k8s.io/apimachinery/pkg/apis/meta/v1.Duration": "D",
  "k8s.io/apimachinery/pkg/apis/meta/v1.FieldsV1": "F",
  "k8s.io/apimachinery/pkg/api/resource.Quantity": "Q",
  "k8s.io/apimachinery/pkg/util/intstr.IntOrString": "IOS",
  "k8s.io/apimachinery/pkg/runtime.RawExtension": "R",
  "k8s.io/api/core/v1.ResourceList": "{s:Q}",
  "k8s.io/api/authentication/v1.ExtraValue": "XV",
  "k8s.io/api/authorization/v1.ExtraValue": "XV",
};
const BUILTIN: Record<string, string> = { string: "s", bool: "b", int32: "i32", int64: "i64", int: "i64", float64: "f64", uint32: "u32", uint64: "u64", "[]uint8": "y" };
const NAMED_KIND: Record<number, string> = { [GO_KIND.String]: "s", [GO_KIND.Bool]: "b", [GO_KIND.Int32]: "i32", [GO_KIND.Int64]: "i64", [GO_KIND.Float64]: "f64" };

function shortName(go: string): string {
  const m = /^k8s\.io\/(?:api\/([a-z0-9]+)\/(v[0-9a-z]+)|apimachinery\/pkg\/apis\/meta\/(v1))\.([A-Za-z0-9]+)$/.exec(go);
  if (!m) throw new Error(`no message name for ${go}`);
  return m[3] ? `meta.v1.${m[4]}` : `${m[1]}.${m[2]}.${m[4]}`;
}

function main() {
  const args = process.argv.slice(2);
  let bins = args;
  if (!bins.length) {
    const which = Bun.which("kubectl");
    if (!which) throw new Error("kubectl not on PATH; pass kubectl binaries as arguments");
    const dir = dirname(realpathSync(which));
    bins = [join(dir, "kubectl.1.32"), join(dir, "kubectl.1.33")];
  }
  const keep = (n: string) => n.startsWith("k8s.io/api/") || n.startsWith("k8s.io/apimachinery/pkg/");
  const merged: GoTypes = { structs: {}, kinds: {} };
  for (const b of bins) {
    const t = extractGoTypes(b, keep);
    Object.assign(merged.kinds, t.kinds);
    for (const [name, fields] of Object.entries(t.structs)) {
      const prev = merged.structs[name];
      if (!prev) { merged.structs[name] = fields; continue; }
      const have = new Set(prev.map((f) => f.name));
      for (const f of fields) if (!have.has(f.name)) prev.push(f);
    }
  }

  const messages: Record<string, string> = {};
  const queue = ROOTS.map(([, go]) => go);
  const typeCode = (goType: string, where: string): string => {
    if (SPECIAL[goType]) return SPECIAL[goType]!;
    if (BUILTIN[goType]) return BUILTIN[goType]!;
    if (goType.startsWith("map[")) {
      let depth = 0, i = 4;
      for (; i < goType.length; i++) { if (goType[i] === "[") depth++; else if (goType[i] === "]") { if (depth === 0) break; depth--; } }
      const key = typeCode(goType.slice(4, i), where), val = typeCode(goType.slice(i + 1), where);
      if (key !== "s") throw new Error(`${where}: map key ${goType}`);
      return `{s:${val}}`;
    }
    const kind = merged.kinds[goType];
    if (kind === GO_KIND.Struct) { queue.push(goType); return `@${shortName(goType)}`; }
    if (kind !== undefined && NAMED_KIND[kind]) return NAMED_KIND[kind]!;
    throw new Error(`${where}: unsupported Go type ${goType} (kind ${kind})`);
  };
  const fieldSpec = (f: GoField, where: string): string | undefined => {
    const pb = /protobuf:"([^"]*)"/.exec(f.tag)?.[1];
    if (!pb || pb === "-") return undefined;
    const json = /json:"([^"]*)"/.exec(f.tag)?.[1] ?? "";
    const [jsonName, ...jsonOpts] = json.split(",");
    if (jsonName === "-") return undefined;
    const num = Number(pb.split(",")[1]);
    if (!Number.isInteger(num) || num <= 0) throw new Error(`${where}.${f.name}: bad protobuf tag ${pb}`);
    let t = f.type;
    let flags = "";
    if (t.startsWith("*")) { flags += "p"; t = t.slice(1); }
    let code: string;
    if (t.startsWith("[]") && t !== "[]uint8") { flags += "r"; code = typeCode(t.slice(2), `${where}.${f.name}`); }
    else code = typeCode(t, `${where}.${f.name}`);
    if (jsonOpts.includes("omitempty")) flags += "o";
    if (!jsonName && (f.embedded || jsonOpts.includes("inline"))) flags += "i";
    if (!jsonName && !flags.includes("i")) throw new Error(`${where}.${f.name}: no json name`);
    return `${num}:${jsonName}:${code}:${flags}`;
  };
  while (queue.length) {
    const go = queue.shift()!;
    const name = shortName(go);
    if (messages[name] !== undefined) continue;
    const fields = merged.structs[go];
    if (!fields) throw new Error(`no Go struct ${go} in the binaries`);
    messages[name] = "";
    const specs = fields.map((f) => fieldSpec(f, name)).filter((s): s is string => s !== undefined);
    messages[name] = specs.join(",");
  }

  const kinds: Record<string, string> = {};
  for (const [gvk, go] of ROOTS) kinds[gvk] = shortName(go);
  const lines = [
    "/**",
    " * @module api/protobuf/descriptors.generated",
    " * Generated by src/api/protobuf/gen/gen-descriptors.ts from the Go types of kubectl 1.32/1.33",
    " * (the struct tags k8s.io/api's generated.proto comes from). Do not edit.",
    " *",
    " * MESSAGES: message → fields in Go struct order, each `number:jsonName:type:flags`.",
    " * Types: s string, b bool, i32/i64/u32/u64 varint ints, f64 double, y bytes (base64 in JSON),",
    " * @name message, {s:T} map with string keys, T Time, MT MicroTime, D Duration, F FieldsV1,",
    " * Q Quantity, IOS IntOrString, R RawExtension, XV ExtraValue (repeated string items = 1).",
    " * Flags: p pointer, r repeated, o omitempty, i inline (json \",inline\": fields merge into the parent).",
    " */",
    "export const MESSAGES: Record<string, string> = {",
    ...Object.keys(messages).sort().map((k) => `  ${JSON.stringify(k)}: ${JSON.stringify(messages[k])},`),
    "};",
    "",
    "/** `apiVersion/kind` (DeleteOptions as meta.k8s.io/v1, valid in every group) → message. */",
    "export const KINDS: Record<string, string> = {",
    ...Object.keys(kinds).sort().map((k) => `  ${JSON.stringify(k)}: ${JSON.stringify(kinds[k])},`),
    "};",
    "",
  ];
  const out = process.env.GEN_DESCRIPTORS_OUT ?? join(import.meta.dir, "..", "descriptors.generated.ts");
  writeFileSync(out, lines.join("\n"));
  console.log(`${Object.keys(messages).length} messages, ${ROOTS.length} kinds → ${out}`);
}

if (import.meta.main) main();
