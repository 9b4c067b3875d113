/**
 * @module controllers/workloads/util/pod-control
 * Creating and deleting pods on behalf of an owner, with upstream's Events on the owner:
 * SuccessfulCreate "Created pod: x" / FailedCreate "Error creating: ..." and
 * SuccessfulDelete "Deleted pod: x" / FailedDelete "Error deleting: ...".
 */
import { KubeApiError, isNotFound, type KObj, type KubeClient } from "../../../client/client.ts";
import type { EventRecorder } from "../../../client/events.ts";
import { R } from "../../../client/resources.ts";

/** A create refused because the namespace is being deleted (nothing to retry). */
export function isNamespaceTerminating(e: unknown): boolean {
  return e instanceof KubeApiError && e.code === 403 && /being terminated|NamespaceTerminating/i.test(`${e.message} ${JSON.stringify(e.status?.details ?? {})}`);
}

export class PodControl {
  constructor(
    private readonly client: KubeClient,
    private readonly recorder: EventRecorder,
  ) {}

  async create(owner: KObj, pod: KObj): Promise<KObj> {
    try {
      const created = await this.client.create(R.pods, pod.metadata.namespace, pod);
      this.recorder.event(owner, "Normal", "SuccessfulCreate", `Created pod: ${created.metadata.name}`);
      return created;
    } catch (e) {
      this.recorder.event(owner, "Warning", "FailedCreate", `Error creating: ${(e as Error).message}`);
      throw e;
    }
  }

  /** Delete a pod; a pod already gone counts as deleted (returns false). */
  async delete(owner: KObj, pod: KObj): Promise<boolean> {
    try {
      await this.client.delete(R.pods, pod.metadata.namespace, pod.metadata.name);
      this.recorder.event(owner, "Normal", "SuccessfulDelete", `Deleted pod: ${pod.metadata.name}`);
      return true;
    } catch (e) {
      if (isNotFound(e)) return false;
      this.recorder.event(owner, "Warning", "FailedDelete", `Error deleting: ${(e as Error).message}`);
      throw e;
    }
  }
}
