/**
 * @module api/resources/common/causes
 * Field-error helpers beyond api/errors' `field`, with upstream's wording
 * (k8s.io/apimachinery/pkg/util/validation and field.ErrorList), plus the small value
 * validators kinds share: port numbers and names, IPs, non-negative integers, paths.
 */
import { field, type StatusCause } from "../../errors.ts";
import { isDNS1123Subdomain, isQualifiedName } from "../../validation/meta.ts";
import type { Obj } from "../../registry/types.ts";

export type Causes = StatusCause[];

function fmtValue(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (v === null || v === undefined) return "null";
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

export const cause = {
  notFound(path: string, value: unknown): StatusCause {
    return { reason: "FieldValueNotFound", message: `Not found: ${fmtValue(value)}`, field: path };
  },
  tooMany(path: string, actual: number, max: number): StatusCause {
    return { reason: "FieldValueTooMany", message: `Too many: ${actual}: must have at most ${max} items`, field: path };
  },
  tooLongChars(path: string, max: number): StatusCause {
    return { reason: "FieldValueTooLong", message: `Too long: may not be more than ${max} characters`, field: path };
  },
  /** ValidateImmutableField: `Invalid value: <new>: field is immutable`. */
  immutable(path: string, value: unknown): StatusCause {
    return field.invalid(path, value, "field is immutable");
  },
  typeInvalid(path: string, value: unknown, detail: string): StatusCause {
    return { reason: "FieldValueTypeInvalid", message: `Invalid value: ${fmtValue(value)}: ${detail}`, field: path };
  },
};

/** `path[key]` as field.Path.Key renders it. */
export function key(path: string, k: string): string {
  return `${path}[${k}]`;
}
/** `path[i]` as field.Path.Index renders it. */
export function idx(path: string, i: number): string {
  return `${path}[${i}]`;
}

export function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}
export function asArray<T = Obj>(v: unknown): T[] {
  return Array.isArray(v) ? (v as T[]) : [];
}
export function asObj(v: unknown): Obj {
  return isObj(v) ? v : {};
}
export function isInt(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v);
}

/** validation.IsValidPortNum */
export function portNumErrors(v: unknown): string[] {
  return isInt(v) && v >= 1 && v <= 65535 ? [] : ["must be between 1 and 65535, inclusive"];
}

/** validation.IsValidPortName (IANA_SVC_NAME). */
export function portNameErrors(port: string): string[] {
  const errs: string[] = [];
  if (port.length > 15) errs.push("must be no more than 15 characters");
  if (!/^[-a-z0-9]+$/.test(port)) errs.push("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
  if (!/[a-z]/.test(port)) errs.push("must contain at least one letter (a-z)");
  if (port.includes("--")) errs.push("must not contain consecutive hyphens");
  if (port.length > 0 && (port.startsWith("-") || port.endsWith("-"))) errs.push("must not begin or end with a hyphen");
  return errs;
}

/** Port given as number or name (IntOrString), like ValidatePortNumOrName. */
export function validatePortNumOrName(v: unknown, path: string): Causes {
  if (typeof v === "number") return portNumErrors(v).map((m) => field.invalid(path, v, m));
  if (typeof v === "string") {
    if (/^[0-9]+$/.test(v)) return portNumErrors(Number(v)).map((m) => field.invalid(path, v, m));
    return portNameErrors(v).map((m) => field.invalid(path, v, m));
  }
  return [field.invalid(path, v, "must be an integer or a string")];
}

export function isIPv4(s: string): boolean {
  const parts = s.split(".");
  return parts.length === 4 && parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255);
}
export function isIPv6(s: string): boolean {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || !s.includes(":")) return false;
  try {
    new URL(`http://[${s}]/`);
    return true;
  } catch {
    return false;
  }
}
export function isIP(s: unknown): boolean {
  return typeof s === "string" && (isIPv4(s) || isIPv6(s));
}
export const IP_MESSAGE = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)";

export function nonNegative(v: unknown, path: string): Causes {
  if (v === undefined || v === null) return [];
  if (!isInt(v)) return [field.invalid(path, v, "must be an integer")];
  return v < 0 ? [field.invalid(path, v, "must be greater than or equal to 0")] : [];
}
export function positive(v: unknown, path: string): Causes {
  if (v === undefined || v === null) return [];
  if (!isInt(v)) return [field.invalid(path, v, "must be an integer")];
  return v <= 0 ? [field.invalid(path, v, "must be greater than zero")] : [];
}

export function dnsSubdomain(v: unknown, path: string): Causes {
  if (typeof v !== "string") return [field.invalid(path, v, "must be a string")];
  return isDNS1123Subdomain(v).map((m) => field.invalid(path, v, m));
}
export function qualifiedName(v: unknown, path: string): Causes {
  if (typeof v !== "string") return [field.invalid(path, v, "must be a string")];
  return isQualifiedName(v).map((m) => field.invalid(path, v, m));
}

/** path.IsValidPathSegmentName: names of RBAC objects, events... */
export function pathSegmentNameErrors(name: string): string[] {
  if (name === "." || name === "..") return [`may not be '${name}'`];
  const errs: string[] = [];
  for (const ch of ["/", "%"]) if (name.includes(ch)) errs.push(`may not contain '${ch}'`);
  return errs;
}

/** One value out of an enum, required when `required`. */
export function enumValue(v: unknown, path: string, valid: string[], required = true): Causes {
  if (v === undefined || v === null || v === "") return required ? [field.required(path, "")] : [];
  return typeof v === "string" && valid.includes(v) ? [] : [field.notSupported(path, v, valid)];
}

/** IntOrString percentage/int validation (ValidatePositiveIntOrPercent + IsNotMoreThan100Percent). */
export function intOrPercent(v: unknown, path: string): Causes {
  if (v === undefined || v === null) return [];
  if (typeof v === "number") return v < 0 || !Number.isInteger(v) ? [field.invalid(path, v, "must be greater than or equal to 0")] : [];
  if (typeof v === "string") {
    const m = /^([0-9]+)%$/.exec(v);
    if (!m) return [field.invalid(path, v, "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')")];
    if (Number(m[1]) > 100) return [field.invalid(path, v, "must not be greater than 100%")];
    return [];
  }
  return [field.invalid(path, v, "must be an integer or percentage (e.g '5%')")];
}

/** Value of an IntOrString percentage applied to a total (rounding up or down). */
export function scaledIntOrPercent(v: unknown, total: number, roundUp: boolean): number {
  if (typeof v === "number") return v;
  if (typeof v === "string" && v.endsWith("%")) {
    const x = (Number(v.slice(0, -1)) * total) / 100;
    return roundUp ? Math.ceil(x) : Math.floor(x);
  }
  return Number(v) || 0;
}
