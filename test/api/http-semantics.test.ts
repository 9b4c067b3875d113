/**
 * Focused HTTP-level tests of the API server (in-process, real SQLite store): watch framing
 * and resourceVersion semantics, dry-run deletes, status-subresource metadata rules, and
 * the request metrics. Each test here pins down a behaviour kubectl or client-go relies on
 * (kubectl-wire.md §2.4–2.6, §4.2) or a bug that was fixed.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startInProcessApi, readEvents, type InProcessApi } from "./harness.ts";

const TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
let s: InProcessApi;

beforeAll(async () => {
  s = await startInProcessApi();
  expect((await s.req("POST", "/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name: "t" } })).status).toBe(201);
});
afterAll(async () => {
  await s?.stop();
});

const cm = (name: string, data: Record<string, string> = {}, labels?: Record<string, string>) => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "t", ...(labels ? { labels } : {}) }, data });
async function create(name: string, data: Record<string, string> = {}, labels?: Record<string, string>) {
  const r = await s.req("POST", "/api/v1/namespaces/t/configmaps", cm(name, data, labels));
  expect(r.status).toBe(201);
  return r.json();
}

describe("watch", () => {
  test("headers arrive before any event (a quiet watch does not hold the status line)", async () => {
    const rv = (await (await s.req("GET", "/api/v1/namespaces/t/configmaps")).json()).metadata.resourceVersion;
    const t0 = performance.now();
    const res = await s.req("GET", `/api/v1/namespaces/t/configmaps?watch=true&resourceVersion=${rv}&fieldSelector=metadata.name%3Dnothing-here`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(performance.now() - t0).toBeLessThan(1000);
    await res.body!.cancel();
  });

  test("resourceVersion=0 starts with synthetic ADDED, N streams changes after N; Table-wrapped under the Table Accept", async () => {
    const a = await create("w-a", { v: "1" }, { w: "1" });
    const w0 = await s.req("GET", "/api/v1/namespaces/t/configmaps?watch=true&resourceVersion=0&labelSelector=w%3D1", undefined, { Accept: TABLE });
    const wN = await s.req("GET", `/api/v1/namespaces/t/configmaps?watch=true&resourceVersion=${a.metadata.resourceVersion}&labelSelector=w%3D1`);
    await s.req("PATCH", "/api/v1/namespaces/t/configmaps/w-a", { data: { v: "2" } }, { "Content-Type": "application/merge-patch+json" });
    await s.req("DELETE", "/api/v1/namespaces/t/configmaps/w-a");
    const ev0 = await readEvents(w0, 3);
    expect(ev0.map((e) => e.type)).toEqual(["ADDED", "MODIFIED", "DELETED"]);
    for (const e of ev0) {
      expect(e.object.kind).toBe("Table");
      expect(e.object.rows).toHaveLength(1);
      expect(e.object.rows[0].cells[0]).toBe("w-a");
      expect(e.object.rows[0].object).toMatchObject({ kind: "PartialObjectMetadata", metadata: { name: "w-a", namespace: "t", labels: { w: "1" } } });
    }
    expect(ev0[0]!.object.columnDefinitions.map((c: { name: string }) => c.name)).toEqual(["Name", "Data", "Age"]);
    const evN = await readEvents(wN, 2);
    expect(evN.map((e) => [e.type, e.object.kind, e.object.data?.v])).toEqual([["MODIFIED", "ConfigMap", "2"], ["DELETED", "ConfigMap", "2"]]);
    expect(Number(evN[1]!.object.metadata.resourceVersion)).toBeGreaterThan(Number(evN[0]!.object.metadata.resourceVersion));
  });

  test("a label change moving an object out of the selector is a DELETED event", async () => {
    await create("w-b", {}, { sel: "yes" });
    const w = await s.req("GET", "/api/v1/namespaces/t/configmaps?watch=true&labelSelector=sel%3Dyes");
    await s.req("PATCH", "/api/v1/namespaces/t/configmaps/w-b", { metadata: { labels: { sel: "no" } } }, { "Content-Type": "application/merge-patch+json" });
    const ev = await readEvents(w, 2);
    expect(ev.map((e) => e.type)).toEqual(["ADDED", "DELETED"]);
  });

  test("timeoutSeconds closes the stream; allowWatchBookmarks sends BOOKMARKs with a resourceVersion", async () => {
    const rv = (await (await s.req("GET", "/api/v1/namespaces/t/configmaps")).json()).metadata.resourceVersion;
    const t0 = performance.now();
    const res = await s.req("GET", `/api/v1/namespaces/t/configmaps?watch=true&resourceVersion=${rv}&timeoutSeconds=1`);
    await res.text();
    const took = performance.now() - t0;
    expect(took).toBeGreaterThan(900);
    expect(took).toBeLessThan(3000);

    const b = await s.req("GET", `/api/v1/namespaces/t/configmaps?watch=true&resourceVersion=${rv}&allowWatchBookmarks=true&timeoutSeconds=10`);
    const ev = await readEvents(b, 1, 9000);
    expect(ev).toHaveLength(1);
    expect(ev[0]!.type).toBe("BOOKMARK");
    expect(ev[0]!.object).toMatchObject({ kind: "ConfigMap", apiVersion: "v1" });
    expect(Number(ev[0]!.object.metadata.resourceVersion)).toBeGreaterThanOrEqual(Number(rv));
  }, 20_000);

  test("a compacted resourceVersion is 410 Expired (HTTP for the request, an ERROR event for a running watch)", async () => {
    const first = await create("w-c");
    await create("w-d");
    const cur = Number((await create("w-e")).metadata.resourceVersion);
    await s.store.compact(cur);
    // Like kube-apiserver's watch cache: the watch request is accepted and the stream carries
    // one ERROR event with the 410 Status, then ends (client-go re-lists on it).
    const res = await s.req("GET", `/api/v1/namespaces/t/configmaps?watch=true&resourceVersion=${first.metadata.resourceVersion}`);
    expect(res.status).toBe(200);
    const ev = (await res.text()).trim().split("\n").map((l) => JSON.parse(l));
    expect(ev).toEqual([{ type: "ERROR", object: expect.objectContaining({ kind: "Status", code: 410, reason: "Expired", message: expect.stringContaining("too old resource version") }) }]);
    // Reads at a compacted revision are HTTP 410.
    for (const q of [`/w-c?resourceVersion=${first.metadata.resourceVersion}`, `?resourceVersion=${first.metadata.resourceVersion}&resourceVersionMatch=Exact`]) {
      const r = await s.req("GET", `/api/v1/namespaces/t/configmaps${q}`);
      expect(r.status).toBe(410);
      expect(await r.json()).toMatchObject({ kind: "Status", code: 410, reason: "Expired" });
    }
  });

  test("sendInitialEvents=true is refused with 422 so client-go falls back to list+watch", async () => {
    const res = await s.req("GET", "/api/v1/namespaces/t/configmaps?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true");
    expect(res.status).toBe(422);
    expect(await res.json()).toMatchObject({ kind: "Status", reason: "Invalid", code: 422 });
  });

  test("a single-object watch (name in the path) sees only that object", async () => {
    await create("w-f");
    await create("w-g");
    const w = await s.req("GET", "/api/v1/watch/namespaces/t/configmaps/w-f");
    expect(w.status).toBe(200);
    await s.req("PATCH", "/api/v1/namespaces/t/configmaps/w-g", { data: { x: "1" } }, { "Content-Type": "application/merge-patch+json" });
    await s.req("PATCH", "/api/v1/namespaces/t/configmaps/w-f", { data: { x: "1" } }, { "Content-Type": "application/merge-patch+json" });
    const ev = await readEvents(w, 2);
    expect(ev.map((e) => [e.type, e.object.metadata.name])).toEqual([["ADDED", "w-f"], ["MODIFIED", "w-f"]]);
  });
});

describe("delete", () => {
  test("dryRun in the DeleteOptions body (how kubectl sends it) deletes nothing", async () => {
    await create("dry");
    const r = await s.req("DELETE", "/api/v1/namespaces/t/configmaps/dry", { kind: "DeleteOptions", apiVersion: "v1", dryRun: ["All"], propagationPolicy: "Background" });
    expect(r.status).toBe(200);
    expect((await s.req("GET", "/api/v1/namespaces/t/configmaps/dry")).status).toBe(200);
    const bad = await s.req("DELETE", "/api/v1/namespaces/t/configmaps/dry", { dryRun: ["Yes"] });
    expect(bad.status).toBe(400);
    expect((await s.req("GET", "/api/v1/namespaces/t/configmaps/dry")).status).toBe(200);
    // deletecollection honours it too.
    const dc = await s.req("DELETE", "/api/v1/namespaces/t/configmaps?fieldSelector=metadata.name%3Ddry", { dryRun: ["All"] });
    expect(dc.status).toBe(200);
    expect((await s.req("GET", "/api/v1/namespaces/t/configmaps/dry")).status).toBe(200);
    expect((await s.req("DELETE", "/api/v1/namespaces/t/configmaps/dry")).status).toBe(200);
    expect((await s.req("GET", "/api/v1/namespaces/t/configmaps/dry")).status).toBe(404);
  });
});

describe("status subresource", () => {
  const deploy = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "d", namespace: "t", labels: { app: "d" } },
    spec: { replicas: 1, selector: { matchLabels: { app: "d" } }, template: { metadata: { labels: { app: "d" } }, spec: { containers: [{ name: "c", image: "busybox" }] } } },
  };

  test("a Deployment's status write may set annotations (the revision) without bumping generation; labels and spec stay", async () => {
    const created = await (await s.req("POST", "/apis/apps/v1/namespaces/t/deployments", deploy)).json();
    expect(created.metadata.generation).toBe(1);
    const body = structuredClone(created);
    body.metadata.annotations = { "deployment.kubernetes.io/revision": "1" };
    body.metadata.labels = { app: "changed" };
    body.spec.replicas = 5;
    body.status = { observedGeneration: 1, replicas: 0 };
    const r = await s.req("PUT", "/apis/apps/v1/namespaces/t/deployments/d/status", body);
    expect(r.status).toBe(200);
    const got = await (await s.req("GET", "/apis/apps/v1/namespaces/t/deployments/d")).json();
    expect(got.metadata.annotations).toEqual({ "deployment.kubernetes.io/revision": "1" });
    expect(got.metadata.generation).toBe(1);
    expect(got.metadata.labels).toEqual({ app: "d" });
    expect(got.spec.replicas).toBe(1);
    expect(got.status.observedGeneration).toBe(1);
  });

  test("other kinds' status writes change status only (a minimal-metadata body keeps labels and annotations)", async () => {
    const rs = {
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: { name: "r", namespace: "t", labels: { app: "r" }, annotations: { a: "b" } },
      spec: { replicas: 0, selector: { matchLabels: { app: "r" } }, template: { metadata: { labels: { app: "r" } }, spec: { containers: [{ name: "c", image: "busybox" }] } } },
    };
    const created = await (await s.req("POST", "/apis/apps/v1/namespaces/t/replicasets", rs)).json();
    const r = await s.req("PUT", "/apis/apps/v1/namespaces/t/replicasets/r/status", { apiVersion: "apps/v1", kind: "ReplicaSet", metadata: { name: "r", namespace: "t", resourceVersion: created.metadata.resourceVersion }, spec: rs.spec, status: { replicas: 0, observedGeneration: 1 } });
    expect(r.status).toBe(200);
    const got = await (await s.req("GET", "/apis/apps/v1/namespaces/t/replicasets/r")).json();
    expect(got.metadata.labels).toEqual({ app: "r" });
    expect(got.metadata.annotations).toEqual({ a: "b" });
    expect(got.status.observedGeneration).toBe(1);
  });
});

describe("namespace lifecycle (cached)", () => {
  const nsObj = (name: string) => ({ apiVersion: "v1", kind: "Namespace", metadata: { name } });
  const cmIn = (ns: string, name: string) => s.req("POST", `/api/v1/namespaces/${ns}/configmaps`, { apiVersion: "v1", kind: "ConfigMap", metadata: { name } });

  test("missing namespace is 404; a terminating one is 403 at once after its DELETE; recreated, it accepts again", async () => {
    const miss = await cmIn("nowhere", "x");
    expect(miss.status).toBe(404);
    expect(await miss.json()).toMatchObject({ reason: "NotFound", message: 'namespaces "nowhere" not found' });
    expect((await s.req("POST", "/api/v1/namespaces", nsObj("life"))).status).toBe(201);
    expect((await cmIn("life", "a")).status).toBe(201);
    // The namespace controller is not running here: the namespace stays Terminating.
    expect((await s.req("DELETE", "/api/v1/namespaces/life")).status).toBe(200);
    const forbidden = await cmIn("life", "b");
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toMatchObject({
      reason: "Forbidden",
      message: 'configmaps "b" is forbidden: unable to create new content in namespace life because it is being terminated',
      details: { causes: [{ reason: "NamespaceTerminating", field: "metadata.namespace" }] },
    });
    // Finalize: the namespace goes away; creating it again makes it usable again.
    const ns = await (await s.req("GET", "/api/v1/namespaces/life")).json();
    expect((await s.req("PUT", "/api/v1/namespaces/life/finalize", { ...ns, spec: { finalizers: [] } })).status).toBe(200);
    await s.req("DELETE", "/api/v1/namespaces/life/configmaps/a");
    for (let i = 0; i < 50 && (await s.req("GET", "/api/v1/namespaces/life")).status !== 404; i++) await Bun.sleep(20);
    expect((await cmIn("life", "c")).status).toBe(404);
    expect((await s.req("POST", "/api/v1/namespaces", nsObj("life"))).status).toBe(201);
    expect((await cmIn("life", "d")).status).toBe(201);
  });

  test("namespaces written behind this server's back (another server) are seen: live on a miss, by watch for termination", async () => {
    // Create straight in the store, as another server of the cluster would.
    const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
    const obj = { apiVersion: "v1", kind: "Namespace", metadata: { name: "remote", uid: crypto.randomUUID(), creationTimestamp: now }, spec: { finalizers: ["kubernetes"] }, status: { phase: "Active" } };
    const put = await s.store.create("/registry/namespaces/remote", JSON.stringify(obj));
    expect(put.succeeded).toBe(true);
    expect((await cmIn("remote", "a")).status).toBe(201);
    const cur = await s.store.get("/registry/namespaces/remote");
    const term = { ...obj, metadata: { ...obj.metadata, deletionTimestamp: now }, status: { phase: "Terminating" } };
    expect((await s.store.update("/registry/namespaces/remote", JSON.stringify(term), cur.kv!.modRevision)).succeeded).toBe(true);
    let code = 0;
    for (let i = 0; i < 50; i++) {
      code = (await cmIn("remote", `b${i}`)).status;
      if (code === 403) break;
      await Bun.sleep(20);
    }
    expect(code).toBe(403);
  });
});

describe("scale subresource", () => {
  test("a merge patch of /scale applies to the latest object while status writes race it (no spurious 409)", async () => {
    const d = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "scaled", namespace: "t" },
      spec: { replicas: 1, selector: { matchLabels: { app: "s" } }, template: { metadata: { labels: { app: "s" } }, spec: { containers: [{ name: "c", image: "busybox" }] } } },
    };
    expect((await s.req("POST", "/apis/apps/v1/namespaces/t/deployments", d)).status).toBe(201);
    let stop = false;
    let statusWrites = 0;
    const racer = (async () => {
      while (!stop) {
        const r = await s.req("PATCH", "/apis/apps/v1/namespaces/t/deployments/scaled/status", { status: { observedGeneration: statusWrites++ % 7 } }, { "Content-Type": "application/merge-patch+json" });
        expect(r.status).toBe(200);
      }
    })();
    const codes: number[] = [];
    for (let i = 2; i < 40; i++) {
      const r = await s.req("PATCH", "/apis/apps/v1/namespaces/t/deployments/scaled/scale", { spec: { replicas: i } }, { "Content-Type": "application/merge-patch+json" });
      codes.push(r.status);
    }
    stop = true;
    await racer;
    expect(statusWrites).toBeGreaterThan(10);
    expect(codes.every((c) => c === 200)).toBe(true);
    expect((await (await s.req("GET", "/apis/apps/v1/namespaces/t/deployments/scaled")).json()).spec.replicas).toBe(39);
    // A resourceVersion the patch itself sets is still a precondition.
    const stale = await s.req("PATCH", "/apis/apps/v1/namespaces/t/deployments/scaled/scale", { metadata: { resourceVersion: "1" }, spec: { replicas: 2 } }, { "Content-Type": "application/merge-patch+json" });
    expect(stale.status).toBe(409);
  }, 30_000);
});

describe("authentication.k8s.io", () => {
  test("SelfSubjectReview is served in v1 and v1beta1 (kubectl 1.27's whoami)", async () => {
    for (const v of ["v1", "v1beta1"]) {
      const r = await s.req("POST", `/apis/authentication.k8s.io/${v}/selfsubjectreviews`, { apiVersion: `authentication.k8s.io/${v}`, kind: "SelfSubjectReview" });
      expect(r.status).toBe(201);
      expect(await r.json()).toMatchObject({ apiVersion: `authentication.k8s.io/${v}`, kind: "SelfSubjectReview", status: { userInfo: { username: "system:admin" } } });
    }
  });
});
