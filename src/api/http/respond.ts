/**
 * @module api/http/respond
 * Response helpers: JSON with the content type kubectl requires, Status errors, warnings.
 */
import { ApiError, errors, type Status } from "../errors.ts";

export const JSON_CT = "application/json";

export function json(body: unknown, status = 200, headers?: Record<string, string>): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": JSON_CT, ...headers } });
}

export function text(body: string, status = 200, contentType = "text/plain; charset=utf-8"): Response {
  return new Response(body, { status, headers: { "Content-Type": contentType } });
}

export function statusResponse(err: ApiError): Response {
  const s: Status = err.toStatus();
  const headers: Record<string, string> = { "Content-Type": JSON_CT };
  if (err.details?.retryAfterSeconds !== undefined) headers["Retry-After"] = String(err.details.retryAfterSeconds);
  return new Response(JSON.stringify(s), { status: err.code, headers });
}

export function errorResponse(e: unknown): Response {
  if (e instanceof ApiError) return statusResponse(e);
  return statusResponse(errors.internal((e as Error)?.message ?? String(e)));
}

/** `Warning: 299 - "text"` headers, de-duplicated. */
export function withWarnings(res: Response, warnings: string[]): Response {
  for (const w of new Set(warnings)) res.headers.append("Warning", `299 - ${JSON.stringify(w)}`);
  return res;
}
