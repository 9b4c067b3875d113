/**
 * End-to-end: CronJobs against a real kite server with real kubectl. Jobs' pods are run by
 * the SIMULATED node side of ./harness.ts; an `outcome` label says how they end. Schedules
 * use `@every 2s` so runs come within seconds.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { KObj } from "../../../src/client/client.ts";
import { R } from "../../../src/client/resources.ts";
import { eventually, FakeKubelet, startCluster, type Cluster } from "./harness.ts";

let c: Cluster;
let kubelet: FakeKubelet;

beforeAll(async () => {
  c = await startCluster();
  kubelet = new FakeKubelet(c.client, {
    nodes: [{ name: "worker" }],
    startDelayMs: 50,
    finish: (p) => (p.metadata.labels?.outcome === "succeed" ? "Succeeded" : undefined),
  });
  await kubelet.start();
}, 60_000);

afterAll(async () => {
  await kubelet?.stop();
  await c?.stop();
}, 30_000);

function cronJob(name: string, outcome: string, spec: KObj = {}): string {
  return JSON.stringify({
    apiVersion: "batch/v1",
    kind: "CronJob",
    metadata: { name },
    spec: {
      schedule: "@every 2s",
      jobTemplate: { spec: { template: { metadata: { labels: { outcome } }, spec: { restartPolicy: "Never", containers: [{ name: "tick", image: "busybox:1" }] } } } },
      ...spec,
    },
  });
}

async function jobsOf(name: string): Promise<KObj[]> {
  const cj = await c.client.get(R.cronjobs, "default", name);
  return (await c.client.list(R.jobs, "default")).items.filter((j: KObj) => j.metadata.ownerReferences?.some((r: KObj) => r.uid === cj.metadata.uid));
}

async function eventsFor(name: string): Promise<string[]> {
  const out = await c.k(["get", "events", "--field-selector", `involvedObject.name=${name},involvedObject.kind=CronJob`, "-o", "jsonpath={range .items[*]}{.reason}: {.message}{\"\\n\"}{end}"]);
  return out.split("\n").filter(Boolean);
}

describe("CronJob", () => {
  it("creates a Job per activation, records completions, and keeps successfulJobsHistoryLimit", async () => {
    await c.k(["apply", "-f", "-"], { stdin: cronJob("tick", "succeed", { successfulJobsHistoryLimit: 2 }) });
    await eventually("three runs seen", async () => (await eventsFor("tick")).filter((e) => e.startsWith("SuccessfulCreate")).length >= 3, 30_000);
    await eventually("history trimmed to 2 finished jobs", async () => {
      const jobs = await jobsOf("tick");
      const done = jobs.filter((j) => j.status?.conditions?.some((x: KObj) => x.type === "Complete" && x.status === "True"));
      return done.length === 2 && jobs.length <= 3;
    });
    const cj = await c.client.get(R.cronjobs, "default", "tick");
    expect(cj.status.lastScheduleTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(cj.status.lastSuccessfulTime).toBeString();
    const jobs = await jobsOf("tick");
    for (const j of jobs) {
      expect(j.metadata.name).toMatch(/^tick-\d{10}$/);
      expect(j.metadata.annotations["batch.kubernetes.io/cronjob-scheduled-timestamp"]).toMatch(/Z$/);
      expect(j.metadata.ownerReferences[0]).toMatchObject({ kind: "CronJob", name: "tick", controller: true });
    }
    const ev = await eventsFor("tick");
    expect(ev.some((e) => /^SawCompletedJob: Saw completed job: tick-\d+, condition: Complete$/.test(e))).toBe(true);
    expect(ev.some((e) => /^SuccessfulDelete: Deleted job tick-\d+$/.test(e))).toBe(true);
    expect(await c.k(["get", "cronjob", "tick"])).toMatch(/tick\s+@every 2s\s+<none>\s+False\s+[01]\s+\d+s/);
    await c.k(["delete", "cronjob", "tick"]);
  }, 60_000);

  it("Forbid never starts a second Job while one runs", async () => {
    await c.k(["apply", "-f", "-"], { stdin: cronJob("solo", "run", { concurrencyPolicy: "Forbid" }) });
    await eventually("skipped a run", async () => (await eventsFor("solo")).some((e) => e === "JobAlreadyActive: Not starting job because prior execution is running and concurrency policy is Forbid"), 30_000);
    const jobs = await jobsOf("solo");
    expect(jobs.length).toBe(1);
    const cj = await c.client.get(R.cronjobs, "default", "solo");
    expect(cj.status.active).toEqual([expect.objectContaining({ kind: "Job", name: jobs[0]!.metadata.name, uid: jobs[0]!.metadata.uid })]);
    await c.k(["patch", "cronjob/solo", "--type=merge", "-p", '{"spec":{"suspend":true}}']);
  }, 60_000);

  it("Replace deletes the running Job at the next activation", async () => {
    await c.k(["apply", "-f", "-"], { stdin: cronJob("swap", "run", { concurrencyPolicy: "Replace" }) });
    const first = await eventually("first job", async () => (await jobsOf("swap"))[0], 20_000);
    await eventually("replaced", async () => {
      const cj = await c.client.get(R.cronjobs, "default", "swap");
      const active = cj.status?.active ?? [];
      return active.length === 1 && active[0].uid !== first.metadata.uid;
    }, 20_000);
    await eventually("first job gone", async () => !(await jobsOf("swap")).some((j) => j.metadata.uid === first.metadata.uid && !j.metadata.deletionTimestamp));
    await c.k(["patch", "cronjob/swap", "--type=merge", "-p", '{"spec":{"suspend":true}}']);
  }, 60_000);

  it("starts nothing while suspended", async () => {
    await c.k(["apply", "-f", "-"], { stdin: cronJob("paused", "succeed", { suspend: true }) });
    await Bun.sleep(4500);
    expect((await jobsOf("paused")).length).toBe(0);
    expect(await c.k(["get", "cronjob", "paused", "-o", "jsonpath={.status.lastScheduleTime}"])).toBe("");
  }, 30_000);
});
