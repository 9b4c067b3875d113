/**
 * End-to-end: StatefulSets against a real kite server with real kubectl. Pods are run by
 * the SIMULATED node side of ./harness.ts (fake kubelet), which marks them Ready after a
 * delay so the ordering is observable.
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
  kubelet = new FakeKubelet(c.client, { nodes: [{ name: "node-1" }, { name: "node-2" }], startDelayMs: 250 });
  await kubelet.start();
}, 60_000);

afterAll(async () => {
  await kubelet?.stop();
  await c?.stop();
}, 30_000);

function statefulSet(image: string, replicas: number, extra: KObj = {}): string {
  return JSON.stringify({
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name: "web" },
    spec: {
      serviceName: "web",
      replicas,
      selector: { matchLabels: { app: "web" } },
      // The `data` emptyDir is replaced by the claim (upstream updateStorage). It is only here because kite's API
      // validation still rejects a volumeMount that names a volumeClaimTemplate (upstream does not validate it).
      template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "nginx", image, volumeMounts: [{ name: "data", mountPath: "/data" }] }], volumes: [{ name: "data", emptyDir: {} }] } },
      volumeClaimTemplates: [{ metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } } }],
      ...extra,
    },
  });
}

/** Records, per pod name, when it was created, became Ready, and got a deletionTimestamp. */
class Timeline {
  inf = new Informer(c.client, R.pods, { namespace: "default", labelSelector: "app=web" });
  events: string[] = [];
  private ready = new Set<string>();
  private deleting = new Set<string>();
  constructor() {
    const seen = (p: KObj, created: boolean) => {
      const n = p.metadata.name;
      if (created) this.events.push(`create ${n}`);
      if (p.metadata.deletionTimestamp && !this.deleting.has(p.metadata.uid)) {
        this.deleting.add(p.metadata.uid);
        this.events.push(`delete ${n}`);
      }
      const isReady = p.status?.conditions?.some((x: KObj) => x.type === "Ready" && x.status === "True");
      if (isReady && !this.ready.has(p.metadata.uid)) {
        this.ready.add(p.metadata.uid);
        this.events.push(`ready ${n}`);
      }
    };
    this.inf.addHandlers({ add: (p) => this.inf.hasSynced() && seen(p, true), update: (_o, p) => seen(p, false) });
  }
  async start() {
    this.inf.start();
    await this.inf.waitForSync();
    return this;
  }
  stop() {
    this.inf.stop();
  }
}

describe("StatefulSet", () => {
  it("brings pods up in order with their PVCs, rolls updates in reverse order honouring the partition, and scales down from the top", async () => {
    await c.k(["apply", "-f", "-"], { stdin: JSON.stringify({ apiVersion: "v1", kind: "Service", metadata: { name: "web" }, spec: { clusterIP: "None", selector: { app: "web" }, ports: [{ port: 80 }] } }) });
    let tl = await new Timeline().start();
    try {
      await c.k(["apply", "-f", "-"], { stdin: statefulSet("nginx:1", 3) });
      const out = await c.k(["rollout", "status", "statefulset/web", "--timeout=60s"]);
      expect(out).toContain("partitioned roll out complete: 3 new pods have been updated...");
      expect(out).toContain("Waiting for");
    } finally {
      tl.stop();
    }
    expect(tl.events).toEqual(["create web-0", "ready web-0", "create web-1", "ready web-1", "create web-2", "ready web-2"]);

    const pods = (await c.client.list(R.pods, "default", { labelSelector: "app=web" })).items.sort((a: KObj, b: KObj) => a.metadata.name.localeCompare(b.metadata.name));
    const sts = await c.client.get(R.statefulsets, "default", "web");
    expect(pods.map((p: KObj) => p.metadata.name)).toEqual(["web-0", "web-1", "web-2"]);
    for (const [i, p] of pods.entries()) {
      expect(p.spec.hostname).toBe(`web-${i}`);
      expect(p.spec.subdomain).toBe("web");
      expect(p.metadata.labels).toMatchObject({ "statefulset.kubernetes.io/pod-name": `web-${i}`, "apps.kubernetes.io/pod-index": String(i), "controller-revision-hash": sts.status.updateRevision });
      expect(p.spec.volumes.find((v: KObj) => v.name === "data")).toEqual({ name: "data", persistentVolumeClaim: { claimName: `data-web-${i}` } });
    }
    const pvcs = (await c.client.list(R.persistentvolumeclaims, "default")).items;
    expect(pvcs.map((p: KObj) => p.metadata.name).sort()).toEqual(["data-web-0", "data-web-1", "data-web-2"]);
    for (const pvc of pvcs) {
      expect(pvc.metadata.labels).toEqual({ app: "web" });
      expect(pvc.spec.resources.requests.storage).toBe("1Gi");
    }
    expect(sts.status).toMatchObject({ replicas: 3, readyReplicas: 3, currentReplicas: 3, updatedReplicas: 3, availableReplicas: 3, observedGeneration: sts.metadata.generation });
    expect(sts.status.currentRevision).toBe(sts.status.updateRevision);
    const rev1 = sts.status.updateRevision;
    expect(rev1).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]+$/);
    const events = await c.k(["get", "events", "--field-selector", "involvedObject.kind=StatefulSet", "-o", "jsonpath={range .items[*]}{.message}{\"\\n\"}{end}"]);
    expect(events).toContain("create Claim data-web-0 Pod web-0 in StatefulSet web success");
    expect(events).toContain("create Pod web-2 in StatefulSet web successful");

    // Rolling update: highest ordinal first, one at a time.
    tl = await new Timeline().start();
    try {
      await c.k(["set", "image", "statefulset/web", "nginx=nginx:2"]);
      await c.k(["rollout", "status", "statefulset/web", "--timeout=60s"]);
    } finally {
      tl.stop();
    }
    expect(tl.events.filter((e) => e.startsWith("delete"))).toEqual(["delete web-2", "delete web-1", "delete web-0"]);
    const d1 = tl.events.indexOf("delete web-1");
    expect(tl.events.indexOf("ready web-2")).toBeLessThan(d1);
    let now = await c.client.get(R.statefulsets, "default", "web");
    expect(now.status.currentRevision).toBe(now.status.updateRevision);
    expect(now.status.updateRevision).not.toBe(rev1);

    // Partition 2: only ordinals >= 2 move to the new revision.
    await c.k(["patch", "statefulset/web", "-p", JSON.stringify({ spec: { updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 2 } } } })]);
    await c.k(["set", "image", "statefulset/web", "nginx=nginx:3"]);
    const partitioned = await c.k(["rollout", "status", "statefulset/web", "--timeout=60s"]);
    expect(partitioned).toContain("partitioned roll out complete: 1 new pods have been updated...");
    const images = async () => Object.fromEntries((await c.client.list(R.pods, "default", { labelSelector: "app=web" })).items.filter((p: KObj) => !p.metadata.deletionTimestamp).map((p: KObj) => [p.metadata.name, p.spec.containers[0].image]));
    expect(await images()).toEqual({ "web-0": "nginx:2", "web-1": "nginx:2", "web-2": "nginx:3" });
    now = await c.client.get(R.statefulsets, "default", "web");
    expect(now.status).toMatchObject({ currentReplicas: 2, updatedReplicas: 1 });

    // History: three revisions; undo goes back to nginx:2.
    const history = await c.k(["rollout", "history", "statefulset/web"]);
    expect(history).toMatch(/^1\s/m);
    expect(history).toMatch(/^3\s/m);
    await c.k(["patch", "statefulset/web", "-p", JSON.stringify({ spec: { updateStrategy: { rollingUpdate: { partition: 0 } } } })]);
    await c.k(["rollout", "undo", "statefulset/web"]);
    await c.k(["rollout", "status", "statefulset/web", "--timeout=60s"]);
    await eventually("all pods back on nginx:2", async () => {
      const i = await images();
      return Object.keys(i).length === 3 && Object.values(i).every((x) => x === "nginx:2");
    });

    // Scale down: from the top, one at a time; PVCs are retained (whenScaled: Retain).
    tl = await new Timeline().start();
    try {
      await c.k(["scale", "statefulset/web", "--replicas=1"]);
      await eventually("scaled to 1", async () => {
        const s = await c.client.get(R.statefulsets, "default", "web");
        const p = (await c.client.list(R.pods, "default", { labelSelector: "app=web" })).items;
        return s.status.replicas === 1 && p.length === 1;
      });
    } finally {
      tl.stop();
    }
    expect(tl.events.filter((e) => e.startsWith("delete"))).toEqual(["delete web-2", "delete web-1"]);
    expect((await c.client.list(R.persistentvolumeclaims, "default")).items.length).toBe(3);
  }, 120_000);

  it("Parallel creates every pod without waiting", async () => {
    const spec = JSON.parse(statefulSet("busybox:1", 3, { podManagementPolicy: "Parallel" }));
    spec.metadata.name = "par";
    spec.spec.serviceName = "par";
    spec.spec.selector.matchLabels = { app: "par" };
    spec.spec.template.metadata.labels = { app: "par" };
    const inf = new Informer(c.client, R.pods, { namespace: "default", labelSelector: "app=par" });
    const order: string[] = [];
    inf.addHandlers({
      add: (p) => order.push(`create ${p.metadata.name}`),
      update: (o, p) => {
        if (!o.status?.conditions?.some((x: KObj) => x.type === "Ready" && x.status === "True") && p.status?.conditions?.some((x: KObj) => x.type === "Ready" && x.status === "True")) order.push(`ready ${p.metadata.name}`);
      },
    });
    inf.start();
    await inf.waitForSync();
    try {
      await c.k(["apply", "-f", "-"], { stdin: JSON.stringify(spec) });
      await c.k(["rollout", "status", "statefulset/par", "--timeout=60s"]);
    } finally {
      inf.stop();
    }
    // All three were created before the first became ready.
    const firstReady = order.findIndex((e) => e.startsWith("ready"));
    expect(order.slice(0, firstReady).sort()).toEqual(["create par-0", "create par-1", "create par-2"]);
  }, 60_000);

  it("persistentVolumeClaimRetentionPolicy Delete gives claims owners so they go with the set or the scaled-down pod", async () => {
    const spec = JSON.parse(statefulSet("busybox:1", 2, { podManagementPolicy: "Parallel", persistentVolumeClaimRetentionPolicy: { whenDeleted: "Delete", whenScaled: "Delete" } }));
    spec.metadata.name = "ret";
    spec.spec.serviceName = "ret";
    spec.spec.selector.matchLabels = { app: "ret" };
    spec.spec.template.metadata.labels = { app: "ret" };
    await c.k(["apply", "-f", "-"], { stdin: JSON.stringify(spec) });
    await c.k(["rollout", "status", "statefulset/ret", "--timeout=60s"]);
    const sts = await c.client.get(R.statefulsets, "default", "ret");
    const claim0 = await c.client.get(R.persistentvolumeclaims, "default", "data-ret-0");
    expect(claim0.metadata.ownerReferences).toEqual([{ apiVersion: "apps/v1", kind: "StatefulSet", name: "ret", uid: sts.metadata.uid }]);
    const pod1 = await c.client.get(R.pods, "default", "ret-1");
    await c.k(["scale", "statefulset/ret", "--replicas=1"]);
    // The scaled-down pod's claim is handed to the pod (then collected with it).
    await eventually("claim owned by the condemned pod, or already collected", async () => {
      const claim1 = await c.client.getOrNull(R.persistentvolumeclaims, "default", "data-ret-1");
      return !claim1 || claim1.metadata.ownerReferences?.some((r: KObj) => r.kind === "Pod" && r.uid === pod1.metadata.uid);
    });
    await eventually("claim of ret-1 garbage-collected", async () => !(await c.client.getOrNull(R.persistentvolumeclaims, "default", "data-ret-1")), 30_000);
    expect(await c.client.getOrNull(R.persistentvolumeclaims, "default", "data-ret-0")).not.toBeNull();
  }, 60_000);
});
