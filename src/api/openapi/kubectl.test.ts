/**
 * Real kubectl (1.27 and 1.32) against a stub serving this module's OpenAPI: explain prints field
 * descriptions, and apply/create -f with default validation hand validation to the server
 * (fieldValidation=Strict) instead of failing to download OpenAPI.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Stub, kubectlBinary, kubectlEnv, resource as R, startStub } from "./kubectl-stub.ts";

const statusSub = { name: "status", verbs: ["get", "patch", "update"] };
const resources = [
  R("", "v1", "Pod", "pods", true, { shortNames: ["po"], subresources: [statusSub, { name: "log", verbs: ["get"], kind: null }] }),
  R("", "v1", "ConfigMap", "configmaps", true, { shortNames: ["cm"] }),
  R("", "v1", "Namespace", "namespaces", false, { shortNames: ["ns"], subresources: [statusSub] }),
  R("apps", "v1", "Deployment", "deployments", true, {
    shortNames: ["deploy"],
    subresources: [statusSub, { name: "scale", verbs: ["get", "patch", "update"], kind: { group: "autoscaling", version: "v1", kind: "Scale" } }],
  }),
  R("authorization.k8s.io", "v1", "SelfSubjectAccessReview", "selfsubjectaccessreviews", false, { verbs: ["create"] }),
  R("example.com", "v1", "Widget", "widgets", true, {
    schema: {
      type: "object", description: "A widget.",
      properties: { spec: { type: "object", description: "Desired state of the widget.", required: ["size"], properties: { size: { type: "integer", description: "How big the widget is." } } } },
    },
  }),
];

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: nginx
`;

const bins = { 27: kubectlBinary(27), 32: kubectlBinary(32) };
const available = !!(bins[27] && bins[32]);

describe.skipIf(!available)("kubectl against kite's OpenAPI", () => {
  let stub: Stub;
  let env: ReturnType<typeof kubectlEnv>;
  beforeAll(() => {
    stub = startStub({ resources });
    env = kubectlEnv(stub.url);
  });
  afterAll(() => {
    env?.cleanup();
    stub?.stop();
  });

  for (const minor of [27, 32] as const) {
    test(`kubectl 1.${minor} explain pods.spec.containers and deployments.spec`, async () => {
      const pods = await env.run(bins[minor]!, ["explain", "pods.spec.containers"]);
      expect(pods.stderr).toBe("");
      expect(pods.code).toBe(0);
      expect(pods.stdout).toContain("FIELD: containers <[]Container>");
      expect(pods.stdout).toContain("List of containers belonging to the pod.");
      expect(pods.stdout).toMatch(/imagePullPolicy\t<string>/);
      expect(pods.stdout).toMatch(/name\t<string> -required-/);

      const deploy = await env.run(bins[minor]!, ["explain", "deployments.spec"]);
      expect(deploy.code).toBe(0);
      expect(deploy.stdout).toContain("GROUP:      apps");
      expect(deploy.stdout).toContain("DeploymentSpec is the specification of the desired behavior of the");
      expect(deploy.stdout).toMatch(/replicas\t<integer>\n\s+Number of desired pods/);
      expect(deploy.stdout).toMatch(/selector\t<LabelSelector> -required-/);
      expect(deploy.stdout).toMatch(/strategy\t<DeploymentStrategy>/);

      const rec = await env.run(bins[minor]!, ["explain", "deployments.spec.template.spec.containers", "--recursive"]);
      expect(rec.code).toBe(0);
      expect(rec.stdout).toMatch(/\n {4}limits\t<map\[string\]Quantity>/);
      expect(rec.stdout).toMatch(/\n {4}httpGet\t<HTTPGetAction>\n {6}host\t<string>/);

      const cr = await env.run(bins[minor]!, ["explain", "widgets.spec"]);
      expect(cr.code).toBe(0);
      expect(cr.stdout).toContain("Desired state of the widget.");
      expect(cr.stdout).toMatch(/size\t<integer> -required-\n\s+How big the widget is\./);
    }, 30_000);

    test(`kubectl 1.${minor} create -f / apply -f leave field validation to the server`, async () => {
      const cases = [["create"], ["apply"], ["create", "--validate=false"], ["create", "--validate=warn"]];
      for (const [i, c] of cases.entries()) {
        // a fresh name each time, so that every command creates
        const file = join(env.dir, `deploy-${minor}-${i}.yaml`);
        writeFileSync(file, DEPLOYMENT.replace("name: web", `name: web-${minor}-${i}`));
        const args = [c[0]!, "-f", file, ...c.slice(1)];
        const before = stub.recorded.length;
        const r = await env.run(bins[minor]!, args);
        expect([args.join(" "), r.code, r.stderr]).toEqual([args.join(" "), 0, ""]);
        const writes = stub.recorded.slice(before);
        expect(writes.length).toBe(1);
        expect(writes[0]!.method).toBe("POST");
        expect(writes[0]!.path).toBe("/apis/apps/v1/namespaces/default/deployments");
        const want = args.includes("--validate=false") ? "Ignore" : args.includes("--validate=warn") ? "Warn" : "Strict";
        expect([args.join(" "), writes[0]!.query.fieldValidation]).toEqual([args.join(" "), want]);
      }
    }, 30_000);
  }

  test("kubectl 1.32 apply of an existing object sends a strategic merge patch computed with the served schemas", async () => {
    const cm = join(env.dir, "cm.yaml");
    writeFileSync(cm, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: '1'\n");
    expect((await env.run(bins[32]!, ["apply", "-f", cm])).code).toBe(0);
    writeFileSync(cm, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  a: '2'\n  b: '3'\n");
    const before = stub.recorded.length;
    const r = await env.run(bins[32]!, ["apply", "-f", cm]);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    const patch = stub.recorded.slice(before).find((x) => x.method === "PATCH")!;
    expect(patch.path).toBe("/api/v1/namespaces/default/configmaps/settings");
    expect(patch.contentType).toBe("application/strategic-merge-patch+json");
    expect(patch.query.fieldValidation).toBe("Strict");
    const body = JSON.parse(new TextDecoder().decode(patch.body));
    expect(body.data).toEqual({ a: "2", b: "3" });
  }, 30_000);

  test("a hash-pinned v3 document is fetched once, then served from kubectl's cache", async () => {
    const fresh = kubectlEnv(stub.url);
    try {
      const count = () => stub.seen.filter((s) => s === "GET /openapi/v3/apis/apps/v1").length;
      const before = count();
      expect((await fresh.run(bins[32]!, ["explain", "deployments"])).code).toBe(0);
      expect(count()).toBe(before + 1);
      expect((await fresh.run(bins[32]!, ["explain", "deployments.status"])).code).toBe(0);
      expect(count()).toBe(before + 1);
    } finally {
      fresh.cleanup();
    }
  }, 30_000);
});
