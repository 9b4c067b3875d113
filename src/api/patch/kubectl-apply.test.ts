/**
 * Real kubectl against a loopback stub that stores objects in memory and applies PATCH
 * bodies with this package. Proves the property kubectl's client-side apply depends on: after
 * a `configured`, re-applying the same file computes an empty 3-way patch and prints
 * `unchanged` (only true if the server applied $setElementOrder, $retainKeys,
 * $deleteFromPrimitiveList and `$patch: delete` faithfully). Skipped when no kubectl binary
 * is installed. Also drives `apply --server-side` through serverSideApply/updateManagedFields:
 * kubectl prints upstream's conflict error from the 409 Status we build.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { mergePatchObject } from "./json-merge.ts";
import { applyJsonPatchToObject } from "./json-patch.ts";
import { clone, isObject, type JsonObject } from "./json.ts";
import { strategicMergePatch } from "./strategic.ts";
import { patchMetaFor } from "./strategy.ts";
import { PatchError } from "./errors.ts";
import { ApplyConflictError, managerFromUserAgent, serverSideApply, updateManagedFields } from "./apply.ts";

function findKubectl(version: string): string | undefined {
  for (const dir of ["/usr/bin", "/usr/local/bin"]) {
    const p = join(dir, "kubectl");
    if (!existsSync(p)) continue;
    let real = p;
    try {
      real = join(dirname(p), readlinkSync(p));
    } catch {
      // not a symlink
    }
    for (const candidate of [join(dirname(real), `kubectl.${version}`), real]) if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

const RESOURCES: Record<string, { group: string; version: string; kind: string }> = {
  configmaps: { group: "", version: "v1", kind: "ConfigMap" },
  deployments: { group: "apps", version: "v1", kind: "Deployment" },
};

/** Minimal API server: discovery, GET, POST, PATCH. Records PATCH bodies. */
class Stub {
  objects = new Map<string, JsonObject>();
  patches: { contentType: string; body: unknown }[] = [];
  rv = 1;
  server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (req) => this.handle(req) });

  get url(): string {
    return `http://127.0.0.1:${this.server.port}`;
  }

  private updateOptions(req: Request, def: { group: string; version: string; kind: string }) {
    const url = new URL(req.url);
    return {
      manager: url.searchParams.get("fieldManager") ?? managerFromUserAgent(req.headers.get("user-agent")),
      apiVersion: def.group ? `${def.group}/${def.version}` : def.version,
      time: "2026-01-01T00:00:00Z",
      schema: patchMetaFor(def.group, def.version, def.kind),
    };
  }

  private json(body: unknown, status = 200): Response {
    return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
  }

  private status(code: number, reason: string, message: string): Response {
    return this.json({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code }, code);
  }

  private async handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    const p = url.pathname;
    if (p === "/version") return this.json({ major: "1", minor: "32", gitVersion: "v1.32.5" });
    if (p === "/api") return this.json({ kind: "APIVersions", versions: ["v1"] });
    if (p === "/apis") {
      return this.json({
        kind: "APIGroupList",
        apiVersion: "v1",
        groups: [{ name: "apps", versions: [{ groupVersion: "apps/v1", version: "v1" }], preferredVersion: { groupVersion: "apps/v1", version: "v1" } }],
      });
    }
    const verbs = ["create", "delete", "get", "list", "patch", "update", "watch"];
    if (p === "/api/v1") {
      return this.json({ kind: "APIResourceList", apiVersion: "v1", groupVersion: "v1", resources: [{ name: "configmaps", singularName: "configmap", namespaced: true, kind: "ConfigMap", verbs, shortNames: ["cm"] }] });
    }
    if (p === "/apis/apps/v1") {
      return this.json({ kind: "APIResourceList", apiVersion: "v1", groupVersion: "apps/v1", resources: [{ name: "deployments", singularName: "deployment", namespaced: true, kind: "Deployment", verbs, shortNames: ["deploy"] }] });
    }
    const m = /^\/(?:api\/v1|apis\/apps\/v1)\/namespaces\/([^/]+)\/([^/]+)(?:\/([^/]+))?$/.exec(p);
    if (!m) return this.status(404, "NotFound", "the server could not find the requested resource");
    const [, ns, resource, name] = m as unknown as [string, string, string, string | undefined];
    const def = RESOURCES[resource];
    if (!def) return this.status(404, "NotFound", "the server could not find the requested resource");
    const key = `${resource}/${ns}/${name}`;
    if (req.method === "GET" && name) {
      const obj = this.objects.get(key);
      return obj ? this.json(obj) : this.status(404, "NotFound", `${resource} "${name}" not found`);
    }
    if (req.method === "POST" && !name) {
      const obj = (await req.json()) as JsonObject;
      const meta = obj.metadata as JsonObject;
      const k = `${resource}/${ns}/${meta.name as string}`;
      if (this.objects.has(k)) return this.status(409, "AlreadyExists", "exists");
      Object.assign(meta, { namespace: ns, uid: crypto.randomUUID(), resourceVersion: String(++this.rv), creationTimestamp: "2026-01-01T00:00:00Z" });
      defaults(obj);
      const withFields = updateManagedFields(undefined, obj, this.updateOptions(req, def));
      this.objects.set(k, withFields);
      return this.json(withFields, 201);
    }
    if (req.method === "PATCH" && name) {
      const live = this.objects.get(key);
      const contentType = (req.headers.get("content-type") ?? "").split(";")[0] as string;
      const body = await req.json();
      this.patches.push({ contentType, body });
      if (contentType === "application/apply-patch+yaml") {
        try {
          const r = serverSideApply(live, body, {
            manager: url.searchParams.get("fieldManager") ?? "",
            force: url.searchParams.get("force") === "true",
            apiVersion: def.group ? `${def.group}/${def.version}` : def.version,
            time: "2026-01-02T00:00:00Z",
            schema: patchMetaFor(def.group, def.version, def.kind),
          });
          const meta = r.object.metadata as JsonObject;
          if (r.created) Object.assign(meta, { namespace: ns, uid: crypto.randomUUID(), creationTimestamp: "2026-01-01T00:00:00Z" });
          if (r.changed || r.created) meta.resourceVersion = String(++this.rv);
          this.objects.set(key, r.object);
          return this.json(r.object, r.created ? 201 : 200);
        } catch (e) {
          if (e instanceof ApplyConflictError) {
            return this.json({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: e.message, reason: "Conflict", details: { causes: e.causes() }, code: 409 }, 409);
          }
          if (e instanceof PatchError) return this.status(e.status, e.reason, e.message);
          throw e;
        }
      }
      if (!live) return this.status(404, "NotFound", `${resource} "${name}" not found`);
      let out: JsonObject;
      try {
        if (contentType === "application/strategic-merge-patch+json") {
          out = strategicMergePatch(live, body, patchMetaFor(def.group, def.version, def.kind));
        } else if (contentType === "application/merge-patch+json") {
          out = mergePatchObject(live, body);
        } else if (contentType === "application/json-patch+json") {
          out = applyJsonPatchToObject(live, body);
        } else {
          return this.status(415, "UnsupportedMediaType", contentType);
        }
      } catch (e) {
        if (e instanceof PatchError) return this.status(e.status, e.reason, e.message);
        throw e;
      }
      out = updateManagedFields(live, out, this.updateOptions(req, def));
      (out.metadata as JsonObject).resourceVersion = String(++this.rv);
      this.objects.set(key, out);
      return this.json(out);
    }
    return this.status(405, "MethodNotAllowed", req.method);
  }
}

/** A little of the defaulting a real API server does, so the live object differs from the manifest. */
function defaults(obj: JsonObject): void {
  if (obj.kind !== "Deployment") return;
  const spec = obj.spec as JsonObject;
  spec.revisionHistoryLimit ??= 10;
  spec.strategy ??= { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" } };
  const pod = (spec.template as JsonObject).spec as JsonObject;
  pod.restartPolicy ??= "Always";
  for (const c of (pod.containers as JsonObject[]) ?? []) {
    c.imagePullPolicy ??= "IfNotPresent";
    c.terminationMessagePath ??= "/dev/termination-log";
    for (const port of (c.ports as JsonObject[]) ?? []) port.protocol ??= "TCP";
  }
  obj.status = { observedGeneration: 1, replicas: 0 };
}

const deploy1 = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx
  labels: {app: nginx}
spec:
  replicas: 2
  selector: {matchLabels: {app: nginx}}
  template:
    metadata: {labels: {app: nginx}}
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
        env: [{name: A, value: "1"}, {name: B, value: "2"}]
        ports: [{containerPort: 80}, {containerPort: 443}]
        volumeMounts: [{name: data, mountPath: /data}]
      - name: sidecar
        image: busybox
        command: [sleep, "3600"]
      volumes:
      - name: data
        emptyDir: {}
      - name: cfg
        configMap: {name: cfg}
`;

const deploy2 = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx
  labels: {app: nginx, tier: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: nginx}}
  strategy: {type: Recreate}
  template:
    metadata: {labels: {app: nginx}}
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
        env: [{name: B, value: "22"}, {name: C, value: "3"}, {name: A, value: "1"}]
        ports: [{containerPort: 80}]
      volumes:
      - name: data
        hostPath: {path: /tmp}
`;

const deploy3 = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx
  labels: {app: nginx, tier: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: nginx}}
  strategy: {type: Recreate}
  template:
    metadata: {labels: {app: nginx}}
    spec:
      initContainers:
      - {name: init, image: busybox, command: [true]}
      containers:
      - name: extra
        image: busybox
      - name: nginx
        image: nginx:1.27
        env: [{name: C, value: "3"}, {name: A, value: "1"}, {name: D, value: "4"}]
        ports: [{containerPort: 8080, name: alt}, {containerPort: 80}]
        volumeMounts: [{name: data, mountPath: /d2}, {name: data, mountPath: /d1}]
      volumes:
      - name: data
        hostPath: {path: /tmp}
`;

const cm1 = `apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
  finalizers: [example.com/a, example.com/b]
  annotations: {drop: "x", keep: "y"}
data: {k1: v1, k2: v2}
`;

const cm2 = `apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
  finalizers: [example.com/a, example.com/c]
  annotations: {keep: "y"}
data: {k1: v1new}
`;

for (const version of ["1.32", "1.27", "1.33"]) {
  const kubectl = findKubectl(version);
  describe.skipIf(!kubectl)(`kubectl ${version} apply against this package`, () => {
    let stub: Stub;
    let dir: string;

    beforeAll(() => {
      stub = new Stub();
      dir = mkdtempSync(join(tmpdir(), "kite-apply-"));
      writeFileSync(
        join(dir, "kubeconfig"),
        `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "${stub.url}"}}]
users: [{name: u, user: {}}]
contexts: [{name: x, context: {cluster: c, user: u, namespace: default}}]
current-context: x
`,
      );
    });
    afterAll(() => {
      stub?.server.stop(true);
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    // Async spawn: the stub server runs on this process's event loop.
    async function apply(manifest: string, ...flags: string[]): Promise<string> {
      const r = await run(manifest, ...flags);
      if (r.code !== 0) throw new Error(`kubectl failed (${r.code}): ${r.out} ${r.err}`);
      return r.out;
    }
    async function run(manifest: string, ...flags: string[]): Promise<{ code: number; out: string; err: string }> {
      const file = join(dir, "m.yaml");
      writeFileSync(file, manifest);
      const proc = Bun.spawn([kubectl as string, "apply", "-f", file, "--validate=false", "--request-timeout=10s", ...flags], {
        env: { ...process.env, KUBECONFIG: join(dir, "kubeconfig"), KUBECACHEDIR: join(dir, "cache"), HOME: dir },
        stdout: "pipe",
        stderr: "pipe",
      });
      const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
      return { code, out: out.trim(), err: err.trim() };
    }

    test("deployment: created, unchanged, configured, unchanged, configured, unchanged", async () => {
      expect(await apply(deploy1)).toBe("deployment.apps/nginx created");
      expect(await apply(deploy1)).toBe("deployment.apps/nginx unchanged");
      const before = stub.patches.length;
      expect(await apply(deploy2)).toBe("deployment.apps/nginx configured");
      const sent = stub.patches.slice(before);
      expect(sent.length).toBe(1);
      expect(sent[0]?.contentType).toBe("application/strategic-merge-patch+json");
      expect(JSON.stringify(sent[0]?.body)).toContain("$setElementOrder/env");
      expect(await apply(deploy2)).toBe("deployment.apps/nginx unchanged");

      const live = clone(stub.objects.get("deployments/default/nginx") as JsonObject);
      const pod = ((live.spec as JsonObject).template as JsonObject).spec as JsonObject;
      const c = (pod.containers as JsonObject[])[0] as JsonObject;
      expect((pod.containers as JsonObject[]).map((x) => x.name)).toEqual(["nginx"]);
      expect(c.env).toEqual([
        { name: "B", value: "22" },
        { name: "C", value: "3" },
        { name: "A", value: "1" },
      ]);
      expect(c.ports).toEqual([{ containerPort: 80, protocol: "TCP" }]);
      expect(c.volumeMounts).toBeUndefined();
      expect(c.imagePullPolicy).toBe("IfNotPresent");
      expect(pod.volumes).toEqual([{ name: "data", hostPath: { path: "/tmp" } }]);
      expect((live.spec as JsonObject).strategy).toEqual({ type: "Recreate" });
      expect(JSON.stringify(live)).not.toContain('"$');

      expect(await apply(deploy3)).toBe("deployment.apps/nginx configured");
      expect(await apply(deploy3)).toBe("deployment.apps/nginx unchanged");
      const pod3 = (((stub.objects.get("deployments/default/nginx") as JsonObject).spec as JsonObject).template as JsonObject).spec as JsonObject;
      expect((pod3.containers as JsonObject[]).map((x) => x.name)).toEqual(["extra", "nginx"]);
      const nginx = (pod3.containers as JsonObject[])[1] as JsonObject;
      expect((nginx.env as JsonObject[]).map((e) => e.name)).toEqual(["C", "A", "D"]);
      expect((nginx.ports as JsonObject[]).map((e) => e.containerPort)).toEqual([8080, 80]);
      expect((nginx.volumeMounts as JsonObject[]).map((e) => e.mountPath)).toEqual(["/d2", "/d1"]);

      expect(await apply(deploy1)).toBe("deployment.apps/nginx configured");
      expect(await apply(deploy1)).toBe("deployment.apps/nginx unchanged");
    }, 60000);

    test("configmap with primitive merge list (finalizers): configured then unchanged", async () => {
      expect(await apply(cm1)).toBe("configmap/cfg created");
      expect(await apply(cm2)).toBe("configmap/cfg configured");
      const live = stub.objects.get("configmaps/default/cfg") as JsonObject;
      const meta = live.metadata as JsonObject;
      expect(meta.finalizers).toEqual(["example.com/a", "example.com/c"]);
      expect(isObject(meta.annotations) && meta.annotations.drop).toBeUndefined();
      expect(live.data).toEqual({ k1: "v1new" });
      expect(await apply(cm2)).toBe("configmap/cfg unchanged");
      expect(await apply(cm1)).toBe("configmap/cfg configured");
      expect(meta.finalizers).toEqual(["example.com/a", "example.com/c"]); // old object untouched
      expect(((stub.objects.get("configmaps/default/cfg") as JsonObject).metadata as JsonObject).finalizers).toEqual(["example.com/a", "example.com/b"]);
      expect(await apply(cm1)).toBe("configmap/cfg unchanged");
    }, 60000);

    test("server-side apply: create, re-apply, conflict with client-side apply, force", async () => {
      const ssa1 = `apiVersion: v1
kind: ConfigMap
metadata: {name: cfg3}
data: {a: "1", b: "2"}
`;
      expect(await apply(ssa1, "--server-side")).toBe("configmap/cfg3 serverside-applied");
      const created = stub.objects.get("configmaps/default/cfg3") as JsonObject;
      expect(created.data).toEqual({ a: "1", b: "2" });
      expect(((created.metadata as JsonObject).managedFields as JsonObject[]).map((e) => [e.manager, e.operation])).toEqual([["kubectl", "Apply"]]);
      expect(await apply(ssa1, "--server-side")).toBe("configmap/cfg3 serverside-applied");
      expect(stub.objects.get("configmaps/default/cfg3")).toEqual(created);

      // dropping b from the configuration removes it
      expect(await apply(ssa1.replace(', b: "2"', ""), "--server-side")).toBe("configmap/cfg3 serverside-applied");
      expect((stub.objects.get("configmaps/default/cfg3") as JsonObject).data).toEqual({ a: "1" });

      // a field owned by client-side apply
      const csa = `apiVersion: v1
kind: ConfigMap
metadata: {name: cfg4}
data: {a: "1"}
`;
      expect(await apply(csa)).toBe("configmap/cfg4 created");
      const r = await run(csa.replace('a: "1"', 'a: "2"'), "--server-side");
      expect(r.code).toBe(1);
      expect(r.err).toContain('error: Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using v1: .data.a');
      expect((stub.objects.get("configmaps/default/cfg4") as JsonObject).data).toEqual({ a: "1" });
      expect(await apply(csa.replace('a: "1"', 'a: "2"'), "--server-side", "--force-conflicts")).toBe("configmap/cfg4 serverside-applied");
      expect((stub.objects.get("configmaps/default/cfg4") as JsonObject).data).toEqual({ a: "2" });
      const managers = ((stub.objects.get("configmaps/default/cfg4") as JsonObject).metadata as JsonObject).managedFields as JsonObject[];
      expect(managers.find((e) => e.manager === "kubectl")?.operation).toBe("Apply");

      // another applier's field conflicts for real
      const other = await run(ssa1.replace('data: {a: "1", b: "2"}', 'data: {a: "9"}'), "--server-side", "--field-manager=other");
      expect(other.code).not.toBe(0);
      expect(other.err).toContain('Apply failed with 1 conflict: conflict with "kubectl": .data.a');
    }, 60000);
  });
}
