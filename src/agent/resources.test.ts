import { expect, test } from "bun:test";
import { engineResources, ResourceFieldError, resourceFieldValue } from "./resources.ts";

test("limits and requests become engine flags' values", () => {
  expect(engineResources({ resources: { limits: { cpu: "500m", memory: "64Mi" }, requests: { cpu: "250m" } } })).toEqual({ cpuLimit: 0.5, cpuRequest: 0.25, memoryLimitBytes: 64 * 1024 * 1024 });
  expect(engineResources({})).toEqual({});
  expect(engineResources({ resources: { limits: { memory: "1Mi" } } }).memoryLimitBytes).toBe(6 * 1024 * 1024);
});

test("resourceFieldRef: ceil(value/divisor), allocatable when unlimited", () => {
  const c = { resources: { limits: { cpu: "1500m", memory: "64Mi" }, requests: { memory: "32Mi" } } };
  const alloc = { cpu: "4", memory: "8Gi" };
  expect(resourceFieldValue(c, { resource: "limits.cpu" }, alloc)).toBe("2");
  expect(resourceFieldValue(c, { resource: "limits.cpu", divisor: "1m" }, alloc)).toBe("1500");
  expect(resourceFieldValue(c, { resource: "limits.memory", divisor: "1Mi" }, alloc)).toBe("64");
  expect(resourceFieldValue(c, { resource: "requests.memory" }, alloc)).toBe(String(32 * 1024 * 1024));
  expect(resourceFieldValue({}, { resource: "limits.memory", divisor: "1Gi" }, alloc)).toBe("8");
  expect(resourceFieldValue({}, { resource: "requests.cpu" }, alloc)).toBe("0");
  expect(() => resourceFieldValue({}, { resource: "limits.gpu" }, alloc)).toThrow(ResourceFieldError);
});
