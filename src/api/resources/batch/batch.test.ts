import { describe, expect, test } from "bun:test";
import type { Obj } from "../../registry/types.ts";
import { jobDef } from "./jobs.ts";
import { cronJobDef } from "./cronjobs.ts";
import { memRegistry, testCtx } from "../core/pods/testing.ts";
import { clone } from "../../registry/objects.ts";

const podTemplate = (restartPolicy = "Never"): Obj => ({ spec: { restartPolicy, containers: [{ name: "pi", image: "perl:5.34" }] } });

describe("jobs", () => {
  const def = jobDef();
  async function create(spec: Obj): Promise<Obj> {
    const job: Obj = { metadata: { name: "pi", namespace: "default", uid: "0a1b-uid" }, spec };
    def.defaults!(job);
    await def.prepareForCreate!(job, testCtx(), memRegistry());
    return job;
  }

  test("defaults and the generated selector/labels", async () => {
    const job = await create({ template: podTemplate() });
    expect(job.spec).toMatchObject({ completions: 1, parallelism: 1, backoffLimit: 6, completionMode: "NonIndexed", suspend: false, podReplacementPolicy: "TerminatingOrFailed" });
    expect(job.spec.selector).toEqual({ matchLabels: { "batch.kubernetes.io/controller-uid": "0a1b-uid" } });
    expect(job.spec.template.metadata.labels).toEqual({ "job-name": "pi", "batch.kubernetes.io/job-name": "pi", "controller-uid": "0a1b-uid", "batch.kubernetes.io/controller-uid": "0a1b-uid" });
    expect(job.status).toEqual({});
    expect(def.validate!(job, testCtx())).toEqual([]);
  });

  test("parallelism alone leaves completions unset", async () => {
    const job = await create({ parallelism: 3, template: podTemplate() });
    expect(job.spec.completions).toBeUndefined();
    expect(def.cells!(job, 0)[2]).toBe("0/1 of 3");
  });

  test("restartPolicy must be OnFailure or Never (a defaulted Always is refused)", async () => {
    const job = await create({ template: { spec: { containers: [{ name: "pi", image: "perl" }] } } });
    expect(def.validate!(job, testCtx())).toContainEqual({ reason: "FieldValueRequired", message: 'Required value: valid values: "OnFailure", "Never"', field: "spec.template.spec.restartPolicy" });
  });

  test("manual selectors must match template labels", async () => {
    const job = await create({ manualSelector: true, selector: { matchLabels: { a: "b" } }, template: { ...podTemplate(), metadata: { labels: { a: "c" } } } });
    expect(def.validate!(job, testCtx())).toContainEqual({ reason: "FieldValueInvalid", message: 'Invalid value: {"a":"c"}: `selector` does not match template `labels`', field: "spec.template.metadata.labels" });
    const none = await create({ manualSelector: true, template: podTemplate() });
    expect(def.validate!(none, testCtx())).toContainEqual({ reason: "FieldValueRequired", message: "Required value", field: "spec.selector" });
  });

  test("template and selector are immutable, except scheduling directives of a suspended job", async () => {
    const job = await create({ template: podTemplate() });
    const changed = clone(job);
    changed.spec.template.spec.containers[0].image = "perl:6";
    expect(def.validateUpdate!(changed, job, testCtx()).map((c) => c.field)).toEqual(["spec.template"]);
    const suspended = await create({ suspend: true, template: podTemplate() });
    const moved = clone(suspended);
    moved.spec.template.spec.nodeSelector = { zone: "a" };
    expect(def.validateUpdate!(moved, suspended, testCtx())).toEqual([]);
  });

  test("table: status, completions, duration", () => {
    const job = { metadata: { name: "pi", creationTimestamp: "2025-01-01T00:00:00Z" }, spec: { completions: 3, template: podTemplate(), selector: { matchLabels: { "batch.kubernetes.io/controller-uid": "u" } } }, status: { succeeded: 3, startTime: "2025-01-01T00:00:00Z", completionTime: "2025-01-01T00:00:42Z", conditions: [{ type: "Complete", status: "True" }] } };
    expect(def.cells!(job, Date.parse("2025-01-01T00:05:00Z"))).toEqual(["pi", "Complete", "3/3", "42s", "5m", "pi", "perl:5.34", "batch.kubernetes.io/controller-uid=u"]);
    const running = { ...job, status: { succeeded: 1, startTime: "2025-01-01T00:00:00Z" } };
    expect(def.cells!(running, Date.parse("2025-01-01T00:01:00Z")).slice(1, 4)).toEqual(["Running", "1/3", "60s"]);
    expect(def.selectableFields!(job)).toEqual({ "status.successful": "3" });
  });
});

describe("cronjobs", () => {
  const def = cronJobDef();
  const cj = (spec: Obj = {}): Obj => ({ metadata: { name: "nightly", namespace: "default" }, spec: { schedule: "0 3 * * *", jobTemplate: { spec: { template: podTemplate("OnFailure") } }, ...spec } });
  const v = (o: Obj) => {
    def.defaults!(o);
    return def.validate!(o, testCtx());
  };

  test("defaults", () => {
    const o = cj();
    def.defaults!(o);
    expect(o.spec).toMatchObject({ concurrencyPolicy: "Allow", suspend: false, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1 });
    expect(o.spec.jobTemplate.spec.template.spec.dnsPolicy).toBe("ClusterFirst");
    expect(o.spec.jobTemplate.spec.backoffLimit).toBeUndefined();
    expect(v(o)).toEqual([]);
  });

  test("schedule, time zone and job template validation", () => {
    expect(v(cj({ schedule: "61 * * * *" }))).toEqual([{ reason: "FieldValueInvalid", message: 'Invalid value: "61 * * * *": end of range (61) above maximum (59): 61', field: "spec.schedule" }]);
    expect(v(cj({ schedule: "CRON_TZ=UTC * * * * *" }))).toContainEqual({ reason: "FieldValueInvalid", message: 'Invalid value: "CRON_TZ=UTC * * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead', field: "spec.schedule" });
    expect(v(cj({ timeZone: "Europe/Pariss" }))).toEqual([{ reason: "FieldValueInvalid", message: 'Invalid value: "Europe/Pariss": unknown time zone Europe/Pariss', field: "spec.timeZone" }]);
    expect(v(cj({ timeZone: "Europe/Paris" }))).toEqual([]);
    expect(v(cj({ schedule: "" }))).toContainEqual({ reason: "FieldValueRequired", message: "Required value", field: "spec.schedule" });
    expect(v(cj({ concurrencyPolicy: "Sometimes" }))).toContainEqual({ reason: "FieldValueNotSupported", message: 'Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"', field: "spec.concurrencyPolicy" });
    const withSel = cj();
    withSel.spec.jobTemplate.spec.selector = { matchLabels: { a: "b" } };
    expect(v(withSel)).toContainEqual({ reason: "FieldValueInvalid", message: 'Invalid value: {"matchLabels":{"a":"b"}}: `selector` will be auto-generated', field: "spec.jobTemplate.spec.selector" });
    expect(v({ ...cj(), metadata: { name: "x".repeat(53) } })).toContainEqual({ reason: "FieldValueInvalid", message: `Invalid value: "${"x".repeat(53)}": must be no more than 52 characters`, field: "metadata.name" });
  });

  test("table", () => {
    const o = { ...cj({ suspend: false }), metadata: { name: "nightly", creationTimestamp: "2025-01-01T00:00:00Z" }, status: { active: [{ name: "nightly-1" }], lastScheduleTime: "2025-01-02T03:00:00Z" } };
    expect(def.cells!(o, Date.parse("2025-01-02T03:00:05Z"))).toEqual(["nightly", "0 3 * * *", "<none>", "False", 1, "5s", "27h", "pi", "perl:5.34", "<none>"]);
  });
});
