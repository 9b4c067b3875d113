/**
 * End-to-end: Deployments against a real kite server (its controller manager runs the
 * workload controllers) driven by real kubectl. Pods are run by the SIMULATED node side of
 * ./harness.ts (fake kubelet), since the node agent is not part of this test.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { KObj } from "../../../src/client/client.ts";
import { Informer } from "../../../src/client/informer.ts";
import { R } from "../../../src/client/resources.ts";
import { eventually, FakeKubelet, startCluster, type Cluster } from "./harness.ts";

let c: Cluster;
let kubelet: FakeKubelet;
const unready = new Set<string>(["registry.invalid/never-ready:1"]);

beforeAll(async () => {
  c = await startCluster();
  kubelet = new FakeKubelet(c.client, {
    nodes: [{ name: "node-a" }, { name: "node-b" }],
    startDelayMs: 150,
    ready: (p) => !p.spec.containers.some((x: KObj) => unready.has(x.image)),
  });
  await kubelet.start();
}, 60_000);

afterAll(async () => {
  await kubelet?.stop();
  await c?.stop();
}, 30_000);

/** Tracks a Deployment's pods on every watch event: least available, most non-terminating. */
class PodTracker {
  private inf: Informer;
  minAvailable = Infinity;
  maxActive = 0;
  images = new Set<string>();
  constructor(selector: string) {
    this.inf = new Informer(c.client, R.pods, { namespace: "default", labelSelector: selector, retryMs: 100 });
    const check = () => {
      if (!this.inf.hasSynced()) return;
      const pods = this.inf.list();
      const active = pods.filter((p) => !p.metadata.deletionTimestamp && p.status?.phase !== "Succeeded" && p.status?.phase !== "Failed");
      const available = active.filter((p) => p.status?.conditions?.some((x: KObj) => x.type === "Ready" && x.status === "True"));
      this.minAvailable = Math.min(this.minAvailable, available.length);
      this.maxActive = Math.max(this.maxActive, active.length);
      for (const p of pods) this.images.add(p.spec.containers[0].image);
    };
    this.inf.addHandlers({ add: check, update: check, delete: check });
  }
  async start() {
    this.inf.start();
    await this.inf.waitForSync();
  }
  stop() {
    this.inf.stop();
  }
}

function manifest(name: string, replicas: number, image: string, extra: KObj = {}): string {
  return JSON.stringify({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, annotations: { "kubernetes.io/change-cause": `initial ${image}` } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: "main", image }] } },
      ...extra,
    },
  });
}

async function ownedReplicaSets(name: string): Promise<KObj[]> {
  const d = await c.client.get(R.deployments, "default", name);
  const l = await c.client.list(R.replicasets, "default");
  return l.items.filter((rs: KObj) => rs.metadata.ownerReferences?.some((r: KObj) => r.uid === d.metadata.uid && r.controller));
}

describe("Deployment", () => {
  it("rolls out, rolls a new image with maxUnavailable honoured, undoes, restarts, pauses and scales — all through kubectl", async () => {
    await c.k(["apply", "-f", "-"], { stdin: manifest("web", 4, "nginx:1.0") });
    const status = await c.k(["rollout", "status", "deployment/web", "--timeout=60s"]);
    expect(status).toContain('deployment "web" successfully rolled out');
    expect(await c.k(["wait", "--for=condition=Available", "deployment/web", "--timeout=30s"])).toContain("condition met");

    const [rs1] = await ownedReplicaSets("web");
    expect(rs1!.metadata.name).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]+$/);
    const hash = rs1!.metadata.labels["pod-template-hash"];
    expect(rs1!.metadata.name).toBe(`web-${hash}`);
    expect(rs1!.spec.selector.matchLabels).toEqual({ app: "web", "pod-template-hash": hash });
    expect(rs1!.metadata.annotations).toMatchObject({ "deployment.kubernetes.io/revision": "1", "deployment.kubernetes.io/desired-replicas": "4", "deployment.kubernetes.io/max-replicas": "5", "kubernetes.io/change-cause": "initial nginx:1.0" });
    expect(rs1!.metadata.ownerReferences[0]).toMatchObject({ apiVersion: "apps/v1", kind: "Deployment", name: "web", controller: true, blockOwnerDeletion: true });
    const pods = (await c.client.list(R.pods, "default", { labelSelector: "app=web" })).items;
    expect(pods.length).toBe(4);
    for (const p of pods) {
      expect(p.metadata.name.startsWith(`web-${hash}-`)).toBe(true);
      expect(p.metadata.labels["pod-template-hash"]).toBe(hash);
      expect(p.metadata.ownerReferences).toEqual([{ apiVersion: "apps/v1", kind: "ReplicaSet", name: rs1!.metadata.name, uid: rs1!.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    }
    let d = await c.client.get(R.deployments, "default", "web");
    expect(d.status).toMatchObject({ replicas: 4, updatedReplicas: 4, readyReplicas: 4, availableReplicas: 4, observedGeneration: d.metadata.generation });
    expect(d.metadata.annotations["deployment.kubernetes.io/revision"]).toBe("1");

    // A new image rolls out one pod at a time (maxSurge 1, maxUnavailable 1).
    const tracker = new PodTracker("app=web");
    await tracker.start();
    let out: string;
    try {
      // One write, so the change-cause lands on the new ReplicaSet only (like `set image --record`).
      const patch = { metadata: { annotations: { "kubernetes.io/change-cause": "upgrade to 2.0" } }, spec: { template: { spec: { containers: [{ name: "main", image: "nginx:2.0" }] } } } };
      await c.k(["patch", "deployment/web", "-p", JSON.stringify(patch)]);
      out = await c.k(["rollout", "status", "deployment/web", "--timeout=60s"]);
    } finally {
      tracker.stop();
    }
    expect(tracker.minAvailable).toBe(3); // replicas - maxUnavailable, and it was reached
    expect(tracker.maxActive).toBe(5); // replicas + maxSurge, and it was reached
    expect(out).toContain("successfully rolled out");
    expect(out).toMatch(/Waiting for deployment "web" rollout to finish: \d+ (out of 4 new replicas have been updated|old replicas are pending termination|of 4 updated replicas are available)/);
    expect(tracker.images).toEqual(new Set(["nginx:1.0", "nginx:2.0"]));
    const rsAfter = await ownedReplicaSets("web");
    expect(rsAfter.length).toBe(2);
    const rs2 = rsAfter.find((r) => r.metadata.uid !== rs1!.metadata.uid)!;
    expect(rs2.metadata.annotations["deployment.kubernetes.io/revision"]).toBe("2");
    expect(rs2.spec.replicas).toBe(4);
    expect(rsAfter.find((r) => r.metadata.uid === rs1!.metadata.uid)!.spec.replicas).toBe(0);

    const history = await c.k(["rollout", "history", "deployment/web"]);
    expect(history).toMatch(/1\s+initial nginx:1\.0/);
    expect(history).toMatch(/2\s+upgrade to 2\.0/);

    // Undo returns to revision 1's template, which becomes revision 3 on the same ReplicaSet.
    expect(await c.k(["rollout", "undo", "deployment/web"])).toContain("rolled back");
    await c.k(["rollout", "status", "deployment/web", "--timeout=60s"]);
    d = await c.client.get(R.deployments, "default", "web");
    expect(d.spec.template.spec.containers[0].image).toBe("nginx:1.0");
    expect(d.metadata.annotations["deployment.kubernetes.io/revision"]).toBe("3");
    const back = (await ownedReplicaSets("web")).find((r) => r.metadata.uid === rs1!.metadata.uid)!;
    expect(back.metadata.annotations["deployment.kubernetes.io/revision"]).toBe("3");
    expect(back.metadata.annotations["deployment.kubernetes.io/revision-history"]).toBe("1");
    expect(back.spec.replicas).toBe(4);
    const running = (await c.client.list(R.pods, "default", { labelSelector: "app=web" })).items.filter((p: KObj) => !p.metadata.deletionTimestamp);
    expect(new Set(running.map((p: KObj) => p.spec.containers[0].image))).toEqual(new Set(["nginx:1.0"]));
    const history2 = await c.k(["rollout", "history", "deployment/web"]);
    expect(history2).toMatch(/2\s+upgrade to 2\.0/);
    expect(history2).toMatch(/3\s+initial nginx:1\.0/);

    // restart makes a new ReplicaSet (revision 4).
    await c.k(["rollout", "restart", "deployment/web"]);
    await c.k(["rollout", "status", "deployment/web", "--timeout=60s"]);
    d = await c.client.get(R.deployments, "default", "web");
    expect(d.metadata.annotations["deployment.kubernetes.io/revision"]).toBe("4");
    expect((await ownedReplicaSets("web")).length).toBe(3);

    // Paused: template changes wait; the condition says so; resume rolls out.
    await c.k(["rollout", "pause", "deployment/web"]);
    await eventually("paused condition", async () => {
      const x = await c.client.get(R.deployments, "default", "web");
      return x.status.conditions?.find((k: KObj) => k.type === "Progressing" && k.status === "Unknown" && k.reason === "DeploymentPaused");
    });
    await c.k(["set", "image", "deployment/web", "main=nginx:3.0"]);
    await Bun.sleep(500);
    expect((await ownedReplicaSets("web")).length).toBe(3);
    await c.k(["rollout", "resume", "deployment/web"]);
    await c.k(["rollout", "status", "deployment/web", "--timeout=60s"]);
    expect((await ownedReplicaSets("web")).length).toBe(4);

    // Scale through the scale subresource.
    await c.k(["scale", "deployment/web", "--replicas=6"]);
    await c.k(["rollout", "status", "deployment/web", "--timeout=60s"]);
    d = await c.client.get(R.deployments, "default", "web");
    expect(d.status).toMatchObject({ replicas: 6, updatedReplicas: 6, availableReplicas: 6 });

    const describe = await c.k(["describe", "deployment", "web"]);
    expect(describe).toMatch(/NewReplicaSet:\s+web-\w+ \(6\/6 replicas created\)/);
    expect(describe).toMatch(/Progressing\s+True\s+NewReplicaSetAvailable/);
    expect(describe).toMatch(/ScalingReplicaSet .*Scaled up replica set web-\w+ from 4 to 6/);
    const events = await c.k(["get", "events", "--field-selector", "reason=SuccessfulCreate", "-o", "jsonpath={.items[*].message}"]);
    expect(events).toContain("Created pod: web-");
  }, 120_000);

  it("revisionHistoryLimit keeps only that many old ReplicaSets", async () => {
    await c.k(["apply", "-f", "-"], { stdin: manifest("hist", 1, "busybox:1", { revisionHistoryLimit: 1 }) });
    for (const v of ["2", "3", "4"]) {
      await c.k(["set", "image", "deployment/hist", `main=busybox:${v}`]);
      await c.k(["rollout", "status", "deployment/hist", "--timeout=60s"]);
    }
    const rss = await eventually("old ReplicaSets cleaned up", async () => {
      const l = await ownedReplicaSets("hist");
      return l.length === 2 ? l : undefined;
    });
    expect(rss.map((r) => r.metadata.annotations["deployment.kubernetes.io/revision"]).sort()).toEqual(["3", "4"]);
  }, 60_000);

  it("Recreate removes every old pod before creating new ones", async () => {
    await c.k(["apply", "-f", "-"], { stdin: JSON.stringify({ ...JSON.parse(manifest("rec", 3, "app:1")), spec: { ...JSON.parse(manifest("rec", 3, "app:1")).spec, strategy: { type: "Recreate" } } }) });
    await c.k(["rollout", "status", "deployment/rec", "--timeout=60s"]);
    const seen: { t: number; image: string; terminating: boolean }[] = [];
    const inf = new Informer(c.client, R.pods, { namespace: "default", labelSelector: "app=rec" });
    let overlap = false;
    inf.addHandlers({
      add: (p) => {
        if (p.spec.containers[0].image === "app:2" && inf.list().some((o) => o.spec.containers[0].image === "app:1")) overlap = true;
        seen.push({ t: Date.now(), image: p.spec.containers[0].image, terminating: false });
      },
    });
    inf.start();
    await inf.waitForSync();
    try {
      await c.k(["set", "image", "deployment/rec", "main=app:2"]);
      await c.k(["rollout", "status", "deployment/rec", "--timeout=60s"]);
    } finally {
      inf.stop();
    }
    expect(overlap).toBe(false);
    expect(seen.filter((s) => s.image === "app:2").length).toBe(3);
  }, 60_000);

  it("reports ProgressDeadlineExceeded when new pods never become ready, and rollout status fails", async () => {
    await c.k(["apply", "-f", "-"], { stdin: manifest("stuck", 2, "nginx:1", { progressDeadlineSeconds: 3 }) });
    await c.k(["rollout", "status", "deployment/stuck", "--timeout=60s"]);
    await c.k(["set", "image", "deployment/stuck", "main=registry.invalid/never-ready:1"]);
    const r = await c.kubectl(["rollout", "status", "deployment/stuck", "--timeout=30s"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('deployment "stuck" exceeded its progress deadline');
    const d = await c.client.get(R.deployments, "default", "stuck");
    const prog = d.status.conditions.find((k: KObj) => k.type === "Progressing");
    expect(prog).toMatchObject({ status: "False", reason: "ProgressDeadlineExceeded" });
    expect(prog.message).toMatch(/^ReplicaSet "stuck-\w+" has timed out progressing\.$/);
    // maxUnavailable 1 of 2: one old pod keeps serving.
    expect(d.status.availableReplicas).toBeGreaterThanOrEqual(1);
    expect(d.status.conditions.find((k: KObj) => k.type === "Available")).toMatchObject({ status: "True", reason: "MinimumReplicasAvailable" });
  }, 60_000);
});
