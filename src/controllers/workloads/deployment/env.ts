/**
 * @module controllers/workloads/deployment/env
 * What one Deployment sync may use (API client, events, the ReplicaSet cache, clock,
 * re-queueing), and its writes: ReplicaSet updates and Deployment status updates that
 * keep the in-memory copy's resourceVersion current so one sync can write twice.
 */
import type { KObj, KubeClient } from "../../../client/client.ts";
import type { EventRecorder } from "../../../client/events.ts";
import { R } from "../../../client/resources.ts";
import { REVISION } from "./util.ts";

export interface DeploymentEnv {
  client: KubeClient;
  recorder: EventRecorder;
  now(): number;
  cachedReplicaSet(namespace: string, name: string): KObj | undefined;
  requeueAfter(d: KObj, ms: number): void;
  requeueRateLimited(d: KObj): void;
}

export function updateReplicaSet(env: DeploymentEnv, rs: KObj): Promise<KObj> {
  return env.client.update(R.replicasets, rs.metadata.namespace, rs);
}

/**
 * PUT the Deployment's status (and the revision annotation, which upstream also writes
 * through the status subresource; when the server keeps annotations out of status
 * writes, a metadata patch with the same resourceVersion precondition follows).
 */
export async function updateDeploymentStatus(env: DeploymentEnv, d: KObj): Promise<void> {
  const ns = d.metadata.namespace;
  const res = await env.client.updateStatus(R.deployments, ns, d);
  d.metadata.resourceVersion = res.metadata.resourceVersion;
  const want = d.metadata.annotations?.[REVISION];
  if (want !== undefined && res.metadata.annotations?.[REVISION] !== want) {
    const p = await env.client.patch(R.deployments, ns, d.metadata.name, { metadata: { annotations: { [REVISION]: want }, resourceVersion: d.metadata.resourceVersion } });
    d.metadata.resourceVersion = p.metadata.resourceVersion;
    // Annotation changes bump a Deployment's generation; the spec acted on is unchanged.
    d.metadata.generation = p.metadata.generation;
  }
}
