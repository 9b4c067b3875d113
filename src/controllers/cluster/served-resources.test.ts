import { expect, test } from "bun:test";
import { fromAggregated, fromResourceList, groupOf, ResourceIndex } from "./served-resources.ts";
import { contentGone, deletionConditions } from "./namespace-content.ts";

test("aggregated discovery: first version is preferred; scope and verbs kept", () => {
  const doc = {
    kind: "APIGroupDiscoveryList",
    items: [
      { metadata: { name: "example.com" }, versions: [
        { version: "v2", resources: [{ resource: "widgets", responseKind: { kind: "Widget" }, scope: "Namespaced", verbs: ["list", "delete"] }] },
        { version: "v1", resources: [{ resource: "widgets", responseKind: { kind: "Widget" }, scope: "Namespaced", verbs: ["list"] }] },
      ] },
    ],
  };
  expect(fromAggregated(doc, false)).toEqual([{ group: "example.com", version: "v2", resource: "widgets", kind: "Widget", namespaced: true, verbs: ["list", "delete"] }]);
  const core = fromAggregated({ items: [{ versions: [{ version: "v1", resources: [{ resource: "nodes", responseKind: { kind: "Node" }, scope: "Cluster", verbs: [] }] }] }] }, true);
  expect(core[0]).toMatchObject({ group: "", resource: "nodes", namespaced: false });
});

test("legacy resource lists skip subresources; kinds resolve across versions", () => {
  const rs = fromResourceList({ resources: [{ name: "deployments", kind: "Deployment", namespaced: true, verbs: ["get"] }, { name: "deployments/scale", kind: "Scale", namespaced: true, verbs: ["get"] }] }, "apps", "v1");
  expect(rs.map((r) => r.resource)).toEqual(["deployments"]);
  const idx = new ResourceIndex(rs);
  expect(idx.forKind("apps/v1beta2", "Deployment")?.version).toBe("v1");
  expect(idx.forKind("v1", "Deployment")).toBeUndefined();
  expect(groupOf("v1")).toBe("");
  expect(groupOf("rbac.authorization.k8s.io/v1")).toBe("rbac.authorization.k8s.io");
});

test("namespace deletion conditions say what remains and why", () => {
  const r = { remaining: new Map([["pods", 2], ["widgets.example.com", 1]]), finalizers: new Map([["example.com/hold", 1]]), failures: [] as string[] };
  const byType = Object.fromEntries(deletionConditions(r).map((c) => [c.type, c]));
  expect(byType.NamespaceContentRemaining).toMatchObject({ status: "True", reason: "SomeResourcesRemain", message: "Some resources are remaining: pods has 2 resource instances, widgets.example.com has 1 resource instances" });
  expect(byType.NamespaceFinalizersRemaining).toMatchObject({ status: "True", message: "Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances" });
  expect(byType.NamespaceDeletionContentFailure.status).toBe("False");
  expect(byType.NamespaceDeletionDiscoveryFailure.status).toBe("False");
  expect(contentGone(r)).toBe(false);
  const done = { remaining: new Map(), finalizers: new Map(), failures: [] as string[] };
  expect(contentGone(done)).toBe(true);
  expect(contentGone({ ...done, failures: ["pods: boom"] })).toBe(false);
  expect(deletionConditions({ ...done, discoveryError: "x" }).find((c) => c.type === "NamespaceDeletionDiscoveryFailure")!.status).toBe("True");
});
