import { describe, expect, it } from "bun:test";
import type { KObj } from "../../../client/client.ts";
import { jobForActivation, jobName, mostRecentScheduleTime, nextScheduleDelay, rfc3339In, scheduleOf } from "./schedule.ts";

const cj = (spec: KObj, status: KObj = {}, created = "2026-01-01T00:00:30Z"): KObj => ({ metadata: { name: "nightly", namespace: "ns", uid: "cj-uid", creationTimestamp: created }, spec: { schedule: "*/5 * * * *", jobTemplate: { metadata: { labels: { a: "b" } }, spec: { template: { spec: { restartPolicy: "Never" } } } }, ...spec }, status });
const T = (s: string) => Date.parse(s);

describe("cron schedule", () => {
  it("finds the most recent unmet activation", () => {
    const c = cj({});
    const s = scheduleOf(c);
    expect(mostRecentScheduleTime(c, s, T("2026-01-01T00:04:00Z"), true).mostRecent).toBeUndefined();
    expect(mostRecentScheduleTime(c, s, T("2026-01-01T00:06:00Z"), true).mostRecent).toBe(T("2026-01-01T00:05:00Z"));
    // Several missed: the latest one.
    expect(mostRecentScheduleTime(c, s, T("2026-01-01T00:17:00Z"), true).mostRecent).toBe(T("2026-01-01T00:15:00Z"));
    // After lastScheduleTime only.
    const ran = cj({}, { lastScheduleTime: "2026-01-01T00:15:00Z" });
    expect(mostRecentScheduleTime(ran, s, T("2026-01-01T00:17:00Z"), true).mostRecent).toBeUndefined();
  });

  it("bounds the search by startingDeadlineSeconds and flags many misses", () => {
    const c = cj({ startingDeadlineSeconds: 60 });
    const s = scheduleOf(c);
    expect(mostRecentScheduleTime(c, s, T("2026-01-01T00:17:00Z"), true).mostRecent).toBeUndefined();
    expect(mostRecentScheduleTime(c, s, T("2026-01-01T00:15:30Z"), true).mostRecent).toBe(T("2026-01-01T00:15:00Z"));
    const old = cj({}, {}, "2025-01-01T00:00:00Z");
    expect(mostRecentScheduleTime(old, s, T("2026-01-01T00:07:00Z"), true)).toMatchObject({ mostRecent: T("2026-01-01T00:05:00Z"), tooMany: true });
  });

  it("honours spec.timeZone", () => {
    const c = cj({ schedule: "0 9 * * *", timeZone: "Europe/Paris" }, {}, "2026-06-01T00:00:00Z");
    const s = scheduleOf(c);
    // 09:00 in Paris in June is 07:00 UTC.
    expect(mostRecentScheduleTime(c, s, T("2026-06-01T07:30:00Z"), true).mostRecent).toBe(T("2026-06-01T07:00:00Z"));
    expect(nextScheduleDelay(c, s, T("2026-06-01T06:00:00Z"))).toBe(3600_000 + 100);
    expect(rfc3339In(T("2026-06-01T07:00:00Z"), "Europe/Paris")).toBe("2026-06-01T09:00:00+02:00");
    expect(rfc3339In(T("2026-01-01T07:00:00Z"), "America/New_York")).toBe("2026-01-01T02:00:00-05:00");
    expect(rfc3339In(T("2026-06-01T07:00:00Z"), undefined)).toBe("2026-06-01T07:00:00Z");
  });

  it("names jobs by the activation minute (seconds for sub-minute @every)", () => {
    const c = cj({});
    expect(jobName(c, T("2026-01-01T00:05:00Z"), scheduleOf(c))).toBe(`nightly-${T("2026-01-01T00:05:00Z") / 60_000}`);
    const fast = cj({ schedule: "@every 2s" });
    expect(jobName(fast, T("2026-01-01T00:05:02Z"), scheduleOf(fast))).toBe(`nightly-${T("2026-01-01T00:05:02Z") / 1000}`);
    const job = jobForActivation(c, T("2026-01-01T00:05:00Z"), scheduleOf(c));
    expect(job.metadata).toMatchObject({ namespace: "ns", labels: { a: "b" }, annotations: { "batch.kubernetes.io/cronjob-scheduled-timestamp": "2026-01-01T00:05:00Z" } });
    expect(job.metadata.ownerReferences[0]).toMatchObject({ apiVersion: "batch/v1", kind: "CronJob", name: "nightly", uid: "cj-uid", controller: true });
    expect(job.spec).toEqual({ template: { spec: { restartPolicy: "Never" } } });
  });
});
