import { describe, expect, it } from "bun:test";
import type { KObj } from "../../../client/client.ts";
import { updateStatefulSet, type StatefulPodOps } from "./control.ts";
import { newStatefulSetPod } from "./identity.ts";

const rev = (name: string, image: string) => ({ metadata: { name }, data: { spec: { template: { metadata: { labels: { app: "w" } }, spec: { containers: [{ name: "c", image }] }, $patch: "replace" } } } });

function set(replicas: number, extra: KObj = {}): KObj {
  return {
    metadata: { name: "web", namespace: "ns", uid: "set-uid", generation: 1 },
    spec: { replicas, serviceName: "web", podManagementPolicy: "OrderedReady", updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 0 } }, selector: { matchLabels: { app: "w" } }, template: { metadata: { labels: { app: "w" } }, spec: { containers: [{ name: "c", image: "v2" }] } }, volumeClaimTemplates: [{ metadata: { name: "data" }, spec: {} }], ...extra },
    status: {},
  };
}

function revisions(s: KObj) {
  const cur = rev("web-old", "v1");
  const upd = rev("web-new", "v2");
  const at = (r: KObj) => ({ ...s, spec: { ...s.spec, template: r.data.spec.template } });
  return { current: cur, update: upd, currentSet: at(cur), updateSet: at(upd) };
}

function running(s: KObj, ord: number, revision = "web-new", ready = true): KObj {
  const p = newStatefulSetPod(s, ord, revision);
  p.metadata.uid = `uid-${ord}`;
  p.status = { phase: "Running", conditions: [{ type: "Ready", status: ready ? "True" : "False", lastTransitionTime: "2026-01-01T00:00:00Z" }] };
  return p;
}

class FakeOps implements StatefulPodOps {
  log: string[] = [];
  async createPod(_s: KObj, p: KObj) {
    this.log.push(`create ${p.metadata.name} ${p.metadata.labels["controller-revision-hash"]}`);
  }
  async deletePod(_s: KObj, p: KObj) {
    this.log.push(`delete ${p.metadata.name}`);
  }
  async updatePod(_s: KObj, p: KObj) {
    this.log.push(`update ${p.metadata.name}`);
  }
  async createMissingClaims(_s: KObj, p: KObj) {
    this.log.push(`claims ${p.metadata.name}`);
  }
  claimsMatchRetention() {
    return true;
  }
  async updateClaimRetention() {}
  event(_s: KObj, _t: string, reason: string) {
    this.log.push(`event ${reason}`);
  }
}

describe("StatefulSet update pass", () => {
  it("creates pods one at a time in ordinal order, each after its predecessors are ready (OrderedReady)", async () => {
    const s = set(3);
    const ops = new FakeOps();
    await updateStatefulSet(s, revisions(s), [], ops);
    expect(ops.log).toEqual(["create web-0 web-new"]);
    ops.log = [];
    await updateStatefulSet(s, revisions(s), [running(s, 0, "web-new", false)], ops);
    expect(ops.log).toEqual([]);
    await updateStatefulSet(s, revisions(s), [running(s, 0)], ops);
    expect(ops.log).toEqual(["create web-1 web-new"]);
  });

  it("creates them all at once with Parallel", async () => {
    const s = set(3, { podManagementPolicy: "Parallel" });
    const ops = new FakeOps();
    await updateStatefulSet(s, revisions(s), [], ops);
    expect(ops.log.sort()).toEqual(["create web-0 web-new", "create web-1 web-new", "create web-2 web-new"]);
  });

  it("gives new pods the identity, DNS names and claim volumes", () => {
    const p = newStatefulSetPod(set(1), 4, "web-new");
    expect(p.metadata.name).toBe("web-4");
    expect(p.metadata.labels).toMatchObject({ "statefulset.kubernetes.io/pod-name": "web-4", "apps.kubernetes.io/pod-index": "4", "controller-revision-hash": "web-new", app: "w" });
    expect(p.spec.hostname).toBe("web-4");
    expect(p.spec.subdomain).toBe("web");
    expect(p.spec.volumes).toEqual([{ name: "data", persistentVolumeClaim: { claimName: "data-web-4" } }]);
    expect(p.metadata.ownerReferences[0]).toMatchObject({ kind: "StatefulSet", name: "web", controller: true });
  });

  it("scales down from the highest ordinal, one at a time, waiting for termination", async () => {
    const s = set(1);
    const ops = new FakeOps();
    const pods = [running(s, 0), running(s, 1), running(s, 2)];
    await updateStatefulSet(s, revisions(s), pods, ops);
    expect(ops.log).toEqual(["delete web-2"]);
    ops.log = [];
    pods[2]!.metadata.deletionTimestamp = "2026-01-01T00:00:00Z";
    await updateStatefulSet(s, revisions(s), pods, ops);
    expect(ops.log).toEqual([]);
    await updateStatefulSet(s, revisions(s), pods.slice(0, 2), ops);
    expect(ops.log).toEqual(["delete web-1"]);
  });

  it("rolls an update in reverse ordinal order, down to the partition", async () => {
    const s = set(3);
    const ops = new FakeOps();
    const old = [running(s, 0, "web-old"), running(s, 1, "web-old"), running(s, 2, "web-old")];
    const res = await updateStatefulSet(s, revisions(s), old, ops);
    expect(ops.log).toEqual(["delete web-2"]);
    expect(res.status).toMatchObject({ replicas: 3, readyReplicas: 3, currentReplicas: 2, updatedReplicas: 0 });
    ops.log = [];
    // web-2 is back at the new revision but not ready yet: wait.
    await updateStatefulSet(s, revisions(s), [old[0]!, old[1]!, running(s, 2, "web-new", false)], ops);
    expect(ops.log).toEqual([]);
    await updateStatefulSet(s, revisions(s), [old[0]!, old[1]!, running(s, 2, "web-new")], ops);
    expect(ops.log).toEqual(["delete web-1"]);
    ops.log = [];
    const parted = set(3, { updateStrategy: { type: "RollingUpdate", rollingUpdate: { partition: 2 } } });
    await updateStatefulSet(parted, revisions(parted), [old[0]!, old[1]!, running(parted, 2, "web-new")], ops);
    expect(ops.log).toEqual([]);
    // Below the partition, a recreated pod stays at the current revision.
    await updateStatefulSet(parted, revisions(parted), [old[0]!, running(parted, 2, "web-new")], ops);
    expect(ops.log).toEqual(["create web-1 web-old"]);
  });

  it("does not update with OnDelete", async () => {
    const s = set(2, { updateStrategy: { type: "OnDelete" } });
    const ops = new FakeOps();
    await updateStatefulSet(s, revisions(s), [running(s, 0, "web-old"), running(s, 1, "web-old")], ops);
    expect(ops.log).toEqual([]);
  });

  it("recreates a failed pod", async () => {
    const s = set(1);
    const ops = new FakeOps();
    const p = running(s, 0);
    p.status.phase = "Failed";
    await updateStatefulSet(s, revisions(s), [p], ops);
    expect(ops.log).toEqual(["event RecreatingFailedPod", "delete web-0", "create web-0 web-new"]);
  });
});
