/**
 * @module controllers/cluster
 * Cluster-wide controllers: endpoints, node lifecycle, namespaces, garbage collection,
 * service accounts, local-path storage.
 */
import type { Controller } from "../types.ts";

export function clusterControllers(): (() => Controller)[] {
  return [];
}
