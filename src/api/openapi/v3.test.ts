import { describe, expect, test } from "bun:test";
import { knownKinds } from "../schema/index.ts";
import type { ResourceInfo } from "./types.ts";
import { groupVersionOf } from "./types.ts";
import { openApiV2Protobuf } from "./v2-protobuf.ts";
import { customSchemaName, groupToken, groupVersionOfV3Path, resourceInfoOf, v3PathOf } from "./types.ts";
import { openApiV3Doc, openApiV3Root, v3CacheHeaders } from "./v3.ts";

const ALL = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
const deployments: ResourceInfo = {
  group: "apps", version: "v1", kind: "Deployment", plural: "deployments", namespaced: true, verbs: ALL,
  subresources: [
    { name: "status", verbs: ["get", "patch", "update"] },
    { name: "scale", verbs: ["get", "patch", "update"], kind: { group: "autoscaling", version: "v1", kind: "Scale" } },
  ],
};
const namespaces: ResourceInfo = { group: "", version: "v1", kind: "Namespace", plural: "namespaces", namespaced: false, verbs: ALL };
const pods: ResourceInfo = {
  group: "", version: "v1", kind: "Pod", plural: "pods", namespaced: true, verbs: ALL,
  subresources: [{ name: "log", verbs: ["get"], kind: null }, { name: "eviction", verbs: ["create"], kind: { group: "policy", version: "v1", kind: "Eviction" } }],
};
const widgets: ResourceInfo = {
  group: "example.com", version: "v1", kind: "Widget", plural: "widgets", namespaced: true, verbs: ALL,
  schema: { type: "object", properties: { spec: { type: "object", properties: { size: { type: "integer" } } } } },
};

type Doc = { paths: Record<string, Record<string, any>>; components: { schemas: Record<string, any> } };

/** What kubectl's query_param_verifier_v3 does: a PATCH for the GVK with a fieldValidation parameter. */
function serverValidates(doc: Doc, gvk: { group: string; version: string; kind: string }): boolean {
  for (const item of Object.values(doc.paths)) {
    const op = item.patch;
    const g = op?.["x-kubernetes-group-version-kind"];
    if (!g || g.group !== gvk.group || g.version !== gvk.version || g.kind !== gvk.kind) continue;
    return (op.parameters ?? []).some((p: { name: string; in: string }) => p.name === "fieldValidation" && p.in === "query");
  }
  return false;
}

describe("openApiV3Doc", () => {
  test("paths and operations like kube-apiserver's", () => {
    const { doc } = openApiV3Doc("apps/v1", [deployments]) as unknown as { doc: Doc };
    expect(Object.keys(doc.paths)).toEqual([
      "/apis/apps/v1/deployments",
      "/apis/apps/v1/namespaces/{namespace}/deployments",
      "/apis/apps/v1/namespaces/{namespace}/deployments/{name}",
      "/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale",
      "/apis/apps/v1/namespaces/{namespace}/deployments/{name}/status",
    ]);
    const coll = doc.paths["/apis/apps/v1/namespaces/{namespace}/deployments"]!;
    expect(coll.get.operationId).toBe("listAppsV1NamespacedDeployment");
    expect(coll.post.operationId).toBe("createAppsV1NamespacedDeployment");
    expect(coll.delete.operationId).toBe("deleteAppsV1CollectionNamespacedDeployment");
    expect(coll.get.responses["200"].content["application/json"].schema.$ref).toBe("#/components/schemas/io.k8s.api.apps.v1.DeploymentList");
    const item = doc.paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]!;
    expect(item.patch["x-kubernetes-group-version-kind"]).toEqual({ group: "apps", kind: "Deployment", version: "v1" });
    expect(item.patch["x-kubernetes-action"]).toBe("patch");
    expect(item.patch.parameters.map((p: { name: string }) => p.name)).toEqual(["dryRun", "fieldManager", "fieldValidation", "force"]);
    expect(Object.keys(item.patch.requestBody.content)).toContain("application/strategic-merge-patch+json");
    expect(item.parameters.map((p: { name: string }) => p.name)).toEqual(["name", "namespace", "pretty"]);
    const scale = doc.paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale"]!;
    expect(scale.patch.operationId).toBe("patchAppsV1NamespacedDeploymentScale");
    expect(scale.patch["x-kubernetes-group-version-kind"]).toEqual({ group: "autoscaling", kind: "Scale", version: "v1" });
    expect(doc.paths["/apis/apps/v1/deployments"]!.get.operationId).toBe("listAppsV1DeploymentForAllNamespaces");
    expect(serverValidates(doc, { group: "apps", version: "v1", kind: "Deployment" })).toBe(true);
    expect(serverValidates(doc, { group: "autoscaling", version: "v1", kind: "Scale" })).toBe(true);
  });

  test("components hold the kinds and everything they reference, refs wrapped in allOf", () => {
    const { doc } = openApiV3Doc("apps/v1", [deployments]) as unknown as { doc: Doc };
    const s = doc.components.schemas;
    for (const n of ["io.k8s.api.apps.v1.Deployment", "io.k8s.api.apps.v1.DeploymentList", "io.k8s.api.core.v1.PodSpec", "io.k8s.api.core.v1.Container",
      "io.k8s.api.autoscaling.v1.Scale", "io.k8s.apimachinery.pkg.apis.meta.v1.Status", "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions",
      "io.k8s.apimachinery.pkg.apis.meta.v1.Patch", "io.k8s.apimachinery.pkg.api.resource.Quantity", "io.k8s.apimachinery.pkg.util.intstr.IntOrString"]) {
      expect([n, n in s]).toEqual([n, true]);
    }
    expect(s["io.k8s.api.batch.v1.Job"]).toBeUndefined();
    expect(s["io.k8s.api.apps.v1.Deployment"]["x-kubernetes-group-version-kind"]).toEqual([{ group: "apps", version: "v1", kind: "Deployment" }]);
    expect(s["io.k8s.api.apps.v1.Deployment"].properties.metadata.allOf).toEqual([{ $ref: "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta" }]);
    // every $ref resolves inside the document
    const refs = JSON.stringify(doc).match(/"\$ref":"#\/components\/schemas\/[^"]+"/g)!;
    for (const r of refs) expect(s[r.slice('"$ref":"#/components/schemas/'.length, -1)]).toBeDefined();
  });

  test("core group, cluster scope, create-only kinds and text subresources", () => {
    const { doc } = openApiV3Doc("v1", [namespaces, pods]) as unknown as { doc: Doc };
    expect(doc.paths["/api/v1/namespaces/{name}"]!.get.operationId).toBe("readCoreV1Namespace");
    expect(doc.paths["/api/v1/namespaces/{namespace}/pods/{name}/log"]!.get.responses["200"].content["text/plain"]).toBeDefined();
    expect(doc.paths["/api/v1/namespaces/{namespace}/pods/{name}/eviction"]!.post.operationId).toBe("createCoreV1NamespacedPodEviction");
    const ssar = openApiV3Doc("authorization.k8s.io/v1", [{ group: "authorization.k8s.io", version: "v1", kind: "SelfSubjectAccessReview", plural: "selfsubjectaccessreviews", namespaced: false, verbs: ["create"] }]).doc as unknown as Doc;
    expect(Object.keys(ssar.paths)).toEqual(["/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"]);
    expect(Object.keys(ssar.paths["/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"]!)).toEqual(["post", "parameters"]);
  });

  test("custom resources get their CRD schema with apiVersion/kind/metadata and a GVK", () => {
    const { doc } = openApiV3Doc("example.com/v1", [widgets]) as unknown as { doc: Doc };
    const w = doc.components.schemas[customSchemaName("example.com", "v1", "Widget")];
    expect(customSchemaName("example.com", "v1", "Widget")).toBe("com.example.v1.Widget");
    expect(Object.keys(w.properties)).toEqual(["apiVersion", "kind", "metadata", "spec"]);
    expect(w["x-kubernetes-group-version-kind"]).toEqual([{ group: "example.com", kind: "Widget", version: "v1" }]);
    expect(doc.components.schemas["com.example.v1.WidgetList"].properties.items.items.$ref).toBe("#/components/schemas/com.example.v1.Widget");
    expect(doc.components.schemas["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"]).toBeDefined();
    expect(doc.paths["/apis/example.com/v1/namespaces/{namespace}/widgets/{name}"]!.patch.operationId).toBe("patchExampleComV1NamespacedWidget");
    expect(serverValidates(doc, { group: "example.com", version: "v1", kind: "Widget" })).toBe(true);
  });

  test("hash: stable for equal inputs, different when the document changes; root points at it", () => {
    const a = openApiV3Doc("apps/v1", [deployments]);
    const b = openApiV3Doc("apps/v1", JSON.parse(JSON.stringify([deployments])));
    expect(b.hash).toBe(a.hash);
    expect(a.hash).toMatch(/^[0-9A-F]{128}$/);
    expect(new Bun.CryptoHasher("sha512").update(a.json).digest("hex").toUpperCase()).toBe(a.hash);
    const c = openApiV3Doc("apps/v1", [{ ...deployments, verbs: ["get", "list"] }]);
    expect(c.hash).not.toBe(a.hash);
    const w1 = openApiV3Doc("example.com/v1", [widgets]);
    const w2 = openApiV3Doc("example.com/v1", [{ ...widgets, schema: { type: "object", properties: { spec: { type: "object" } } } }]);
    expect(w2.hash).not.toBe(w1.hash);
    const root = openApiV3Root([a, openApiV3Doc("v1", [namespaces])]);
    expect(root).toEqual({ paths: {
      "api/v1": { serverRelativeURL: `/openapi/v3/api/v1?hash=${openApiV3Doc("v1", [namespaces]).hash}` },
      "apis/apps/v1": { serverRelativeURL: `/openapi/v3/apis/apps/v1?hash=${a.hash}` },
    } });
  });

  test("cache headers: immutable for the current hash, 301 for a stale one, no-cache without", () => {
    const d = openApiV3Doc("apps/v1", [deployments]);
    const now = Date.UTC(2025, 0, 1);
    const ok = v3CacheHeaders(d, d.hash, now);
    expect(ok.status).toBe(200);
    expect(ok.headers["Cache-Control"]).toBe("public, immutable");
    expect(ok.headers.Expires).toBe(new Date(Date.UTC(2026, 0, 1)).toUTCString());
    expect(ok.headers.ETag).toBe(`"${d.hash}"`);
    const stale = v3CacheHeaders(d, "ABC", now);
    expect(stale).toEqual({ status: 301, headers: { Location: `/openapi/v3/apis/apps/v1?hash=${d.hash}` } });
    expect(v3CacheHeaders(d, null).headers["Cache-Control"]).toBe("no-cache, private");
  });

  test("rejects a resource of another group version", () => {
    expect(() => openApiV3Doc("v1", [deployments])).toThrow("deployments is in apps/v1, not v1");
  });
});

describe("every served kind", () => {
  test("has a v3 document per group version whose $refs all resolve, and a v2 protobuf", () => {
    const meta = new Set(["Status", "DeleteOptions", "WatchEvent"]);
    const kinds = knownKinds();
    const hasList = (k: { group: string; version: string; kind: string }) => kinds.some((l) => l.group === k.group && l.version === k.version && l.kind === `${k.kind}List`);
    const rs: ResourceInfo[] = kinds
      .filter((k) => !k.kind.endsWith("List") && !meta.has(k.kind))
      .map((k) => ({ ...k, plural: `${k.kind.toLowerCase()}s`, namespaced: true, verbs: hasList(k) ? ALL : ["create"] }));
    expect(rs.length).toBeGreaterThanOrEqual(40);
    const gvs = [...new Set(rs.map((r) => groupVersionOf(r.group, r.version)))];
    for (const gv of gvs) {
      const d = openApiV3Doc(gv, rs.filter((r) => groupVersionOf(r.group, r.version) === gv));
      const schemas = (d.doc.components as { schemas: Record<string, unknown> }).schemas;
      for (const r of d.json.match(/"\$ref":"#\/components\/schemas\/[^"]+"/g) ?? []) {
        expect([gv, r, r.slice('"$ref":"#/components/schemas/'.length, -1) in schemas]).toEqual([gv, r, true]);
      }
    }
    expect(openApiV2Protobuf(rs).bytes.length).toBeGreaterThan(100_000);
  });
});

describe("naming helpers", () => {
  test("paths and tokens", () => {
    expect(v3PathOf("v1")).toBe("api/v1");
    expect(v3PathOf("apps/v1")).toBe("apis/apps/v1");
    expect(groupVersionOfV3Path("apis/rbac.authorization.k8s.io/v1")).toBe("rbac.authorization.k8s.io/v1");
    expect(groupVersionOfV3Path("/api/v1")).toBe("v1");
    expect(groupVersionOfV3Path("apis/apps")).toBeUndefined();
    expect(groupToken("rbac.authorization.k8s.io")).toBe("RbacAuthorization");
    expect(groupToken("")).toBe("Core");
    expect(groupToken("example.com")).toBe("ExampleCom");
  });
});

describe("resourceInfoOf", () => {
  test("maps a registry definition: flags to status/scale, handlers to their kinds or text", () => {
    const info = resourceInfoOf({
      group: "", version: "v1", kind: "Pod", plural: "pods", namespaced: true, statusSubresource: true,
      subresources: { log: { verbs: ["get"] }, eviction: { verbs: ["create"], responseKind: { group: "policy", version: "v1", kind: "Eviction" } } },
    });
    expect(info.verbs).toContain("deletecollection");
    expect(info.subresources).toEqual([
      { name: "eviction", verbs: ["create"], kind: { group: "policy", version: "v1", kind: "Eviction" } },
      { name: "log", verbs: ["get"], kind: null },
      { name: "status", verbs: ["get", "patch", "update"] },
    ]);
    const d = openApiV3Doc("v1", [info]).doc as unknown as Doc;
    expect(d.paths["/api/v1/namespaces/{namespace}/pods/{name}/status"]!.patch.operationId).toBe("patchCoreV1NamespacedPodStatus");
    const ssar = resourceInfoOf({ group: "authorization.k8s.io", version: "v1", kind: "SelfSubjectAccessReview", plural: "selfsubjectaccessreviews", namespaced: false, verbs: ["create"] });
    expect(ssar.verbs).toEqual(["create"]);
    expect(ssar.subresources).toBeUndefined();
  });
});
