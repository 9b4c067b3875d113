import { describe, expect, it } from "bun:test";
import type { KObj } from "../../../client/client.ts";
import { planPods } from "./manage.ts";
import { ensureCondition, formatIndexes, matchPodFailurePolicy, nextBackoffRecord, parseIndexes, pastBackoffLimitOnFailure, remainingBackoff } from "./util.ts";

const job = (spec: KObj): KObj => ({ metadata: { name: "j", namespace: "ns" }, spec: { parallelism: 2, completions: 3, ...spec }, status: {} });
const pod = (name: string, extra: KObj = {}): KObj => ({ metadata: { name, namespace: "ns", ...(extra.metadata ?? {}) }, spec: {}, status: { phase: "Running", ...(extra.status ?? {}) } });

describe("job planning", () => {
  it("runs min(parallelism, remaining completions)", () => {
    expect(planPods(job({}), [], 0, new Set(), 0, false)).toEqual({ remove: [], create: 2, indexes: [] });
    expect(planPods(job({}), [pod("a")], 2, new Set(), 0, false).create).toBe(0);
    expect(planPods(job({}), [pod("a"), pod("b")], 2, new Set(), 0, false).remove.length).toBe(1);
    expect(planPods(job({ completions: undefined }), [], 0, new Set(), 0, false).create).toBe(2);
    expect(planPods(job({ completions: undefined }), [pod("a")], 1, new Set(), 0, false).create).toBe(0);
    expect(planPods(job({ suspend: true }), [pod("a")], 0, new Set(), 0, false).remove.length).toBe(1);
    // podReplacementPolicy Failed: terminating pods are not replaced yet.
    expect(planPods(job({}), [], 0, new Set(), 1, true).create).toBe(1);
  });

  it("starts the missing completion indexes of an Indexed job", () => {
    const ix = (n: number) => pod(`p${n}`, { metadata: { annotations: { "batch.kubernetes.io/job-completion-index": String(n) } } });
    const j = job({ completionMode: "Indexed", completions: 5, parallelism: 3 });
    expect(planPods(j, [ix(1)], 0, new Set([0]), 0, false)).toEqual({ remove: [], create: 2, indexes: [2, 3] });
    const dup = planPods(j, [ix(1), ix(1), ix(0), ix(9)], 0, new Set([0]), 0, false);
    expect(dup.remove.length).toBe(3);
    expect(dup.indexes).toEqual([2, 3]);
  });
});

describe("job util", () => {
  it("formats and parses completed indexes", () => {
    expect(formatIndexes([4, 0, 1, 2, 6, 7])).toBe("0-2,4,6-7");
    expect([...parseIndexes("0-2,4,6-7")]).toEqual([0, 1, 2, 4, 6, 7]);
    expect([...parseIndexes("0-9", 3)]).toEqual([0, 1, 2]);
    expect(formatIndexes([])).toBe("");
  });

  it("adds conditions only when they change, never a new False one", () => {
    const st: KObj = {};
    expect(ensureCondition(st, "Suspended", "False", "JobResumed", "Job resumed", 0)).toBe(false);
    expect(ensureCondition(st, "Suspended", "True", "JobSuspended", "Job suspended", 0)).toBe(true);
    expect(ensureCondition(st, "Suspended", "True", "JobSuspended", "Job suspended", 1000)).toBe(false);
    expect(ensureCondition(st, "Suspended", "False", "JobResumed", "Job resumed", 2000)).toBe(true);
    expect(st.conditions).toEqual([{ type: "Suspended", status: "False", reason: "JobResumed", message: "Job resumed", lastProbeTime: "1970-01-01T00:00:02Z", lastTransitionTime: "1970-01-01T00:00:02Z" }]);
  });

  it("matches pod failure policy rules in order", () => {
    const failed = pod("p", { status: { phase: "Failed", containerStatuses: [{ name: "main", state: { terminated: { exitCode: 42 } } }], conditions: [{ type: "DisruptionTarget", status: "True" }] } });
    const policy = { rules: [{ action: "Ignore", onPodConditions: [{ type: "DisruptionTarget" }] }, { action: "FailJob", onExitCodes: { operator: "In", values: [42] } }] };
    expect(matchPodFailurePolicy(policy, failed)).toEqual({ count: false, action: "Ignore" });
    expect(matchPodFailurePolicy({ rules: policy.rules.slice(1) }, failed)).toEqual({ count: true, action: "FailJob", failJobMessage: "Container main for pod ns/p failed with exit code 42 matching FailJob rule at index 0" });
    expect(matchPodFailurePolicy({ rules: [{ action: "FailJob", onExitCodes: { operator: "NotIn", values: [42] } }] }, failed)).toEqual({ count: true });
    expect(matchPodFailurePolicy(undefined, failed)).toEqual({ count: true });
  });

  it("counts OnFailure restarts against the backoff limit", () => {
    const j = job({ backoffLimit: 2, template: { spec: { restartPolicy: "OnFailure" } } });
    expect(pastBackoffLimitOnFailure(j, [pod("a", { status: { containerStatuses: [{ restartCount: 1 }] } })])).toBe(false);
    expect(pastBackoffLimitOnFailure(j, [pod("a", { status: { containerStatuses: [{ restartCount: 1 }] } }), pod("b", { status: { containerStatuses: [{ restartCount: 1 }] } })])).toBe(true);
  });

  it("backs off 10 s doubling per failure since the last success", () => {
    const failedAt = (t: string) => pod("f", { status: { phase: "Failed", containerStatuses: [{ state: { terminated: { finishedAt: t } } }] } });
    const t0 = Date.parse("2026-01-01T00:00:00Z");
    let rec = nextBackoffRecord(undefined, [], [failedAt("2026-01-01T00:00:00Z")], t0);
    expect(remainingBackoff(rec, t0 + 4000)).toBe(6000);
    rec = nextBackoffRecord(rec, [], [failedAt("2026-01-01T00:00:10Z")], t0);
    expect(rec.failuresAfterLastSuccess).toBe(2);
    expect(remainingBackoff(rec, t0 + 10_000)).toBe(20_000);
    rec = nextBackoffRecord(rec, [failedAt("2026-01-01T00:00:20Z")], [], t0);
    expect(remainingBackoff(rec, t0 + 20_000)).toBe(0);
  });
});
