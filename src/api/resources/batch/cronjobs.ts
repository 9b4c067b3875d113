/**
 * @module api/resources/batch/cronjobs
 * The CronJob kind: defaults (concurrencyPolicy Allow, suspend false, history limits
 * 3/1), schedule validation with robfig's messages (TZ=/CRON_TZ= refused in favour of
 * spec.timeZone, which is checked against the IANA database via Intl), job template
 * validation, and the `kubectl get cronjobs` table.
 */
import { field } from "../../errors.ts";
import type { Obj, ResourceDef } from "../../registry/types.ts";
import { age } from "../../registry/objects.ts";
import { asArray, enumValue, isObj, nonNegative, type Causes } from "../common/causes.ts";
import { ageCell, ageCol, col, containerCells, containersCol, imagesCol, nameCol } from "../common/columns.ts";
import { formatLabelSelector } from "../common/label-selector.ts";
import { validateLabels, validateAnnotations } from "../../validation/meta.ts";
import { defaultPodTemplate } from "../core/pods/defaults.ts";
import { cronError, timeZoneError } from "./cron.ts";
import { validateJobSpecBody } from "./jobs.ts";

export function defaultCronJob(cj: Obj) {
  const spec = isObj(cj.spec) ? cj.spec : (cj.spec = {});
  if (!spec.concurrencyPolicy) spec.concurrencyPolicy = "Allow";
  if (spec.suspend === undefined || spec.suspend === null) spec.suspend = false;
  if (spec.successfulJobsHistoryLimit === undefined || spec.successfulJobsHistoryLimit === null) spec.successfulJobsHistoryLimit = 3;
  if (spec.failedJobsHistoryLimit === undefined || spec.failedJobsHistoryLimit === null) spec.failedJobsHistoryLimit = 1;
  defaultPodTemplate(spec.jobTemplate?.spec?.template);
}

export function validateSchedule(schedule: unknown, path: string, timeZone: unknown, allowTZ = false): Causes {
  if (schedule === undefined || schedule === null || schedule === "") return [field.required(path, "")];
  if (typeof schedule !== "string") return [field.invalid(path, schedule, "must be a string")];
  const out: Causes = [];
  const err = cronError(schedule);
  if (err) out.push(field.invalid(path, schedule, err));
  if (schedule.includes("TZ")) {
    if (!allowTZ) out.push(field.invalid(path, schedule, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"));
    else if (timeZone !== undefined && timeZone !== null) out.push(field.invalid(path, schedule, "cannot use both timeZone field and TZ or CRON_TZ in schedule"));
  }
  return out;
}

export function validateCronJob(cj: Obj, old?: Obj): Causes {
  const spec = isObj(cj.spec) ? cj.spec : {};
  const out: Causes = [];
  const name: string = cj.metadata?.name ?? "";
  if (name.length > 52) out.push(field.invalid("metadata.name", name, "must be no more than 52 characters"));
  // An update may keep a TZ= schedule it already had.
  const allowTZ = old !== undefined && typeof old.spec?.schedule === "string" && old.spec.schedule.includes("TZ");
  out.push(...validateSchedule(spec.schedule, "spec.schedule", spec.timeZone, allowTZ));
  if (spec.timeZone !== undefined && spec.timeZone !== null) {
    const err = typeof spec.timeZone === "string" ? timeZoneError(spec.timeZone) : "must be a string";
    if (err) out.push(field.invalid("spec.timeZone", spec.timeZone, err));
  }
  out.push(...enumValue(spec.concurrencyPolicy, "spec.concurrencyPolicy", ["Allow", "Forbid", "Replace"]));
  for (const f of ["startingDeadlineSeconds", "successfulJobsHistoryLimit", "failedJobsHistoryLimit"]) out.push(...nonNegative(spec[f], `spec.${f}`));
  const jt = isObj(spec.jobTemplate) ? spec.jobTemplate : undefined;
  if (!jt) out.push(field.required("spec.jobTemplate", ""));
  else {
    const jmeta = isObj(jt.metadata) ? jt.metadata : {};
    out.push(...validateLabels(jmeta.labels, "spec.jobTemplate.metadata.labels"), ...validateAnnotations(jmeta.annotations, "spec.jobTemplate.metadata.annotations"));
    const js = isObj(jt.spec) ? jt.spec : {};
    out.push(...validateJobSpecBody(js, "spec.jobTemplate.spec"));
    if (js.selector !== undefined && js.selector !== null) out.push(field.invalid("spec.jobTemplate.spec.selector", js.selector, "`selector` will be auto-generated"));
    if (js.manualSelector === true) out.push(field.notSupported("spec.jobTemplate.spec.manualSelector", true, ["nil", "false"]));
  }
  return out;
}

export function cronJobCells(cj: Obj, now: number): unknown[] {
  const spec = isObj(cj.spec) ? cj.spec : {};
  const st = isObj(cj.status) ? cj.status : {};
  const last = st.lastScheduleTime ? age(st.lastScheduleTime, now) : "<none>";
  const suspend = spec.suspend === undefined || spec.suspend === null ? "<unset>" : spec.suspend ? "True" : "False";
  const [names, images] = containerCells(spec.jobTemplate?.spec?.template?.spec?.containers);
  return [cj.metadata?.name, spec.schedule ?? "", spec.timeZone ?? "<none>", suspend, asArray(st.active).length, last, ageCell(cj, now), names, images, formatLabelSelector(spec.jobTemplate?.spec?.selector)];
}

export function cronJobDef(): ResourceDef {
  return {
    group: "batch",
    version: "v1",
    kind: "CronJob",
    plural: "cronjobs",
    singular: "cronjob",
    shortNames: ["cj"],
    categories: ["all"],
    namespaced: true,
    statusSubresource: true,
    generation: true,
    defaults: defaultCronJob,
    prepareForCreate(cj: Obj) {
      cj.status = {};
    },
    // kite never accepts a TZ= schedule, so no stored CronJob has one to keep on update.
    validate: (cj: Obj) => validateCronJob(cj),
    columns: [
      nameCol,
      col("Schedule", "string", "The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron."),
      col("Timezone", "string", "The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones."),
      col("Suspend", "boolean", "This flag tells the controller to suspend subsequent executions, it does not apply to already started executions.  Defaults to false."),
      col("Active", "integer", "A list of pointers to currently running jobs."),
      col("Last Schedule", "string", "Information when was the last time the job was successfully scheduled."),
      ageCol,
      containersCol,
      imagesCol,
      col("Selector", "string", "A label query over pods that should match the pod count. Normally, the system sets this field for you. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors", 1),
    ],
    cells: cronJobCells,
  };
}
