/**
 * Namespace lifecycle, with the controllers running in a real kite server and kubectl: a new namespace gets the
 * `default` ServiceAccount and the kube-root-ca.crt ConfigMap (both come back when deleted
 * or edited); deleting a namespace deletes everything in it, custom resources included,
 * reports what holds it up in its conditions, and then removes the namespace.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { KObj } from "../../../src/client/client.ts";
import { R } from "../../../src/client/resources.ts";
import { eventually, startCluster, yamlDocs, type Cluster } from "./harness.ts";

let c: Cluster;

beforeAll(async () => {
  c = await startCluster();
}, 60_000);
afterAll(async () => {
  await c?.stop();
});

const WIDGET_CRD = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "widgets.example.com" },
  spec: {
    group: "example.com",
    scope: "Namespaced",
    names: { plural: "widgets", singular: "widget", kind: "Widget" },
    versions: [{ name: "v1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } } }],
  },
};

test("a new namespace gets the default ServiceAccount and kube-root-ca.crt, kept in place", async () => {
  await c.kubectl(["create", "namespace", "fresh"]);
  const sa = await eventually(() => c.client.getOrNull(R.serviceaccounts, "fresh", "default"), (x) => x !== null, 15_000, "default SA");
  const ca = readFileSync(join(c.server.dataDir, "server", "tls", "ca.crt"), "utf8");
  const cm = await eventually(() => c.client.getOrNull(R.configmaps, "fresh", "kube-root-ca.crt"), (x) => x !== null, 15_000, "root CA configmap");
  expect(cm!.data["ca.crt"]).toBe(ca);
  expect(cm!.data["ca.crt"]).toContain("BEGIN CERTIFICATE");
  // kubectl sees them too.
  expect(await c.kubectl(["get", "serviceaccounts", "-n", "fresh", "-o", "name"])).toContain("serviceaccount/default");

  await c.kubectl(["delete", "serviceaccount", "default", "-n", "fresh"]);
  const again = await eventually(() => c.client.getOrNull(R.serviceaccounts, "fresh", "default"), (x) => x !== null && x.metadata.uid !== sa!.metadata.uid, 15_000, "default SA recreated");
  expect(again!.metadata.name).toBe("default");

  await c.kubectl(["patch", "configmap", "kube-root-ca.crt", "-n", "fresh", "--type=merge", "-p", JSON.stringify({ data: { "ca.crt": "tampered" } })]);
  await eventually(() => c.client.get(R.configmaps, "fresh", "kube-root-ca.crt"), (x) => x.data["ca.crt"] === ca, 15_000, "CA restored");
  await c.kubectl(["delete", "configmap", "kube-root-ca.crt", "-n", "fresh"]);
  await eventually(() => c.client.getOrNull(R.configmaps, "fresh", "kube-root-ca.crt"), (x) => x?.data?.["ca.crt"] === ca, 15_000, "CA recreated");

  // Existing namespaces got them as well.
  for (const ns of ["default", "kube-system", "kube-public", "kube-node-lease"]) {
    await eventually(() => c.client.getOrNull(R.serviceaccounts, ns, "default"), (x) => x !== null, 15_000, `SA in ${ns}`);
  }
}, 60_000);

test("deleting a namespace deletes its content (custom resources too), then the namespace", async () => {
  await c.kubectl(["apply", "-f", "-"], yamlDocs(WIDGET_CRD));
  await c.kubectl(["wait", "--for=condition=Established", "crd/widgets.example.com", "--timeout=30s"]);
  await c.kubectl(["create", "namespace", "doomed"]);
  await eventually(async () => c.kubectl(["api-resources", "--api-group=example.com", "-o", "name"]), (out) => out.includes("widgets"), 15_000, "widgets served");
  await c.kubectl(["apply", "-n", "doomed", "-f", "-"], yamlDocs(
    { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w1" }, spec: { size: 3 } },
    { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "cm1" }, data: { a: "b" } },
    { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "held", finalizers: ["example.com/hold"] }, data: { a: "b" } },
    { apiVersion: "v1", kind: "Secret", metadata: { name: "s1" }, stringData: { k: "v" } },
    { apiVersion: "v1", kind: "Service", metadata: { name: "svc1" }, spec: { ports: [{ port: 80 }] } },
    { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "d1" }, spec: { selector: { matchLabels: { a: "b" } }, template: { metadata: { labels: { a: "b" } }, spec: { containers: [{ name: "c", image: "busybox" }] } } } },
    { apiVersion: "v1", kind: "Pod", metadata: { name: "p1" }, spec: { containers: [{ name: "c", image: "busybox" }] } },
    { apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", metadata: { name: "r1" }, rules: [] },
  ));
  await eventually(() => c.client.getOrNull(R.serviceaccounts, "doomed", "default"), (x) => x !== null, 15_000, "default SA in doomed");

  await c.kubectl(["delete", "namespace", "doomed", "--wait=false"]);
  // The finalizer on "held" keeps the namespace: everything else goes, the conditions say why.
  const ns = await eventually(
    () => c.client.get(R.namespaces, undefined, "doomed"),
    (n) => (n.status?.conditions ?? []).some((x: KObj) => x.type === "NamespaceFinalizersRemaining" && x.status === "True"),
    20_000,
    "finalizers-remaining condition",
  );
  expect(ns.status.phase).toBe("Terminating");
  const byType = Object.fromEntries((ns.status.conditions as KObj[]).map((x) => [x.type, x]));
  expect(byType.NamespaceFinalizersRemaining.message).toContain("example.com/hold in 1 resource instances");
  expect(byType.NamespaceContentRemaining.message).toContain("configmaps has 1 resource instances");
  expect(byType.NamespaceDeletionContentFailure.status).toBe("False");
  const left = (await c.kubectl(["get", "widgets,configmaps,secrets,services,deployments,pods,roles,serviceaccounts", "-n", "doomed", "-o", "name"])).trim().split("\n").filter(Boolean);
  expect(left).toEqual(["configmap/held"]);
  // Nothing is recreated in a terminating namespace (no default SA, no root CA).
  expect(await c.client.getOrNull(R.serviceaccounts, "doomed", "default")).toBeNull();

  await c.kubectl(["patch", "configmap", "held", "-n", "doomed", "--type=merge", "-p", '{"metadata":{"finalizers":null}}']);
  await eventually(async () => (await c.server.kubectl(["get", "namespace", "doomed"])).stderr, (err) => err.includes("NotFound") || err.includes("not found"), 20_000, "namespace gone");
  const widgets = await c.client.json("GET", "/apis/example.com/v1/namespaces/doomed/widgets");
  expect(widgets.items).toEqual([]);
}, 90_000);
