import { describe, expect, test } from "bun:test";
import type { Obj } from "../../registry/types.ts";
import { deploymentDef, replicaSetDef } from "./deployments.ts";
import { controllerRevisionDef, daemonSetDef, statefulSetDef } from "./daemonsets.ts";
import { testCtx } from "../core/pods/testing.ts";
import { clone } from "../../registry/objects.ts";

const tmpl = (labels: Obj = { app: "web" }) => ({ metadata: { labels }, spec: { containers: [{ name: "web", image: "nginx:1.27" }] } });

describe("deployments", () => {
  const def = deploymentDef();
  const deploy = (spec: Obj = {}): Obj => ({ metadata: { name: "web", namespace: "default" }, spec: { selector: { matchLabels: { app: "web" } }, template: tmpl(), ...spec } });
  const v = (d: Obj) => {
    def.defaults!(d);
    return def.validate!(d, testCtx());
  };

  test("defaults", () => {
    const d = deploy();
    def.defaults!(d);
    expect(d.spec.replicas).toBe(1);
    expect(d.spec.strategy).toEqual({ type: "RollingUpdate", rollingUpdate: { maxUnavailable: "25%", maxSurge: "25%" } });
    expect(d.spec.revisionHistoryLimit).toBe(10);
    expect(d.spec.progressDeadlineSeconds).toBe(600);
    expect(d.spec.template.spec.restartPolicy).toBe("Always");
    expect(d.spec.template.spec.containers[0].imagePullPolicy).toBe("IfNotPresent");
    expect(d.spec.template.spec.enableServiceLinks).toBeUndefined();
    expect(v(d)).toEqual([]);
  });

  test("status reset on create; generation and scale declared", async () => {
    const d = deploy();
    d.status = { replicas: 5 };
    await def.prepareForCreate!(d, testCtx(), { list: async () => [], get: async () => null });
    expect(d.status).toEqual({});
    expect(def.generation).toBe(true);
    expect(def.scale).toMatchObject({ specReplicasPath: "spec.replicas", statusReplicasPath: "status.replicas" });
    expect(def.scale!.selector!(d)).toBe("app=web");
    expect(def.generationIncludesAnnotations).toBe(true);
  });

  test("selector required and must match template labels", () => {
    expect(v(deploy({ selector: undefined }))).toContainEqual({ reason: "FieldValueRequired", message: "Required value", field: "spec.selector" });
    expect(v(deploy({ selector: { matchLabels: { app: "other" } } }))).toContainEqual({
      reason: "FieldValueInvalid",
      message: 'Invalid value: {"app":"web"}: `selector` does not match template `labels`',
      field: "spec.template.metadata.labels",
    });
    expect(v(deploy({ selector: {} }))).toContainEqual({ reason: "FieldValueInvalid", message: "Invalid value: {}: empty selector is invalid for deployment", field: "spec.selector" });
    expect(v(deploy({ selector: { matchExpressions: [{ key: "app", operator: "In", values: ["web", "api"] }] } }))).toEqual([]);
  });

  test("template restartPolicy, strategy checks", () => {
    const d = deploy();
    d.spec.template.spec.restartPolicy = "Never";
    expect(v(d)).toContainEqual({ reason: "FieldValueNotSupported", message: 'Unsupported value: "Never": supported values: "Always"', field: "spec.template.spec.restartPolicy" });
    expect(v(deploy({ strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: "0%" } } }))).toContainEqual({ reason: "FieldValueInvalid", message: "Invalid value: 0: may not be 0 when `maxSurge` is 0", field: "spec.strategy.rollingUpdate.maxUnavailable" });
    expect(v(deploy({ strategy: { type: "Recreate", rollingUpdate: {} } }))).toContainEqual({ reason: "FieldValueForbidden", message: "Forbidden: may not be specified when strategy `type` is 'Recreate'", field: "spec.strategy.rollingUpdate" });
    expect(v(deploy({ strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "150%" } } }))).toContainEqual({ reason: "FieldValueInvalid", message: 'Invalid value: "150%": must not be greater than 100%', field: "spec.strategy.rollingUpdate.maxUnavailable" });
    expect(v(deploy({ replicas: -1 }))).toContainEqual({ reason: "FieldValueInvalid", message: "Invalid value: -1: must be greater than or equal to 0", field: "spec.replicas" });
  });

  test("selector is immutable", () => {
    const old = deploy();
    const next = clone(old);
    next.spec.selector = { matchLabels: { app: "web", v: "2" } };
    expect(def.validateUpdate!(next, old, testCtx())).toEqual([{ reason: "FieldValueInvalid", message: 'Invalid value: {"matchLabels":{"app":"web","v":"2"}}: field is immutable', field: "spec.selector" }]);
  });

  test("table", () => {
    const d = { ...deploy({ replicas: 3 }), metadata: { name: "web", creationTimestamp: "2025-01-01T00:00:00Z" }, status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 } };
    expect(def.cells!(d, Date.parse("2025-01-01T00:10:00Z"))).toEqual(["web", "2/3", 3, 2, "10m", "web", "nginx:1.27", "app=web"]);
  });
});

describe("replicasets, daemonsets, statefulsets, controllerrevisions", () => {
  test("replicaset defaults, status and table", async () => {
    const def = replicaSetDef();
    const rs: Obj = { metadata: { name: "web-abc", creationTimestamp: "2025-01-01T00:00:00Z" }, spec: { selector: { matchLabels: { app: "web" } }, template: tmpl() } };
    def.defaults!(rs);
    await def.prepareForCreate!(rs, testCtx(), { list: async () => [], get: async () => null });
    expect(rs.spec.replicas).toBe(1);
    expect(rs.status).toEqual({ replicas: 0 });
    expect(def.validate!(rs, testCtx())).toEqual([]);
    expect(def.cells!(rs, Date.parse("2025-01-01T00:00:30Z"))).toEqual(["web-abc", 1, 0, 0, "30s", "web", "nginx:1.27", "app=web"]);
  });

  test("daemonset defaults and table", () => {
    const def = daemonSetDef();
    const ds: Obj = { metadata: { name: "agent" }, spec: { selector: { matchLabels: { app: "web" } }, template: { ...tmpl(), spec: { ...tmpl().spec, nodeSelector: { "kubernetes.io/os": "linux" } } } } };
    def.defaults!(ds);
    expect(ds.spec.updateStrategy).toEqual({ type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
    expect(def.validate!(ds, testCtx())).toEqual([]);
    expect(def.cells!(ds, 0).slice(1, 7)).toEqual([0, 0, 0, 0, 0, "kubernetes.io/os=linux"]);
    const bad = clone(ds);
    bad.spec.template.spec.activeDeadlineSeconds = 5;
    expect(def.validate!(bad, testCtx())).toContainEqual({ reason: "FieldValueInvalid", message: "Invalid value: 5: activeDeadlineSeconds must be nil for DaemonSets", field: "spec.template.spec.activeDeadlineSeconds" });
  });

  test("statefulset defaults, claim templates and update rules", () => {
    const def = statefulSetDef();
    const sts: Obj = {
      metadata: { name: "db" },
      spec: { serviceName: "db", selector: { matchLabels: { app: "web" } }, template: tmpl(), volumeClaimTemplates: [{ metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1024Mi" } } } }] },
    };
    def.defaults!(sts);
    expect(sts.spec.podManagementPolicy).toBe("OrderedReady");
    expect(sts.spec.updateStrategy).toEqual({ type: "RollingUpdate", rollingUpdate: { partition: 0 } });
    expect(sts.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: "Retain", whenScaled: "Retain" });
    expect(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe("1Gi");
    expect(sts.spec.volumeClaimTemplates[0].status).toEqual({ phase: "Pending" });
    expect(def.validate!(sts, testCtx())).toEqual([]);
    const scaled = clone(sts);
    scaled.spec.replicas = 3;
    scaled.spec.template.spec.containers[0].image = "postgres:17";
    expect(def.validateUpdate!(scaled, sts, testCtx())).toEqual([]);
    const bad = clone(sts);
    bad.spec.podManagementPolicy = "Parallel";
    expect(def.validateUpdate!(bad, sts, testCtx())[0]!.message).toContain("updates to statefulset spec for fields other than 'replicas'");
    const noClaimStorage = clone(sts);
    delete noClaimStorage.spec.volumeClaimTemplates[0].spec.resources;
    expect(def.validate!(noClaimStorage, testCtx())).toContainEqual({ reason: "FieldValueRequired", message: "Required value", field: "spec.volumeClaimTemplates[0].spec.resources[storage]" });
    expect(def.cells!({ ...sts, status: { readyReplicas: 1 } }, 0).slice(0, 2)).toEqual(["db", "1/1"]);
  });

  test("controllerrevision controller column and immutable data", () => {
    const def = controllerRevisionDef();
    const cr = { metadata: { name: "agent-5d9", ownerReferences: [{ apiVersion: "apps/v1", kind: "DaemonSet", name: "agent", uid: "u", controller: true }] }, revision: 2, data: { a: 1 } };
    expect(def.cells!(cr, 0).slice(0, 3)).toEqual(["agent-5d9", "daemonset.apps/agent", 2]);
    expect(def.validateUpdate!({ ...cr, data: { a: 2 } }, cr, testCtx())[0]!.message).toBe('Invalid value: {"a":2}: field is immutable');
  });
});
