/**
 * End-to-end: DaemonSets against a real kite server with real kubectl. Nodes and the pod
 * lifecycle are SIMULATED by ./harness.ts (fake Node objects, fake kubelet).
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { KObj } from "../../../src/client/client.ts";
import { Informer } from "../../../src/client/informer.ts";
import { R } from "../../../src/client/resources.ts";
import { eventually, FakeKubelet, startCluster, type Cluster } from "./harness.ts";

let c: Cluster;
let kubelet: FakeKubelet;

beforeAll(async () => {
  c = await startCluster();
  kubelet = new FakeKubelet(c.client, {
    nodes: [
      { name: "edge-a", labels: { tier: "edge" } },
      { name: "edge-b", labels: { tier: "edge" } },
      { name: "edge-tainted", labels: { tier: "edge" }, taints: [{ key: "dedicated", value: "gpu", effect: "NoSchedule" }] },
      { name: "core-1", labels: { tier: "core" } },
    ],
    startDelayMs: 150,
  });
  await kubelet.start();
}, 60_000);

afterAll(async () => {
  await kubelet?.stop();
  await c?.stop();
}, 30_000);

function daemonSet(image: string, extraSpec: KObj = {}): string {
  return JSON.stringify({
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: { name: "agent" },
    spec: {
      selector: { matchLabels: { app: "agent" } },
      updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1 } },
      template: { metadata: { labels: { app: "agent" } }, spec: { nodeSelector: { tier: "edge" }, containers: [{ name: "agent", image }], ...extraSpec } },
    },
  });
}

async function podsByNode(): Promise<Map<string, KObj[]>> {
  const pods = (await c.client.list(R.pods, "default", { labelSelector: "app=agent" })).items.filter((p: KObj) => !p.metadata.deletionTimestamp);
  const m = new Map<string, KObj[]>();
  for (const p of pods) {
    const n = p.spec.nodeName ?? "<unbound>";
    m.set(n, [...(m.get(n) ?? []), p]);
  }
  return m;
}

describe("DaemonSet", () => {
  it("runs one pod on every eligible node (nodeSelector, taints), follows node changes, rolls updates and undoes", async () => {
    await c.k(["apply", "-f", "-"], { stdin: daemonSet("agent:1") });
    expect(await c.k(["rollout", "status", "daemonset/agent", "--timeout=60s"])).toContain('daemon set "agent" successfully rolled out');
    let byNode = await podsByNode();
    expect([...byNode.keys()].sort()).toEqual(["edge-a", "edge-b"]);
    for (const [node, pods] of byNode) {
      expect(pods.length).toBe(1);
      const p = pods[0]!;
      // Placed like upstream: node affinity on metadata.name, bound by the scheduler (here: the simulation).
      expect(p.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual([{ matchFields: [{ key: "metadata.name", operator: "In", values: [node] }] }]);
      expect(p.spec.tolerations).toEqual(expect.arrayContaining([{ key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute" }, { key: "node.kubernetes.io/unschedulable", operator: "Exists", effect: "NoSchedule" }]));
      expect(p.metadata.labels["controller-revision-hash"]).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
      expect(p.metadata.ownerReferences[0]).toMatchObject({ kind: "DaemonSet", name: "agent", controller: true });
    }
    let ds = await c.client.get(R.daemonsets, "default", "agent");
    expect(ds.status).toMatchObject({ desiredNumberScheduled: 2, currentNumberScheduled: 2, numberReady: 2, numberAvailable: 2, updatedNumberScheduled: 2, numberMisscheduled: 0, observedGeneration: ds.metadata.generation });

    // A matching node joins; a node stops matching.
    await kubelet.addNode({ name: "edge-late", labels: { tier: "edge" } });
    await c.k(["label", "node", "edge-a", "tier=core", "--overwrite"]);
    await eventually("pods follow the nodes", async () => {
      const m = await podsByNode();
      const ready = [...m.values()].flat().every((p) => p.status?.phase === "Running");
      return ready && [...m.keys()].sort().join() === "edge-b,edge-late" ? m : undefined;
    });

    // A toleration makes the tainted node eligible; the template change rolls out with maxUnavailable 1.
    const inf = new Informer(c.client, R.pods, { namespace: "default", labelSelector: "app=agent" });
    let minAvailableNodes = Infinity;
    inf.addHandlers({
      update: () => {
        const nodes = new Set(inf.list((p) => !p.metadata.deletionTimestamp && p.status?.conditions?.some((x: KObj) => x.type === "Ready" && x.status === "True")).map((p) => p.spec.nodeName));
        nodes.delete("edge-tainted");
        minAvailableNodes = Math.min(minAvailableNodes, nodes.size);
      },
    });
    inf.start();
    await inf.waitForSync();
    try {
      await c.k(["apply", "-f", "-"], { stdin: daemonSet("agent:2", { tolerations: [{ key: "dedicated", operator: "Equal", value: "gpu", effect: "NoSchedule" }] }) });
      await c.k(["rollout", "status", "daemonset/agent", "--timeout=60s"]);
    } finally {
      inf.stop();
    }
    expect(minAvailableNodes).toBe(1); // of 2 previously running nodes, at most 1 was down at a time
    byNode = await podsByNode();
    expect([...byNode.keys()].sort()).toEqual(["edge-b", "edge-late", "edge-tainted"]);
    expect([...byNode.values()].flat().map((p) => p.spec.containers[0].image)).toEqual(["agent:2", "agent:2", "agent:2"]);

    const history = await c.k(["rollout", "history", "daemonset/agent"]);
    expect(history).toMatch(/^1\s/m);
    expect(history).toMatch(/^2\s/m);
    const revs = (await c.client.list(R.controllerrevisions, "default")).items.filter((r: KObj) => r.metadata.ownerReferences?.[0]?.name === "agent");
    expect(revs.map((r: KObj) => r.revision).sort()).toEqual([1, 2]);

    expect(await c.k(["rollout", "undo", "daemonset/agent"])).toContain("rolled back");
    await eventually("undo observed", async () => {
      const d = await c.client.get(R.daemonsets, "default", "agent");
      return d.status.observedGeneration === d.metadata.generation && d.spec.template.spec.containers[0].image === "agent:1";
    });
    await c.k(["rollout", "status", "daemonset/agent", "--timeout=60s"]);
    byNode = await podsByNode();
    // Revision 1 has no toleration: the tainted node's pod goes away.
    expect([...byNode.keys()].sort()).toEqual(["edge-b", "edge-late"]);
    expect([...byNode.values()].flat().map((p) => p.spec.containers[0].image)).toEqual(["agent:1", "agent:1"]);
    const revs2 = (await c.client.list(R.controllerrevisions, "default")).items.filter((r: KObj) => r.metadata.ownerReferences?.[0]?.name === "agent");
    expect(revs2.map((r: KObj) => r.revision).sort()).toEqual([2, 3]);
    ds = await c.client.get(R.daemonsets, "default", "agent");
    expect(ds.status).toMatchObject({ desiredNumberScheduled: 2, numberReady: 2, updatedNumberScheduled: 2 });
  }, 90_000);

  it("replaces a failed daemon pod", async () => {
    await c.k(["apply", "-f", "-"], { stdin: JSON.stringify({ ...JSON.parse(daemonSet("x:1")), metadata: { name: "fixer" }, spec: { ...JSON.parse(daemonSet("x:1")).spec, selector: { matchLabels: { app: "fixer" } }, template: { metadata: { labels: { app: "fixer" } }, spec: { nodeSelector: { tier: "edge" }, containers: [{ name: "x", image: "x:1" }] } } } }) });
    await c.k(["rollout", "status", "daemonset/fixer", "--timeout=60s"]);
    const pods = (await c.client.list(R.pods, "default", { labelSelector: "app=fixer" })).items;
    const victim = pods[0]!;
    victim.status.phase = "Failed";
    await c.client.updateStatus(R.pods, "default", victim);
    await eventually("failed pod replaced", async () => {
      const now = (await c.client.list(R.pods, "default", { labelSelector: "app=fixer" })).items;
      return !now.some((p: KObj) => p.metadata.uid === victim.metadata.uid) && now.filter((p: KObj) => p.spec.nodeName === victim.spec.nodeName && p.status?.phase === "Running").length === 1;
    });
    const events = await c.k(["get", "events", "--field-selector", "reason=FailedDaemonPod", "-o", "jsonpath={.items[*].message}"]);
    expect(events).toContain(`Found failed daemon pod default/${victim.metadata.name} on node ${victim.spec.nodeName}, will try to kill it`);
  }, 60_000);
});
