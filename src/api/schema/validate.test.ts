import { describe, expect, test } from "bun:test";
import { ApiError } from "../errors.ts";
import fixtures from "../protobuf/fixtures/kubectl-bodies.json";
import { checkBuiltinFields, parseFieldValidation } from "./validate.ts";

const deployGVK = { group: "apps", version: "v1", kind: "Deployment" };

function deployment(extra: Record<string, unknown> = {}, containerExtra: Record<string, unknown> = {}) {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "default", labels: { app: "web" }, annotations: { "a/b": "x" }, creationTimestamp: null },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: "web" } },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: 1 } },
      template: {
        metadata: { labels: { app: "web" } },
        spec: {
          containers: [{
            name: "nginx",
            image: "nginx",
            ports: [{ containerPort: 80, protocol: "TCP" }],
            resources: { limits: { cpu: "500m", memory: "128Mi" }, requests: { cpu: 1, memory: "64Mi" } },
            env: [{ name: "A", value: "1" }, { name: "B", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }],
            livenessProbe: { httpGet: { path: "/", port: "http" }, initialDelaySeconds: 3 },
            ...containerExtra,
          }],
          volumes: [{ name: "data", emptyDir: { sizeLimit: "1Gi" } }],
        },
      },
      ...extra,
    },
    status: {},
  };
}

function apiError(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error("expected an ApiError");
}

describe("checkBuiltinFields", () => {
  test("accepts a valid Deployment in every mode and returns it unchanged", () => {
    for (const mode of ["Strict", "Warn", "Ignore"] as const) {
      const obj = deployment();
      const r = checkBuiltinFields(obj, deployGVK, { mode });
      expect(r.warnings).toEqual([]);
      expect(r.object).toBe(obj as never);
    }
  });

  test("accepts quantities as numbers, int-or-string both ways, base64 Secret data, maps of strings", () => {
    const secret = { apiVersion: "v1", kind: "Secret", metadata: { name: "s" }, data: { a: "aGVsbG8=", b: "" }, stringData: { c: "plain" }, type: "Opaque" };
    expect(checkBuiltinFields(secret, { group: "", version: "v1", kind: "Secret" }, { mode: "Strict" }).warnings).toEqual([]);
    const svc = { apiVersion: "v1", kind: "Service", metadata: { name: "s" }, spec: { ports: [{ port: 80, targetPort: 8080 }, { port: 81, targetPort: "web" }], selector: { app: "x" } } };
    expect(checkBuiltinFields(svc, { group: "", version: "v1", kind: "Service" }, { mode: "Strict" }).warnings).toEqual([]);
    const quota = { apiVersion: "v1", kind: "ResourceQuota", metadata: { name: "q" }, spec: { hard: { pods: 10, "requests.cpu": "1.5", "limits.memory": "1e3" } } };
    expect(checkBuiltinFields(quota, { group: "", version: "v1", kind: "ResourceQuota" }, { mode: "Strict" }).warnings).toEqual([]);
  });

  test("Strict rejects unknown fields with kube-apiserver's exact message, several joined", () => {
    const obj = deployment({ bogus: 1, another: true }, { bogusField: "x" });
    const e = apiError(() => checkBuiltinFields(obj, deployGVK, { mode: "Strict" }));
    expect(e.code).toBe(400);
    expect(e.reason).toBe("BadRequest");
    expect(e.message).toBe(
      'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: ' +
        'unknown field "spec.template.spec.containers[0].bogusField", unknown field "spec.bogus", unknown field "spec.another"',
    );
  });

  test("Warn drops unknown fields and returns one warning each; Ignore drops silently", () => {
    const obj = deployment({ bogus: 1 });
    (obj.metadata as Record<string, unknown>).nope = "x";
    const w = checkBuiltinFields(obj, deployGVK, { mode: "Warn" });
    expect(w.warnings).toEqual(['unknown field "metadata.nope"', 'unknown field "spec.bogus"']);
    expect((w.object.spec as Record<string, unknown>).bogus).toBeUndefined();
    expect((w.object.metadata as Record<string, unknown>).nope).toBeUndefined();
    expect((w.object.metadata as Record<string, unknown>).name).toBe("web");
    // the input is not modified
    expect((obj.spec as Record<string, unknown>).bogus).toBe(1);
    const i = checkBuiltinFields(obj, deployGVK, { mode: "Ignore" });
    expect(i.warnings).toEqual([]);
    expect((i.object.spec as Record<string, unknown>).bogus).toBeUndefined();
  });

  test("duplicate fields from the raw body", () => {
    const raw = '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","name":"b"},"data":{"k":"1","k":"2"}}';
    const gvk = { group: "", version: "v1", kind: "ConfigMap" };
    const e = apiError(() => checkBuiltinFields(JSON.parse(raw), gvk, { mode: "Strict", rawBody: raw }));
    expect(e.message).toBe('ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: duplicate field "metadata.name", duplicate field "data.k"');
    expect(checkBuiltinFields(JSON.parse(raw), gvk, { mode: "Warn", rawBody: raw }).warnings).toEqual(['duplicate field "metadata.name"', 'duplicate field "data.k"']);
  });

  test("type mismatches give Go's UnmarshalTypeError text, whatever the mode", () => {
    const cases: [Record<string, unknown>, Record<string, unknown>, string][] = [
      [{ replicas: "2" }, {}, "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32"],
      [{ replicas: 1.5 }, {}, "json: cannot unmarshal number 1.5 into Go struct field DeploymentSpec.spec.replicas of type int32"],
      [{ replicas: 3000000000 }, {}, "json: cannot unmarshal number 3000000000 into Go struct field DeploymentSpec.spec.replicas of type int32"],
      [{ paused: "yes" }, {}, "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.paused of type bool"],
      [{}, { env: [{ name: "A", value: 1 }] }, "json: cannot unmarshal number into Go struct field EnvVar.spec.template.spec.containers.env.value of type string"],
      [{}, { ports: "80" }, "json: cannot unmarshal string into Go struct field Container.spec.template.spec.containers.ports of type []v1.ContainerPort"],
      [{}, { ports: [{ containerPort: 80, protocol: 6 }] }, "json: cannot unmarshal number into Go struct field ContainerPort.spec.template.spec.containers.ports.protocol of type v1.Protocol"],
      [{ selector: "app=web" }, {}, "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.selector of type v1.LabelSelector"],
      [{}, { resources: { limits: { cpu: "lots" } } }, "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"],
      [{}, { resources: { limits: { cpu: "1Zi" } } }, "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"],
      [{}, { resources: { limits: { cpu: "1iK" } } }, "unable to parse quantity's suffix"],
      [{ strategy: { rollingUpdate: { maxSurge: true } } }, {}, "json: cannot unmarshal bool into Go struct field RollingUpdateDeployment.spec.strategy.rollingUpdate.maxSurge of type int32"],
      [{}, { securityContext: { capabilities: { add: [1] } } }, "json: cannot unmarshal number into Go struct field Capabilities.spec.template.spec.containers.securityContext.capabilities.add of type v1.Capability"],
    ];
    for (const [spec, container, want] of cases) {
      for (const mode of ["Strict", "Ignore"] as const) {
        const e = apiError(() => checkBuiltinFields(deployment(spec, container), deployGVK, { mode }));
        expect(e.code).toBe(400);
        expect(e.message).toBe(`Deployment in version "v1" cannot be handled as a Deployment: ${want}`);
      }
    }
  });

  test("labels, times and base64 data", () => {
    const pod = (meta: Record<string, unknown>) => ({ apiVersion: "v1", kind: "Pod", metadata: { name: "p", ...meta }, spec: { containers: [{ name: "c", image: "i" }] } });
    const podGVK = { group: "", version: "v1", kind: "Pod" };
    expect(apiError(() => checkBuiltinFields(pod({ labels: { a: 1 } }), podGVK, { mode: "Strict" })).message).toBe(
      'Pod in version "v1" cannot be handled as a Pod: json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string',
    );
    expect(checkBuiltinFields(pod({ creationTimestamp: "2024-01-02T03:04:05Z" }), podGVK, { mode: "Strict" }).warnings).toEqual([]);
    expect(apiError(() => checkBuiltinFields(pod({ creationTimestamp: "yesterday" }), podGVK, { mode: "Strict" })).message).toBe(
      'Pod in version "v1" cannot be handled as a Pod: parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": cannot parse "yesterday" as "2006"',
    );
    const secret = { apiVersion: "v1", kind: "Secret", metadata: { name: "s" }, data: { a: "not base64!" } };
    expect(apiError(() => checkBuiltinFields(secret, { group: "", version: "v1", kind: "Secret" }, { mode: "Strict" })).message).toBe(
      'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 3',
    );
  });

  test("a type error wins over unknown fields", () => {
    const e = apiError(() => checkBuiltinFields(deployment({ bogus: 1, replicas: "x" }), deployGVK, { mode: "Strict" }));
    expect(e.message).toContain("cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas");
  });

  test("free-form fields (RawExtension, FieldsV1) accept anything", () => {
    const cr = { apiVersion: "apps/v1", kind: "ControllerRevision", metadata: { name: "r", managedFields: [{ manager: "m", fieldsV1: { "f:spec": { "f:x": {} } } }] }, data: { anything: [1, { b: 2 }] }, revision: 1 };
    expect(checkBuiltinFields(cr, { group: "apps", version: "v1", kind: "ControllerRevision" }, { mode: "Strict" }).warnings).toEqual([]);
  });

  test("accepts every body kubectl's generators send (captured from kubectl 1.31), unchanged", () => {
    for (const f of fixtures.bodies) {
      const body = f.json as { apiVersion: string; kind: string };
      const [group, version] = body.apiVersion.includes("/") ? body.apiVersion.split("/") : ["", body.apiVersion];
      const raw = JSON.stringify(body);
      const r = checkBuiltinFields(JSON.parse(raw), { group: group!, version: version!, kind: body.kind }, { mode: "Strict", rawBody: raw });
      expect([f.command, r.warnings]).toEqual([f.command, []]);
      expect(r.object).toEqual(body as never);
    }
  });

  test("every served kind accepts a minimal object", () => {
    const kinds: [string, string, string][] = [
      ["", "v1", "Namespace"], ["", "v1", "Node"], ["", "v1", "Endpoints"], ["", "v1", "ServiceAccount"], ["", "v1", "Event"],
      ["", "v1", "PersistentVolume"], ["", "v1", "PersistentVolumeClaim"], ["", "v1", "LimitRange"], ["", "v1", "Binding"],
      ["autoscaling", "v1", "Scale"], ["policy", "v1", "Eviction"], ["authentication.k8s.io", "v1", "TokenRequest"],
      ["apps", "v1", "ReplicaSet"], ["apps", "v1", "DaemonSet"], ["apps", "v1", "StatefulSet"], ["batch", "v1", "Job"],
      ["batch", "v1", "CronJob"], ["coordination.k8s.io", "v1", "Lease"], ["discovery.k8s.io", "v1", "EndpointSlice"],
      ["events.k8s.io", "v1", "Event"], ["authorization.k8s.io", "v1", "SelfSubjectAccessReview"],
      ["authorization.k8s.io", "v1", "SelfSubjectRulesReview"], ["authorization.k8s.io", "v1", "SubjectAccessReview"],
      ["authentication.k8s.io", "v1", "SelfSubjectReview"], ["authentication.k8s.io", "v1", "TokenReview"],
      ["apiextensions.k8s.io", "v1", "CustomResourceDefinition"], ["storage.k8s.io", "v1", "StorageClass"],
      ["rbac.authorization.k8s.io", "v1", "Role"], ["rbac.authorization.k8s.io", "v1", "RoleBinding"],
      ["rbac.authorization.k8s.io", "v1", "ClusterRole"], ["rbac.authorization.k8s.io", "v1", "ClusterRoleBinding"],
      ["policy", "v1", "PodDisruptionBudget"], ["scheduling.k8s.io", "v1", "PriorityClass"], ["networking.k8s.io", "v1", "Ingress"],
      ["", "v1", "Status"], ["apps", "v1", "DeleteOptions"],
    ];
    for (const [group, version, kind] of kinds) {
      const obj = { apiVersion: group ? `${group}/${version}` : version, kind, metadata: { name: "x" } };
      if (kind === "Status" || kind === "DeleteOptions") delete (obj as Record<string, unknown>).metadata;
      expect(checkBuiltinFields(obj, { group, version, kind }, { mode: "Strict" }).warnings).toEqual([]);
    }
  });

  test("a CRD with a nested openAPIV3Schema is accepted (JSONSchemaProps is free-form where upstream is)", () => {
    const crd = {
      apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", metadata: { name: "widgets.example.com" },
      spec: {
        group: "example.com", scope: "Namespaced", names: { plural: "widgets", kind: "Widget" },
        versions: [{
          name: "v1", served: true, storage: true,
          schema: { openAPIV3Schema: { type: "object", properties: { spec: { type: "object", "x-kubernetes-preserve-unknown-fields": true, properties: { size: { type: "integer", default: 1, enum: [1, 2] }, port: { "x-kubernetes-int-or-string": true, anyOf: [{ type: "integer" }, { type: "string" }] } }, additionalProperties: false } } } },
        }],
      },
    };
    expect(checkBuiltinFields(crd, { group: "apiextensions.k8s.io", version: "v1", kind: "CustomResourceDefinition" }, { mode: "Strict" }).warnings).toEqual([]);
  });
});

describe("parseFieldValidation", () => {
  test("defaults to Warn and rejects unknown values", () => {
    expect(parseFieldValidation(null)).toBe("Warn");
    expect(parseFieldValidation("")).toBe("Warn");
    expect(parseFieldValidation("Strict")).toBe("Strict");
    const e = apiError(() => parseFieldValidation("strict", "PatchOptions"));
    expect(e.code).toBe(422);
    expect(e.message).toBe('PatchOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "strict": supported values: "", "Ignore", "Strict", "Warn"');
  });
});
