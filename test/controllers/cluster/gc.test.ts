/**
 * The garbage collector, running in a real kite server, driven by real kubectl:
 * `kubectl delete --cascade=background|foreground|orphan` on ConfigMaps that own other
 * objects (ConfigMaps, Secrets and custom resources of a CRD created after the collector
 * started), so no workload controller is involved.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { KObj } from "../../../src/client/client.ts";
import { R } from "../../../src/client/resources.ts";
import { eventually, startCluster, yamlDocs, type Cluster } from "./harness.ts";

let c: Cluster;
const NS = "gc-test";
const WIDGETS = "/apis/example.com/v1/namespaces/gc-test/widgets";

beforeAll(async () => {
  c = await startCluster();
  await c.kubectl(["create", "namespace", NS]);
  // The CRD comes after the collector started: it must begin watching the new kind.
  await c.kubectl(["apply", "-f", "-"], yamlDocs({
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: "widgets.example.com" },
    spec: {
      group: "example.com",
      scope: "Namespaced",
      names: { plural: "widgets", singular: "widget", kind: "Widget" },
      versions: [{ name: "v1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } } }],
    },
  }));
  await c.kubectl(["wait", "--for=condition=Established", "crd/widgets.example.com", "--timeout=30s"]);
  // Once the collector watches widgets, one whose owner never existed is collected.
  await c.client.json("POST", WIDGETS, { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "probe", ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "ghost", uid: "00000000-0000-0000-0000-00000000000f" }] }, spec: {} });
  await eventually(() => c.client.json("GET", WIDGETS), (l) => l.items.length === 0, 20_000, "widgets monitored");
}, 60_000);
afterAll(async () => {
  await c?.stop();
});

async function cm(name: string, owners: KObj[] = [], extra: KObj = {}): Promise<KObj> {
  return c.client.create(R.configmaps, NS, { apiVersion: "v1", kind: "ConfigMap", metadata: { name, ownerReferences: owners, ...extra }, data: { x: "y" } });
}
const ref = (o: KObj, block = false): KObj => ({ apiVersion: o.apiVersion ?? "v1", kind: o.kind ?? "ConfigMap", name: o.metadata.name, uid: o.metadata.uid, ...(block ? { blockOwnerDeletion: true } : {}) });
const exists = async (name: string) => (await c.client.getOrNull(R.configmaps, NS, name)) !== null;
const gone = (name: string) => eventually(() => exists(name), (e) => !e, 20_000, `${name} deleted`);

test("background: dependents of every kind (and theirs) are deleted after the owner", async () => {
  const parent = await cm("bg-parent");
  const child = await cm("bg-child", [ref(parent)]);
  await cm("bg-grandchild", [ref(child)]);
  await c.client.create(R.secrets, NS, { apiVersion: "v1", kind: "Secret", metadata: { name: "bg-secret", ownerReferences: [ref(parent)] }, stringData: { a: "b" } });
  await c.client.json("POST", WIDGETS, { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "bg-widget", ownerReferences: [ref(parent)] }, spec: {} });
  // A dependent with a second owner that stays only loses the reference.
  const keeper = await cm("bg-keeper");
  await cm("bg-shared", [ref(parent), ref(keeper)]);

  await c.kubectl(["delete", "configmap", "bg-parent", "-n", NS, "--cascade=background"]);
  await gone("bg-child");
  await gone("bg-grandchild");
  await eventually(() => c.client.getOrNull(R.secrets, NS, "bg-secret"), (s) => s === null, 20_000, "secret deleted");
  await eventually(() => c.client.json("GET", WIDGETS), (l) => !l.items.some((w: KObj) => w.metadata.name === "bg-widget"), 20_000, "widget deleted");
  const shared = await eventually(() => c.client.get(R.configmaps, NS, "bg-shared"), (o) => o.metadata.ownerReferences?.length === 1, 20_000, "dangling ref removed");
  expect(shared.metadata.ownerReferences[0].uid).toBe(keeper.metadata.uid);
}, 60_000);

test("an object whose owner never existed is collected; a custom resource can be an owner", async () => {
  await cm("no-owner", [{ apiVersion: "v1", kind: "ConfigMap", name: "ghost", uid: "00000000-0000-0000-0000-000000000001" }]);
  await gone("no-owner");
  const w = await c.client.json("POST", WIDGETS, { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "owner-widget" }, spec: {} });
  await cm("owned-by-widget", [{ apiVersion: "example.com/v1", kind: "Widget", name: w.metadata.name, uid: w.metadata.uid }]);
  await Bun.sleep(1000);
  expect(await exists("owned-by-widget")).toBe(true);
  await c.kubectl(["delete", "widget", "owner-widget", "-n", NS]);
  await gone("owned-by-widget");
}, 60_000);

test("foreground: the owner waits for blocking dependents, then goes", async () => {
  const parent = await cm("fg-parent");
  await cm("fg-held", [ref(parent, true)], { finalizers: ["example.com/hold"] });
  await cm("fg-free", [ref(parent, true)]);

  const out = await c.kubectl(["delete", "configmap", "fg-parent", "-n", NS, "--cascade=foreground", "--wait=false"]);
  expect(out).toContain("deleted");
  await gone("fg-free");
  const held = await eventually(() => c.client.get(R.configmaps, NS, "fg-held"), (o) => Boolean(o.metadata.deletionTimestamp), 20_000, "held dependent being deleted");
  expect(held.metadata.finalizers).toEqual(["example.com/hold"]);
  // The owner stays, marked, while a blocking dependent exists.
  await Bun.sleep(1500);
  const p = await c.client.get(R.configmaps, NS, "fg-parent");
  expect(p.metadata.deletionTimestamp).toBeTruthy();
  expect(p.metadata.finalizers).toEqual(["foregroundDeletion"]);

  await c.kubectl(["patch", "configmap", "fg-held", "-n", NS, "--type=merge", "-p", '{"metadata":{"finalizers":null}}']);
  await gone("fg-held");
  await gone("fg-parent");
}, 60_000);

test("orphan: dependents lose the reference and stay; the owner goes", async () => {
  const parent = await cm("or-parent");
  const other = await cm("or-other");
  await cm("or-child", [ref(parent, true)]);
  await cm("or-two-owners", [ref(parent), ref(other)]);
  await c.client.json("POST", WIDGETS, { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "or-widget", ownerReferences: [ref(parent)] }, spec: {} });

  await c.kubectl(["delete", "configmap", "or-parent", "-n", NS, "--cascade=orphan"]);
  await gone("or-parent");
  const child = await c.client.get(R.configmaps, NS, "or-child");
  expect(child.metadata.ownerReferences).toBeUndefined();
  const two = await c.client.get(R.configmaps, NS, "or-two-owners");
  expect(two.metadata.ownerReferences.map((r: KObj) => r.uid)).toEqual([other.metadata.uid]);
  const widget = await c.client.json("GET", `${WIDGETS}/or-widget`);
  expect(widget.metadata.ownerReferences).toBeUndefined();
  // Still there a moment later: nothing collects orphans.
  await Bun.sleep(1000);
  expect(await exists("or-child")).toBe(true);
}, 60_000);
