/**
 * End-to-end: Jobs against a real kite server with real kubectl (wait --for=condition).
 * Pods are run and finished by the SIMULATED node side of ./harness.ts: each test's pod
 * template carries an `outcome` label telling the fake kubelet how the pod ends.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { KObj } from "../../../src/client/client.ts";
import { Informer } from "../../../src/client/informer.ts";
import { R } from "../../../src/client/resources.ts";
import { eventually, FakeKubelet, startCluster, type Cluster } from "./harness.ts";

let c: Cluster;
let kubelet: FakeKubelet;
const attempts = new Map<string, number>();

beforeAll(async () => {
  // Pod-failure back-off is 10 s doubling upstream; the test lowers its base so retries are quick.
  c = await startCluster({ env: { KITE_JOB_BACKOFF_BASE_MS: "200" } });
  kubelet = new FakeKubelet(c.client, {
    nodes: [{ name: "worker" }],
    startDelayMs: 100,
    finish: (p) => {
      const outcome = p.metadata.labels?.outcome;
      const job = p.metadata.labels?.["batch.kubernetes.io/job-name"];
      const n = (attempts.get(job) ?? 0) + 1;
      attempts.set(job, n);
      if (outcome === "succeed") return "Succeeded";
      if (outcome === "fail") return "Failed";
      if (outcome === "fail-twice") return n <= 2 ? "Failed" : "Succeeded";
      return undefined; // run forever
    },
  });
  await kubelet.start();
}, 60_000);

afterAll(async () => {
  await kubelet?.stop();
  await c?.stop();
}, 30_000);

function job(name: string, outcome: string, spec: KObj = {}): string {
  return JSON.stringify({
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name },
    spec: { template: { metadata: { labels: { outcome } }, spec: { restartPolicy: "Never", containers: [{ name: "work", image: "busybox:1" }] } }, ...spec },
  });
}

async function getJob(name: string) {
  return c.client.get(R.jobs, "default", name);
}

describe("Job", () => {
  it("completes completions=3 with parallelism=2, counting each pod once through the tracking finalizer", async () => {
    const inf = new Informer(c.client, R.pods, { namespace: "default", labelSelector: "batch.kubernetes.io/job-name=three" });
    let maxRunning = 0;
    const check = () => {
      const running = inf.list((p) => !p.metadata.deletionTimestamp && p.status?.phase !== "Succeeded" && p.status?.phase !== "Failed").length;
      maxRunning = Math.max(maxRunning, running);
    };
    inf.addHandlers({ add: check, update: check });
    inf.start();
    await inf.waitForSync();
    try {
      await c.k(["apply", "-f", "-"], { stdin: job("three", "succeed", { completions: 3, parallelism: 2 }) });
      expect(await c.k(["wait", "--for=condition=Complete", "job/three", "--timeout=60s"])).toContain("job.batch/three condition met");
    } finally {
      inf.stop();
    }
    expect(maxRunning).toBe(2);
    const j = await getJob("three");
    expect(j.status).toMatchObject({ succeeded: 3, active: 0, ready: 0, terminating: 0 });
    expect(j.status.failed ?? 0).toBe(0);
    expect(j.status.completionTime).toBeString();
    expect(j.status.conditions.map((x: KObj) => [x.type, x.status, x.reason])).toEqual([
      ["SuccessCriteriaMet", "True", "CompletionsReached"],
      ["Complete", "True", "CompletionsReached"],
    ]);
    expect(j.status.conditions[1].message).toBe("Reached expected number of succeeded pods");
    const pods = (await c.client.list(R.pods, "default", { labelSelector: "batch.kubernetes.io/job-name=three" })).items;
    expect(pods.length).toBe(3);
    for (const p of pods) {
      expect(p.metadata.finalizers ?? []).toEqual([]);
      expect(p.metadata.name).toMatch(/^three-[a-z0-9]{5}$/);
      expect(p.metadata.ownerReferences[0]).toMatchObject({ kind: "Job", name: "three", controller: true });
    }
    const get = await c.k(["get", "job", "three"]);
    expect(get).toMatch(/three\s+Complete\s+3\/3/);
    const events = await c.k(["get", "events", "--field-selector", "involvedObject.name=three", "-o", "jsonpath={.items[*].reason}"]);
    expect(events).toContain("Completed");
    expect(events).toContain("SuccessfulCreate");
  }, 60_000);

  it("fails with BackoffLimitExceeded", async () => {
    await c.k(["apply", "-f", "-"], { stdin: job("doomed", "fail", { backoffLimit: 0 }) });
    expect(await c.k(["wait", "--for=condition=Failed", "job/doomed", "--timeout=60s"])).toContain("condition met");
    const j = await getJob("doomed");
    expect(j.status.failed).toBe(1);
    expect(j.status.conditions.map((x: KObj) => [x.type, x.reason])).toEqual([
      ["FailureTarget", "BackoffLimitExceeded"],
      ["Failed", "BackoffLimitExceeded"],
    ]);
    expect(j.status.conditions[1].message).toBe("Job has reached the specified backoff limit");
    expect(j.status.completionTime).toBeUndefined();
  }, 60_000);

  it("retries failed pods with back-off up to backoffLimit, then completes", async () => {
    await c.k(["apply", "-f", "-"], { stdin: job("flaky", "fail-twice", { backoffLimit: 3 }) });
    await c.k(["wait", "--for=condition=Complete", "job/flaky", "--timeout=60s"]);
    const j = await getJob("flaky");
    expect(j.status).toMatchObject({ succeeded: 1, failed: 2 });
    const pods = (await c.client.list(R.pods, "default", { labelSelector: "batch.kubernetes.io/job-name=flaky" })).items;
    expect(pods.map((p: KObj) => p.status.phase).sort()).toEqual(["Failed", "Failed", "Succeeded"]);
  }, 60_000);

  it("stops a job past activeDeadlineSeconds (DeadlineExceeded) and deletes its pods", async () => {
    await c.k(["apply", "-f", "-"], { stdin: job("slow", "run", { activeDeadlineSeconds: 2, parallelism: 2, completions: 4 }) });
    await eventually("two pods running", async () => (await c.client.list(R.pods, "default", { labelSelector: "batch.kubernetes.io/job-name=slow" })).items.filter((p: KObj) => p.status?.phase === "Running").length === 2);
    expect(await c.k(["wait", "--for=condition=Failed", "job/slow", "--timeout=30s"])).toContain("condition met");
    const j = await getJob("slow");
    expect(j.status.conditions.find((x: KObj) => x.type === "Failed")).toMatchObject({ reason: "DeadlineExceeded", message: "Job was active longer than specified deadline" });
    expect(j.status.active ?? 0).toBe(0);
    await eventually("pods gone", async () => (await c.client.list(R.pods, "default", { labelSelector: "batch.kubernetes.io/job-name=slow" })).items.length === 0);
  }, 60_000);

  it("runs an Indexed job with one pod per completion index", async () => {
    await c.k(["apply", "-f", "-"], { stdin: job("idx", "succeed", { completionMode: "Indexed", completions: 3, parallelism: 3 }) });
    await c.k(["wait", "--for=condition=Complete", "job/idx", "--timeout=60s"]);
    const j = await getJob("idx");
    expect(j.status).toMatchObject({ succeeded: 3, completedIndexes: "0-2" });
    const pods = (await c.client.list(R.pods, "default", { labelSelector: "batch.kubernetes.io/job-name=idx" })).items;
    expect(pods.map((p: KObj) => p.metadata.annotations["batch.kubernetes.io/job-completion-index"]).sort()).toEqual(["0", "1", "2"]);
    for (const p of pods) {
      const ix = p.metadata.annotations["batch.kubernetes.io/job-completion-index"];
      expect(p.metadata.name.startsWith(`idx-${ix}-`)).toBe(true);
      expect(p.spec.hostname).toBe(`idx-${ix}`);
      expect(p.spec.containers[0].env).toContainEqual({ name: "JOB_COMPLETION_INDEX", valueFrom: { fieldRef: { apiVersion: "v1", fieldPath: "metadata.labels['batch.kubernetes.io/job-completion-index']" } } });
    }
  }, 60_000);

  it("holds a suspended job and runs it when resumed", async () => {
    await c.k(["apply", "-f", "-"], { stdin: job("held", "succeed", { suspend: true }) });
    await eventually("Suspended condition", async () => (await getJob("held")).status?.conditions?.find((x: KObj) => x.type === "Suspended" && x.status === "True"));
    expect((await c.client.list(R.pods, "default", { labelSelector: "batch.kubernetes.io/job-name=held" })).items.length).toBe(0);
    expect((await getJob("held")).status.startTime).toBeUndefined();
    await c.k(["patch", "job/held", "--type=merge", "-p", '{"spec":{"suspend":false}}']);
    await c.k(["wait", "--for=condition=Complete", "job/held", "--timeout=60s"]);
    const j = await getJob("held");
    expect(j.status.conditions.find((x: KObj) => x.type === "Suspended")).toMatchObject({ status: "False", reason: "JobResumed" });
  }, 60_000);

  it("deletes a finished job after ttlSecondsAfterFinished", async () => {
    await c.k(["apply", "-f", "-"], { stdin: job("brief", "succeed", { ttlSecondsAfterFinished: 1 }) });
    await c.k(["wait", "--for=condition=Complete", "job/brief", "--timeout=60s"]);
    await eventually("job deleted", async () => !(await c.client.getOrNull(R.jobs, "default", "brief")), 20_000);
  }, 60_000);

  it("releases the tracking finalizer when a running Job is deleted, so its pods go away", async () => {
    await c.k(["apply", "-f", "-"], { stdin: job("dropped", "run", { parallelism: 2, completions: 2 }) });
    await eventually("pods running", async () => (await c.client.list(R.pods, "default", { labelSelector: "batch.kubernetes.io/job-name=dropped" })).items.filter((p: KObj) => p.status?.phase === "Running").length === 2);
    const pods = (await c.client.list(R.pods, "default", { labelSelector: "batch.kubernetes.io/job-name=dropped" })).items;
    expect(pods.every((p: KObj) => p.metadata.finalizers?.includes("batch.kubernetes.io/job-tracking"))).toBe(true);
    await c.k(["delete", "job", "dropped", "--wait=true", "--timeout=30s"]);
    await eventually("pods gone", async () => (await c.client.list(R.pods, "default", { labelSelector: "batch.kubernetes.io/job-name=dropped" })).items.length === 0, 30_000);
  }, 60_000);
});
