/**
 * PodDisruptionBudgets in a real kite server: the disruption controller keeps their status
 * and the eviction subresource spends it. Pods are bound to a stand-in Node and made
 * Running/Ready through pods/status (no agent needed for budgets).
 * - status follows the pods (expected, healthy, desired, allowed, condition);
 * - concurrent evictions (as kubectl drain sends them) never exceed the budget;
 * - unready and pending pods are evicted without spending it; two budgets on one pod are
 *   refused; maxUnavailable counts the controller's scale.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { KubeApiError, type KObj } from "../../../src/client/client.ts";
import { R } from "../../../src/client/resources.ts";
import { eventually, startCluster, type Cluster } from "./harness.ts";

setDefaultTimeout(60_000);

const PDBS = (ns: string) => `/apis/policy/v1/namespaces/${ns}/poddisruptionbudgets`;
let c: Cluster;

beforeAll(async () => {
  c = await startCluster();
  await c.client.create(R.nodes, undefined, { apiVersion: "v1", kind: "Node", metadata: { name: "n1" } });
  for (const ns of ["pdb", "pdb-scale"]) await c.kubectl(["create", "namespace", ns]);
}, 60_000);

afterAll(async () => {
  await c?.stop();
});

async function runningPod(ns: string, name: string, labels: Record<string, string>, ready = true, phase = "Running"): Promise<KObj> {
  const p = await c.client.create(R.pods, ns, { apiVersion: "v1", kind: "Pod", metadata: { name, labels }, spec: { nodeName: "n1", containers: [{ name: "c", image: "x" }] } });
  p.status = { ...p.status, phase, conditions: [{ type: "Ready", status: ready ? "True" : "False" }] };
  return c.client.updateStatus(R.pods, ns, p);
}

async function evict(ns: string, name: string): Promise<number> {
  try {
    await c.client.createSub(R.pods, ns, name, "eviction", { apiVersion: "policy/v1", kind: "Eviction", metadata: { name, namespace: ns } });
    return 201;
  } catch (e) {
    if (e instanceof KubeApiError) return e.code;
    throw e;
  }
}

const budget = (ns: string, name: string) => c.client.json("GET", `${PDBS(ns)}/${name}`);

describe("disruption budgets", () => {
  test("status follows the pods; concurrent evictions never exceed it", async () => {
    for (const n of ["p0", "p1", "p2"]) await runningPod("pdb", n, { app: "x" });
    await c.client.json("POST", PDBS("pdb"), { apiVersion: "policy/v1", kind: "PodDisruptionBudget", metadata: { name: "x" }, spec: { minAvailable: 2, selector: { matchLabels: { app: "x" } } } });
    const b = await eventually(() => budget("pdb", "x"), (b) => b.status?.disruptionsAllowed === 1, 15_000, "1 disruption allowed");
    expect(b.status).toMatchObject({ observedGeneration: 1, expectedPods: 3, currentHealthy: 3, desiredHealthy: 2 });
    expect(b.status.conditions).toEqual([expect.objectContaining({ type: "DisruptionAllowed", status: "True", reason: "SufficientPods" })]);

    // Three at once, like kubectl drain: exactly one gets through.
    const codes = await Promise.all(["p0", "p1", "p2"].map((n) => evict("pdb", n)));
    expect(codes.sort()).toEqual([201, 429, 429]);
    const after = await eventually(() => budget("pdb", "x"), (b) => b.status?.currentHealthy === 2 && !b.status.disruptedPods, 15_000, "the evicted pod seen deleting");
    expect(after.status).toMatchObject({ disruptionsAllowed: 0, desiredHealthy: 2 });
    expect(after.status.conditions[0]).toMatchObject({ status: "False", reason: "InsufficientPods" });
    const refused = await c.client.createSub(R.pods, "pdb", ["p0", "p1", "p2"][codes.indexOf(429)]!, "eviction", { apiVersion: "policy/v1", kind: "Eviction" }).catch((e) => e as KubeApiError);
    expect(refused).toBeInstanceOf(KubeApiError);
    expect((refused as KubeApiError).status?.details?.causes?.[0]).toEqual({ reason: "DisruptionBudget", message: "The disruption budget x needs 2 healthy pods and has 2 currently" });
  });

  test("unready and pending pods go without spending the budget", async () => {
    await runningPod("pdb", "unready", { app: "x" }, false);
    await runningPod("pdb", "pending", { app: "x" }, false, "Pending");
    await eventually(() => budget("pdb", "x"), (b) => b.status?.expectedPods === 5, 15_000, "the budget sees 5 pods");
    expect(await evict("pdb", "unready")).toBe(201);
    expect(await evict("pdb", "pending")).toBe(201);
    expect((await budget("pdb", "x")).status.disruptionsAllowed).toBe(0);
  });

  test("a pod under two budgets cannot be evicted", async () => {
    await c.client.json("POST", PDBS("pdb"), { apiVersion: "policy/v1", kind: "PodDisruptionBudget", metadata: { name: "y" }, spec: { maxUnavailable: 5, selector: {} } });
    const live = (await c.client.list(R.pods, "pdb")).items.find((p: KObj) => !p.metadata.deletionTimestamp && p.metadata.labels?.app === "x");
    expect(await evict("pdb", live.metadata.name)).toBe(500);
  });

  test("maxUnavailable and percentages count the controller's scale", async () => {
    // Pods made first, then adopted by a ReplicaSet of 4 (which adds the 2 missing ones).
    for (const n of ["s0", "s1"]) await runningPod("pdb-scale", n, { app: "s" });
    await c.client.create(R.replicasets, "pdb-scale", {
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: { name: "s" },
      spec: { replicas: 4, selector: { matchLabels: { app: "s" } }, template: { metadata: { labels: { app: "s" } }, spec: { containers: [{ name: "c", image: "x" }] } } },
    });
    await eventually(() => c.client.get(R.pods, "pdb-scale", "s0"), (p) => (p.metadata.ownerReferences ?? []).some((o: KObj) => o.kind === "ReplicaSet"), 15_000, "s0 adopted");
    await c.client.json("POST", PDBS("pdb-scale"), { apiVersion: "policy/v1", kind: "PodDisruptionBudget", metadata: { name: "s" }, spec: { maxUnavailable: "25%", selector: { matchLabels: { app: "s" } } } });
    // 4 expected, 25% of 4 = 1 unavailable → 3 desired; only the 2 Ready pods are healthy.
    const b = await eventually(() => budget("pdb-scale", "s"), (b) => b.status?.expectedPods === 4, 15_000, "expected pods from the scale");
    expect(b.status).toMatchObject({ desiredHealthy: 3, currentHealthy: 2, disruptionsAllowed: 0 });
  });
});
