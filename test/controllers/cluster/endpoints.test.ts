/**
 * Endpoints and EndpointSlices follow the selected pods' readiness: the controllers run
 * in a real kite server, driven and checked with kubectl. There is no node agent here: the test SIMULATES the kubelet by
 * writing the pods' status (IP, phase, Ready condition) through the status subresource.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { KObj } from "../../../src/client/client.ts";
import { R } from "../../../src/client/resources.ts";
import { eventually, startCluster, yamlDocs, type Cluster } from "./harness.ts";

let c: Cluster;
const NS = "default";

beforeAll(async () => {
  c = await startCluster();
}, 60_000);
afterAll(async () => {
  await c?.stop();
});

function pod(name: string, labels: Record<string, string>, withNamedPort = true): KObj {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: NS, labels },
    spec: {
      nodeName: "sim-node",
      containers: [{ name: "c", image: "localhost/kite-test/busybox:1", ports: withNamedPort ? [{ name: "web", containerPort: 8080 }] : [{ containerPort: 7000 }] }],
    },
  };
}

/** SIMULATED kubelet status report: the pod runs with this IP and readiness. */
async function simulateStatus(name: string, ip: string, ready: boolean) {
  const cur = await c.client.get(R.pods, NS, name);
  const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  cur.status = {
    ...cur.status,
    phase: "Running",
    podIP: ip,
    podIPs: [{ ip }],
    hostIP: "127.0.0.1",
    conditions: [
      { type: "Initialized", status: "True", lastTransitionTime: now },
      { type: "Ready", status: ready ? "True" : "False", lastTransitionTime: now },
      { type: "ContainersReady", status: ready ? "True" : "False", lastTransitionTime: now },
      { type: "PodScheduled", status: "True", lastTransitionTime: now },
    ],
  };
  await c.client.updateStatus(R.pods, NS, cur);
}

async function endpoints(name: string) {
  return JSON.parse(await c.kubectl(["get", "endpoints", name, "-n", NS, "-o", "json"])) as KObj;
}
async function slices(svc: string) {
  return (JSON.parse(await c.kubectl(["get", "endpointslices", "-n", NS, "-l", `kubernetes.io/service-name=${svc}`, "-o", "json"])) as KObj).items as KObj[];
}
const ips = (addrs: KObj[] | undefined) => (addrs ?? []).map((a) => a.ip).sort();

test("endpoints and endpointslices track pods' readiness, ports and deletion", async () => {
  const kubeEpBefore = await c.client.get(R.endpoints, NS, "kubernetes");
  await c.kubectl(["apply", "-f", "-"], yamlDocs(
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "web", namespace: NS, labels: { tier: "front" } },
      spec: { selector: { app: "web" }, ports: [{ name: "http", port: 80, targetPort: "web" }, { name: "metrics", port: 9090, targetPort: 9090 }] },
    },
    pod("web-a", { app: "web" }),
    pod("web-b", { app: "web" }),
    pod("other", { app: "other" }),
  ));
  // Pods without an IP are not endpoints: the service starts with an empty Endpoints and a placeholder slice.
  const empty = await eventually(() => endpoints("web"), (e) => e.subsets === undefined || e.subsets.length === 0, 15_000, "empty endpoints");
  expect(empty.metadata.labels).toEqual({ tier: "front" });
  const placeholder = await eventually(() => slices("web"), (s) => s.length === 1, 15_000, "placeholder slice");
  expect(placeholder[0]!.endpoints ?? []).toEqual([]);

  await simulateStatus("web-a", "10.42.0.10", true);
  await simulateStatus("web-b", "10.42.0.11", false);
  await simulateStatus("other", "10.42.0.12", true);

  const ep = await eventually(() => endpoints("web"), (e) => ips(e.subsets?.[0]?.addresses).length === 1 && ips(e.subsets?.[0]?.notReadyAddresses).length === 1, 15_000, "endpoints with both pods");
  expect(ep.subsets).toHaveLength(1);
  expect(ips(ep.subsets[0].addresses)).toEqual(["10.42.0.10"]);
  expect(ips(ep.subsets[0].notReadyAddresses)).toEqual(["10.42.0.11"]);
  expect(ep.subsets[0].addresses[0].targetRef).toMatchObject({ kind: "Pod", name: "web-a", namespace: NS });
  expect(ep.subsets[0].addresses[0].nodeName).toBe("sim-node");
  // The named targetPort resolves to the container port called "web".
  expect(ep.subsets[0].ports.map((p: KObj) => [p.name, p.port, p.protocol]).sort()).toEqual([["http", 8080, "TCP"], ["metrics", 9090, "TCP"]]);

  let sl = await eventually(() => slices("web"), (s) => s.length === 1 && (s[0]!.endpoints ?? []).length === 2, 15_000, "slice with both pods");
  const slice = sl[0]!;
  expect(slice.addressType).toBe("IPv4");
  expect(slice.metadata.labels).toMatchObject({ "kubernetes.io/service-name": "web", "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io", tier: "front" });
  expect(slice.metadata.ownerReferences[0]).toMatchObject({ kind: "Service", name: "web", controller: true });
  const byIp = Object.fromEntries((slice.endpoints as KObj[]).map((e) => [e.addresses[0], e.conditions]));
  expect(byIp["10.42.0.10"]).toEqual({ ready: true, serving: true, terminating: false });
  expect(byIp["10.42.0.11"]).toEqual({ ready: false, serving: false, terminating: false });
  expect((slice.ports as KObj[]).map((p) => [p.name, p.port]).sort()).toEqual([["http", 8080], ["metrics", 9090]]);

  // web-b becomes ready: it moves to addresses, and the slice is updated in place.
  await simulateStatus("web-b", "10.42.0.11", true);
  await eventually(() => endpoints("web"), (e) => ips(e.subsets?.[0]?.addresses).length === 2 && !e.subsets[0].notReadyAddresses, 15_000, "both ready");
  sl = await eventually(() => slices("web"), (s) => s.length === 1 && (s[0]!.endpoints as KObj[]).every((e) => e.conditions.ready), 15_000, "slice both ready");
  expect(sl[0]!.metadata.name).toBe(slice.metadata.name);

  // A pod without the named port only gets the numeric port, in a subset of its own.
  await c.kubectl(["apply", "-f", "-"], yamlDocs(pod("web-c", { app: "web" }, false)));
  await simulateStatus("web-c", "10.42.0.13", true);
  const ep3 = await eventually(() => endpoints("web"), (e) => (e.subsets ?? []).length === 2, 15_000, "two subsets");
  const onlyMetrics = (ep3.subsets as KObj[]).find((s) => s.ports.length === 1)!;
  expect(ips(onlyMetrics.addresses)).toEqual(["10.42.0.13"]);
  expect(onlyMetrics.ports[0]).toMatchObject({ name: "metrics", port: 9090 });
  await eventually(() => slices("web"), (s) => s.length === 2, 15_000, "two slices (one per port set)");

  // Deleting a pod removes it (it is bound to a node, so it is removed with grace 0 here: no agent).
  await c.kubectl(["delete", "pod", "web-a", "-n", NS, "--grace-period=0", "--force"]);
  await eventually(() => endpoints("web"), (e) => !JSON.stringify(e.subsets).includes("10.42.0.10"), 15_000, "web-a gone");
  await eventually(() => slices("web"), (s) => !JSON.stringify(s).includes("10.42.0.10"), 15_000, "web-a gone from slices");

  // Deleting the service removes its Endpoints and slices.
  await c.kubectl(["delete", "service", "web", "-n", NS]);
  await eventually(async () => (await c.server.kubectl(["get", "endpoints", "web", "-n", NS])).code, (code) => code !== 0, 15_000, "endpoints deleted");
  await eventually(() => slices("web"), (s) => s.length === 0, 15_000, "slices deleted");

  // The API server's own `kubernetes` endpoints were never touched, and it got no slice from us.
  const kubeEpAfter = await c.client.get(R.endpoints, NS, "kubernetes");
  expect(kubeEpAfter.metadata.resourceVersion).toBe(kubeEpBefore.metadata.resourceVersion);
  // (The API server keeps its own slice for it since 2eb5012, managed-by kite-apiserver.)
  expect((await slices("kubernetes")).filter((x) => x.metadata.labels?.["endpointslice.kubernetes.io/managed-by"] !== "kite-apiserver")).toEqual([]);
}, 90_000);

test("publishNotReadyAddresses and terminating pods", async () => {
  await c.kubectl(["apply", "-f", "-"], yamlDocs(
    { apiVersion: "v1", kind: "Service", metadata: { name: "db", namespace: NS }, spec: { clusterIP: "None", publishNotReadyAddresses: true, selector: { app: "db" }, ports: [{ port: 5432 }] } },
    { ...pod("db-0", { app: "db" }), spec: { ...pod("db-0", {}).spec, hostname: "db-0", subdomain: "db", terminationGracePeriodSeconds: 30 } },
  ));
  await simulateStatus("db-0", "10.42.0.20", false);
  const ep = await eventually(() => endpoints("db"), (e) => ips(e.subsets?.[0]?.addresses).length === 1, 15_000, "not-ready pod published");
  expect(ep.subsets[0].addresses[0].hostname).toBe("db-0");
  expect(ep.metadata.labels).toEqual({ "service.kubernetes.io/headless": "" });
  // A graceful delete leaves the pod terminating (no agent confirms it): the slice keeps it as terminating.
  await c.client.delete(R.pods, NS, "db-0");
  const sl = await eventually(() => slices("db"), (s) => s[0]?.endpoints?.[0]?.conditions?.terminating === true, 15_000, "terminating endpoint");
  expect(sl[0]!.endpoints[0].conditions).toEqual({ ready: false, serving: true, terminating: true });
  expect(sl[0]!.metadata.labels["service.kubernetes.io/headless"]).toBe("");
  await eventually(() => endpoints("db"), (e) => !(e.subsets ?? []).length, 15_000, "terminating pod leaves Endpoints");
  await c.client.delete(R.pods, NS, "db-0", { gracePeriodSeconds: 0 });
}, 60_000);

test("Endpoints written by hand for a service without selector are mirrored into EndpointSlices", async () => {
  await c.kubectl(["apply", "-f", "-"], yamlDocs(
    { apiVersion: "v1", kind: "Service", metadata: { name: "external-db", namespace: NS }, spec: { ports: [{ name: "pg", port: 5432 }] } },
    { apiVersion: "v1", kind: "Endpoints", metadata: { name: "external-db", namespace: NS, labels: { origin: "manual" } }, subsets: [{ addresses: [{ ip: "192.168.1.20" }], notReadyAddresses: [{ ip: "192.168.1.21" }], ports: [{ name: "pg", port: 5432 }] }] },
  ));
  const sl = await eventually(() => slices("external-db"), (s) => s.length === 1 && (s[0]!.endpoints ?? []).length === 2, 15_000, "mirrored slice");
  expect(sl[0]!.metadata.labels).toMatchObject({ origin: "manual", "endpointslice.kubernetes.io/managed-by": "endpointslicemirroring-controller.k8s.io" });
  expect(sl[0]!.metadata.ownerReferences[0]).toMatchObject({ kind: "Endpoints", name: "external-db" });
  expect(Object.fromEntries((sl[0]!.endpoints as KObj[]).map((e) => [e.addresses[0], e.conditions.ready]))).toEqual({ "192.168.1.20": true, "192.168.1.21": false });
  expect(sl[0]!.ports).toEqual([{ name: "pg", port: 5432, protocol: "TCP" }]);
  // The hand-written Endpoints stay as written (the endpoints controller does not manage selectorless services).
  expect((await endpoints("external-db")).subsets[0].addresses).toEqual([{ ip: "192.168.1.20" }]);

  await c.kubectl(["label", "endpoints", "external-db", "-n", NS, "endpointslice.kubernetes.io/skip-mirror=true"]);
  await eventually(() => slices("external-db"), (s) => s.length === 0, 15_000, "mirror removed on skip-mirror");
}, 60_000);
