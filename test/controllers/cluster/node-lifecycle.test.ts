/**
 * Node lifecycle, taint eviction and pod GC, running in a real kite server started with
 * --node-monitor-grace-period 3 and --default-unreachable-toleration-seconds 3. There is no
 * node agent: the test SIMULATES one by creating the Node, posting its Ready condition
 * and renewing its Lease in kube-node-lease, then stops renewing ("the node dies").
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { KObj } from "../../../src/client/client.ts";
import { R } from "../../../src/client/resources.ts";
import { rfc3339, rfc3339Micro } from "../../../src/api/registry/objects.ts";
import { eventually, startCluster, yamlDocs, type Cluster } from "./harness.ts";

let c: Cluster;
const NODE = "edge-1";
const NS = "default";

beforeAll(async () => {
  c = await startCluster({ args: ["--node-monitor-grace-period", "3", "--default-unreachable-toleration-seconds", "3"] });
}, 60_000);
afterAll(async () => {
  stopHeartbeats();
  await c?.stop();
});

// ---- the SIMULATED node agent ------------------------------------------------------------
let beating: ReturnType<typeof setInterval> | undefined;
async function postStatus(ready: "True" | "False") {
  const node = await c.client.get(R.nodes, undefined, NODE);
  const now = rfc3339(new Date());
  const prev = ((node.status?.conditions ?? []) as KObj[]).find((x) => x.type === "Ready");
  node.status = {
    ...node.status,
    conditions: [
      { type: "Ready", status: ready, reason: ready === "True" ? "KubeletReady" : "KubeletNotReady", message: "simulated", lastHeartbeatTime: now, lastTransitionTime: prev?.status === ready ? prev.lastTransitionTime : now },
      { type: "MemoryPressure", status: "False", reason: "KubeletHasSufficientMemory", message: "simulated", lastHeartbeatTime: now, lastTransitionTime: now },
    ],
  };
  await c.client.updateStatus(R.nodes, undefined, node);
}
async function renewLease() {
  const lease = await c.client.getOrNull(R.leases, "kube-node-lease", NODE);
  const spec = { holderIdentity: NODE, leaseDurationSeconds: 40, renewTime: rfc3339Micro(new Date()) };
  if (!lease) await c.client.create(R.leases, "kube-node-lease", { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name: NODE, namespace: "kube-node-lease" }, spec });
  else await c.client.update(R.leases, "kube-node-lease", { ...lease, spec });
}
function startHeartbeats() {
  stopHeartbeats();
  beating = setInterval(() => void renewLease().catch(() => {}), 400);
}
function stopHeartbeats() {
  if (beating) clearInterval(beating);
  beating = undefined;
}
// -------------------------------------------------------------------------------------------

const node = () => c.client.get(R.nodes, undefined, NODE);
const readyOf = (n: KObj) => ((n.status?.conditions ?? []) as KObj[]).find((x) => x.type === "Ready");
const taintKeys = (n: KObj) => ((n.spec?.taints ?? []) as KObj[]).map((t) => `${t.key}:${t.effect}`).sort();
const pod = (name: string, extra: KObj = {}): KObj => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: NS },
  spec: { nodeName: NODE, terminationGracePeriodSeconds: 1, containers: [{ name: "c", image: "busybox" }], ...extra },
});
/** SIMULATED kubelet report that the pod runs and is ready. */
async function podRunning(name: string) {
  const p = await c.client.get(R.pods, NS, name);
  const now = rfc3339(new Date());
  p.status = { ...p.status, phase: "Running", podIP: "10.42.1.5", conditions: [{ type: "Ready", status: "True", lastTransitionTime: now }, { type: "PodScheduled", status: "True", lastTransitionTime: now }] };
  await c.client.updateStatus(R.pods, NS, p);
}

test("a silent node becomes Unknown and tainted, its pods not ready, then evicted after their toleration", async () => {
  await c.kubectl(["apply", "-f", "-"], yamlDocs({ apiVersion: "v1", kind: "Node", metadata: { name: NODE, labels: { "kubernetes.io/hostname": NODE } } }));
  await postStatus("True");
  await renewLease();
  startHeartbeats();
  await c.kubectl(["apply", "-f", "-"], yamlDocs(
    pod("default-tol"),
    pod("long-tol", { tolerations: [{ key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 3600 }] }),
    pod("forever", { tolerations: [{ operator: "Exists" }] }),
  ));
  // The API server added the default 3 s tolerations.
  const dt = await c.client.get(R.pods, NS, "default-tol");
  expect(dt.spec.tolerations).toContainEqual({ key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 3 });
  for (const p of ["default-tol", "long-tol", "forever"]) await podRunning(p);

  // Heartbeats through the Lease keep the node Ready past the grace period.
  await Bun.sleep(4500);
  let n = await node();
  expect(readyOf(n)!.status).toBe("True");
  expect(n.spec?.taints ?? []).toEqual([]);

  stopHeartbeats();
  const stoppedAt = Date.now();
  n = await eventually(node, (x) => readyOf(x)?.status === "Unknown", 15_000, "node Unknown");
  expect(Date.now() - stoppedAt).toBeGreaterThan(2500);
  expect(readyOf(n)).toMatchObject({ status: "Unknown", reason: "NodeStatusUnknown", message: "Kubelet stopped posting node status." });
  expect(((n.status.conditions as KObj[]).find((x) => x.type === "MemoryPressure"))!.status).toBe("Unknown");
  n = await eventually(node, (x) => taintKeys(x).length === 2, 10_000, "unreachable taints");
  expect(taintKeys(n)).toEqual(["node.kubernetes.io/unreachable:NoExecute", "node.kubernetes.io/unreachable:NoSchedule"]);
  expect((n.spec.taints as KObj[]).find((t) => t.effect === "NoExecute")!.timeAdded).toBeTruthy();
  expect(await c.kubectl(["get", "node", NODE])).toContain("NotReady");

  // Pods on the unreachable node are no longer ready.
  await eventually(() => c.client.get(R.pods, NS, "forever"), (p) => p.status.conditions.some((x: KObj) => x.type === "Ready" && x.status === "False"), 10_000, "pod not ready");

  // The 3 s default toleration runs out: evicted, and (no agent can confirm) force-deleted after its 1 s grace.
  await eventually(() => c.client.getOrNull(R.pods, NS, "default-tol"), (p) => p === null, 20_000, "default-tol evicted and gone");
  const events = JSON.parse(await c.kubectl(["get", "events", "-n", NS, "--field-selector", "involvedObject.name=default-tol", "-o", "json"])).items as KObj[];
  expect(events.map((e) => e.reason)).toContain("TaintManagerEviction");
  // Longer and unlimited tolerations keep their pods.
  expect(await c.client.getOrNull(R.pods, NS, "long-tol")).not.toBeNull();
  expect(await c.client.getOrNull(R.pods, NS, "forever")).not.toBeNull();

  // The node comes back: Ready again, taints removed.
  await postStatus("True");
  startHeartbeats();
  n = await eventually(node, (x) => taintKeys(x).length === 0, 10_000, "taints removed");
  expect(readyOf(n)!.status).toBe("True");
}, 90_000);

test("a NotReady node is tainted not-ready; an untolerated NoExecute taint evicts at once; pods of a deleted node are collected", async () => {
  await postStatus("False");
  const n = await eventually(node, (x) => taintKeys(x).includes("node.kubernetes.io/not-ready:NoExecute"), 10_000, "not-ready taints");
  expect(taintKeys(n)).toEqual(["node.kubernetes.io/not-ready:NoExecute", "node.kubernetes.io/not-ready:NoSchedule"]);
  await postStatus("True");
  await eventually(node, (x) => taintKeys(x).length === 0, 10_000, "not-ready taints removed");

  // A taint long-tol does not tolerate: deleted without waiting (graceful: the simulated agent is alive, so it stays Terminating).
  await c.kubectl(["taint", "node", NODE, "example.com/maintenance=now:NoExecute"]);
  await eventually(() => c.client.get(R.pods, NS, "long-tol"), (p) => Boolean(p.metadata.deletionTimestamp), 10_000, "long-tol evicted");
  expect((await c.client.get(R.pods, NS, "long-tol")).status.conditions).toContainEqual(expect.objectContaining({ type: "DisruptionTarget", reason: "DeletionByTaintManager" }));
  expect((await c.client.get(R.pods, NS, "forever")).metadata.deletionTimestamp).toBeUndefined();
  // The user's taint is left alone by the node controller.
  expect(taintKeys(await node())).toEqual(["example.com/maintenance:NoExecute"]);

  // The node object is deleted: its pods are force-deleted after the quarantine.
  stopHeartbeats();
  await c.kubectl(["delete", "node", NODE]);
  await eventually(() => c.client.list(R.pods, NS), (l) => !l.items.some((p: KObj) => p.spec.nodeName === NODE), 20_000, "pods of the deleted node gone");
}, 90_000);
