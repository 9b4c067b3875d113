/**
 * Every cluster controller together, as `kite server` runs them (controller manager with
 * Lease leader election, in-process client): an application namespace gets its defaults,
 * a service its endpoints, a claim its volume; deleting the namespace removes all of it
 * while every controller keeps running, none recreating what the others delete. Pod
 * status and the scheduler's node choice are SIMULATED (no agent here).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { KObj } from "../../../src/client/client.ts";
import { R } from "../../../src/client/resources.ts";
import { rfc3339 } from "../../../src/api/registry/objects.ts";
import { eventually, startCluster, yamlDocs, type Cluster } from "./harness.ts";

let c: Cluster;

beforeAll(async () => {
  c = await startCluster();
}, 60_000);
afterAll(async () => {
  await c?.stop();
});

test("an application namespace lives and dies with all cluster controllers running", async () => {
  const client = c.client;
  const kubectl = c.kubectl;
  const server = c.server;
  // The server's controller manager holds the leader Lease.
  const leases = (await client.list(R.leases, "kube-system")).items as KObj[];
  expect(leases.some((l) => l.spec?.holderIdentity)).toBe(true);
  await kubectl(["create", "namespace", "shop"]);
  await kubectl(["apply", "-n", "shop", "-f", "-"], yamlDocs(
    { apiVersion: "v1", kind: "Node", metadata: { name: "edge-x", labels: { "kubernetes.io/hostname": "edge-x" } } },
    { apiVersion: "v1", kind: "Service", metadata: { name: "web" }, spec: { selector: { app: "web" }, ports: [{ port: 80, targetPort: 8080 }] } },
    { apiVersion: "v1", kind: "Pod", metadata: { name: "web-1", labels: { app: "web" } }, spec: { nodeName: "edge-x", terminationGracePeriodSeconds: 0, containers: [{ name: "c", image: "busybox" }] } },
    { apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: { name: "db", annotations: { "volume.kubernetes.io/selected-node": "edge-x" } }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } },
  ));
  // SIMULATED kubelet: web-1 runs and is ready.
  const p = await client.get(R.pods, "shop", "web-1");
  p.status = { ...p.status, phase: "Running", podIP: "10.42.2.7", conditions: [{ type: "Ready", status: "True", lastTransitionTime: rfc3339(new Date()) }] };
  await client.updateStatus(R.pods, "shop", p);

  await eventually(() => client.getOrNull(R.serviceaccounts, "shop", "default"), (x) => x !== null, 15_000, "default SA");
  await eventually(() => client.getOrNull(R.configmaps, "shop", "kube-root-ca.crt"), (x) => x !== null, 15_000, "root CA");
  await eventually(() => client.getOrNull(R.endpoints, "shop", "web"), (e) => e?.subsets?.[0]?.addresses?.[0]?.ip === "10.42.2.7", 15_000, "endpoints");
  await eventually(() => client.list(R.endpointslices, "shop"), (l) => l.items.length === 1 && l.items[0].endpoints?.[0]?.conditions?.ready === true, 15_000, "slice");
  const pvc = await eventually(() => client.get(R.persistentvolumeclaims, "shop", "db"), (x) => x.status?.phase === "Bound", 15_000, "claim bound");
  const pvName = pvc.spec.volumeName as string;

  await kubectl(["delete", "namespace", "shop", "--wait=false"]);
  await eventually(async () => (await server.kubectl(["get", "namespace", "shop"])).code, (code) => code !== 0, 30_000, "namespace gone");
  for (const r of [R.pods, R.services, R.endpoints, R.endpointslices, R.serviceaccounts, R.configmaps, R.persistentvolumeclaims]) {
    const items = (await client.list(r, "shop")).items as KObj[];
    expect(items.map((i) => `${r.resource}/${i.metadata.name}`)).toEqual([]);
  }
  // The claim went with the namespace, so did its Delete-policy volume.
  await eventually(() => client.getOrNull(R.persistentvolumes, undefined, pvName), (x) => x === null, 15_000, "volume deleted");
}, 90_000);
