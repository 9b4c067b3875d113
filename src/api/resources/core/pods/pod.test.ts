import { describe, expect, test } from "bun:test";
import type { Obj } from "../../../registry/types.ts";
import { podDef } from "./pod.ts";
import { defaultPod, defaultPullPolicy } from "./defaults.ts";
import { computeQOS } from "./qos.ts";
import { podCells } from "./printing.ts";
import { memRegistry, testCtx } from "./testing.ts";
import { clone } from "../../../registry/objects.ts";

const def = podDef({ defaultUnreachableTolerationSeconds: 300 });

function pod(spec: Obj = {}, meta: Obj = {}): Obj {
  return { apiVersion: "v1", kind: "Pod", metadata: { name: "web", namespace: "default", ...meta }, spec: { containers: [{ name: "app", image: "nginx:1.27" }], ...spec } };
}

async function created(p: Obj, registry = memRegistry()): Promise<Obj> {
  def.defaults!(p);
  await def.prepareForCreate!(p, testCtx(), registry);
  return p;
}

describe("pod defaults", () => {
  test("a pod with no restartPolicy gets Always, and the other PodSpec defaults", () => {
    const p = pod();
    defaultPod(p);
    expect(p.spec.restartPolicy).toBe("Always");
    expect(p.spec.dnsPolicy).toBe("ClusterFirst");
    expect(p.spec.schedulerName).toBe("default-scheduler");
    expect(p.spec.terminationGracePeriodSeconds).toBe(30);
    expect(p.spec.securityContext).toEqual({});
    expect(p.spec.enableServiceLinks).toBe(true);
    const c = p.spec.containers[0];
    expect(c.imagePullPolicy).toBe("IfNotPresent");
    expect(c.terminationMessagePath).toBe("/dev/termination-log");
    expect(c.terminationMessagePolicy).toBe("File");
    expect(c.resources).toEqual({});
  });

  test("imagePullPolicy follows the tag", () => {
    expect(defaultPullPolicy("nginx")).toBe("Always");
    expect(defaultPullPolicy("nginx:latest")).toBe("Always");
    expect(defaultPullPolicy("nginx:1.27")).toBe("IfNotPresent");
    expect(defaultPullPolicy("localhost:5000/app")).toBe("Always");
    expect(defaultPullPolicy("localhost:5000/app:v2")).toBe("IfNotPresent");
    expect(defaultPullPolicy("nginx@sha256:" + "a".repeat(64))).toBe("IfNotPresent");
  });

  test("probes, ports, volumes and env get their nested defaults; limits become requests", () => {
    const p = pod({
      containers: [{
        name: "app", image: "busybox", ports: [{ containerPort: 80 }],
        livenessProbe: { httpGet: { port: 80 } },
        env: [{ name: "NODE", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } }],
        resources: { limits: { cpu: "0.5", memory: "1024Mi" } },
        volumeMounts: [{ name: "data", mountPath: "/data" }],
      }],
      volumes: [{ name: "data" }, { name: "cfg", configMap: { name: "cfg" } }, { name: "s", secret: { secretName: "s" } }],
    });
    defaultPod(p);
    const c = p.spec.containers[0];
    expect(c.ports[0].protocol).toBe("TCP");
    expect(c.livenessProbe).toEqual({ httpGet: { port: 80, path: "/", scheme: "HTTP" }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
    expect(c.env[0].valueFrom.fieldRef.apiVersion).toBe("v1");
    expect(c.resources.limits).toEqual({ cpu: "500m", memory: "1Gi" });
    expect(c.resources.requests).toEqual({ cpu: "500m", memory: "1Gi" });
    expect(p.spec.volumes[0]).toEqual({ name: "data", emptyDir: {} });
    expect(p.spec.volumes[1].configMap.defaultMode).toBe(420);
    expect(p.spec.volumes[2].secret.defaultMode).toBe(420);
  });

  test("defaults are idempotent", () => {
    const p = pod({ containers: [{ name: "a", image: "x", resources: { limits: { cpu: 1 } } }] });
    defaultPod(p);
    const once = clone(p);
    defaultPod(p);
    expect(p).toEqual(once);
  });
});

describe("pod prepareForCreate (admission defaults)", () => {
  test("status Pending with QoS, default tolerations, priority 0 and the default service account", async () => {
    const p = await created(pod({ containers: [{ name: "a", image: "x", resources: { limits: { cpu: "1", memory: "1Gi" } } }] }));
    expect(p.status).toEqual({ phase: "Pending", qosClass: "Guaranteed" });
    expect(p.spec.tolerations).toEqual([
      { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
      { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
    ]);
    expect(p.spec.priority).toBe(0);
    expect(p.spec.preemptionPolicy).toBe("PreemptLowerPriority");
    expect(p.spec.serviceAccountName).toBe("default");
  });

  test("toleration seconds come from options; existing tolerations are respected", async () => {
    const d = podDef({ defaultUnreachableTolerationSeconds: 40, defaultNotReadyTolerationSeconds: 20 });
    const p = pod({ tolerations: [{ key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 5 }] });
    d.defaults!(p);
    await d.prepareForCreate!(p, testCtx(), memRegistry());
    expect(p.spec.tolerations).toEqual([
      { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 5 },
      { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 20 },
    ]);
  });

  test("priority classes resolve, unknown ones are forbidden", async () => {
    const reg = memRegistry([{ group: "scheduling.k8s.io", plural: "priorityclasses", obj: { metadata: { name: "high" }, value: 1000, preemptionPolicy: "Never" } }]);
    const p = await created(pod({ priorityClassName: "high" }), reg);
    expect(p.spec.priority).toBe(1000);
    expect(p.spec.preemptionPolicy).toBe("Never");
    const sys = await created(pod({ priorityClassName: "system-node-critical" }));
    expect(sys.spec.priority).toBe(2000001000);
    await expect(created(pod({ priorityClassName: "nope" }))).rejects.toThrow('pods "web" is forbidden: no PriorityClass with name nope was found');
  });

  test("QoS classes", () => {
    expect(computeQOS({ containers: [{}] })).toBe("BestEffort");
    expect(computeQOS({ containers: [{ resources: { requests: { cpu: "100m" } } }] })).toBe("Burstable");
    expect(computeQOS({ containers: [{ resources: { requests: { cpu: "1", memory: "1Gi" }, limits: { cpu: "1", memory: "1Gi" } } }] })).toBe("Guaranteed");
    expect(computeQOS({ containers: [{ resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "1", memory: "1Gi" } } }] })).toBe("Burstable");
    expect(computeQOS({ containers: [{ resources: { limits: { cpu: "1", memory: "1Gi" }, requests: { cpu: "1", memory: "1Gi" } } }, {}] })).toBe("Burstable");
  });
});

function causesOf(p: Obj) {
  def.defaults!(p);
  return def.validate!(p, testCtx());
}

describe("pod validation (upstream paths and wording)", () => {
  test("valid pod has no causes", () => {
    expect(causesOf(pod())).toEqual([]);
  });

  test("missing image", () => {
    const c = causesOf(pod({ containers: [{ name: "app" }] }));
    expect(c).toContainEqual({ reason: "FieldValueRequired", message: "Required value", field: "spec.containers[0].image" });
  });

  test("no containers", () => {
    expect(causesOf(pod({ containers: [] }))).toContainEqual({ reason: "FieldValueRequired", message: "Required value", field: "spec.containers" });
  });

  test("container names: DNS-1123 label and unique across init and regular containers", () => {
    const c = causesOf(pod({ initContainers: [{ name: "a", image: "x" }], containers: [{ name: "a", image: "x" }, { name: "Bad_Name", image: "x" }] }));
    expect(c).toContainEqual({ reason: "FieldValueDuplicate", message: 'Duplicate value: "a"', field: "spec.containers[0].name" });
    expect(c.find((x) => x.field === "spec.containers[1].name")?.message).toStartWith('Invalid value: "Bad_Name": a lowercase RFC 1123 label must consist of');
  });

  test("restartPolicy enum", () => {
    expect(causesOf(pod({ restartPolicy: "Sometimes" }))).toContainEqual({ reason: "FieldValueNotSupported", message: 'Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"', field: "spec.restartPolicy" });
  });

  test("ports 1-65535 and protocols", () => {
    const c = causesOf(pod({ containers: [{ name: "a", image: "x", ports: [{ containerPort: 70000 }, { containerPort: 80, protocol: "HTTP" }] }] }));
    expect(c).toContainEqual({ reason: "FieldValueInvalid", message: "Invalid value: 70000: must be between 1 and 65535, inclusive", field: "spec.containers[0].ports[0].containerPort" });
    expect(c).toContainEqual({ reason: "FieldValueNotSupported", message: 'Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"', field: "spec.containers[0].ports[1].protocol" });
  });

  test("volume names unique, mounts must refer to volumes", () => {
    const c = causesOf(pod({ volumes: [{ name: "v", emptyDir: {} }, { name: "v", emptyDir: {} }], containers: [{ name: "a", image: "x", volumeMounts: [{ name: "missing", mountPath: "/m" }] }] }));
    expect(c).toContainEqual({ reason: "FieldValueDuplicate", message: 'Duplicate value: "v"', field: "spec.volumes[1].name" });
    expect(c).toContainEqual({ reason: "FieldValueNotFound", message: 'Not found: "missing"', field: "spec.containers[0].volumeMounts[0].name" });
  });

  test("two volume sources", () => {
    const c = causesOf(pod({ volumes: [{ name: "v", emptyDir: {}, hostPath: { path: "/x" } }] }));
    expect(c).toContainEqual({ reason: "FieldValueForbidden", message: "Forbidden: may not specify more than 1 volume type", field: "spec.volumes[0].emptyDir" }); // upstream checks hostPath first
  });

  test("quantities must parse; requests must not exceed limits", () => {
    const c = causesOf(pod({ containers: [{ name: "a", image: "x", resources: { requests: { cpu: "2", memory: "lots" }, limits: { cpu: "1" } } }] }));
    expect(c).toContainEqual({ reason: "FieldValueInvalid", message: 'Invalid value: "2": must be less than or equal to cpu limit of 1', field: "spec.containers[0].resources.requests[cpu]" });
    expect(c.find((x) => x.field === "spec.containers[0].resources.requests[memory]")?.message).toContain("quantities must match the regular expression");
  });

  test("unknown container resource names", () => {
    const c = causesOf(pod({ containers: [{ name: "a", image: "x", resources: { limits: { gpu: "1" } } }] }));
    expect(c).toContainEqual({ reason: "FieldValueInvalid", message: 'Invalid value: "gpu": must be a standard resource for containers', field: "spec.containers[0].resources.limits[gpu]" });
  });

  test("tolerations", () => {
    const c = causesOf(pod({ tolerations: [{ key: "k", operator: "Exists", value: "v" }, { key: "k", tolerationSeconds: 5, effect: "NoSchedule" }] }));
    expect(c.find((x) => x.field === "spec.tolerations[0].operator")?.message).toContain("value must be empty when `operator` is 'Exists'");
    expect(c).toContainEqual({ reason: "FieldValueInvalid", message: "Invalid value: \"NoSchedule\": effect must be 'NoExecute' when `tolerationSeconds` is set", field: "spec.tolerations[1].effect" });
  });
});

describe("pod update validation", () => {
  test("only images, deadlines and added tolerations may change", () => {
    const old = pod();
    defaultPod(old);
    const imageChange = clone(old);
    imageChange.spec.containers[0].image = "nginx:1.28";
    expect(def.validateUpdate!(imageChange, old, testCtx())).toEqual([]);
    const addTol = clone(old);
    addTol.spec.tolerations = [{ key: "x", operator: "Exists" }];
    expect(def.validateUpdate!(addTol, old, testCtx())).toEqual([]);
    const bad = clone(old);
    bad.spec.restartPolicy = "Never";
    const c = def.validateUpdate!(bad, old, testCtx());
    expect(c).toHaveLength(1);
    expect(c[0]!.field).toBe("spec");
    expect(c[0]!.message).toStartWith("Forbidden: pod updates may not change fields other than `spec.containers[*].image`");
    expect(c[0]!.message).toContain('restartPolicy: "Always" -> "Never"');
    const more = clone(old);
    more.spec.containers.push({ name: "b", image: "x" });
    expect(def.validateUpdate!(more, old, testCtx())).toEqual([{ reason: "FieldValueForbidden", message: "Forbidden: pod updates may not add or remove containers", field: "spec.containers" }]);
  });

  test("activeDeadlineSeconds may be lowered, not raised", () => {
    const old = pod({ activeDeadlineSeconds: 100 });
    defaultPod(old);
    const lower = clone(old);
    lower.spec.activeDeadlineSeconds = 50;
    expect(def.validateUpdate!(lower, old, testCtx())).toEqual([]);
    const higher = clone(old);
    higher.spec.activeDeadlineSeconds = 200;
    expect(def.validateUpdate!(higher, old, testCtx())[0]!.message).toBe("Invalid value: 200: must be less than or equal to previous value");
  });
});

describe("pod graceful deletion", () => {
  const g = (p: Obj, s?: number) => def.gracefulDelete!(p, s);
  test("bound pods wait terminationGracePeriodSeconds; unbound and finished pods go at once", () => {
    expect(g(pod({ nodeName: "n1", terminationGracePeriodSeconds: 30 }))).toEqual({ graceful: true, grace: 30 });
    expect(g(pod({ nodeName: "n1", terminationGracePeriodSeconds: 30 }), 0)).toEqual({ graceful: true, grace: 0 });
    expect(g(pod({ nodeName: "n1" }), 5)).toEqual({ graceful: true, grace: 5 });
    expect(g(pod({ terminationGracePeriodSeconds: 30 }))).toEqual({ graceful: true, grace: 0 });
    expect(g({ ...pod({ nodeName: "n1", terminationGracePeriodSeconds: 30 }), status: { phase: "Succeeded" } })).toEqual({ graceful: true, grace: 0 });
    expect(g(pod({ nodeName: "n1" }), -5)).toEqual({ graceful: true, grace: 1 });
  });
});

describe("pod table cells", () => {
  const now = Date.parse("2025-01-01T01:00:00Z");
  const base = (status: Obj, extra: Obj = {}) => ({ ...pod({ nodeName: "n1", ...extra }), metadata: { name: "web", namespace: "default", creationTimestamp: "2025-01-01T00:00:00Z" }, status });

  test("running pod", () => {
    const p = base({ phase: "Running", podIPs: [{ ip: "10.42.0.5" }], containerStatuses: [{ name: "app", ready: true, restartCount: 0, state: { running: { startedAt: "2025-01-01T00:00:05Z" } } }] });
    expect(podCells(p, now)).toEqual(["web", "1/1", "Running", "0", "60m", "10.42.0.5", "n1", "<none>", "<none>"]);
  });

  test("CrashLoopBackOff with restarts and last restart age", () => {
    const p = base({
      phase: "Running",
      containerStatuses: [{ name: "app", ready: false, restartCount: 2, state: { waiting: { reason: "CrashLoopBackOff" } }, lastState: { terminated: { exitCode: 1, finishedAt: "2025-01-01T00:55:00Z" } } }],
    });
    const cells = podCells(p, now);
    expect(cells.slice(1, 4)).toEqual(["0/1", "CrashLoopBackOff", "2 (5m ago)"]);
  });

  test("terminating pod prints Terminating", () => {
    const p = base({ phase: "Running", containerStatuses: [{ name: "app", ready: true, state: { running: {} } }] });
    (p.metadata as Obj).deletionTimestamp = "2025-01-01T01:00:30Z";
    expect(podCells(p, now)[2]).toBe("Terminating");
  });

  test("Completed, init progress and pending", () => {
    const done = base({ phase: "Succeeded", containerStatuses: [{ name: "app", ready: false, state: { terminated: { exitCode: 0, reason: "Completed" } } }] });
    expect(podCells(done, now)[2]).toBe("Completed");
    const init = base({ phase: "Pending", initContainerStatuses: [{ name: "setup", ready: false, state: { waiting: { reason: "PodInitializing" } } }] }, { initContainers: [{ name: "setup", image: "x" }] });
    expect(podCells(init, now)[2]).toBe("Init:0/1");
    const initCrash = base({ phase: "Pending", initContainerStatuses: [{ name: "setup", state: { waiting: { reason: "CrashLoopBackOff" } } }] }, { initContainers: [{ name: "setup", image: "x" }] });
    expect(podCells(initCrash, now)[2]).toBe("Init:CrashLoopBackOff");
    const pending = { ...pod(), metadata: { name: "p", creationTimestamp: "2025-01-01T00:59:30Z" }, status: { phase: "Pending" } };
    expect(podCells(pending, now)).toEqual(["p", "0/1", "Pending", "0", "30s", "<none>", "<none>", "<none>", "<none>"]);
    const exit = base({ phase: "Failed", containerStatuses: [{ name: "app", state: { terminated: { exitCode: 137, signal: 9 } } }] });
    expect(podCells(exit, now)[2]).toBe("Signal:9");
  });

  test("readiness gates and sidecars count", () => {
    const p = base(
      { phase: "Running", conditions: [{ type: "custom/ok", status: "True" }], initContainerStatuses: [{ name: "proxy", started: true, ready: true, state: { running: {} } }], containerStatuses: [{ name: "app", ready: true, state: { running: {} } }] },
      { initContainers: [{ name: "proxy", image: "envoy", restartPolicy: "Always" }], readinessGates: [{ conditionType: "custom/ok" }, { conditionType: "custom/other" }] },
    );
    const cells = podCells(p, now);
    expect(cells[1]).toBe("2/2");
    expect(cells[8]).toBe("1/2");
  });

  test("selectable fields", () => {
    const p = base({ phase: "Running", podIP: "10.0.0.1" });
    expect(def.selectableFields!(p)).toMatchObject({ "spec.nodeName": "n1", "status.phase": "Running", "status.podIP": "10.0.0.1", "spec.restartPolicy": "" });
  });
});
