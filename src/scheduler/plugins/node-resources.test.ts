import { describe, expect, test } from "bun:test";
import { cacheWith, filterOnce, makeNode, makePod, pi, scoreAll } from "../testing.ts";
import { balancedAllocation, leastAllocated, nodeResourcesFit } from "./node-resources.ts";
import { Code } from "../status.ts";

describe("NodeResourcesFit filter", () => {
  const snap = cacheWith(
    [makeNode("small", { cpu: "1", memory: "1Gi", pods: "2" }), makeNode("gpu", { cpu: "4", memory: "8Gi", extra: { "nvidia.com/gpu": "1" }, ephemeral: "10Gi" })],
    [makePod("used", { nodeName: "small", cpu: "600m", memory: "512Mi" })],
  );
  test("requests against allocatable minus what is placed", () => {
    expect(filterOnce(nodeResourcesFit, pi("p", { cpu: "400m", memory: "512Mi" }), "small", snap)).toBeNull();
    expect(filterOnce(nodeResourcesFit, pi("p", { cpu: "401m" }), "small", snap)).toMatchObject({ code: Code.Unschedulable, reasons: ["Insufficient cpu"] });
  });
  test("every shortage is reported, in upstream's order", () => {
    const s = filterOnce(nodeResourcesFit, pi("p", { cpu: "2", memory: "2Gi", requests: { "ephemeral-storage": "1Gi", "nvidia.com/gpu": "1" } }), "small", snap);
    expect(s).toMatchObject({ reasons: ["Insufficient cpu", "Insufficient memory", "Insufficient ephemeral-storage", "Insufficient nvidia.com/gpu"] });
    expect(filterOnce(nodeResourcesFit, pi("p", { requests: { "nvidia.com/gpu": "1" } }), "gpu", snap)).toBeNull();
    expect(filterOnce(nodeResourcesFit, pi("p", { requests: { "nvidia.com/gpu": "2" } }), "gpu", snap)).toMatchObject({ reasons: ["Insufficient nvidia.com/gpu"] });
  });
  test("the pod count applies even to pods without requests", () => {
    const full = cacheWith([makeNode("n", { pods: "1" })], [makePod("x", { nodeName: "n" })]);
    expect(filterOnce(nodeResourcesFit, pi("p"), "n", full)).toMatchObject({ reasons: ["Too many pods"] });
    expect(filterOnce(nodeResourcesFit, pi("p", { cpu: "100" }), "n", full)).toMatchObject({ reasons: ["Too many pods", "Insufficient cpu"] });
  });
});

describe("scores (upstream's worked examples)", () => {
  // Node1: 4000m / 10000 bytes; node2: 6000m / 10000 bytes; the pod requests 3000m / 5000 bytes.
  const snap = cacheWith([makeNode("node1", { cpu: "4", memory: "10000" }), makeNode("node2", { cpu: "6", memory: "10000" })]);
  const pod = pi("p", { cpu: "3", memory: "5000" });
  test("LeastAllocated: node1 (25+50)/2 = 37, node2 (50+50)/2 = 50", () => {
    expect(scoreAll(leastAllocated, pod, ["node1", "node2"], snap)).toEqual([37, 50]);
  });
  test("BalancedAllocation: node1 std (0.75-0.5)/2 → 87, node2 → 100", () => {
    expect(scoreAll(balancedAllocation, pod, ["node1", "node2"], snap)).toEqual([87, 100]);
  });
  test("LeastAllocated counts missing requests as 100m / 200Mi; Balanced skips best-effort pods", () => {
    const big = cacheWith([makeNode("n", { cpu: "1", memory: "1000Mi" })]);
    // cpu: (1000-100)*100/1000 = 90; memory: (1000-200)*100/1000 = 80 → 85
    expect(scoreAll(leastAllocated, pi("p"), ["n"], big)).toEqual([85]);
    expect(scoreAll(balancedAllocation, pi("p"), ["n"], big)).toBeNull();
  });
  test("placed pods count, over-committed scores 0", () => {
    const s = cacheWith([makeNode("n", { cpu: "1", memory: "1Gi" })], [makePod("x", { nodeName: "n", cpu: "900m", memory: "1Gi" })]);
    expect(scoreAll(leastAllocated, pi("p", { cpu: "200m", memory: "1" }), ["n"], s)).toEqual([0]);
  });
});
