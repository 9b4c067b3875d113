import { expect, test } from "bun:test";
import { R } from "../../../client/resources.ts";
import { deletingDependents, nodeOf, orphaning, OwnerGraph } from "./graph.ts";

const obj = (uid: string, owners: { uid: string; block?: boolean }[] = [], meta: Record<string, unknown> = {}) =>
  nodeOf(R.configmaps, { metadata: { uid, name: uid, namespace: "n", resourceVersion: "1", ownerReferences: owners.map((o) => ({ apiVersion: "v1", kind: "ConfigMap", name: o.uid, uid: o.uid, blockOwnerDeletion: o.block })), ...meta } });

test("dependents are indexed by owner UID, also while the owner is absent", () => {
  const g = new OwnerGraph();
  g.upsert(obj("a"));
  g.upsert(obj("b", [{ uid: "a", block: true }]));
  g.upsert(obj("c", [{ uid: "a" }, { uid: "x" }]));
  expect(g.dependentsOf("a").map((n) => n.uid).sort()).toEqual(["b", "c"]);
  expect(g.blockingDependentsOf("a").map((n) => n.uid)).toEqual(["b"]);
  expect(g.dependentsOf("x").map((n) => n.uid)).toEqual(["c"]); // x was never seen
  g.remove("a");
  expect(g.has("a")).toBe(false);
  expect(g.dependentsOf("a").map((n) => n.uid).sort()).toEqual(["b", "c"]);
  // Changing owner references re-indexes.
  g.upsert(obj("c", [{ uid: "x" }]));
  expect(g.dependentsOf("a").map((n) => n.uid)).toEqual(["b"]);
  g.remove("b");
  expect(g.dependentsOf("a")).toEqual([]);
  expect(g.size).toBe(1);
});

test("deletion modes come from deletionTimestamp and finalizers", () => {
  const ts = { deletionTimestamp: "2026-01-01T00:00:00Z" };
  expect(deletingDependents(obj("a", [], { ...ts, finalizers: ["foregroundDeletion"] }))).toBe(true);
  expect(deletingDependents(obj("a", [], { finalizers: ["foregroundDeletion"] }))).toBe(false);
  expect(orphaning(obj("a", [], { ...ts, finalizers: ["orphan"] }))).toBe(true);
  expect(orphaning(obj("a", [], ts))).toBe(false);
});
