import { expect, test } from "bun:test";
import { ContainerConfigError, engineContainerSpec, podHostname, pullPolicy, sandboxSpec, securityContext } from "./container-spec.ts";
import { testPod } from "./testing.ts";

test("sandbox: hostname, host ports of every container, DNS config, host aliases", () => {
  const pod = testPod({
    hostname: "web",
    containers: [{ name: "a", ports: [{ containerPort: 80, hostPort: 8080, hostIP: "127.0.0.1" }, { containerPort: 81 }] }],
    initContainers: [{ name: "i", ports: [{ containerPort: 53, hostPort: 5353, protocol: "UDP" }] }],
    dnsConfig: { nameservers: ["1.1.1.1"], options: [{ name: "ndots", value: "2" }, { name: "edns0" }] },
    hostAliases: [{ ip: "10.0.0.1", hostnames: ["foo"] }],
  });
  expect(sandboxSpec(pod, "sb", { l: "1" })).toEqual({
    name: "sb",
    labels: { l: "1" },
    hostNetwork: false,
    shareProcessNamespace: false,
    hostname: "web",
    ports: [{ containerPort: 53, hostPort: 5353, hostIP: undefined, protocol: "UDP" }, { containerPort: 80, hostPort: 8080, hostIP: "127.0.0.1", protocol: "TCP" }],
    dns: { servers: ["1.1.1.1"], searches: [], options: ["ndots:2", "edns0"] },
    hostAliases: [{ ip: "10.0.0.1", hostnames: ["foo"] }],
  });
  expect(sandboxSpec(testPod({ hostNetwork: true, containers: [] }), "sb", {}).hostname).toBeUndefined();
  expect(podHostname(testPod({}, { name: `${"a".repeat(62)}-b` }))).toBe("a".repeat(62));
});

test("pull policy defaults", () => {
  expect(pullPolicy({ image: "busybox" })).toBe("Always");
  expect(pullPolicy({ image: "busybox:latest" })).toBe("Always");
  expect(pullPolicy({ image: "localhost:5000/busybox" })).toBe("Always");
  expect(pullPolicy({ image: "busybox:1" })).toBe("IfNotPresent");
  expect(pullPolicy({ image: "busybox:1", imagePullPolicy: "Never" })).toBe("Never");
});

test("security context: container overrides pod, fsGroup joins supplemental groups, runAsNonRoot", () => {
  const pod = testPod({ securityContext: { runAsUser: 1000, runAsGroup: 100, fsGroup: 2000, supplementalGroups: [3000] } });
  expect(securityContext(pod, { securityContext: { runAsUser: 1001, readOnlyRootFilesystem: true, capabilities: { add: ["NET_ADMIN"] }, privileged: false } })).toEqual({
    runAsUser: 1001,
    runAsGroup: 100,
    supplementalGroups: [3000, 2000],
    readOnlyRootFilesystem: true,
    capabilities: { add: ["NET_ADMIN"], drop: [] },
  });
  expect(() => securityContext(testPod({ securityContext: { runAsNonRoot: true } }), { securityContext: { runAsUser: 0 } })).toThrow(ContainerConfigError);
});

test("container spec: command/args expanded with the container's env", () => {
  const pod = testPod({});
  const s = engineContainerSpec({
    pod,
    container: { name: "c", image: "img:1", command: ["sh", "-c"], args: ["echo $(GREETING) $(MISSING)"], workingDir: "/w", resources: { limits: { cpu: "1" } } },
    name: "n",
    sandboxId: "sb",
    labels: {},
    env: [{ name: "GREETING", value: "hi" }],
    mounts: [],
  });
  expect(s.command).toEqual(["sh", "-c"]);
  expect(s.args).toEqual(["echo hi $(MISSING)"]);
  expect(s.workingDir).toBe("/w");
  expect(s.resources).toEqual({ cpuLimit: 1 });
});
