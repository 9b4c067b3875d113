/**
 * The scheduler inside a real `kite server` (agent disabled), with simulated nodes that
 * heartbeat through Leases: pods are bound through pods/binding, a pod that fits nowhere
 * gets upstream's FailedScheduling text and PodScheduled=False/Unschedulable and is
 * scheduled once a node that fits is added, scheduling gates hold pods, cordoned nodes are
 * avoided, WaitForFirstConsumer claims are provisioned on the chosen node by kite's
 * local-path provisioner, and a high-priority pod preempts a low-priority one.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { KObj, KubeClient } from "../../src/client/client.ts";
import { R } from "../../src/client/resources.ts";
import { startServer, waitFor, type KiteServer } from "../lib/kite.ts";
import { adminClient, Heartbeats, registerNodes, setControllerLeaseHolder, simNode } from "./sim-nodes.ts";

let server: KiteServer;
let client: KubeClient;
let beats: Heartbeats;
const savedSource = process.env.KITE_TEST_SOURCE;

const NS = "default";

function pod(name: string, opts: { memory?: string; cpu?: string; extra?: KObj; labels?: Record<string, string> } = {}): KObj {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, labels: opts.labels ?? { app: "sched-test" } },
    spec: {
      containers: [{ name: "c", image: "busybox", resources: { requests: { cpu: opts.cpu ?? "100m", memory: opts.memory ?? "64Mi" } } }],
      terminationGracePeriodSeconds: 0,
      ...(opts.extra ?? {}),
    },
  };
}

const get = (name: string) => client.get(R.pods, NS, name);

async function boundNode(name: string, timeoutMs = 15_000): Promise<string> {
  let node = "";
  await waitFor(async () => !!(node = (await get(name)).spec?.nodeName ?? ""), timeoutMs, `${name} to be bound`, () => server.log());
  return node;
}

async function events(name: string): Promise<KObj[]> {
  const list = await client.list(R.events, NS, { fieldSelector: `involvedObject.name=${name}` });
  return list.items as KObj[];
}

beforeAll(async () => {
  // Test the scheduler in this tree, not a previously built dist/kite.
  process.env.KITE_TEST_SOURCE = "1";
  server = await startServer();
  client = adminClient(server);
  await registerNodes(client, [
    simNode("n1", { cpu: "2", memory: "1Gi", zone: "z1" }),
    simNode("n2", { cpu: "2", memory: "1Gi", zone: "z2" }),
    simNode("n3", { cpu: "8", memory: "16Gi", zone: "z1", ready: "False" }),
  ]);
  beats = new Heartbeats(client, ["n1", "n2", "n3", "n4"], 2000);
  beats.start();
}, 60_000);

afterAll(async () => {
  beats?.stop();
  await server?.stop();
  if (savedSource === undefined) delete process.env.KITE_TEST_SOURCE;
  else process.env.KITE_TEST_SOURCE = savedSource;
});

describe("scheduler in kite server", () => {
  test("pending pods are bound to Ready nodes, with PodScheduled=True and a Scheduled event", async () => {
    for (let i = 0; i < 6; i++) await client.create(R.pods, NS, pod(`small-${i}`));
    const nodes = await Promise.all(Array.from({ length: 6 }, (_, i) => boundNode(`small-${i}`)));
    for (const n of nodes) expect(["n1", "n2"]).toContain(n); // n3 is not Ready
    // Least-allocated scoring spreads them over both nodes.
    expect(new Set(nodes).size).toBe(2);
    const p = await get("small-0");
    expect(p.status.conditions.find((c: KObj) => c.type === "PodScheduled")?.status).toBe("True");
    await waitFor(async () => (await events("small-0")).some((e) => e.reason === "Scheduled"), 10_000, "Scheduled event");
    const ev = (await events("small-0")).find((e) => e.reason === "Scheduled")!;
    expect(ev.message).toBe(`Successfully assigned default/small-0 to ${nodes[0]}`);
    expect(ev.source.component).toBe("default-scheduler");
  }, 30_000);

  test("a pod that fits nowhere: upstream's FailedScheduling text, PodScheduled=False/Unschedulable; scheduled once a node fits", async () => {
    await client.create(R.pods, NS, pod("huge", { memory: "3Gi" }));
    const expected =
      "0/3 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, 2 Insufficient memory. " +
      "preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.";
    await waitFor(async () => (await events("huge")).some((e) => e.reason === "FailedScheduling"), 15_000, "FailedScheduling event", () => server.log());
    const ev = (await events("huge")).find((e) => e.reason === "FailedScheduling")!;
    expect(ev.type).toBe("Warning");
    expect(ev.message).toBe(expected);
    await waitFor(async () => !!(await get("huge")).status?.conditions?.some((c: KObj) => c.type === "PodScheduled" && c.status === "False"), 10_000, "PodScheduled=False");
    const cond = (await get("huge")).status.conditions.find((c: KObj) => c.type === "PodScheduled");
    expect(cond).toMatchObject({ status: "False", reason: "Unschedulable", message: expected });
    expect((await get("huge")).spec.nodeName).toBeUndefined();

    // A node with room appears: the NodeAdd event moves the pod back into the active queue.
    await registerNodes(client, [simNode("n4", { cpu: "4", memory: "8Gi", zone: "z2" })]);
    expect(await boundNode("huge")).toBe("n4");
    const after = (await get("huge")).status.conditions.find((c: KObj) => c.type === "PodScheduled");
    expect(after.status).toBe("True");
  }, 40_000);

  test("scheduling gates hold a pod until they are removed", async () => {
    await client.create(R.pods, NS, pod("gated", { extra: { schedulingGates: [{ name: "example.com/hold" }] } }));
    await Bun.sleep(1500);
    const held = await get("gated");
    expect(held.spec.nodeName).toBeUndefined();
    expect(held.status.conditions.find((c: KObj) => c.type === "PodScheduled")).toMatchObject({ status: "False", reason: "SchedulingGated" });
    await client.patch(R.pods, NS, "gated", { spec: { schedulingGates: null } });
    await boundNode("gated");
  }, 30_000);

  test("a cordoned node gets no new pods; its pods' reason reads 'node(s) were unschedulable'", async () => {
    await client.patch(R.nodes, undefined, "n4", { spec: { unschedulable: true } });
    try {
      await Bun.sleep(300); // let the informer see the cordon
      await client.create(R.pods, NS, pod("only-n4", { extra: { nodeSelector: { "kubernetes.io/hostname": "n4" } } }));
      await waitFor(async () => (await events("only-n4")).some((e) => e.reason === "FailedScheduling"), 15_000, "FailedScheduling");
      const ev = (await events("only-n4")).find((e) => e.reason === "FailedScheduling")!;
      expect(ev.message).toBe(
        "0/4 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, 1 node(s) were unschedulable, 2 node(s) didn't match Pod's node affinity/selector. " +
          "preemption: 0/4 nodes are available: 4 Preemption is not helpful for scheduling.",
      );
    } finally {
      await client.patch(R.nodes, undefined, "n4", { spec: { unschedulable: null } });
    }
    // Uncordoning is a node update the pod's rejecting plugin cares about.
    expect(await boundNode("only-n4")).toBe("n4");
  }, 40_000);

  test("WaitForFirstConsumer claims are provisioned on the chosen node; the bound volume then pins later pods", async () => {
    await client.create(R.persistentvolumeclaims, NS, {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name: "data" },
      spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } }, storageClassName: "local-path" },
    });
    const volume = { volumes: [{ name: "d", persistentVolumeClaim: { claimName: "data" } }] };
    await client.create(R.pods, NS, pod("with-volume", { extra: volume }));
    const node = await boundNode("with-volume", 20_000);
    const pvc = await client.get(R.persistentvolumeclaims, NS, "data");
    expect(pvc.metadata.annotations["volume.kubernetes.io/selected-node"]).toBe(node);
    expect(pvc.spec.volumeName).toBeTruthy();
    const pv = await client.get(R.persistentvolumes, undefined, pvc.spec.volumeName);
    expect(pv.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values).toEqual([node]);

    // Another pod of the same claim that may not go there: volume node affinity conflict.
    const avoid = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/hostname", operator: "NotIn", values: [node] }] }] } } };
    await client.create(R.pods, NS, pod("elsewhere", { extra: { ...volume, affinity: avoid } }));
    await waitFor(async () => (await events("elsewhere")).some((e) => e.reason === "FailedScheduling"), 15_000, "FailedScheduling");
    const msg = (await events("elsewhere")).find((e) => e.reason === "FailedScheduling")!.message as string;
    expect(msg).toStartWith("0/4 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, ");
    expect(msg).toContain("node(s) had volume node affinity conflict");
    // And one that may: it joins the volume's node.
    await client.create(R.pods, NS, pod("follower", { extra: volume }));
    expect(await boundNode("follower")).toBe(node);
  }, 60_000);

  test("a WaitForFirstConsumer claim of a class without a provisioner binds to a fitting local PV, which pins the pod", async () => {
    await client.create({ group: "storage.k8s.io", version: "v1", resource: "storageclasses", namespaced: false, kind: "StorageClass" }, undefined, {
      apiVersion: "storage.k8s.io/v1",
      kind: "StorageClass",
      metadata: { name: "local-static" },
      provisioner: "kubernetes.io/no-provisioner",
      volumeBindingMode: "WaitForFirstConsumer",
    });
    const localPV = (name: string, node: string, size: string) => ({
      apiVersion: "v1",
      kind: "PersistentVolume",
      metadata: { name },
      spec: {
        capacity: { storage: size },
        accessModes: ["ReadWriteOnce"],
        storageClassName: "local-static",
        persistentVolumeReclaimPolicy: "Retain",
        local: { path: "/mnt/disk1" },
        nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: [node] }] }] } },
      },
    });
    await client.create(R.persistentvolumes, undefined, localPV("local-n1-small", "n1", "100Mi"));
    await client.create(R.persistentvolumes, undefined, localPV("local-n2", "n2", "2Gi"));
    await client.create(R.persistentvolumeclaims, NS, {
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: { name: "static-claim" },
      spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } }, storageClassName: "local-static" },
    });
    await client.create(R.pods, NS, pod("static-user", { extra: { volumes: [{ name: "d", persistentVolumeClaim: { claimName: "static-claim" } }] } }));
    expect(await boundNode("static-user", 20_000)).toBe("n2"); // the only PV big enough is on n2
    const pvc = await client.get(R.persistentvolumeclaims, NS, "static-claim");
    expect(pvc.spec.volumeName).toBe("local-n2");
    expect(pvc.status.phase).toBe("Bound");
    const pv = await client.get(R.persistentvolumes, undefined, "local-n2");
    expect(pv.spec.claimRef).toMatchObject({ namespace: NS, name: "static-claim", uid: pvc.metadata.uid });
    expect(pv.status.phase).toBe("Bound");
    expect((await client.get(R.persistentvolumes, undefined, "local-n1-small")).spec.claimRef).toBeUndefined();
  }, 40_000);

  test("a higher-priority pod preempts a lower-priority one and is bound to the freed node", async () => {
    await client.create(R.pods, NS, pod("victim", { memory: "4Gi", extra: { nodeSelector: { "kubernetes.io/hostname": "n4" } } }));
    await boundNode("victim");
    await client.create({ group: "scheduling.k8s.io", version: "v1", resource: "priorityclasses", namespaced: false, kind: "PriorityClass" }, undefined, {
      apiVersion: "scheduling.k8s.io/v1",
      kind: "PriorityClass",
      metadata: { name: "sched-test-high" },
      value: 1000,
    });
    await client.create(R.pods, NS, pod("vip", { memory: "4Gi", extra: { priorityClassName: "sched-test-high" } }));
    expect(await boundNode("vip", 30_000)).toBe("n4");
    await waitFor(async () => (await client.getOrNull(R.pods, NS, "victim")) === null, 15_000, "victim deleted");
    const vip = await get("vip");
    const ev = (await client.list(R.events, NS, { fieldSelector: "involvedObject.name=victim" })).items as KObj[];
    expect(ev.some((e) => e.reason === "Preempted" && e.message === `Preempted by pod ${vip.metadata.uid} on node n4`)).toBe(true);
  }, 60_000);

  test("losing the controller manager's lease stops the scheduler; regaining it restarts it from a fresh cache", async () => {
    await setControllerLeaseHolder(client, "someone-else");
    try {
      await Bun.sleep(4500); // the server's elector looks every 2 s
      await client.create(R.pods, NS, pod("while-away"));
      await Bun.sleep(2000);
      expect((await get("while-away")).spec.nodeName).toBeUndefined();
    } finally {
      await setControllerLeaseHolder(client, null);
    }
    // The restarted scheduler relists everything: n4 (8Gi) already runs vip (4Gi) and huge (3Gi).
    await client.create(R.pods, NS, pod("after", { memory: "3500Mi", extra: { nodeSelector: { "topology.kubernetes.io/zone": "z2" } } }));
    await boundNode("while-away", 20_000);
    await waitFor(async () => (await events("after")).some((e) => e.reason === "FailedScheduling"), 20_000, "FailedScheduling for a pod that no longer fits");
    expect((await events("after")).find((e) => e.reason === "FailedScheduling")!.message).toBe(
      "0/4 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, 2 Insufficient memory. " +
        "preemption: 0/4 nodes are available: 2 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.",
    );
  }, 60_000);
});
