/**
 * @module controllers/cluster/api-errors
 * Recognising API errors the cluster controllers treat as "nothing to do".
 */
import { KubeApiError } from "../../client/client.ts";

/** 403 from creating content in a namespace that is being deleted. */
export function isNamespaceTerminating(e: unknown): boolean {
  if (!(e instanceof KubeApiError) || e.code !== 403) return false;
  const causes = (e.status?.details?.causes ?? []) as { reason?: string }[];
  return causes.some((c) => c.reason === "NamespaceTerminating") || /because it is being terminated/.test(e.message);
}

export function isGone(e: unknown): boolean {
  return e instanceof KubeApiError && (e.code === 404 || e.code === 410);
}
