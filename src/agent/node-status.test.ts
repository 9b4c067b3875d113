import { expect, test } from "bun:test";
import type { HostFacts } from "./host-info.ts";
import { capacity, initialNode, meaningfulChange, nodeStatus } from "./node-status.ts";

const host: HostFacts = { cpus: 2, memoryBytes: 4 * 1024 ** 3, disk: { totalBytes: 100 * 1024 ** 3, availableBytes: 50 * 1024 ** 3 }, kernelVersion: "6.1.0", osImage: "Debian GNU/Linux 12 (bookworm)", machineID: "m", systemUUID: "m", bootID: "b", architecture: "arm64" };
const cfg = { nodeName: "pi1", nodeIps: ["192.168.1.5"], labels: { zone: "a" }, taints: [{ key: "edge", value: "true", effect: "NoSchedule" }, { key: "x", effect: "NoExecute" }], daemonPort: 10250 };
const fine = { memory: false, disk: false, pid: false };

test("capacity and allocatable from the host", () => {
  expect(capacity(host)).toEqual({
    capacity: { cpu: "2", memory: "4194304Ki", pods: "110", "ephemeral-storage": "104857600Ki" },
    allocatable: { cpu: "2", memory: "4091904Ki", pods: "110", "ephemeral-storage": String(Math.floor(100 * 1024 ** 3 * 0.9)) },
  });
});

test("initial node: labels, taints, annotations, status", () => {
  const st = nodeStatus({ cfg, host, pressure: fine, health: { runtimeVersion: "podman://4.3.1", problem: null }, now: new Date("2026-01-01T00:00:00Z") });
  const n = initialNode(cfg, st, "arm64");
  expect(n.metadata.labels).toEqual({ "beta.kubernetes.io/arch": "arm64", "beta.kubernetes.io/os": "linux", "kubernetes.io/arch": "arm64", "kubernetes.io/hostname": "pi1", "kubernetes.io/os": "linux", zone: "a" });
  expect(n.spec.taints).toEqual([{ key: "edge", value: "true", effect: "NoSchedule" }, { key: "x", effect: "NoExecute" }]);
  expect(n.metadata.annotations["kite.io/version"]).toBe("0.1.0");
  expect(st.nodeInfo).toMatchObject({ containerRuntimeVersion: "podman://4.3.1", architecture: "arm64", operatingSystem: "linux", kernelVersion: "6.1.0" });
  expect(st.nodeInfo.kubeletVersion).toMatch(/^v1\.\d+\.\d+\+kite/);
  expect(st.addresses).toEqual([{ type: "InternalIP", address: "192.168.1.5" }, { type: "Hostname", address: "pi1" }]);
  expect(st.conditions.map((c: { type: string; status: string }) => `${c.type}=${c.status}`)).toEqual(["MemoryPressure=False", "DiskPressure=False", "PIDPressure=False", "Ready=True"]);
});

test("runtime down makes Ready False with the reason; heartbeats alone are no change", () => {
  const t0 = new Date("2026-01-01T00:00:00Z");
  const a = nodeStatus({ cfg, host, pressure: fine, health: { runtimeVersion: "podman://4.3.1", problem: null }, now: t0 });
  const b = nodeStatus({ cfg, host, pressure: fine, health: { runtimeVersion: "podman://4.3.1", problem: null }, current: a, now: new Date("2026-01-01T00:00:10Z") });
  expect(meaningfulChange(a, b)).toBe(false);
  expect(b.conditions[3].lastTransitionTime).toBe("2026-01-01T00:00:00Z");
  const c = nodeStatus({ cfg, host, pressure: fine, health: { runtimeVersion: "podman://4.3.1", problem: "container runtime is down: podman is not reachable" }, current: b, now: new Date("2026-01-01T00:00:20Z") });
  expect(meaningfulChange(b, c)).toBe(true);
  expect(c.conditions[3]).toMatchObject({ status: "False", reason: "KubeletNotReady", message: "container runtime is down: podman is not reachable", lastTransitionTime: "2026-01-01T00:00:20Z" });
});
