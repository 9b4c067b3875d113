/**
 * @module controllers/cluster
 * Cluster-wide controllers: endpoints, node lifecycle, namespaces, garbage collection,
 * service accounts, local-path storage, disruption budgets.
 */
import type { Controller } from "../types.ts";
import { EndpointsController } from "./endpoints.ts";
import { EndpointSliceController } from "./endpointslices.ts";
import { EndpointSliceMirroringController } from "./endpointslice-mirroring.ts";
import { NamespaceController } from "./namespace.ts";
import { ServiceAccountsController } from "./serviceaccounts.ts";
import { RootCAPublisher } from "./root-ca-publisher.ts";
import { GarbageCollector } from "./gc/garbage-collector.ts";
import { NodeLifecycleController } from "./node-lifecycle.ts";
import { TaintEvictionController } from "./taint-eviction.ts";
import { PodGCController } from "./pod-gc.ts";
import { LocalPathProvisioner } from "./local-path-provisioner.ts";
import { DisruptionController } from "./disruption.ts";

export function clusterControllers(): (() => Controller)[] {
  return [
    () => new EndpointsController(),
    () => new EndpointSliceController(),
    () => new EndpointSliceMirroringController(),
    () => new NamespaceController(),
    () => new ServiceAccountsController(),
    () => new RootCAPublisher(),
    () => new GarbageCollector(),
    () => new NodeLifecycleController(),
    () => new TaintEvictionController(),
    () => new PodGCController(),
    () => new LocalPathProvisioner(),
    () => new DisruptionController(),
  ];
}
