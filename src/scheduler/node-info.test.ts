import { describe, expect, test } from "bun:test";
import { effectiveTaints, NodeInfo } from "./node-info.ts";
import { makeNode, pi } from "./testing.ts";

describe("effective taints", () => {
  test("Ready False/Unknown/absent become not-ready/unreachable NoSchedule taints", () => {
    expect(effectiveTaints(makeNode("n"))).toEqual([]);
    expect(effectiveTaints(makeNode("n", { ready: "False" }))).toEqual([{ key: "node.kubernetes.io/not-ready", value: "", effect: "NoSchedule" }]);
    expect(effectiveTaints(makeNode("n", { ready: "Unknown" }))).toEqual([{ key: "node.kubernetes.io/unreachable", value: "", effect: "NoSchedule" }]);
    expect(effectiveTaints(makeNode("n", { ready: null }))).toEqual([{ key: "node.kubernetes.io/unreachable", value: "", effect: "NoSchedule" }]);
  });
  test("an existing controller taint is not duplicated; pressure conditions add theirs", () => {
    const n = makeNode("n", { ready: "Unknown", taints: [{ key: "node.kubernetes.io/unreachable", effect: "NoSchedule" }], conditions: [{ type: "DiskPressure", status: "True" }, { type: "MemoryPressure", status: "False" }] });
    expect(effectiveTaints(n)).toEqual([
      { key: "node.kubernetes.io/unreachable", value: "", effect: "NoSchedule" },
      { key: "node.kubernetes.io/disk-pressure", value: "", effect: "NoSchedule" },
    ]);
  });
});

describe("NodeInfo", () => {
  test("accounts requests, non-zero requests and pods; removal restores them", () => {
    const n = new NodeInfo("n");
    n.setNode(makeNode("n"));
    const a = pi("a", { cpu: "500m", memory: "1Gi", nodeName: "n" });
    const b = pi("b", { nodeName: "n" });
    n.addPod(a);
    n.addPod(b);
    expect(n.requested.milliCPU).toBe(500);
    expect(n.nonZeroCPU).toBe(600);
    expect(n.nonZeroMem).toBe((1 << 30) + 200 * 1024 * 1024);
    expect(n.pods.size).toBe(2);
    n.addPod(a); // idempotent
    expect(n.requested.milliCPU).toBe(500);
    n.removePod(a);
    expect(n.requested.milliCPU).toBe(0);
    expect(n.nonZeroCPU).toBe(100);
    expect(n.removePod(a)).toBe(false);
  });

  test("host port conflicts: 0.0.0.0 against any IP, a specific IP against itself and 0.0.0.0", () => {
    const n = new NodeInfo("n");
    n.addPod(pi("a", { hostPorts: [{ port: 80, ip: "10.0.0.1" }], nodeName: "n" }));
    expect(n.portConflict({ ip: "0.0.0.0", protocol: "TCP", port: 80 })).toBe(true);
    expect(n.portConflict({ ip: "10.0.0.1", protocol: "TCP", port: 80 })).toBe(true);
    expect(n.portConflict({ ip: "10.0.0.2", protocol: "TCP", port: 80 })).toBe(false);
    expect(n.portConflict({ ip: "10.0.0.1", protocol: "UDP", port: 80 })).toBe(false);
    const b = pi("b", { hostPorts: [{ port: 53, protocol: "UDP" }], nodeName: "n" });
    n.addPod(b);
    expect(n.portConflict({ ip: "10.9.9.9", protocol: "UDP", port: 53 })).toBe(true);
    n.removePod(b);
    expect(n.portConflict({ ip: "10.9.9.9", protocol: "UDP", port: 53 })).toBe(false);
  });
});
