/**
 * @module api/errors
 * Typed API errors that render as Kubernetes `Status` objects, exactly as kubectl expects
 * them (kubectl-wire.md §9). Every failure an API handler can produce goes through here.
 */
export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: "Status";
  apiVersion: "v1";
  metadata: Record<string, unknown>;
  status: "Success" | "Failure";
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
    this.name = "ApiError";
  }

  toStatus(): Status {
    const s: Status = { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: this.message, reason: this.reason, code: this.code };
    if (this.details && Object.keys(this.details).length) s.details = this.details;
    return s;
  }
}

/** "pods" / "deployments.apps" as used in Kubernetes error messages. */
export function qualifiedResource(resource: string, group: string) {
  return group ? `${resource}.${group}` : resource;
}

export const errors = {
  notFound(resource: string, group: string, name: string) {
    return new ApiError(404, "NotFound", `${qualifiedResource(resource, group)} "${name}" not found`, { name, group: group || undefined, kind: resource });
  },
  alreadyExists(resource: string, group: string, name: string) {
    return new ApiError(409, "AlreadyExists", `${qualifiedResource(resource, group)} "${name}" already exists`, { name, group: group || undefined, kind: resource });
  },
  conflict(resource: string, group: string, name: string, why = "the object has been modified; please apply your changes to the latest version and try again") {
    return new ApiError(409, "Conflict", `Operation cannot be fulfilled on ${qualifiedResource(resource, group)} "${name}": ${why}`, { name, group: group || undefined, kind: resource });
  },
  invalid(kind: string, group: string, name: string, causes: StatusCause[]) {
    const list = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message)).join(", ");
    return new ApiError(422, "Invalid", `${kind}${group ? "." + group : ""} "${name}" is invalid: ${causes.length > 1 ? "[" + list + "]" : list}`, { name, group: group || undefined, kind, causes });
  },
  badRequest(message: string, causes?: StatusCause[]) {
    return new ApiError(400, "BadRequest", message, causes ? { causes } : undefined);
  },
  unauthorized(message = "Unauthorized") {
    return new ApiError(401, "Unauthorized", message);
  },
  forbidden(message: string) {
    return new ApiError(403, "Forbidden", message);
  },
  methodNotAllowed(message = "the server does not allow this method on the requested resource") {
    return new ApiError(405, "MethodNotAllowed", message);
  },
  notAcceptable(message: string) {
    return new ApiError(406, "NotAcceptable", message);
  },
  unsupportedMediaType(contentType: string, accepted: string[]) {
    return new ApiError(415, "UnsupportedMediaType", `the body of the request was in an unknown format - accepted media types include: ${accepted.join(", ")}`, { causes: [{ message: `unsupported content type ${contentType}` }] });
  },
  gone(message: string) {
    return new ApiError(410, "Expired", message);
  },
  tooManyRequests(message: string, retryAfterSeconds = 1) {
    return new ApiError(429, "TooManyRequests", message, { retryAfterSeconds });
  },
  internal(message: string) {
    return new ApiError(500, "InternalError", `Internal error occurred: ${message}`, { causes: [{ message }] });
  },
  serviceUnavailable(message: string, retryAfterSeconds = 1) {
    return new ApiError(503, "ServiceUnavailable", message, { retryAfterSeconds });
  },
  timeout(message: string, retryAfterSeconds = 1) {
    return new ApiError(504, "Timeout", message, { retryAfterSeconds });
  },
  notFoundPath() {
    return new ApiError(404, "NotFound", "the server could not find the requested resource", {});
  },
};

/** Field error helpers producing Kubernetes' cause wording (field.ErrorList). */
export const field = {
  required(path: string, detail = ""): StatusCause {
    return { reason: "FieldValueRequired", message: detail ? `Required value: ${detail}` : "Required value", field: path };
  },
  invalid(path: string, value: unknown, detail: string): StatusCause {
    return { reason: "FieldValueInvalid", message: `Invalid value: ${fmt(value)}: ${detail}`, field: path };
  },
  notSupported(path: string, value: unknown, valid: string[]): StatusCause {
    return { reason: "FieldValueNotSupported", message: `Unsupported value: ${fmt(value)}: supported values: ${valid.map((v) => `"${v}"`).join(", ")}`, field: path };
  },
  duplicate(path: string, value: unknown): StatusCause {
    return { reason: "FieldValueDuplicate", message: `Duplicate value: ${fmt(value)}`, field: path };
  },
  forbidden(path: string, detail: string): StatusCause {
    return { reason: "FieldValueForbidden", message: `Forbidden: ${detail}`, field: path };
  },
  tooLong(path: string, max: number): StatusCause {
    return { reason: "FieldValueTooLong", message: `Too long: may not be more than ${max} bytes`, field: path };
  },
  immutable(path: string): StatusCause {
    return { reason: "FieldValueInvalid", message: "Invalid value: field is immutable", field: path };
  },
};

function fmt(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (v === null || v === undefined) return "null";
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}
