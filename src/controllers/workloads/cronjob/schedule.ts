/**
 * @module controllers/workloads/cronjob/schedule
 * When a CronJob runs (upstream cronjob utils): the most recent unmet activation since
 * the last schedule (or creation), bounded by startingDeadlineSeconds, with a warning
 * when more than 100 were missed; when to look again; the Job for an activation, named
 * `<cronjob>-<minutes since epoch>` so an activation is created once (seconds instead
 * of minutes for sub-minute `@every` schedules, which upstream cannot run more than
 * once a minute), with the `batch.kubernetes.io/cronjob-scheduled-timestamp` annotation
 * in the CronJob's time zone.
 */
import type { KObj } from "../../../client/client.ts";
import { nextActivation, parseCron, type CronSchedule } from "../../../api/resources/batch/cron.ts";
import { controllerRefFor } from "../util/pods.ts";

export const SCHEDULED_TIMESTAMP = "batch.kubernetes.io/cronjob-scheduled-timestamp";
/** Slack added to wake-ups so the activation has passed (upstream nextScheduleDelta). */
export const NEXT_SCHEDULE_DELTA_MS = 100;

export interface Unmet {
  earliest: number;
  mostRecent?: number;
  tooMany: boolean;
}

export function scheduleOf(cj: KObj): CronSchedule {
  return parseCron(String(cj.spec?.schedule ?? ""));
}

function next(s: CronSchedule, after: number, tz: string | undefined): number | undefined {
  return nextActivation(s, new Date(after), tz)?.getTime();
}

/** mostRecentScheduleTime: the latest activation in (earliest, now], if any. */
export function mostRecentScheduleTime(cj: KObj, s: CronSchedule, now: number, withDeadline: boolean): Unmet {
  const tz: string | undefined = cj.spec?.timeZone ?? undefined;
  let earliest = Date.parse(cj.status?.lastScheduleTime ?? cj.metadata?.creationTimestamp ?? "");
  if (Number.isNaN(earliest)) earliest = now;
  const d = cj.spec?.startingDeadlineSeconds;
  if (withDeadline && d !== undefined && d !== null) earliest = Math.max(earliest, now - d * 1000);
  const t1 = next(s, earliest, tz);
  if (t1 === undefined || now < t1) return { earliest, tooMany: false };
  const t2 = next(s, t1, tz);
  if (t2 === undefined || now < t2) return { earliest, mostRecent: t1, tooMany: false };
  // Walk forward, but jump over long gaps like upstream's estimate does.
  const between = t2 - t1;
  const missed = Math.floor((now - t1) / between) + 1;
  let recent = t1 + (missed - 1) * between;
  for (let t = next(s, recent, tz), guard = 0; t !== undefined && t <= now && guard < 10_000; t = next(s, t, tz), guard++) recent = t;
  if (recent > now) recent = t1;
  return { earliest, mostRecent: recent, tooMany: missed > 100 };
}

/** Milliseconds until the next activation after the most recent one (or after `earliest`). */
export function nextScheduleDelay(cj: KObj, s: CronSchedule, now: number): number | undefined {
  const u = mostRecentScheduleTime(cj, s, now, false);
  const from = u.mostRecent ?? u.earliest;
  const t = next(s, from, cj.spec?.timeZone ?? undefined);
  return t === undefined ? undefined : t + NEXT_SCHEDULE_DELTA_MS - now;
}

export function isSubMinute(s: CronSchedule): boolean {
  return s.kind === "every" && s.delayMs < 60_000;
}

export function jobName(cj: KObj, scheduled: number, s: CronSchedule): string {
  const t = isSubMinute(s) ? Math.floor(scheduled / 1000) : Math.floor(scheduled / 60_000);
  return `${cj.metadata.name}-${t}`;
}

/** RFC 3339 of an instant in an IANA zone (e.g. 2026-03-29T03:00:00+02:00), Z for UTC. */
export function rfc3339In(t: number, tz: string | undefined): string {
  if (!tz || tz === "UTC" || tz === "Etc/UTC") return new Date(Math.floor(t / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
  const fmt = new Intl.DateTimeFormat("en-US", { timeZone: tz, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" });
  const p: Record<string, string> = {};
  for (const part of fmt.formatToParts(new Date(t))) p[part.type] = part.value;
  const wall = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second));
  const offMin = Math.round((wall - Math.floor(t / 1000) * 1000) / 60_000);
  if (offMin === 0) return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}Z`;
  const sign = offMin < 0 ? "-" : "+";
  const abs = Math.abs(offMin);
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

/** getJobFromTemplate2: the Job for one activation. */
export function jobForActivation(cj: KObj, scheduled: number, s: CronSchedule): KObj {
  const jt = cj.spec?.jobTemplate ?? {};
  const annotations = { ...(jt.metadata?.annotations ?? {}), [SCHEDULED_TIMESTAMP]: rfc3339In(scheduled, cj.spec?.timeZone ?? undefined) };
  const metadata: KObj = { name: jobName(cj, scheduled, s), namespace: cj.metadata.namespace, annotations, ownerReferences: [controllerRefFor(cj, "batch/v1", "CronJob")] };
  if (jt.metadata?.labels) metadata.labels = { ...jt.metadata.labels };
  return { apiVersion: "batch/v1", kind: "Job", metadata, spec: structuredClone(jt.spec ?? {}) };
}
