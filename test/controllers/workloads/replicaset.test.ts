/**
 * End-to-end: ReplicaSets adopt and release pods by selector and ownerReferences, keep the
 * replica count, and report availability after minReadySeconds — against a real kite
 * server, with pods run by the SIMULATED node side of ./harness.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { KObj } from "../../../src/client/client.ts";
import { R } from "../../../src/client/resources.ts";
import { eventually, FakeKubelet, startCluster, type Cluster } from "./harness.ts";

let c: Cluster;
let kubelet: FakeKubelet;

beforeAll(async () => {
  c = await startCluster();
  kubelet = new FakeKubelet(c.client, { nodes: [{ name: "node-1" }], startDelayMs: 50 });
  await kubelet.start();
}, 60_000);

afterAll(async () => {
  await kubelet?.stop();
  await c?.stop();
}, 30_000);

const pod = (name: string, app: string) => ({ apiVersion: "v1", kind: "Pod", metadata: { name, labels: { app } }, spec: { containers: [{ name: "c", image: "nginx:1" }] } });

function replicaSet(name: string, app: string, replicas: number, extra: KObj = {}) {
  return { apiVersion: "apps/v1", kind: "ReplicaSet", metadata: { name }, spec: { replicas, selector: { matchLabels: { app } }, template: { metadata: { labels: { app } }, spec: { containers: [{ name: "c", image: "nginx:1" }] } }, ...extra } };
}

const podsWith = async (sel: string) => (await c.client.list(R.pods, "default", { labelSelector: sel })).items.filter((p: KObj) => !p.metadata.deletionTimestamp);

describe("ReplicaSet", () => {
  it("adopts matching orphans, releases pods that stop matching, and scales down through kubectl", async () => {
    await c.k(["apply", "-f", "-"], { stdin: JSON.stringify({ apiVersion: "v1", kind: "List", items: [pod("stray-1", "adopt"), pod("stray-2", "adopt")] }) });
    await c.k(["apply", "-f", "-"], { stdin: JSON.stringify(replicaSet("keeper", "adopt", 3)) });
    const rs = await eventually("3 ready", async () => {
      const r = await c.client.get(R.replicasets, "default", "keeper");
      return r.status?.readyReplicas === 3 ? r : undefined;
    });
    let pods = await podsWith("app=adopt");
    expect(pods.length).toBe(3);
    for (const p of pods) expect(p.metadata.ownerReferences).toEqual([{ apiVersion: "apps/v1", kind: "ReplicaSet", name: "keeper", uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    expect(pods.filter((p: KObj) => p.metadata.name.startsWith("stray-")).length).toBe(2);
    expect(rs.status).toMatchObject({ replicas: 3, fullyLabeledReplicas: 3, readyReplicas: 3, availableReplicas: 3, observedGeneration: 1 });

    // A pod relabelled out of the selector is released (ownerReference removed) and replaced.
    await c.k(["label", "pod", "stray-1", "app=gone", "--overwrite"]);
    await eventually("released and replaced", async () => {
      const gone = await c.client.get(R.pods, "default", "stray-1");
      return !gone.metadata.ownerReferences?.length && (await podsWith("app=adopt")).length === 3;
    });

    await c.k(["scale", "rs/keeper", "--replicas=1"]);
    pods = await eventually("scaled to 1", async () => {
      const p = await podsWith("app=adopt");
      return p.length === 1 ? p : undefined;
    });
    const events = await c.k(["get", "events", "--field-selector", "involvedObject.name=keeper", "-o", "jsonpath={range .items[*]}{.reason}: {.message}{\"\\n\"}{end}"]);
    expect(events.match(/^SuccessfulCreate: Created pod: keeper-\w+$/gm)?.length).toBe(2);
    expect(events.match(/^SuccessfulDelete: Deleted pod: \S+$/gm)?.length).toBe(2);
  }, 60_000);

  it("counts pods available only after minReadySeconds", async () => {
    await c.k(["apply", "-f", "-"], { stdin: JSON.stringify(replicaSet("patient", "patient", 2, { minReadySeconds: 3 })) });
    const ready = await eventually("2 ready", async () => {
      const r = await c.client.get(R.replicasets, "default", "patient");
      return r.status?.readyReplicas === 2 ? r : undefined;
    });
    expect(ready.status.availableReplicas ?? 0).toBe(0);
    const t = Date.now();
    await eventually("2 available", async () => (await c.client.get(R.replicasets, "default", "patient")).status?.availableReplicas === 2, 15_000);
    expect(Date.now() - t).toBeGreaterThan(1000);
  }, 60_000);
});
