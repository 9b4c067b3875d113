import { describe, expect, test } from "bun:test";
import type { KObj, KubeClient } from "../../client/client.ts";
import { CycleState } from "../framework.ts";
import { cacheWith, filterOnce, makeNode, pi } from "../testing.ts";
import { Code } from "../status.ts";
import { ANN_SELECTED_NODE, ERR_REASON_BIND_CONFLICT, ERR_REASON_NODE_CONFLICT, ERR_REASON_PV_NOT_EXIST, ERR_UNBOUND_IMMEDIATE, VolumeBinding, type VolumeListers } from "./volume-binding.ts";

const host = "kubernetes.io/hostname";
const snap = cacheWith([makeNode("n1", { labels: { zone: "a" } }), makeNode("n2", { labels: { zone: "b" } })]);

function world() {
  const pvcs = new Map<string, KObj>();
  const pvs = new Map<string, KObj>();
  const classes = new Map<string, KObj>();
  const listers: VolumeListers = {
    pvc: (ns, n) => pvcs.get(`${ns}/${n}`),
    pv: (n) => pvs.get(n),
    storageClass: (n) => classes.get(n),
    storageClasses: () => classes.values(),
    pvs: () => pvs.values(),
  };
  const pvc = (name: string, spec: KObj = {}) => pvcs.set(`default/${name}`, { metadata: { name, namespace: "default", uid: `uid-${name}`, resourceVersion: "7" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "5Gi" } }, ...spec } });
  const pv = (name: string, node: string | null, spec: KObj = {}, status: KObj = { phase: "Available" }) =>
    pvs.set(name, {
      metadata: { name },
      spec: { capacity: { storage: "10Gi" }, accessModes: ["ReadWriteOnce"], ...(node ? { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: host, operator: "In", values: [node] }] }] } } } : {}), ...spec },
      status,
    });
  classes.set("local-path", { metadata: { name: "local-path" }, provisioner: "rancher.io/local-path", volumeBindingMode: "WaitForFirstConsumer" });
  classes.set("fast", { metadata: { name: "fast" }, provisioner: "example.com/fast", volumeBindingMode: "Immediate" });
  classes.set("local-static", { metadata: { name: "local-static" }, provisioner: "kubernetes.io/no-provisioner", volumeBindingMode: "WaitForFirstConsumer" });
  classes.set("zoned", { metadata: { name: "zoned" }, provisioner: "rancher.io/local-path", volumeBindingMode: "WaitForFirstConsumer", allowedTopologies: [{ matchLabelExpressions: [{ key: "zone", values: ["b"] }] }] });
  return { pvcs, pvs, listers, pvc, pv };
}

const withClaim = (claim = "data") => pi("p", { volumes: [{ name: "v", persistentVolumeClaim: { claimName: claim } }] });

describe("VolumeBinding filter", () => {
  test("no claims: skip; missing claims are unresolvable in PreFilter", () => {
    const w = world();
    const vb = new VolumeBinding({ listers: w.listers });
    expect(filterOnce(vb, pi("p"), "n1", snap)).toBe("skip");
    expect(filterOnce(vb, withClaim(), "n1", snap)).toMatchObject({ code: Code.UnschedulableAndUnresolvable, reasons: ['persistentvolumeclaim "data" not found'] });
    const eph = pi("p", { volumes: [{ name: "scratch", ephemeral: { volumeClaimTemplate: { spec: {} } } }] });
    expect(filterOnce(vb, eph, "n1", snap)).toMatchObject({ reasons: ['waiting for ephemeral volume controller to create the persistentvolumeclaim "p-scratch"'] });
  });
  test("a claim bound to a local PV pins the pod to the PV's node", () => {
    const w = world();
    w.pvc("data", { volumeName: "pv1" });
    w.pv("pv1", "n1", {}, { phase: "Bound" });
    const vb = new VolumeBinding({ listers: w.listers });
    expect(filterOnce(vb, withClaim(), "n1", snap)).toBeNull();
    expect(filterOnce(vb, withClaim(), "n2", snap)).toMatchObject({ code: Code.UnschedulableAndUnresolvable, reasons: [ERR_REASON_NODE_CONFLICT] });
    w.pvc("data", { volumeName: "gone" });
    expect(filterOnce(vb, withClaim(), "n1", snap)).toMatchObject({ reasons: [ERR_REASON_PV_NOT_EXIST] });
  });
  test("unbound claims: Immediate classes wait for their binder, unknown classes are reported", () => {
    const w = world();
    w.pvc("data", { storageClassName: "fast" });
    const vb = new VolumeBinding({ listers: w.listers });
    expect(filterOnce(vb, withClaim(), "n1", snap)).toMatchObject({ reasons: [ERR_UNBOUND_IMMEDIATE] });
    w.pvc("data", { storageClassName: "nope" });
    expect(filterOnce(vb, withClaim(), "n1", snap)).toMatchObject({ reasons: ['storageclass.storage.k8s.io "nope" not found'] });
  });
  test("a claim without storageClassName uses the default class", () => {
    const w = world();
    w.pvc("data");
    const vb = new VolumeBinding({ listers: w.listers });
    expect(filterOnce(vb, withClaim(), "n1", snap)).toMatchObject({ reasons: [ERR_UNBOUND_IMMEDIATE] }); // no default class: nothing binds it
    w.listers.storageClass("local-path")!.metadata.annotations = { "storageclass.kubernetes.io/is-default-class": "true" };
    expect(filterOnce(vb, withClaim(), "n1", snap)).toBeNull();
    w.pvc("data", { storageClassName: "" }); // explicitly no class: static binding only
    expect(filterOnce(vb, withClaim(), "n1", snap)).toMatchObject({ reasons: [ERR_UNBOUND_IMMEDIATE] });
  });
  test("WaitForFirstConsumer: a provisioner can provision on any node its allowedTopologies permit", () => {
    const w = world();
    w.pvc("data", { storageClassName: "local-path" });
    const vb = new VolumeBinding({ listers: w.listers });
    expect(filterOnce(vb, withClaim(), "n1", snap)).toBeNull();
    w.pvc("data", { storageClassName: "zoned" });
    expect(filterOnce(vb, withClaim(), "n1", snap)).toMatchObject({ reasons: [ERR_REASON_BIND_CONFLICT] });
    expect(filterOnce(vb, withClaim(), "n2", snap)).toBeNull();
  });
  test("WaitForFirstConsumer without a provisioner: an available local PV must fit on the node", () => {
    const w = world();
    w.pvc("data", { storageClassName: "local-static" });
    w.pv("small", "n2", { storageClassName: "local-static", capacity: { storage: "1Gi" } });
    w.pv("big", "n1", { storageClassName: "local-static" });
    w.pv("taken", "n2", { storageClassName: "local-static", claimRef: { namespace: "default", name: "someone-else" } }, { phase: "Bound" });
    w.pv("released", "n2", { storageClassName: "local-static" }, { phase: "Released" });
    const vb = new VolumeBinding({ listers: w.listers });
    expect(filterOnce(vb, withClaim(), "n1", snap)).toBeNull();
    expect(filterOnce(vb, withClaim(), "n2", snap)).toMatchObject({ reasons: [ERR_REASON_BIND_CONFLICT] });
  });
});

describe("VolumeBinding reserve and PreBind", () => {
  function fakeClient(log: { kind: string; name: string; body: KObj }[]): KubeClient {
    return {
      patch: async (r: { resource: string }, _ns: string | undefined, name: string, body: KObj) => {
        log.push({ kind: r.resource, name, body });
        return {};
      },
    } as unknown as KubeClient;
  }

  test("dynamic provisioning: the claim gets the selected-node annotation; the pod binds once the claim is bound", async () => {
    const w = world();
    w.pvc("data", { storageClassName: "local-path" });
    const log: { kind: string; name: string; body: KObj }[] = [];
    const vb = new VolumeBinding({ listers: w.listers, client: fakeClient(log), pollMs: 5 });
    const state = new CycleState();
    const pod = withClaim();
    vb.preFilter(state, pod);
    expect(vb.filter(state, pod, snap.get("n2")!)).toBeNull();
    expect(vb.reserve(state, pod, "n2")).toBeNull();
    const done = vb.preBind(state, pod, "n2", new AbortController().signal);
    await Bun.sleep(20);
    expect(log).toEqual([{ kind: "persistentvolumeclaims", name: "data", body: { metadata: { annotations: { [ANN_SELECTED_NODE]: "n2" } } } }]);
    // The provisioner annotates (as the patch would), creates the PV and binds the claim.
    w.pvc("data", { storageClassName: "local-path", volumeName: "pvc-123" });
    w.pvcs.get("default/data")!.metadata.annotations = { [ANN_SELECTED_NODE]: "n2" };
    w.pv("pvc-123", "n2", {}, { phase: "Bound" });
    expect(await done).toBeNull();
  });

  test("the provisioner resetting the annotation, or a timeout, fails PreBind", async () => {
    const w = world();
    w.pvc("data", { storageClassName: "local-path" });
    const vb = new VolumeBinding({ listers: w.listers, client: fakeClient([]), pollMs: 5, bindTimeoutMs: 60 });
    const state = new CycleState();
    const pod = withClaim();
    vb.preFilter(state, pod);
    vb.filter(state, pod, snap.get("n1")!);
    vb.reserve(state, pod, "n1");
    // Annotated (the informer caught up with the patch), nothing provisions: timeout.
    w.pvcs.get("default/data")!.metadata.annotations = { [ANN_SELECTED_NODE]: "n1" };
    expect(await vb.preBind(state, pod, "n1", new AbortController().signal)).toMatchObject({ code: Code.Error, reasons: ["binding volumes: context deadline exceeded"] });
    // The provisioner gives up and removes the annotation: reset.
    const again = vb.preBind(state, pod, "n1", new AbortController().signal);
    await Bun.sleep(20);
    delete w.pvcs.get("default/data")!.metadata.annotations[ANN_SELECTED_NODE];
    expect(await again).toMatchObject({ code: Code.Error, reasons: ['binding volumes: selectedNode annotation reset for PVC "data"'] });
  });

  test("static binding: the chosen PV gets the claimRef, and is not offered to another claim meanwhile", async () => {
    const w = world();
    w.pvc("data", { storageClassName: "local-static" });
    w.pvc("data2", { storageClassName: "local-static" });
    w.pv("big", "n1", { storageClassName: "local-static" });
    const log: { kind: string; name: string; body: KObj }[] = [];
    const vb = new VolumeBinding({ listers: w.listers, client: fakeClient(log), pollMs: 5 });
    const state = new CycleState();
    const pod = withClaim();
    vb.preFilter(state, pod);
    expect(vb.filter(state, pod, snap.get("n1")!)).toBeNull();
    vb.reserve(state, pod, "n1");
    // Another pod's claim cannot take the assumed PV.
    expect(filterOnce(vb, pi("q", { volumes: [{ name: "v", persistentVolumeClaim: { claimName: "data2" } }] }), "n1", snap)).toMatchObject({ reasons: [ERR_REASON_BIND_CONFLICT] });
    const done = vb.preBind(state, pod, "n1", new AbortController().signal);
    await Bun.sleep(20);
    // Both ways, like the PV controller: PV claimRef, PV phase, claim volumeName, claim phase.
    expect(log.map((l) => `${l.kind}/${l.name}`)).toEqual(["persistentvolumes/big", "persistentvolumes/big", "persistentvolumeclaims/data", "persistentvolumeclaims/data"]);
    expect(log[0]!.body).toMatchObject({ spec: { claimRef: { namespace: "default", name: "data", uid: "uid-data" } } });
    expect(log[1]!.body).toEqual({ status: { phase: "Bound" } });
    expect(log[2]!.body).toMatchObject({ spec: { volumeName: "big" } });
    expect(log[3]!.body).toMatchObject({ status: { phase: "Bound", capacity: { storage: "10Gi" } } });
    w.pvc("data", { storageClassName: "local-static", volumeName: "big" });
    expect(await done).toBeNull();
  });
});
