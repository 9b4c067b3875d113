/**
 * The local-path provisioner, running in a real kite server (KITE_LOCAL_PATH_ROOT set),
 * with kubectl. The pod names a scheduler that does not exist, so kite's scheduler leaves
 * it alone and the test SIMULATES one: it sets the claim's
 * volume.kubernetes.io/selected-node annotation and binds the pod, as kube-scheduler's
 * volume binding does for WaitForFirstConsumer claims.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { KObj } from "../../../src/client/client.ts";
import { R } from "../../../src/client/resources.ts";
import { rfc3339 } from "../../../src/api/registry/objects.ts";
import { eventually, startCluster, yamlDocs, type Cluster } from "./harness.ts";

let c: Cluster;
const NS = "default";

beforeAll(async () => {
  c = await startCluster({ env: { KITE_LOCAL_PATH_ROOT: "/srv/kite-volumes/" } });
}, 60_000);
afterAll(async () => {
  await c?.stop();
});

const claim = (name: string, extra: KObj = {}): KObj => ({
  apiVersion: "v1",
  kind: "PersistentVolumeClaim",
  metadata: { name, namespace: NS },
  spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } }, ...extra },
});

async function readyNode(name: string) {
  await c.kubectl(["apply", "-f", "-"], yamlDocs({ apiVersion: "v1", kind: "Node", metadata: { name, labels: { "kubernetes.io/hostname": name } } }));
  const n = await c.client.get(R.nodes, undefined, name);
  const now = rfc3339(new Date());
  n.status = { ...n.status, conditions: [{ type: "Ready", status: "True", reason: "KubeletReady", message: "simulated", lastHeartbeatTime: now, lastTransitionTime: now }] };
  await c.client.updateStatus(R.nodes, undefined, n);
}

test("the default StorageClass exists", async () => {
  const sc = await eventually(() => c.client.getOrNull(R.storageclasses, undefined, "local-path"), (x) => x !== null, 15_000, "local-path class");
  expect(sc).toMatchObject({ provisioner: "kite.io/local-path", reclaimPolicy: "Delete", volumeBindingMode: "WaitForFirstConsumer" });
  expect(sc!.metadata.annotations["storageclass.kubernetes.io/is-default-class"]).toBe("true");
  expect(await c.kubectl(["get", "storageclass"])).toMatch(/local-path \(default\)\s+kite.io\/local-path\s+Delete\s+WaitForFirstConsumer/);
});

test("WaitForFirstConsumer: a claim gets a volume on its pod's node once the scheduler picks one; deleting the claim deletes it", async () => {
  await readyNode("edge-a");
  await c.kubectl(["apply", "-f", "-"], yamlDocs(
    claim("data"),
    { apiVersion: "v1", kind: "Pod", metadata: { name: "app", namespace: NS }, spec: { schedulerName: "simulated-scheduler", containers: [{ name: "c", image: "busybox", volumeMounts: [{ name: "d", mountPath: "/data" }] }], volumes: [{ name: "d", persistentVolumeClaim: { claimName: "data" } }] } },
  ));
  // No consumer scheduled yet: the claim waits, and says so.
  await eventually(async () => c.kubectl(["get", "events", "-n", NS, "--field-selector", "involvedObject.name=data", "-o", "jsonpath={.items[*].reason}"]), (r) => r.includes("WaitForFirstConsumer"), 15_000, "WaitForFirstConsumer event");
  expect((await c.client.get(R.persistentvolumeclaims, NS, "data")).status.phase).toBe("Pending");
  expect((await c.client.list(R.persistentvolumes)).items).toEqual([]);

  // SIMULATED scheduler: pick edge-a for the claim, then bind the pod there.
  await c.kubectl(["annotate", "pvc", "data", "-n", NS, "volume.kubernetes.io/selected-node=edge-a"]);
  await c.client.createSub(R.pods, NS, "app", "binding", { apiVersion: "v1", kind: "Binding", metadata: { name: "app" }, target: { apiVersion: "v1", kind: "Node", name: "edge-a" } });

  const pvc = await eventually(() => c.client.get(R.persistentvolumeclaims, NS, "data"), (x) => x.status?.phase === "Bound", 15_000, "claim bound");
  const pvName = `pvc-${pvc.metadata.uid}`;
  expect(pvc.spec.volumeName).toBe(pvName);
  expect(pvc.status.capacity).toEqual({ storage: "1Gi" });
  const pv = await c.client.get(R.persistentvolumes, undefined, pvName);
  expect(pv.status.phase).toBe("Bound");
  expect(pv.spec.hostPath).toEqual({ path: `/srv/kite-volumes/${pvName}`, type: "DirectoryOrCreate" });
  expect(pv.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0]).toEqual({ key: "kubernetes.io/hostname", operator: "In", values: ["edge-a"] });
  expect(pv.spec.claimRef).toMatchObject({ namespace: NS, name: "data", uid: pvc.metadata.uid });
  expect(pv.spec.storageClassName).toBe("local-path");
  expect(pv.spec.persistentVolumeReclaimPolicy).toBe("Delete");
  expect(await c.kubectl(["get", "pvc", "data", "-n", NS])).toMatch(new RegExp(`data\\s+Bound\\s+${pvName}\\s+1Gi\\s+RWO`));
  // The claim's own class stays unset until the API allows the retroactive default
  // (nil → class on an unbound claim, upstream 1.28+) or defaults it at creation.

  await c.kubectl(["delete", "pod", "app", "-n", NS, "--grace-period=0", "--force"]);
  await c.kubectl(["delete", "pvc", "data", "-n", NS]);
  await eventually(() => c.client.getOrNull(R.persistentvolumes, undefined, pvName), (x) => x === null, 15_000, "volume deleted");
}, 60_000);

test("Immediate binding provisions on a Ready node; other provisioners' claims are left alone; Retain releases", async () => {
  await c.kubectl(["apply", "-f", "-"], yamlDocs(
    { apiVersion: "storage.k8s.io/v1", kind: "StorageClass", metadata: { name: "local-now" }, provisioner: "kite.io/local-path", reclaimPolicy: "Retain", volumeBindingMode: "Immediate" },
    { apiVersion: "storage.k8s.io/v1", kind: "StorageClass", metadata: { name: "elsewhere" }, provisioner: "example.com/nfs" },
    claim("now", { storageClassName: "local-now" }),
    claim("foreign", { storageClassName: "elsewhere" }),
    claim("rwx", { storageClassName: "local-now", accessModes: ["ReadWriteMany"] }),
  ));
  const pvc = await eventually(() => c.client.get(R.persistentvolumeclaims, NS, "now"), (x) => x.status?.phase === "Bound", 15_000, "immediate claim bound");
  const pv = await c.client.get(R.persistentvolumes, undefined, pvc.spec.volumeName);
  expect(pv.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values).toEqual(["edge-a"]);
  await eventually(async () => c.kubectl(["get", "events", "-n", NS, "--field-selector", "involvedObject.name=rwx", "-o", "jsonpath={.items[*].message}"]), (m) => m.includes("ReadWriteMany is not supported"), 15_000, "rwx refused");
  expect((await c.client.get(R.persistentvolumeclaims, NS, "foreign")).status.phase).toBe("Pending");
  expect((await c.client.get(R.persistentvolumeclaims, NS, "rwx")).status.phase).toBe("Pending");

  await c.kubectl(["delete", "pvc", "now", "-n", NS]);
  const released = await eventually(() => c.client.get(R.persistentvolumes, undefined, pv.metadata.name), (x) => x.status?.phase === "Released", 15_000, "retained volume released");
  expect(released.spec.hostPath.path).toBe(`/srv/kite-volumes/${pv.metadata.name}`);
}, 60_000);
