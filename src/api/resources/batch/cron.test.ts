import { describe, expect, test } from "bun:test";
import { cronError, nextActivation, parseCron, parseGoDuration, timeZoneError } from "./cron.ts";

describe("cron schedule syntax (robfig ParseStandard)", () => {
  test("valid schedules", () => {
    for (const s of ["* * * * *", "*/5 * * * *", "0 3 * * *", "0 0 1 jan *", "0 9 * * MON-FRI", "15,45 8-18/2 1-15 */3 0,6", "0 0 ? * *", "@hourly", "@daily", "@midnight", "@weekly", "@monthly", "@yearly", "@annually", "@every 1h30m", "*/61 * * * *", "TZ=UTC 0 3 * * *", "CRON_TZ=Europe/Paris 0 3 * * *"]) {
      expect(cronError(s)).toBeUndefined();
    }
  });

  test("errors carry robfig's wording", () => {
    expect(cronError("61 * * * *")).toBe("end of range (61) above maximum (59): 61");
    expect(cronError("* * 0 * *")).toBe("beginning of range (0) below minimum (1): 0");
    expect(cronError("5-1 * * * *")).toBe("beginning of range (5) beyond end of range (1): 5-1");
    expect(cronError("* * * * 7")).toBe("end of range (7) above maximum (6): 7");
    expect(cronError("*/0 * * * *")).toBe("step of range should be a positive number: */0");
    expect(cronError("1-2-3 * * * *")).toBe("too many hyphens: 1-2-3");
    expect(cronError("*/2/3 * * * *")).toBe("too many slashes: */2/3");
    expect(cronError("x * * * *")).toBe('failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax');
    expect(cronError("* * * *")).toBe("expected exactly 5 fields, found 4: [* * * *]");
    expect(cronError("0 * * * * *")).toBe("expected exactly 5 fields, found 6: [0 * * * * *]");
    expect(cronError("")).toBe("empty spec string");
    expect(cronError("@fortnightly")).toBe("unrecognized descriptor: @fortnightly");
    expect(cronError("@every soon")).toBe('failed to parse duration @every soon: time: invalid duration "soon"');
    expect(cronError("* * * foo *")).toBe('failed to parse int from foo: strconv.Atoi: parsing "foo": invalid syntax');
    expect(cronError("TZ=Mars/Olympus 0 3 * * *")).toBe("provided bad location Mars/Olympus: unknown time zone Mars/Olympus");
  });

  test("Go durations", () => {
    expect(parseGoDuration("1h30m")).toBe(5_400_000);
    expect(parseGoDuration("1.5s")).toBe(1500);
    expect(parseGoDuration("250ms")).toBe(250);
    expect(() => parseGoDuration("10")).toThrow("missing unit");
  });

  test("time zones", () => {
    expect(timeZoneError("Europe/Paris")).toBeUndefined();
    expect(timeZoneError("UTC")).toBeUndefined();
    expect(timeZoneError("Etc/GMT+5")).toBeUndefined();
    expect(timeZoneError("Europe/Pariss")).toBe("unknown time zone Europe/Pariss");
    expect(timeZoneError("europe/paris")).toBe("unknown time zone europe/paris");
    expect(timeZoneError("../etc/passwd")).toBe("unknown time zone ../etc/passwd");
    expect(timeZoneError("Local")).toBe("timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones");
    expect(timeZoneError("")).toBe("timeZone must be nil or non-empty string");
  });
});

describe("next activation", () => {
  const at = (s: string) => new Date(s);
  const next = (spec: string, after: string, tz?: string) => nextActivation(parseCron(spec), at(after), tz)?.toISOString();

  test("UTC", () => {
    expect(next("*/5 * * * *", "2025-01-01T00:03:10Z")).toBe("2025-01-01T00:05:00.000Z");
    expect(next("*/5 * * * *", "2025-01-01T00:05:00Z")).toBe("2025-01-01T00:10:00.000Z");
    expect(next("0 3 * * *", "2025-01-01T04:00:00Z")).toBe("2025-01-02T03:00:00.000Z");
    expect(next("0 0 29 2 *", "2025-01-01T00:00:00Z")).toBe("2028-02-29T00:00:00.000Z");
    expect(next("@hourly", "2025-12-31T23:59:00Z")).toBe("2026-01-01T00:00:00.000Z");
    expect(next("30 9 * * MON-FRI", "2025-01-03T10:00:00Z")).toBe("2025-01-06T09:30:00.000Z"); // Fri → Mon
    expect(next("0 0 31 2 *", "2025-01-01T00:00:00Z")).toBeUndefined();
  });

  test("day-of-month OR day-of-week when both are restricted", () => {
    // 13th of the month or any Friday: after Wed 2025-01-08 comes Fri 2025-01-10.
    expect(next("0 0 13 * 5", "2025-01-08T00:00:00Z")).toBe("2025-01-10T00:00:00.000Z");
  });

  test("time zones, including DST", () => {
    expect(next("0 3 * * *", "2025-07-01T00:00:00Z", "Europe/Paris")).toBe("2025-07-01T01:00:00.000Z");
    expect(next("0 3 * * *", "2025-01-15T00:00:00Z", "Europe/Paris")).toBe("2025-01-15T02:00:00.000Z");
    // 02:30 does not exist on 2025-03-30 in Paris: the next one is the day after.
    expect(next("30 2 * * *", "2025-03-29T12:00:00Z", "Europe/Paris")).toBe("2025-03-31T00:30:00.000Z");
    expect(next("CRON_TZ=America/New_York 0 12 * * *", "2025-01-01T00:00:00Z")).toBe("2025-01-01T17:00:00.000Z");
  });

  test("@every", () => {
    expect(next("@every 90s", "2025-01-01T00:00:00Z")).toBe("2025-01-01T00:01:30.000Z");
  });
});
