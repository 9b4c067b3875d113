import { describe, expect, test } from "bun:test";
import { fitErrorMessage, newDiagnosis, unresolvable, unschedulable } from "./status.ts";

describe("FitError message", () => {
  test("reasons counted per node, '<n> <reason>' sorted as strings, preemption appended", () => {
    const d = newDiagnosis();
    d.nodeStatuses.set("a", unschedulable("NodeResourcesFit", "Insufficient memory"));
    d.nodeStatuses.set("b", unschedulable("NodeResourcesFit", "Insufficient memory"));
    d.nodeStatuses.set("c", unresolvable("TaintToleration", "node(s) had untolerated taint {node.kubernetes.io/unreachable: }"));
    expect(fitErrorMessage(3, d)).toBe("0/3 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }, 2 Insufficient memory.");
    d.postFilterMsg = "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.";
    expect(fitErrorMessage(3, d)).toBe(
      "0/3 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }, 2 Insufficient memory. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
    );
  });
  test("a node with several reasons counts each; Go's string sort puts 10 before 2", () => {
    const d = newDiagnosis();
    for (let i = 0; i < 10; i++) d.nodeStatuses.set(`n${i}`, unschedulable("NodeResourcesFit", "Insufficient cpu", "Insufficient memory"));
    d.nodeStatuses.set("x", unschedulable("NodePorts", "node(s) didn't have free ports for the requested pod ports"));
    d.nodeStatuses.set("y", unschedulable("NodePorts", "node(s) didn't have free ports for the requested pod ports"));
    expect(fitErrorMessage(12, d)).toBe("0/12 nodes are available: 10 Insufficient cpu, 10 Insufficient memory, 2 node(s) didn't have free ports for the requested pod ports.");
  });
  test("a PreFilter rejection replaces the per-node histogram; absent nodes count with their status", () => {
    const d = newDiagnosis();
    d.preFilterMsg = "pod has unbound immediate PersistentVolumeClaims";
    d.absent = { status: unresolvable("VolumeBinding", d.preFilterMsg), count: 3 };
    expect(fitErrorMessage(3, d)).toBe("0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims.");
    const e = newDiagnosis();
    e.nodeStatuses.set("n2", unschedulable("NodeResourcesFit", "Too many pods"));
    e.absent = { status: unresolvable("NodeAffinity", "node(s) didn't satisfy plugin(s) [NodeAffinity]"), count: 45 };
    expect(fitErrorMessage(46, e)).toBe("0/46 nodes are available: 1 Too many pods, 45 node(s) didn't satisfy plugin(s) [NodeAffinity].");
  });
});
