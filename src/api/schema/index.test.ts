import { describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  allSchemaNames, closure, deref, elementSchema, fieldAt, knownKinds, patchMeta, propertySchema, resolve, schemaFor, schemaNameFor,
} from "./index.ts";

describe("schema lookup", () => {
  test("schemaFor returns the kind's schema with its GVK extension", () => {
    const d = schemaFor("apps", "v1", "Deployment")!;
    expect(d["x-kubernetes-group-version-kind"]).toEqual([{ group: "apps", version: "v1", kind: "Deployment" }]);
    expect(Object.keys(d.properties!)).toEqual(["apiVersion", "kind", "metadata", "spec", "status"]);
    expect(schemaNameFor("", "v1", "Pod")).toBe("io.k8s.api.core.v1.Pod");
    expect(schemaNameFor("events.k8s.io", "v1", "Event")).toBe("io.k8s.api.events.v1.Event");
    expect(schemaNameFor("", "v1", "Event")).toBe("io.k8s.api.core.v1.Event");
    expect(schemaNameFor("apiextensions.k8s.io", "v1", "CustomResourceDefinition")).toBe("io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition");
    expect(schemaNameFor("apps", "v1", "Status")).toBe("io.k8s.apimachinery.pkg.apis.meta.v1.Status");
    expect(schemaFor("apps", "v1", "Nope")).toBeUndefined();
    expect(knownKinds().some((k) => k.group === "batch" && k.kind === "CronJobList")).toBe(true);
  });

  test("nested types live in their upstream Go package", () => {
    for (const n of [
      "io.k8s.api.core.v1.PodTemplateSpec", "io.k8s.api.core.v1.TopologySelectorTerm", "io.k8s.api.apps.v1.DeploymentSpec",
      "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector", "io.k8s.api.autoscaling.v1.ScaleSpec", "io.k8s.api.rbac.v1.Subject",
      "io.k8s.api.authentication.v1.UserInfo", "io.k8s.api.discovery.v1.EndpointPort", "io.k8s.api.core.v1.EndpointPort",
      "io.k8s.apimachinery.pkg.api.resource.Quantity", "io.k8s.apimachinery.pkg.util.intstr.IntOrString",
    ]) expect([n, resolve(n) !== undefined]).toEqual([n, true]);
    expect(resolve("#/components/schemas/io.k8s.api.core.v1.Pod")).toBe(resolve("io.k8s.api.core.v1.Pod")!);
    expect(resolve("io.k8s.api.nope.v1.X")).toBeUndefined();
  });

  test("required fields, formats, maps, quantities, int-or-string, times", () => {
    const spec = resolve("io.k8s.api.apps.v1.DeploymentSpec")!;
    expect(spec.required).toEqual(["selector", "template"]);
    expect(spec.properties!.replicas).toMatchObject({ type: "integer", format: "int32" });
    const c = resolve("io.k8s.api.core.v1.Container")!;
    expect(c.required).toEqual(["name"]);
    const rr = resolve("io.k8s.api.core.v1.ResourceRequirements")!;
    expect(rr.properties!.limits).toMatchObject({ type: "object", additionalProperties: { $ref: "#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity" } });
    expect(resolve("io.k8s.api.apps.v1.RollingUpdateDeployment")!.properties!.maxSurge!.allOf).toEqual([{ $ref: "#/components/schemas/io.k8s.apimachinery.pkg.util.intstr.IntOrString" }]);
    expect(resolve("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta")!.properties!.creationTimestamp!.allOf).toEqual([{ $ref: "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Time" }]);
    expect(resolve("io.k8s.api.core.v1.Event")!.properties!.eventTime!.allOf).toEqual([{ $ref: "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime" }]);
    expect(resolve("io.k8s.api.core.v1.Secret")!.properties!.data).toMatchObject({ type: "object", additionalProperties: { type: "string", format: "byte" } });
    expect(resolve("io.k8s.api.core.v1.Pod")!.properties!.metadata!.description).toContain("Standard object's metadata");
    expect(resolve("io.k8s.api.core.v1.Pod")!.description).toContain("Pod is a collection of containers");
  });

  test("fieldAt walks through arrays like kubectl explain", () => {
    const pod = schemaFor("", "v1", "Pod")!;
    const containers = fieldAt(pod, "spec.containers")!;
    expect(containers.field.type).toBe("array");
    expect(containers.field.description).toContain("List of containers");
    expect(fieldAt(pod, "spec.containers.ports.containerPort")!.schema).toMatchObject({ type: "integer", format: "int32" });
    expect(fieldAt(pod, "spec.bogus")).toBeUndefined();
    expect(elementSchema(containers.field)).toBe(resolve("io.k8s.api.core.v1.Container")!);
    expect(propertySchema(pod, "spec")).toBe(resolve("io.k8s.api.core.v1.PodSpec")!);
    expect(deref({ allOf: [{ $ref: "#/components/schemas/io.k8s.api.core.v1.PodSpec" }] })).toBe(resolve("io.k8s.api.core.v1.PodSpec")!);
  });

  test("patch metadata from x-kubernetes-patch-*", () => {
    const pod = schemaFor("", "v1", "Pod")!;
    expect(patchMeta(fieldAt(pod, "spec.containers")!.field)).toEqual({ strategy: "merge", mergeKey: "name" });
    expect(patchMeta(fieldAt(pod, "spec.volumes")!.field)).toEqual({ strategy: "merge,retainKeys", mergeKey: "name" });
    expect(patchMeta(fieldAt(pod, "spec.containers.ports")!.field)).toEqual({ strategy: "merge", mergeKey: "containerPort" });
    expect(patchMeta(fieldAt(schemaFor("apps", "v1", "Deployment")!, "spec.strategy")!.field)).toEqual({ strategy: "retainKeys" });
    expect(patchMeta(fieldAt(pod, "spec.nodeName")!.field)).toEqual({});
  });

  test("closure holds everything a kind references and nothing dangles", () => {
    const names = closure(["io.k8s.api.apps.v1.Deployment"]);
    expect(names).toContain("io.k8s.api.core.v1.PodSpec");
    expect(names).toContain("io.k8s.apimachinery.pkg.api.resource.Quantity");
    expect(names).not.toContain("io.k8s.api.batch.v1.JobSpec");
    const all = allSchemaNames();
    expect(closure(all)).toEqual(all);
  });
});

describe("generated files", () => {
  test("are what the generator produces now (deterministic and up to date)", () => {
    const dir = mkdtempSync(join(tmpdir(), "kite-schemas-"));
    try {
      const r = Bun.spawnSync(["bun", "scripts/gen-schemas.ts"], { cwd: join(import.meta.dir, "../../.."), env: { ...process.env, GEN_SCHEMAS_OUT: dir } });
      expect(r.exitCode).toBe(0);
      const committed = join(import.meta.dir, "generated");
      const files = readdirSync(dir).sort();
      expect(readdirSync(committed).sort()).toEqual(files);
      for (const f of files) expect([f, readFileSync(join(dir, f), "utf8") === readFileSync(join(committed, f), "utf8")]).toEqual([f, true]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
