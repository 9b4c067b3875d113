import { expect, test } from "bun:test";
import { classFor, localPathRoot, localPathStorageClass, localPathVolume, pickNode, unsupported } from "./local-path-volume.ts";

const sc = (name: string, isDefault = false, created = "2026-01-01T00:00:00Z") => ({ metadata: { name, creationTimestamp: created, annotations: isDefault ? { "storageclass.kubernetes.io/is-default-class": "true" } : {} }, provisioner: "p" });
const pvc = (spec: Record<string, unknown> = {}) => ({ metadata: { name: "c", namespace: "n", uid: "u1", resourceVersion: "7" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "2Gi" } }, ...spec } });

test("class resolution: named, explicit none, newest default", () => {
  const classes = [sc("a"), sc("old-default", true), sc("new-default", true, "2026-02-01T00:00:00Z")];
  expect(classFor(pvc({ storageClassName: "a" }), classes)?.metadata.name).toBe("a");
  expect(classFor(pvc({ storageClassName: "" }), classes)).toBeUndefined();
  expect(classFor(pvc(), classes)?.metadata.name).toBe("new-default");
  expect(classFor(pvc(), [sc("a")])).toBeUndefined();
  expect(classFor(pvc({ storageClassName: "missing" }), classes)).toBeUndefined();
});

test("volume for a claim on a node", () => {
  const pv = localPathVolume(pvc(), localPathStorageClass(), { metadata: { name: "node-1", labels: { "kubernetes.io/hostname": "host-1" } } }, "/data/");
  expect(pv.metadata.name).toBe("pvc-u1");
  expect(pv.spec.hostPath.path).toBe("/data/pvc-u1");
  expect(pv.spec.capacity).toEqual({ storage: "2Gi" });
  expect(pv.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values).toEqual(["host-1"]);
  expect(pv.spec.claimRef).toEqual({ kind: "PersistentVolumeClaim", apiVersion: "v1", namespace: "n", name: "c", uid: "u1", resourceVersion: "7" });
  expect(pv.metadata.annotations["volume.kubernetes.io/selected-node"]).toBe("node-1");
  expect(localPathRoot({})).toBe("/var/lib/kite/storage");
  expect(localPathRoot({ KITE_LOCAL_PATH_ROOT: "/x" })).toBe("/x");
});

test("unsupported claims and node choice", () => {
  expect(unsupported(pvc())).toBeNull();
  expect(unsupported(pvc({ accessModes: ["ReadWriteMany"] }))).toContain("ReadWriteMany");
  expect(unsupported(pvc({ volumeMode: "Block" }))).toContain("Block");
  expect(unsupported(pvc({ selector: { matchLabels: {} } }))).toContain("Selector");
  const ready = (name: string, extra: Record<string, unknown> = {}) => ({ metadata: { name }, spec: extra, status: { conditions: [{ type: "Ready", status: "True" }] } });
  const nodes = [ready("b"), ready("a"), ready("c", { unschedulable: true }), { metadata: { name: "d" }, status: { conditions: [{ type: "Ready", status: "Unknown" }] } }];
  const vol = (node: string) => ({ metadata: { annotations: { "volume.kubernetes.io/selected-node": node, "pv.kubernetes.io/provisioned-by": "kite.io/local-path" } } });
  expect(pickNode(nodes, [])?.metadata.name).toBe("a");
  expect(pickNode(nodes, [vol("a")])?.metadata.name).toBe("b");
  expect(pickNode([nodes[3]!], [])).toBeUndefined();
});
