/**
 * @module controllers/cluster
 * Cluster-wide controllers: endpoints, node lifecycle, namespaces, garbage collection,
 * service accounts, local-path storage.
 */
import type { Controller } from "../types.ts";
import { EndpointsController } from "./endpoints.ts";
import { EndpointSliceController } from "./endpointslices.ts";

export function clusterControllers(): (() => Controller)[] {
  return [() => new EndpointsController(), () => new EndpointSliceController()];
}
