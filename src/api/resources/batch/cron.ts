/**
 * @module api/resources/batch/cron
 * Cron schedules as Kubernetes CronJobs read them (robfig/cron v3 ParseStandard): five
 * fields (minute hour day-of-month month day-of-week) with lists, ranges, steps and
 * month/day names, "?" as "*", descriptors (@hourly, @daily, @every 1h30m...), and the
 * TZ=/CRON_TZ= prefix. Errors carry robfig's wording, which the apiserver returns
 * verbatim ("end of range (61) above maximum (59): 61"). `next()` computes activation
 * times in any IANA time zone (via Intl), for the CronJob controller.
 */

export class CronError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CronError";
  }
}

interface Bounds {
  min: number;
  max: number;
  names?: Record<string, number>;
}

const MONTH_NAMES: Record<string, number> = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 };
const DOW_NAMES: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };
const BOUNDS: Bounds[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: MONTH_NAMES },
  { min: 0, max: 6, names: DOW_NAMES },
];

/** One parsed field: allowed values plus robfig's "star" flag (matters for dom/dow). */
interface FieldSet {
  values: Set<number>;
  star: boolean;
}

export type CronSchedule =
  | { kind: "spec"; minute: FieldSet; hour: FieldSet; dom: FieldSet; month: FieldSet; dow: FieldSet; timeZone?: string }
  | { kind: "every"; delayMs: number; timeZone?: string };

function atoi(expr: string): number {
  if (!/^[+-]?[0-9]+$/.test(expr)) throw new CronError(`failed to parse int from ${expr}: strconv.Atoi: parsing ${JSON.stringify(expr)}: invalid syntax`);
  const n = Number(expr);
  if (n < 0) throw new CronError(`negative number (${n}) not allowed: ${expr}`);
  return n;
}

function intOrName(expr: string, b: Bounds): number {
  const named = b.names?.[expr.toLowerCase()];
  return named !== undefined ? named : atoi(expr);
}

function getRange(expr: string, b: Bounds, into: FieldSet) {
  const rangeAndStep = expr.split("/");
  const lowAndHigh = rangeAndStep[0]!.split("-");
  const single = lowAndHigh.length === 1;
  let start: number;
  let end: number;
  let star = false;
  if (lowAndHigh[0] === "*" || lowAndHigh[0] === "?") {
    start = b.min;
    end = b.max;
    star = true;
  } else {
    start = intOrName(lowAndHigh[0]!, b);
    if (lowAndHigh.length === 1) end = start;
    else if (lowAndHigh.length === 2) end = intOrName(lowAndHigh[1]!, b);
    else throw new CronError(`too many hyphens: ${expr}`);
  }
  let step = 1;
  if (rangeAndStep.length === 2) {
    step = atoi(rangeAndStep[1]!);
    if (single) end = b.max;
    if (step > 1) star = false;
  } else if (rangeAndStep.length > 2) throw new CronError(`too many slashes: ${expr}`);
  if (start < b.min) throw new CronError(`beginning of range (${start}) below minimum (${b.min}): ${expr}`);
  if (end > b.max) throw new CronError(`end of range (${end}) above maximum (${b.max}): ${expr}`);
  if (start > end) throw new CronError(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
  if (step === 0) throw new CronError(`step of range should be a positive number: ${expr}`);
  for (let v = start; v <= end; v += step) into.values.add(v);
  if (star) into.star = true;
}

function getField(text: string, b: Bounds): FieldSet {
  const fs: FieldSet = { values: new Set(), star: false };
  for (const part of text.split(",")) getRange(part, b, fs);
  return fs;
}

const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, "µs": 1e-3, "μs": 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go's time.ParseDuration, in milliseconds. */
export function parseGoDuration(s: string): number {
  const bad = () => new CronError(`time: invalid duration ${JSON.stringify(s)}`);
  let rest = s;
  let sign = 1;
  if (rest.startsWith("-") || rest.startsWith("+")) {
    sign = rest.startsWith("-") ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === "0") return 0;
  if (rest === "") throw bad();
  let total = 0;
  while (rest.length) {
    const m = /^([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)/.exec(rest);
    if (!m || m[1] === "" || m[1] === ".") {
      if (/^[0-9.]+$/.test(rest)) throw new CronError(`time: missing unit in duration ${JSON.stringify(s)}`);
      throw bad();
    }
    total += Number(m[1]) * UNITS[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  return sign * total;
}

const DESCRIPTORS: Record<string, string> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

/** cron.ParseStandard. Throws CronError with robfig's messages. */
export function parseCron(input: string): CronSchedule {
  if (input.length === 0) throw new CronError("empty spec string");
  let spec = input;
  let timeZone: string | undefined;
  if (spec.startsWith("TZ=") || spec.startsWith("CRON_TZ=")) {
    const i = spec.indexOf(" ");
    const eq = spec.indexOf("=");
    const name = spec.slice(eq + 1, i < 0 ? undefined : i);
    if (timeZoneError(name)) throw new CronError(`provided bad location ${name}: unknown time zone ${name}`);
    timeZone = name;
    spec = i < 0 ? "" : spec.slice(i).trim();
  }
  if (spec.startsWith("@")) {
    if (spec.startsWith("@every ")) {
      const d = spec.slice("@every ".length);
      let ms: number;
      try {
        ms = parseGoDuration(d);
      } catch (e) {
        throw new CronError(`failed to parse duration ${spec}: ${(e as Error).message}`);
      }
      return { kind: "every", delayMs: Math.max(1000, Math.ceil(ms / 1000) * 1000), timeZone };
    }
    const expanded = DESCRIPTORS[spec];
    if (!expanded) throw new CronError(`unrecognized descriptor: ${spec}`);
    spec = expanded;
  }
  const fields = spec.split(/\s+/).filter(Boolean);
  if (fields.length !== 5) throw new CronError(`expected exactly 5 fields, found ${fields.length}: [${fields.join(" ")}]`);
  const [minute, hour, dom, month, dow] = fields.map((f, i) => getField(f, BOUNDS[i]!)) as [FieldSet, FieldSet, FieldSet, FieldSet, FieldSet];
  return { kind: "spec", minute, hour, dom, month, dow, timeZone };
}

/** The error message for a schedule, or undefined when it parses. */
export function cronError(schedule: string): string | undefined {
  try {
    parseCron(schedule);
    return undefined;
  } catch (e) {
    if (e instanceof CronError) return e.message;
    throw e;
  }
}

const TZ_PART = /^[A-Za-z.\-_0-9+]{1,14}$/;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", { timeZone: tz, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric" });
    formatters.set(tz, f);
  }
  return f;
}

/** validateTimeZone's checks; returns upstream's message or undefined. */
export function timeZoneError(tz: string): string | undefined {
  if (tz.length === 0) return "timeZone must be nil or non-empty string";
  for (const part of tz.split("/")) {
    if (part === "." || part === ".." || part.startsWith("-") || !TZ_PART.test(part)) return `unknown time zone ${tz}`;
  }
  if (tz.toLowerCase() === "local") return "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones";
  try {
    const resolved = formatter(tz).resolvedOptions().timeZone;
    // Intl is case-insensitive; Go's tzdata lookup is not.
    if (resolved !== tz && resolved.toLowerCase() === tz.toLowerCase()) return `unknown time zone ${tz}`;
  } catch {
    return `unknown time zone ${tz}`;
  }
  return undefined;
}

/** UTC offset (ms) of a zone at an instant. */
function offsetAt(tz: string | undefined, t: number): number {
  if (!tz || tz === "UTC" || tz === "Etc/UTC") return 0;
  const parts: Record<string, number> = {};
  for (const p of formatter(tz).formatToParts(new Date(t))) if (p.type !== "literal") parts[p.type] = Number(p.value);
  const wall = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
  return wall - Math.floor(t / 1000) * 1000;
}

function dayMatches(s: Extract<CronSchedule, { kind: "spec" }>, d: Date): boolean {
  const domMatch = s.dom.values.has(d.getUTCDate());
  const dowMatch = s.dow.values.has(d.getUTCDay());
  if (s.dom.star || s.dow.star) return domMatch && dowMatch;
  return domMatch || dowMatch;
}

/** Next matching wall-clock time (naive, as a UTC Date) strictly after `wall`; undefined if none within 5 years. */
function nextWall(s: Extract<CronSchedule, { kind: "spec" }>, wall: number): number | undefined {
  const t = new Date(Math.floor(wall / 60_000) * 60_000 + 60_000);
  const yearLimit = t.getUTCFullYear() + 5;
  let added = false;
  wrap: for (;;) {
    if (t.getUTCFullYear() > yearLimit) return undefined;
    while (!s.month.values.has(t.getUTCMonth() + 1)) {
      if (!added) {
        added = true;
        t.setUTCDate(1);
        t.setUTCHours(0, 0, 0, 0);
      }
      t.setUTCMonth(t.getUTCMonth() + 1);
      if (t.getUTCMonth() === 0) continue wrap;
    }
    while (!dayMatches(s, t)) {
      if (!added) {
        added = true;
        t.setUTCHours(0, 0, 0, 0);
      }
      t.setUTCDate(t.getUTCDate() + 1);
      if (t.getUTCDate() === 1) continue wrap;
    }
    while (!s.hour.values.has(t.getUTCHours())) {
      if (!added) {
        added = true;
        t.setUTCMinutes(0, 0, 0);
      }
      t.setUTCHours(t.getUTCHours() + 1);
      if (t.getUTCHours() === 0) continue wrap;
    }
    while (!s.minute.values.has(t.getUTCMinutes())) {
      if (!added) added = true;
      t.setUTCMinutes(t.getUTCMinutes() + 1);
      if (t.getUTCMinutes() === 0) continue wrap;
    }
    return t.getTime();
  }
}

/**
 * The first activation strictly after `after`, in `timeZone` (the CronJob's
 * spec.timeZone; a TZ= prefix in the schedule wins; default UTC). Wall-clock times
 * skipped by a DST jump are skipped. Undefined if nothing matches within five years.
 */
export function nextActivation(schedule: CronSchedule, after: Date, timeZone?: string): Date | undefined {
  const tz = schedule.timeZone ?? timeZone;
  if (schedule.kind === "every") return new Date(Math.floor(after.getTime() / 1000) * 1000 + schedule.delayMs);
  let wall = after.getTime() + offsetAt(tz, after.getTime());
  for (let guard = 0; guard < 1000; guard++) {
    const w = nextWall(schedule, wall);
    if (w === undefined) return undefined;
    let instant = w - offsetAt(tz, w - offsetAt(tz, w));
    const back = instant + offsetAt(tz, instant);
    if (back !== w) {
      // In a DST gap: this wall-clock minute does not exist.
      wall = w;
      continue;
    }
    if (instant <= after.getTime()) {
      wall = w;
      continue;
    }
    instant = Math.floor(instant / 60_000) * 60_000;
    return new Date(instant);
  }
  return undefined;
}
