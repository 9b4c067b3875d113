/**
 * Stock kubectl 1.27, 1.30, 1.32 and 1.33 against the compiled `kite server`: one server,
 * one namespace per version, the everyday commands end to end, with output checked the
 * way a user reads it. Deployments stay at 0 ready (no controllers needed); `wait` uses
 * conditions set through the status subresource and ConfigMap jsonpath.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync, readFileSync, chmodSync } from "node:fs";
import { join } from "node:path";
import YAML from "yaml";
import { startServer, api, type KiteServer } from "../lib/kite.ts";
import { ensureCompiledBinary, eventually, kubectlBackground, kubectlFor, stopAllBackground, tableRows, type Kubectl } from "./lib.ts";

const VERSIONS = (process.env.KITE_KUBECTL_VERSIONS ?? "1.27,1.30,1.32,1.33").split(",");

let server: KiteServer;

beforeAll(async () => {
  if (!process.env.KITE_TEST_SOURCE) ensureCompiledBinary();
  server = await startServer();
}, 180_000);

afterEach(async () => {
  await stopAllBackground();
});

afterAll(async () => {
  await stopAllBackground();
  await server?.stop();
});

function manifest(ns: string) {
  return `apiVersion: v1
kind: Namespace
metadata:
  name: ${ns}
  labels:
    team: edge
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: app-config
  namespace: ${ns}
  labels:
    app: web
data:
  mode: production
  level: info
---
apiVersion: v1
kind: Secret
metadata:
  name: app-secret
  namespace: ${ns}
type: Opaque
stringData:
  password: s3cret
data:
  token: dG9rZW4=
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: ${ns}
  labels:
    app: web
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
        ports:
        - containerPort: 80
        env:
        - name: A
          value: "1"
        - name: B
          value: "2"
      volumes:
      - name: cfg
        configMap:
          name: app-config
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: ${ns}
  labels:
    app: web
spec:
  selector:
    app: web
  ports:
  - name: http
    port: 80
    targetPort: 80
`;
}

const WIDGET_CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    additionalPrinterColumns:
    - {name: Size, type: integer, jsonPath: .spec.size}
    - {name: Age, type: date, jsonPath: .metadata.creationTimestamp}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer}
          status:
            type: object
            x-kubernetes-preserve-unknown-fields: true
`;

const ok = (r: { code: number; stdout: string; stderr: string }) => {
  if (r.code !== 0) throw new Error(`kubectl failed (${r.code}):\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r.stdout;
};

test("the kubectl dispatcher runs a kubectl 1.32 for kite's /version (minor 32)", async () => {
  const r = await server.kubectl(["--cache-dir", join(server.dataDir, "kubectl-cache-dispatcher"), "get", "ns", "default", "-v=8"]);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/^NAME\s+STATUS\s+AGE\ndefault\s+Active\s+\d+/);
  // The dispatcher keeps its embedded 1.32 for a 1.32 server; other minors run kubectl.1.<minor>.
  expect(r.stderr).toMatch(/User-Agent: kubectl(\.1\.32)?\/v1\.32\.\d+ /);
}, 60_000);

for (const version of VERSIONS) {
  describe(`kubectl ${version}`, () => {
    const ns = `k${version.replace(".", "-")}`;
    let k: Kubectl;
    let dir: string;
    const file = (name: string, text: string) => {
      const p = join(dir, `${ns}-${name}`);
      writeFileSync(p, text);
      return p;
    };
    const json = async (args: string[]) => JSON.parse(ok(await k([...args, "-o", "json"])));

    beforeAll(() => {
      k = kubectlFor(server, version);
      dir = server.dataDir;
    }, 60_000);

    test("version and api-resources", async () => {
      const v = ok(await k(["version", "-o", "json"]));
      expect(JSON.parse(v).serverVersion.minor).toBe("32");
      const out = ok(await k(["api-resources"]));
      const rows = tableRows(out);
      expect(rows[0]).toEqual(["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]);
      expect(rows).toContainEqual(["deployments", "deploy", "apps/v1", "true", "Deployment"]);
      expect(rows).toContainEqual(["namespaces", "ns", "v1", "false", "Namespace"]);
      expect(rows).toContainEqual(["configmaps", "cm", "v1", "true", "ConfigMap"]);
      const wide = ok(await k(["api-resources", "-o", "wide"]));
      expect(wide).toMatch(/deployments\s+deploy\s+apps\/v1\s+true\s+Deployment\s+create,delete,deletecollection,get,list,patch,update,watch\s+all/);
    }, 60_000);

    test("apply -f of a multi-document file, then re-apply", async () => {
      const f = file("app.yaml", manifest(ns));
      const first = ok(await k(["apply", "-f", f]));
      expect(first.trim().split("\n")).toEqual([`namespace/${ns} created`, "configmap/app-config created", "secret/app-secret created", "deployment.apps/web created", "service/web created"]);
      const secretRv = (await json(["get", "secret", "app-secret", "-n", ns])).metadata.resourceVersion;
      const second = ok(await k(["apply", "-f", f]));
      // Upstream kubectl prints `configured` for a Secret with stringData on every re-apply
      // (kubernetes/kubernetes#87736: the 3-way diff always sees stringData as added, since the
      // server folds it into data); the server must then treat the patch as a no-op.
      expect(second.trim().split("\n")).toEqual([`namespace/${ns} unchanged`, "configmap/app-config unchanged", "secret/app-secret configured", "deployment.apps/web unchanged", "service/web unchanged"]);
      const secret = await json(["get", "secret", "app-secret", "-n", ns]);
      expect(secret.metadata.resourceVersion).toBe(secretRv);
      expect(secret.stringData).toBeUndefined();
      expect(Buffer.from(secret.data.password, "base64").toString()).toBe("s3cret");
      const dep = await json(["get", "deploy", "web", "-n", ns]);
      expect(dep.metadata.generation).toBe(1);
      expect(JSON.parse(dep.metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"]).spec.replicas).toBe(2);
    }, 60_000);

    test("get: table, wide, yaml, json, jsonpath, selectors, -A, labels, sort, chunks, all", async () => {
      const t = ok(await k(["get", "deploy,svc,cm,secret", "-n", ns]));
      expect(t).toMatch(/NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\ndeployment\.apps\/web\s+0\/2\s+\d\s+0\s+\d+s/);
      expect(t).toMatch(/service\/web\s+ClusterIP\s+10\.43\.\d+\.\d+\s+<none>\s+80\/TCP\s+\d+s/);
      expect(t).toMatch(/configmap\/app-config\s+2\s+\d+s/);
      expect(t).toMatch(/secret\/app-secret\s+Opaque\s+2\s+\d+s/);
      const wide = ok(await k(["get", "deploy", "-n", ns, "-o", "wide"]));
      expect(tableRows(wide)[0]).toEqual(["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"]);
      expect(tableRows(wide)[1]!.slice(-3)).toEqual(["nginx", "nginx:1.27", "app=web"]);
      const y = YAML.parse(ok(await k(["get", "cm", "app-config", "-n", ns, "-o", "yaml"])));
      expect(y).toMatchObject({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "app-config", namespace: ns }, data: { mode: "production" } });
      const list = await json(["get", "cm", "-n", ns]);
      expect(list.kind).toBe("List");
      expect(list.items.map((i: { metadata: { name: string } }) => i.metadata.name)).toContain("app-config");
      expect(ok(await k(["get", "cm", "app-config", "-n", ns, "-o", "jsonpath={.data.mode}/{.metadata.labels.app}"]))).toBe("production/web");
      const byLabel = tableRows(ok(await k(["get", "deploy,svc,cm", "-n", ns, "-l", "app=web", "-o", "name"])));
      expect(byLabel.flat().sort()).toEqual(["configmap/app-config", "deployment.apps/web", "service/web"]);
      expect(ok(await k(["get", "cm", "-n", ns, "-l", "app,app!=web", "-o", "name"])).trim()).toBe("");
      expect(ok(await k(["get", "cm", "-n", ns, "-l", "app in (web,x),team notin (a)", "-o", "name"])).trim()).toBe("configmap/app-config");
      const all = ok(await k(["get", "cm", "-A", "--field-selector", `metadata.namespace=${ns},metadata.name=app-config`]));
      expect(tableRows(all)).toEqual([
        ["NAMESPACE", "NAME", "DATA", "AGE"],
        [ns, "app-config", "2", expect.stringMatching(/^\d+s$/)],
      ]);
      expect(tableRows(ok(await k(["get", "cm", "app-config", "-n", ns, "--show-labels"])))[1]!.at(-1)).toBe("app=web");
      expect(tableRows(ok(await k(["get", "cm", "app-config", "-n", ns, "-L", "app,missing"])))).toEqual([
        ["NAME", "DATA", "AGE", "APP", "MISSING"],
        ["app-config", "2", expect.stringMatching(/^\d+s$/), "web"],
      ]);
      for (const [n, v] of [["c-1", "b"], ["c-2", "a"], ["c-3", "c"]]) {
        ok(await k(["create", "cm", n!, "-n", ns, `--from-literal=n=${v}`]));
        ok(await k(["label", "cm", n!, "-n", ns, "sort=me"]));
      }
      const sorted = tableRows(ok(await k(["get", "cm", "-n", ns, "--sort-by=.data.n", "-l", "sort=me"]))).map((r) => r[0]);
      expect(sorted).toEqual(["NAME", "c-2", "c-1", "c-3"]);
      const chunked = tableRows(ok(await k(["get", "cm", "-n", ns, "--chunk-size=1", "-l", "sort"]))).map((r) => r[0]);
      expect(chunked).toEqual(["NAME", "c-1", "c-2", "c-3"]);
      const getAll = ok(await k(["get", "all", "-n", ns]));
      expect(getAll).toContain("service/web");
      expect(getAll).toContain("deployment.apps/web");
    }, 60_000);

    test("describe", async () => {
      const d = ok(await k(["describe", "deploy", "web", "-n", ns]));
      expect(d).toMatch(/^Name:\s+web$/m);
      expect(d).toMatch(/^Replicas:\s+2 desired \| \d updated \| \d total \| 0 available \| \d unavailable$/m);
      expect(d).toMatch(/^StrategyType:\s+RollingUpdate$/m);
      expect(d).toMatch(/RollingUpdateStrategy:\s+25% max unavailable, 25% max surge/);
      expect(d).toMatch(/Image:\s+nginx:1\.27/);
      const c = ok(await k(["describe", "cm", "app-config", "-n", ns]));
      expect(c).toMatch(/mode:\n----\nproduction/);
      const s = ok(await k(["describe", "svc", "web", "-n", ns]));
      expect(s).toMatch(/^Type:\s+ClusterIP$/m);
      expect(s).toMatch(/^Port:\s+http\s+80\/TCP$/m);
      expect(ok(await k(["describe", "ns", ns]))).toMatch(/^Status:\s+Active$/m);
    }, 60_000);

    test("label, annotate and the three patch types", async () => {
      expect(ok(await k(["label", "cm", "app-config", "-n", ns, "tier=backend"])).trim()).toBe("configmap/app-config labeled");
      const clash = await k(["label", "cm", "app-config", "-n", ns, "tier=frontend"]);
      expect(clash.code).not.toBe(0);
      expect(clash.stderr).toContain("'tier' already has a value (backend), and --overwrite is false");
      ok(await k(["label", "cm", "app-config", "-n", ns, "tier=frontend", "--overwrite"]));
      expect((await json(["get", "cm", "app-config", "-n", ns])).metadata.labels.tier).toBe("frontend");
      expect(ok(await k(["label", "cm", "app-config", "-n", ns, "tier-"])).trim()).toBe("configmap/app-config unlabeled");
      // kubectl 1.27 prints "annotate" (its own wording), later versions "annotated".
      expect(ok(await k(["annotate", "deploy", "web", "-n", ns, "note=hello"])).trim()).toMatch(/^deployment\.apps\/web annotated?$/);
      expect((await json(["get", "deploy", "web", "-n", ns])).metadata.annotations.note).toBe("hello");

      expect(ok(await k(["patch", "deploy", "web", "-n", ns, "-p", '{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.28"}]}}}}'])).trim()).toBe("deployment.apps/web patched");
      const dep = await json(["get", "deploy", "web", "-n", ns]);
      expect(dep.spec.template.spec.containers).toHaveLength(1);
      expect(dep.spec.template.spec.containers[0]).toMatchObject({ name: "nginx", image: "nginx:1.28", env: [{ name: "A", value: "1" }, { name: "B", value: "2" }] });
      expect(ok(await k(["patch", "cm", "app-config", "-n", ns, "--type=merge", "-p", '{"data":{"x":"1","level":null}}'])).trim()).toBe("configmap/app-config patched");
      expect(ok(await k(["patch", "cm", "app-config", "-n", ns, "--type=merge", "-p", '{"data":{"x":"1"}}'])).trim()).toBe("configmap/app-config patched (no change)");
      ok(await k(["patch", "cm", "app-config", "-n", ns, "--type=json", "-p", '[{"op":"add","path":"/metadata/annotations/example.com~1note","value":"2"},{"op":"replace","path":"/data/x","value":"3"}]']));
      const patched = await json(["get", "cm", "app-config", "-n", ns]);
      expect(patched.data).toEqual({ mode: "production", x: "3" });
      expect(patched.metadata.annotations["example.com/note"]).toBe("2");
      const bad = await k(["patch", "cm", "app-config", "-n", ns, "--type=json", "-p", '[{"op":"test","path":"/data/x","value":"nope"}]']);
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toContain("test");
    }, 60_000);

    test("scale, replace and edit", async () => {
      expect(ok(await k(["scale", "deploy", "web", "-n", ns, "--replicas=3"])).trim()).toBe("deployment.apps/web scaled");
      expect((await json(["get", "deploy", "web", "-n", ns])).spec.replicas).toBe(3);
      const pre = await k(["scale", "deploy", "web", "-n", ns, "--replicas=4", "--current-replicas=2"]);
      expect(pre.code).not.toBe(0);
      expect(pre.stderr).toContain("Expected replicas to be 2, was 3");

      const live = YAML.parse(ok(await k(["get", "cm", "app-config", "-n", ns, "-o", "yaml"])));
      live.data.mode = "replaced";
      const f = file("replace.yaml", YAML.stringify(live));
      expect(ok(await k(["replace", "-f", f])).trim()).toBe("configmap/app-config replaced");
      const stale = await k(["replace", "-f", f]);
      expect(stale.code).not.toBe(0);
      expect(stale.stderr).toContain(`Error from server (Conflict): error when replacing "${f}": Operation cannot be fulfilled on configmaps "app-config": the object has been modified; please apply your changes to the latest version and try again`);

      const editor = file("editor.sh", `#!/bin/sh\nsed -i 's/mode: replaced/mode: edited/' "$1"\n`);
      chmodSync(editor, 0o755);
      expect(ok(await k(["edit", "cm", "app-config", "-n", ns], { env: { KUBE_EDITOR: editor, EDITOR: editor } })).trim()).toBe("configmap/app-config edited");
      expect((await json(["get", "cm", "app-config", "-n", ns])).data.mode).toBe("edited");
    }, 60_000);

    test("create generators", async () => {
      const lines = [
        ok(await k(["create", "configmap", "gen-cm", "-n", ns, "--from-literal=a=b"])),
        ok(await k(["create", "secret", "generic", "gen-secret", "-n", ns, "--from-literal=user=admin"])),
        ok(await k(["create", "deployment", "gen-deploy", "-n", ns, "--image=nginx", "--replicas=2", "--port=80"])),
        ok(await k(["create", "service", "clusterip", "gen-svc", "-n", ns, "--tcp=80:8080"])),
        ok(await k(["create", "job", "gen-job", "-n", ns, "--image=busybox", "--", "echo", "hi"])),
        ok(await k(["create", "serviceaccount", "gen-sa", "-n", ns])),
        ok(await k(["create", "namespace", `${ns}-gen`])),
      ].map((s) => s.trim());
      expect(lines).toEqual(["configmap/gen-cm created", "secret/gen-secret created", "deployment.apps/gen-deploy created", "service/gen-svc created", "job.batch/gen-job created", "serviceaccount/gen-sa created", `namespace/${ns}-gen created`]);
      expect((await json(["get", "cm", "gen-cm", "-n", ns])).data).toEqual({ a: "b" });
      expect(Buffer.from((await json(["get", "secret", "gen-secret", "-n", ns])).data.user, "base64").toString()).toBe("admin");
      const d = await json(["get", "deploy", "gen-deploy", "-n", ns]);
      expect(d.spec).toMatchObject({ replicas: 2, selector: { matchLabels: { app: "gen-deploy" } } });
      expect(d.spec.template.spec.containers[0]).toMatchObject({ name: "nginx", image: "nginx", ports: [{ containerPort: 80 }] });
      expect((await json(["get", "svc", "gen-svc", "-n", ns])).spec.ports[0]).toMatchObject({ name: "80-8080", port: 80, targetPort: 8080 });
      const job = await json(["get", "job", "gen-job", "-n", ns]);
      expect(job.spec.template.spec.containers[0].command).toEqual(["echo", "hi"]);
      expect(job.spec.template.spec.restartPolicy).toBe("Never");
    }, 60_000);

    test("auth can-i, whoami and explain", async () => {
      expect(ok(await k(["auth", "can-i", "create", "deployments", "-n", ns])).trim()).toBe("yes");
      expect(ok(await k(["auth", "can-i", "--list", "-n", ns]))).toMatch(/\*\.\*\s+\[\]\s+\[\]\s+\[\*\]/);
      const who = ok(await k(["auth", "whoami"]));
      expect(who).toMatch(/Username\s+system:admin/);
      expect(who).toMatch(/Groups\s+\[system:masters system:authenticated\]/);
      const ex = ok(await k(["explain", "deployment.spec.replicas"]));
      expect(ex).toMatch(/KIND:\s+Deployment/);
      expect(ex).toMatch(/FIELD:\s+replicas\s+<integer>/);
      expect(ok(await k(["explain", "pods.spec.containers"]))).toMatch(/FIELD:\s+containers\s+<\[\]Container>/);
    }, 60_000);

    test("bad manifests fail with the text a real cluster gives", async () => {
      const badName = file("bad-name.yaml", `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Bad_Name\n  namespace: ${ns}\ndata:\n  a: b\n`);
      for (const verb of ["apply", "create"]) {
        const r = await k([verb, "-f", badName]);
        expect(r.code).toBe(1);
        expect(r.stderr.trim()).toBe(
          `The ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
        );
      }
      const unknown = file("bogus.yaml", `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: bogus\n  namespace: ${ns}\nspec:\n  bogus: 1\n  selector: {matchLabels: {app: b}}\n  template:\n    metadata: {labels: {app: b}}\n    spec:\n      containers: [{name: c, image: busybox}]\n`);
      for (const verb of ["apply", "create"]) {
        const r = await k([verb, "-f", unknown]);
        expect(r.code).toBe(1);
        expect(r.stderr.trim()).toBe(`Error from server (BadRequest): error when creating "${unknown}": Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.bogus"`);
      }
      const warn = await k(["apply", "-f", unknown, "--validate=warn", "--dry-run=server"]);
      expect(warn.code).toBe(0);
      expect(warn.stderr).toContain('unknown field "spec.bogus"');
      const dup = await k(["create", "-f", file("dup.yaml", `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: gen-cm\n  namespace: ${ns}\n`)]);
      expect(dup.stderr.trim()).toBe(`Error from server (AlreadyExists): error when creating "${join(dir, `${ns}-dup.yaml`)}": configmaps "gen-cm" already exists`);
    }, 60_000);

    test("server-side apply: create, conflict, force", async () => {
      const f = file("ssa.yaml", `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\n  namespace: ${ns}\ndata:\n  a: "1"\n`);
      expect(ok(await k(["apply", "--server-side", "-f", f])).trim()).toBe("configmap/ssa serverside-applied");
      expect(ok(await k(["apply", "--server-side", "-f", f])).trim()).toBe("configmap/ssa serverside-applied");
      const f2 = file("ssa2.yaml", readFileSync(f, "utf8").replace('"1"', '"2"'));
      const conflict = await k(["apply", "--server-side", "--field-manager=other", "-f", f2]);
      expect(conflict.code).toBe(1);
      expect(conflict.stderr).toContain('error: Apply failed with 1 conflict: conflict with "kubectl": .data.a');
      expect(ok(await k(["apply", "--server-side", "--field-manager=other", "--force-conflicts", "-f", f2])).trim()).toBe("configmap/ssa serverside-applied");
      const cm = await (await api(server, "GET", `/api/v1/namespaces/${ns}/configmaps/ssa`)).json();
      expect(cm.data.a).toBe("2");
      expect(cm.metadata.managedFields.find((m: { manager: string }) => m.manager === "other")).toMatchObject({ operation: "Apply", fieldsV1: { "f:data": { "f:a": {} } } });
    }, 60_000);

    test("--dry-run=server and diff change nothing", async () => {
      const rv = (await json(["get", "cm", "gen-cm", "-n", ns])).metadata.resourceVersion;
      expect(ok(await k(["create", "cm", "dry", "-n", ns, "--dry-run=server"])).trim()).toBe("configmap/dry created (server dry run)");
      expect((await k(["get", "cm", "dry", "-n", ns])).code).toBe(1);
      expect(ok(await k(["delete", "cm", "gen-cm", "-n", ns, "--dry-run=server"])).trim()).toBe('configmap "gen-cm" deleted (server dry run)');
      expect(ok(await k(["label", "cm", "gen-cm", "-n", ns, "x=y", "--dry-run=server"])).trim()).toBe("configmap/gen-cm labeled (server dry run)");
      const cm = await json(["get", "cm", "gen-cm", "-n", ns]);
      expect(cm.metadata.resourceVersion).toBe(rv);
      expect(cm.metadata.labels).toBeUndefined();

      const base = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: diffed\n  namespace: ${ns}\ndata:\n  level: info\n`;
      const app = file("diff.yaml", base);
      ok(await k(["apply", "-f", app]));
      const same = await k(["diff", "-f", app]);
      expect(same.stdout).toBe("");
      expect(same.code).toBe(0);
      const d = await k(["diff", "-f", file("diff2.yaml", base.replace("level: info", "level: debug"))]);
      expect(d.code).toBe(1);
      expect(d.stdout).toContain("-  level: info\n+  level: debug");
      expect((await json(["get", "cm", "diffed", "-n", ns])).data.level).toBe("info");
    }, 60_000);

    test("get -w streams changes (list and single object)", async () => {
      ok(await k(["create", "cm", "w1", "-n", ns, "--from-literal=v=0"]));
      const list = kubectlBackground(server, version, ["get", "cm", "-n", ns, "-w", "-l", "watch=me"]);
      const one = kubectlBackground(server, version, ["get", "cm", "w1", "-n", ns, "-w", "-o", "jsonpath={.data.v}{\"\\n\"}"]);
      const json1 = kubectlBackground(server, version, ["get", "cm", "-n", ns, "-w", "--output-watch-events", "-o", "jsonpath={.type} {.object.metadata.name}{\"\\n\"}", "-l", "watch=me"]);
      try {
        await one.waitFor((o) => o.includes("0"));
        await Bun.sleep(300); // the single-object watch is established after the first print
        ok(await k(["label", "cm", "w1", "-n", ns, "watch=me"]));
        await list.waitFor((o) => /w1\s+1\s+\d+s/.test(o));
        await json1.waitFor((o) => o.includes("ADDED w1"));
        ok(await k(["patch", "cm", "w1", "-n", ns, "--type=merge", "-p", '{"data":{"v":"1"}}']));
        ok(await k(["delete", "cm", "w1", "-n", ns]));
        await json1.waitFor((o) => o.includes("DELETED w1"));
        expect(json1.output().trim().split("\n")).toEqual(["ADDED w1", "MODIFIED w1", "DELETED w1"]);
        const lines = (await list.waitFor((o) => o.trim().split("\n").length >= 4)).trim().split("\n");
        expect(lines[0]).toMatch(/^NAME\s+DATA\s+AGE$/);
        expect(lines.slice(1).every((l) => /^w1\s+1\s+\d+s$/.test(l))).toBe(true);
        // Single object: GET prints "0"; the watch's synthetic ADDED is swallowed by kubectl, so
        // the label change prints "0" once more and the patch "1" (a missing ADDED would eat the label change).
        await one.waitFor((o) => o.trim().split("\n").length >= 4);
        expect(one.output().trim().split("\n")).toEqual(["0", "0", "1", "1"]); // the last is the DELETED event
      } finally {
        await Promise.all([list.stop(), one.stop(), json1.stop()]);
      }
    }, 60_000);

    test("wait: jsonpath on a ConfigMap, a condition set through /status of a custom resource, and delete", async () => {
      ok(await k(["create", "cm", "gate", "-n", ns]));
      const waiter = kubectlBackground(server, version, ["wait", "cm/gate", "-n", ns, "--for=jsonpath={.data.ready}=yes", "--timeout=30s", "-v=6"]);
      // The informer's watch on a quiet object gets its response headers at once (kite flushes them).
      await waiter.waitFor((_o, err) => /watch=true[^\n]*200 OK/.test(err), 20_000);
      ok(await k(["patch", "cm", "gate", "-n", ns, "--type=merge", "-p", '{"data":{"ready":"yes"}}']));
      await waiter.waitFor((o) => o.includes("configmap/gate condition met"), 20_000);
      expect((await waiter.stop()).code).toBe(0);
      // Already true on the list: must return at once (the pending watch's headers were flushed).
      const t0 = Date.now();
      expect(ok(await k(["wait", "cm/gate", "-n", ns, "--for=jsonpath={.data.ready}=yes", "--timeout=10s"])).trim()).toBe("configmap/gate condition met");
      expect(Date.now() - t0).toBeLessThan(5000);

      // A condition set through the status subresource, on a custom resource no controller owns
      // (a Deployment's conditions belong to the deployment controller).
      ok(await k(["apply", "-f", file("crd.yaml", WIDGET_CRD)]));
      await eventually(async () => (await k(["get", "widgets", "-n", ns])).code === 0, 20_000, "widgets served");
      ok(await k(["apply", "-f", file("widget.yaml", `apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w1\n  namespace: ${ns}\nspec:\n  size: 1\n`)]));
      const cond = kubectlBackground(server, version, ["wait", "widget/w1", "-n", ns, "--for=condition=Ready", "--timeout=30s", "-v=6"]);
      await cond.waitFor((_o, err) => /watch=true[^\n]*200 OK/.test(err), 20_000);
      expect(cond.proc.exitCode).toBeNull();
      const status = { conditions: [{ type: "Ready", status: "True", reason: "Done", message: "ok", lastTransitionTime: "2024-01-01T00:00:00Z", observedGeneration: 1 }] };
      const res = await api(server, "PATCH", `/apis/example.com/v1/namespaces/${ns}/widgets/w1/status`, { status }, { "Content-Type": "application/merge-patch+json" });
      expect(res.status).toBe(200);
      await cond.waitFor((o) => o.includes("widget.example.com/w1 condition met"), 20_000);
      expect((await cond.stop()).code).toBe(0);
      expect(ok(await k(["get", "widgets", "-n", ns])).trim()).toMatch(/^NAME\s+SIZE\s+AGE\nw1\s+1\s+\d+s$/);

      // client-go's WatchListClient gate sends sendInitialEvents=true; the 422 makes it fall back to list+watch.
      const wl = await k(["wait", "cm/gate", "-n", ns, "--for=jsonpath={.data.ready}=yes", "--timeout=15s"], { env: { KUBE_FEATURE_WatchListClient: "true" } });
      expect(ok(wl).trim()).toBe("configmap/gate condition met");

      // rollout status on a finished rollout returns at once (its informer's watch request must not hang).
      ok(await k(["create", "deploy", "idle", "-n", ns, "--image=x", "--replicas=0"]));
      const idle = await json(["get", "deploy", "idle", "-n", ns]);
      const st = { observedGeneration: idle.metadata.generation, replicas: 0, updatedReplicas: 0, availableReplicas: 0, readyReplicas: 0 };
      expect((await api(server, "PATCH", `/apis/apps/v1/namespaces/${ns}/deployments/idle/status`, { status: st }, { "Content-Type": "application/merge-patch+json" })).status).toBe(200);
      const t1 = Date.now();
      expect(ok(await k(["rollout", "status", "deploy/idle", "-n", ns, "--timeout=20s"])).trim()).toBe('deployment "idle" successfully rolled out');
      expect(Date.now() - t1).toBeLessThan(10_000);

      const gone = kubectlBackground(server, version, ["wait", "cm/gate", "-n", ns, "--for=delete", "--timeout=30s", "-v=6"]);
      await gone.waitFor((_o, err) => /watch=true[^\n]*200 OK/.test(err), 20_000); // its watch is up (headers arrived)
      ok(await k(["delete", "cm", "gate", "-n", ns, "--wait=false"]));
      await gone.waitFor((o) => o.includes("configmap/gate condition met"), 20_000);
      expect((await gone.stop()).code).toBe(0);
    }, 60_000);

    test("delete: waits for finalizers, cascade modes set the GC finalizers", async () => {
      ok(await k(["create", "cm", "held", "-n", ns]));
      ok(await k(["patch", "cm", "held", "-n", ns, "--type=merge", "-p", '{"metadata":{"finalizers":["example.com/hold"]}}']));
      const del = kubectlBackground(server, version, ["delete", "cm", "held", "-n", ns, "--timeout=30s", "-v=6"]);
      const held = await eventually(async () => {
        const r = await api(server, "GET", `/api/v1/namespaces/${ns}/configmaps/held`);
        const o = await r.json();
        return o.metadata?.deletionTimestamp ? o : null;
      });
      expect(held.metadata.finalizers).toEqual(["example.com/hold"]);
      await del.waitFor((_o, err) => /watch=true[^\n]*200 OK/.test(err), 20_000);
      expect(del.proc.exitCode).toBeNull(); // still waiting for the DELETED event
      ok(await k(["patch", "cm", "held", "-n", ns, "--type=json", "-p", '[{"op":"remove","path":"/metadata/finalizers"}]']));
      await eventually(async () => del.proc.exitCode !== null, 20_000, "kubectl delete to finish");
      const r = await del.stop();
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe('configmap "held" deleted');
      expect((await k(["get", "cm", "held", "-n", ns])).code).toBe(1);

      ok(await k(["create", "deploy", "bg", "-n", ns, "--image=x"]));
      expect(ok(await k(["delete", "deploy", "bg", "-n", ns, "--cascade=background"])).trim()).toBe('deployment.apps "bg" deleted');
      expect((await k(["get", "deploy", "bg", "-n", ns])).code).toBe(1);
      for (const [mode, finalizer] of [["orphan", "orphan"], ["foreground", "foregroundDeletion"]] as const) {
        ok(await k(["create", "deploy", `del-${mode}`, "-n", ns, "--image=x"]));
        expect(ok(await k(["delete", "deploy", `del-${mode}`, "-n", ns, `--cascade=${mode}`, "--wait=false"])).trim()).toBe(`deployment.apps "del-${mode}" deleted`);
        // The garbage collector finishes these; the API server's part is the finalizer and deletionTimestamp.
        const o = await api(server, "GET", `/apis/apps/v1/namespaces/${ns}/deployments/del-${mode}`);
        if (o.status === 200) {
          const body = await o.json();
          expect(body.metadata.deletionTimestamp).toBeString();
          expect(body.metadata.finalizers).toContain(finalizer);
          await api(server, "PATCH", `/apis/apps/v1/namespaces/${ns}/deployments/del-${mode}`, [{ op: "remove", path: "/metadata/finalizers" }], { "Content-Type": "application/json-patch+json" });
        }
        ok(await k(["wait", `deploy/del-${mode}`, "-n", ns, "--for=delete", "--timeout=20s"]));
      }
    }, 60_000);

    test("events, cluster-info and a bad token", async () => {
      const uid = (await json(["get", "deploy", "web", "-n", ns])).metadata.uid;
      const ev = {
        apiVersion: "v1",
        kind: "Event",
        metadata: { name: "web.1", namespace: ns },
        involvedObject: { kind: "Deployment", apiVersion: "apps/v1", name: "web", namespace: ns, uid },
        reason: "ScalingReplicaSet",
        message: "Scaled up replica set web-abc to 2",
        type: "Normal",
        source: { component: "deployment-controller" },
        firstTimestamp: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
        lastTimestamp: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
        count: 1,
      };
      expect((await api(server, "POST", `/api/v1/namespaces/${ns}/events`, ev)).status).toBe(201);
      const events = ok(await k(["events", "-n", ns]));
      expect(tableRows(events)[0]).toEqual(["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]);
      expect(events).toMatch(/Normal\s+ScalingReplicaSet\s+deployment\/web\s+Scaled up replica set web-abc to 2/i);
      expect(ok(await k(["events", "-n", ns, "--for", "deployment/web"]))).toContain("ScalingReplicaSet");
      expect(ok(await k(["describe", "deploy", "web", "-n", ns]))).toMatch(/Normal\s+ScalingReplicaSet\s+\S+\s+deployment-controller\s+Scaled up replica set web-abc to 2/);
      // eslint-disable-next-line no-control-regex
      expect(ok(await k(["cluster-info"])).replace(/\x1b\[[0-9;]*m/g, "")).toContain(`Kubernetes control plane is running at ${server.url}`);

      const badConfig = join(dir, `${ns}-bad-kubeconfig.yaml`);
      writeFileSync(badConfig, readFileSync(server.kubeconfig, "utf8").replace(/token: .*/, "token: not-a-valid-token"));
      for (const args of [["get", "pods"], ["get", "cm", "-n", ns]]) {
        const r = await server.kubectl(["--kubeconfig", badConfig, "--cache-dir", join(dir, `kubectl-cache-${version}`), ...args], { version });
        expect(r.code).toBe(1);
        // With a warm discovery cache the resource request's Status is printed ("Unauthorized"),
        // as against kube-apiserver; a cold cache fails in discovery with client-go's generic text.
        expect(r.stderr).toContain("error: You must be logged in to the server (Unauthorized)");
      }
    }, 60_000);
  });
}
