/**
 * The kinds wired into the real generic registry over a real LocalStore (SQLite in a temp
 * dir, fsync on): what a client sees after create/update/delete, not just the hooks.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalStore } from "../../store/local-store.ts";
import { Catalog } from "../registry/catalog.ts";
import type { Obj, OpContext } from "../registry/types.ts";
import { ApiError } from "../errors.ts";
import { toTable } from "../table.ts";
import { builtinResources, crdToResourceDefs } from "./index.ts";

let dir: string;
let store: LocalStore;
let catalog: Catalog;
const ctx = (): OpContext => ({ user: { username: "admin", groups: ["system:masters", "system:authenticated"] }, now: new Date(), dryRun: false, fieldValidation: "Ignore", warnings: [] });
const reg = (group: string, plural: string) => catalog.lookupResource(group, plural)!.registry;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "kite-resources-"));
  store = await LocalStore.open(join(dir, "state.db"), { compactIntervalMs: 0 });
  catalog = new Catalog(store);
  for (const def of builtinResources({ defaultUnreachableTolerationSeconds: 300 })) catalog.add(def);
  await reg("", "namespaces").create(undefined, { metadata: { name: "default" } }, ctx());
});

afterAll(async () => {
  await store?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("built-in kinds through the generic registry", () => {
  test("namespace gets its finalizer, phase and label", async () => {
    const ns = await reg("", "namespaces").get(undefined, "default");
    expect(ns.spec.finalizers).toEqual(["kubernetes"]);
    expect(ns.status.phase).toBe("Active");
    expect(ns.metadata.labels["kubernetes.io/metadata.name"]).toBe("default");
  });

  test("pod create applies defaults and admission, and bad pods are 422 with upstream causes", async () => {
    const pods = reg("", "pods");
    const pod = await pods.create("default", { apiVersion: "v1", kind: "Pod", metadata: { name: "web" }, spec: { containers: [{ name: "app", image: "nginx" }] } }, ctx());
    expect(pod.spec.restartPolicy).toBe("Always");
    expect(pod.spec.containers[0].imagePullPolicy).toBe("Always");
    expect(pod.status).toEqual({ phase: "Pending", qosClass: "BestEffort" });
    expect(pod.spec.tolerations).toHaveLength(2);
    const stored = await pods.get("default", "web");
    expect(stored.spec.priority).toBe(0);
    let err: unknown;
    try {
      await pods.create("default", { metadata: { name: "bad" }, spec: { containers: [{ name: "app" }] } }, ctx());
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe(422);
    expect((err as ApiError).message).toBe('Pod "bad" is invalid: spec.containers[0].image: Required value');
  });

  test("pod spec is immutable on update except the image", async () => {
    const pods = reg("", "pods");
    const cur = await pods.get("default", "web");
    cur.spec.containers[0].image = "nginx:1.27";
    const { obj } = await pods.update("default", "web", cur, ctx());
    expect(obj.spec.containers[0].image).toBe("nginx:1.27");
    obj.spec.restartPolicy = "Never";
    await expect(pods.update("default", "web", obj, ctx())).rejects.toThrow("pod updates may not change fields other than");
  });

  test("field selectors use the kinds' selectable fields", async () => {
    const pods = reg("", "pods");
    expect((await pods.list("default", { fieldSelector: "status.phase=Pending" })).items.map((p) => p.metadata.name)).toEqual(["web"]);
    expect((await pods.list("default", { fieldSelector: "spec.nodeName=" })).items).toHaveLength(1);
    expect((await pods.list("default", { fieldSelector: "spec.nodeName!=" })).items).toHaveLength(0);
  });

  test("graceful delete: a bound pod is marked, an unbound one goes at once", async () => {
    const pods = reg("", "pods");
    await pods.create("default", { metadata: { name: "bound" }, spec: { nodeName: "n1", containers: [{ name: "a", image: "x" }] } }, ctx());
    const r1 = await pods.delete("default", "bound", {}, ctx());
    expect(r1.deleted).toBe(false);
    expect(r1.obj.metadata.deletionGracePeriodSeconds).toBe(30);
    const now = Date.now();
    const row = toTable(pods.def, [r1.obj], { include: "None", now }).rows[0].cells;
    expect(row[2]).toBe("Terminating");
    const r2 = await pods.delete("default", "bound", { gracePeriodSeconds: 0 }, ctx());
    expect(r2.deleted).toBe(true);
    const r3 = await pods.delete("default", "web", {}, ctx());
    expect(r3.deleted).toBe(true);
  });

  test("services get distinct cluster IPs from the store's view of services", async () => {
    const svcs = reg("", "services");
    const ips = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const s = await svcs.create("default", { metadata: { name: `s${i}` }, spec: { type: "NodePort", selector: { app: "x" }, ports: [{ port: 80 }] } }, ctx());
      ips.add(s.spec.clusterIP);
    }
    expect(ips.size).toBe(5);
    const s0 = await svcs.get("default", "s0");
    await expect(svcs.create("default", { metadata: { name: "dup" }, spec: { clusterIP: s0.spec.clusterIP, ports: [{ port: 80 }] } }, ctx())).rejects.toThrow("provided IP is already allocated");
    // kubectl replace without clusterIP/nodePort keeps the allocated values.
    const { obj } = await svcs.update("default", "s0", { metadata: { name: "s0" }, spec: { type: "NodePort", selector: { app: "y" }, ports: [{ port: 80 }] } }, ctx());
    expect(obj.spec.clusterIP).toBe(s0.spec.clusterIP);
    expect(obj.spec.ports[0].nodePort).toBe(s0.spec.ports[0].nodePort);
  });

  test("deployments: defaults, generation and scale", async () => {
    const deploys = reg("apps", "deployments");
    const d = await deploys.create("default", { metadata: { name: "web" }, spec: { selector: { matchLabels: { app: "web" } }, template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "web", image: "nginx:1.27" }] } } } }, ctx());
    expect(d.metadata.generation).toBe(1);
    expect(d.spec.strategy.rollingUpdate).toEqual({ maxUnavailable: "25%", maxSurge: "25%" });
    const scale = await deploys.updateScale("default", "web", { spec: { replicas: 3 } }, ctx());
    expect(scale.spec.replicas).toBe(3);
    const after = await deploys.get("default", "web");
    expect(after.metadata.generation).toBe(2);
    after.spec.selector = { matchLabels: { app: "other" } };
    after.spec.template.metadata.labels = { app: "other" };
    await expect(deploys.update("default", "web", after, ctx())).rejects.toThrow("spec.selector: Invalid value");
  });

  test("secrets: stringData is merged and never stored", async () => {
    const secrets = reg("", "secrets");
    await secrets.create("default", { metadata: { name: "s" }, stringData: { password: "hunter2" } }, ctx());
    const s = await secrets.get("default", "s");
    expect(s.stringData).toBeUndefined();
    expect(Buffer.from(s.data.password, "base64").toString()).toBe("hunter2");
    expect(s.type).toBe("Opaque");
  });

  test("a CRD's custom resources: pruning, defaults, schema validation, columns", async () => {
    const crd = await reg("apiextensions.k8s.io", "customresourcedefinitions").create(undefined, {
      metadata: { name: "widgets.example.com" },
      spec: {
        group: "example.com",
        scope: "Namespaced",
        names: { plural: "widgets", kind: "Widget" },
        versions: [{
          name: "v1", served: true, storage: true,
          schema: { openAPIV3Schema: { type: "object", properties: { spec: { type: "object", properties: { size: { type: "integer", default: 2 } } } } } },
          additionalPrinterColumns: [{ name: "Size", type: "integer", jsonPath: ".spec.size" }],
        }],
      },
    }, ctx());
    expect(crd.status.storedVersions).toEqual(["v1"]);
    for (const def of crdToResourceDefs(crd)) catalog.add(def);
    const widgets = reg("example.com", "widgets");
    const w = await widgets.create("default", { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w1" }, spec: { junk: true } }, ctx());
    expect(w.spec).toEqual({ size: 2 });
    await expect(widgets.create("default", { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w2" }, spec: { size: "big" } }, ctx())).rejects.toThrow('spec.size in body must be of type integer: "string"');
    const table = toTable(widgets.def, [w], { include: "None" });
    expect(table.columnDefinitions.map((c: Obj) => c.name)).toEqual(["Name", "Size"]);
    expect(table.rows[0].cells).toEqual(["w1", 2]);
  });
});
