import { describe, expect, test } from "bun:test";
import { DEFAULT_MEMORY_REQUEST, DEFAULT_MILLI_CPU_REQUEST, nodeAllocatable, podRequests, quantityMilli, quantityValue } from "./resources.ts";

const c = (requests: Record<string, string>, extra: Record<string, unknown> = {}) => ({ name: "x", resources: { requests }, ...extra });

describe("podRequests", () => {
  test("sums containers and takes the max with each init container (upstream's example: 3 CPU, 3G)", () => {
    const r = podRequests({
      initContainers: [c({ cpu: "2", memory: "1G" }), c({ cpu: "2", memory: "3G" })],
      containers: [c({ cpu: "2", memory: "1G" }), c({ cpu: "1", memory: "1G" })],
    });
    expect(r.milliCPU).toBe(3000);
    expect(r.memory).toBe(3_000_000_000);
  });

  test("restartable init containers (sidecars) add to the sum and to later init containers", () => {
    const r = podRequests({
      initContainers: [c({ cpu: "500m" }, { restartPolicy: "Always" }), c({ cpu: "3" })],
      containers: [c({ cpu: "1" })],
    });
    // sum = 1 + 0.5 = 1.5; second init runs beside the sidecar: 3 + 0.5 = 3.5 → max 3.5
    expect(r.milliCPU).toBe(3500);
  });

  test("overhead is added; scalar resources are kept by name", () => {
    const r = podRequests({ containers: [c({ cpu: "100m", "nvidia.com/gpu": "2", "hugepages-2Mi": "4Mi" })], overhead: { cpu: "250m", memory: "120Mi" } });
    expect(r.milliCPU).toBe(350);
    expect(r.memory).toBe(120 * 1024 * 1024);
    expect(r.scalar?.get("nvidia.com/gpu")).toBe(2);
    expect(r.scalar?.get("hugepages-2Mi")).toBe(4 * 1024 * 1024);
  });

  test("non-zero variant fills only missing CPU/memory requests", () => {
    const r = podRequests({ containers: [c({}), c({ cpu: "0" }), c({ memory: "1Mi" })] }, true);
    expect(r.milliCPU).toBe(DEFAULT_MILLI_CPU_REQUEST * 2); // first and third are missing cpu; "0" stays 0
    expect(r.memory).toBe(DEFAULT_MEMORY_REQUEST * 2 + 1024 * 1024);
    const none = podRequests({ containers: [{ name: "x" }] });
    expect(none.milliCPU).toBe(0);
    expect(none.memory).toBe(0);
  });
});

describe("quantities and allocatable", () => {
  test("values round up like apimachinery", () => {
    expect(quantityMilli("1.5")).toBe(1500);
    expect(quantityMilli("0.0001")).toBe(1);
    expect(quantityValue("1Ki")).toBe(1024);
    expect(quantityValue("1500m")).toBe(2);
    expect(quantityValue("bogus")).toBe(0);
  });

  test("allocatable falls back to capacity; pods defaults to 0", () => {
    expect(nodeAllocatable({ status: { capacity: { cpu: "2", memory: "1Gi", pods: "10" } } })).toMatchObject({ milliCPU: 2000, memory: 1 << 30, allowedPods: 10 });
    expect(nodeAllocatable({ status: { allocatable: { cpu: "1" }, capacity: { cpu: "2" } } })).toMatchObject({ milliCPU: 1000, allowedPods: 0 });
  });
});
