/**
 * @module api/resources/batch/jobs
 * The Job kind: SetDefaults_Job (completions/parallelism 1, backoffLimit 6, NonIndexed,
 * suspend false, podReplacementPolicy, labels copied from the template), the generated
 * selector and `batch.kubernetes.io/controller-uid` / `job-name` labels on create,
 * ValidateJob / ValidateJobSpec / update rules, and the `kubectl get jobs` table.
 * Job spec validation is shared with CronJob job templates.
 */
import { field } from "../../errors.ts";
import type { Obj, ResourceDef } from "../../registry/types.ts";
import { deepEqual, humanDuration } from "../../registry/objects.ts";
import { isDNS1123Label } from "../../validation/meta.ts";
import { asArray, enumValue, isInt, isObj, nonNegative, type Causes } from "../common/causes.ts";
import { ageCell, ageCol, col, containerCells, containersCol, imagesCol, nameCol } from "../common/columns.ts";
import { formatLabelSelector, selectorMatches, validateLabelSelector } from "../common/label-selector.ts";
import { defaultPodTemplate } from "../core/pods/defaults.ts";
import { validatePodTemplate } from "../core/pods/validation.ts";

export const LABEL_CONTROLLER_UID = "batch.kubernetes.io/controller-uid";
export const LABEL_JOB_NAME = "batch.kubernetes.io/job-name";
export const LEGACY_CONTROLLER_UID = "controller-uid";
export const LEGACY_JOB_NAME = "job-name";

function unset(v: unknown) {
  return v === undefined || v === null;
}

export function defaultJob(job: Obj) {
  const spec = isObj(job.spec) ? job.spec : (job.spec = {});
  if (unset(spec.completions) && unset(spec.parallelism)) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  if (unset(spec.parallelism)) spec.parallelism = 1;
  if (unset(spec.backoffLimit)) spec.backoffLimit = unset(spec.backoffLimitPerIndex) ? 6 : 2147483647;
  const tlabels = spec.template?.metadata?.labels;
  const meta = (job.metadata ??= {});
  if (isObj(tlabels) && (!isObj(meta.labels) || Object.keys(meta.labels).length === 0)) meta.labels = { ...tlabels };
  if (unset(spec.completionMode)) spec.completionMode = "NonIndexed";
  if (unset(spec.suspend)) spec.suspend = false;
  if (unset(spec.podReplacementPolicy)) spec.podReplacementPolicy = isObj(spec.podFailurePolicy) ? "Failed" : "TerminatingOrFailed";
  if (isObj(spec.podFailurePolicy)) {
    for (const r of asArray(spec.podFailurePolicy.rules)) for (const c of asArray(r?.onPodConditions)) if (isObj(c) && !c.status) c.status = "True";
  }
  defaultPodTemplate(spec.template);
}

/** generateSelector: pods get the job's uid and name as labels; the selector matches the uid. */
export function generateJobSelector(job: Obj) {
  const spec = job.spec as Obj;
  if (spec.manualSelector === true) return;
  const template = isObj(spec.template) ? spec.template : (spec.template = {});
  const tmeta = isObj(template.metadata) ? template.metadata : (template.metadata = {});
  const labels = isObj(tmeta.labels) ? tmeta.labels : (tmeta.labels = {});
  const name = job.metadata?.name ?? "";
  const uid = job.metadata?.uid ?? "";
  for (const k of [LEGACY_JOB_NAME, LABEL_JOB_NAME]) if (!(k in labels)) labels[k] = name;
  for (const k of [LEGACY_CONTROLLER_UID, LABEL_CONTROLLER_UID]) if (!(k in labels)) labels[k] = uid;
  const sel = isObj(spec.selector) ? spec.selector : (spec.selector = {});
  const ml = isObj(sel.matchLabels) ? sel.matchLabels : (sel.matchLabels = {});
  if (!(LABEL_CONTROLLER_UID in ml)) ml[LABEL_CONTROLLER_UID] = uid;
}

/** validateJobSpec (without the selector requirement): shared with job templates. */
export function validateJobSpecBody(spec: Obj, path: string): Causes {
  const out: Causes = [];
  for (const f of ["parallelism", "completions", "activeDeadlineSeconds", "backoffLimit", "ttlSecondsAfterFinished", "backoffLimitPerIndex", "maxFailedIndexes"]) {
    out.push(...nonNegative(spec[f], `${path}.${f}`));
  }
  if (!unset(spec.maxFailedIndexes) && unset(spec.backoffLimitPerIndex)) out.push(field.required(`${path}.backoffLimitPerIndex`, "when maxFailedIndexes is specified"));
  if (!unset(spec.completionMode)) out.push(...enumValue(spec.completionMode, `${path}.completionMode`, ["NonIndexed", "Indexed"]));
  if (spec.completionMode === "Indexed") {
    if (unset(spec.completions)) out.push(field.required(`${path}.completions`, "when completion mode is Indexed"));
    if (isInt(spec.parallelism) && spec.parallelism > 100000) out.push(field.invalid(`${path}.parallelism`, spec.parallelism, "must be less than or equal to 100000 when completion mode is Indexed"));
  } else {
    if (!unset(spec.backoffLimitPerIndex)) out.push(field.invalid(`${path}.backoffLimitPerIndex`, spec.backoffLimitPerIndex, "requires indexed completion mode"));
    if (!unset(spec.maxFailedIndexes)) out.push(field.invalid(`${path}.maxFailedIndexes`, spec.maxFailedIndexes, "requires indexed completion mode"));
  }
  if (!unset(spec.podReplacementPolicy)) {
    out.push(...enumValue(spec.podReplacementPolicy, `${path}.podReplacementPolicy`, ["Failed", "TerminatingOrFailed"]));
    if (isObj(spec.podFailurePolicy) && spec.podReplacementPolicy !== "Failed") {
      out.push(field.notSupported(`${path}.podReplacementPolicy`, spec.podReplacementPolicy, ["Failed"]));
    }
  }
  out.push(...validatePodTemplate(spec.template, `${path}.template`));
  const rp = spec.template?.spec?.restartPolicy;
  if (rp === "Always" || rp === undefined || rp === "") out.push(field.required(`${path}.template.spec.restartPolicy`, 'valid values: "OnFailure", "Never"'));
  else if (rp !== "OnFailure" && rp !== "Never") out.push(field.notSupported(`${path}.template.spec.restartPolicy`, rp, ["OnFailure", "Never"]));
  else if (isObj(spec.podFailurePolicy) && rp !== "Never") out.push(field.invalid(`${path}.template.spec.restartPolicy`, rp, 'only "Never" is supported when podFailurePolicy is specified'));
  return out;
}

export function validateJob(job: Obj): Causes {
  const spec = isObj(job.spec) ? job.spec : {};
  const out: Causes = [];
  const labels = isObj(spec.template?.metadata?.labels) ? spec.template.metadata.labels : {};
  if (spec.manualSelector !== true && isObj(spec.selector)) {
    const name = job.metadata?.name ?? "";
    const uid = job.metadata?.uid ?? "";
    if (!uid) out.push(field.required("metadata.uid", ""));
    for (const [k, v] of [[LEGACY_CONTROLLER_UID, uid], [LEGACY_JOB_NAME, name], [LABEL_CONTROLLER_UID, uid], [LABEL_JOB_NAME, name]] as const) {
      if (labels[k] !== v) out.push(field.invalid(`spec.template.metadata.labels[${k}]`, labels[k] ?? "", `must be '${v}'`));
    }
    if (!selectorMatches(spec.selector, { [LABEL_CONTROLLER_UID]: uid, [LABEL_JOB_NAME]: name, [LEGACY_CONTROLLER_UID]: uid, [LEGACY_JOB_NAME]: name })) {
      out.push(field.invalid("spec.selector", spec.selector, "`selector` not auto-generated"));
    }
  }
  out.push(...validateJobSpecBody(spec, "spec"));
  if (unset(spec.selector)) out.push(field.required("spec.selector", ""));
  else {
    out.push(...validateLabelSelector(spec.selector, "spec.selector"));
    if (!selectorMatches(spec.selector, labels)) out.push(field.invalid("spec.template.metadata.labels", labels, "`selector` does not match template `labels`"));
  }
  if (spec.completionMode === "Indexed" && isInt(spec.completions) && spec.completions > 0) {
    const host = `${job.metadata?.name ?? ""}-${spec.completions - 1}`;
    if (isDNS1123Label(host).length) out.push(field.invalid("metadata.name", job.metadata?.name, `will not able to create pod with invalid DNS label: ${host}`));
  }
  return out;
}

const MUTABLE_WHEN_SUSPENDED = ["nodeSelector", "tolerations", "affinity", "schedulingGates"];

export function validateJobUpdate(job: Obj, old: Obj): Causes {
  const spec = isObj(job.spec) ? job.spec : {};
  const oldSpec = isObj(old.spec) ? old.spec : {};
  const out: Causes = [];
  if (!deepEqual(spec.selector, oldSpec.selector)) out.push(field.invalid("spec.selector", spec.selector ?? null, "field is immutable"));
  if (!deepEqual(spec.completionMode, oldSpec.completionMode)) out.push(field.invalid("spec.completionMode", spec.completionMode ?? null, "field is immutable"));
  if (!deepEqual(spec.podFailurePolicy, oldSpec.podFailurePolicy)) out.push(field.invalid("spec.podFailurePolicy", spec.podFailurePolicy ?? null, "field is immutable"));
  if (spec.completionMode !== "Indexed" && !deepEqual(spec.completions, oldSpec.completions)) out.push(field.invalid("spec.completions", spec.completions ?? null, "field is immutable"));
  if (spec.completionMode === "Indexed" && !deepEqual(spec.completions, oldSpec.completions) && spec.completions !== spec.parallelism) {
    out.push(field.invalid("spec.completions", spec.completions ?? null, "can only be modified in tandem with spec.parallelism"));
  }
  // A suspended job that never started may change scheduling directives and template metadata.
  const a = structuredClone(spec.template ?? null);
  const b = oldSpec.template ?? null;
  if (oldSpec.suspend === true && !old.status?.startTime && isObj(a) && isObj(b)) {
    a.metadata = b.metadata;
    for (const f of MUTABLE_WHEN_SUSPENDED) {
      if (!isObj(a.spec)) break;
      if (b.spec?.[f] === undefined) delete a.spec[f];
      else a.spec[f] = b.spec[f];
    }
  }
  if (!deepEqual(a, b)) out.push(field.invalid("spec.template", spec.template ?? null, "field is immutable"));
  return out;
}

function conditionTrue(job: Obj, type: string): boolean {
  const c = asArray(job.status?.conditions).find((x) => x?.type === type);
  return c?.status === "True";
}

export function jobStatusText(job: Obj): string {
  if (conditionTrue(job, "Complete")) return "Complete";
  if (conditionTrue(job, "Failed")) return "Failed";
  if (job.metadata?.deletionTimestamp) return "Terminating";
  if (conditionTrue(job, "Suspended")) return "Suspended";
  if (conditionTrue(job, "FailureTarget")) return "FailureTarget";
  return "Running";
}

export function jobCells(job: Obj, now: number): unknown[] {
  const spec = isObj(job.spec) ? job.spec : {};
  const st = isObj(job.status) ? job.status : {};
  const succeeded = st.succeeded ?? 0;
  let completions: string;
  if (!unset(spec.completions)) completions = `${succeeded}/${spec.completions}`;
  else completions = (spec.parallelism ?? 0) > 1 ? `${succeeded}/1 of ${spec.parallelism}` : `${succeeded}/1`;
  let duration = "";
  const start = Date.parse(st.startTime ?? "");
  if (!Number.isNaN(start)) {
    const end = Date.parse(st.completionTime ?? "");
    duration = humanDuration((Number.isNaN(end) ? now : end) - start);
  }
  const [names, images] = containerCells(spec.template?.spec?.containers);
  return [job.metadata?.name, jobStatusText(job), completions, duration, ageCell(job, now), names, images, formatLabelSelector(spec.selector)];
}

export function jobDef(): ResourceDef {
  return {
    group: "batch",
    version: "v1",
    kind: "Job",
    plural: "jobs",
    singular: "job",
    categories: ["all"],
    namespaced: true,
    statusSubresource: true,
    generation: true,
    defaults: defaultJob,
    prepareForCreate(job: Obj) {
      generateJobSelector(job);
      job.status = {};
    },
    validate: validateJob,
    validateUpdate: validateJobUpdate,
    columns: [
      nameCol,
      col("Status", "string", "Status of the job."),
      col("Completions", "string", "The number of pods which reached phase Succeeded. The value increases monotonically for a given spec. However, it may decrease in reaction to scale down of elastic indexed jobs."),
      col("Duration", "string", "Time required to complete the job."),
      ageCol,
      containersCol,
      imagesCol,
      col("Selector", "string", "A label query over pods that should match the pod count. Normally, the system sets this field for you. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors", 1),
    ],
    cells: jobCells,
    selectableFields: (job: Obj) => ({ "status.successful": String(job.status?.succeeded ?? 0) }),
  };
}
