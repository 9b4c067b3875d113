/**
 * @module agent/streaming/resolve
 * Turns a stream request into the runtime container to use, with the kubelet's error
 * wording when there is none. The server passes the container id from the pod's status
 * when it has one (the kubelet's own source of truth); otherwise labels decide.
 */
import type { ContainerInfo } from "../runtime/types.ts";
import type { RemoteStatus, StreamRequest } from "../../tunnel/types.ts";
import type { PodLocator } from "./locator.ts";

/** A request that cannot be served; `status` goes back to the client as a Kubernetes Status. */
export class StreamRequestError extends Error {
  override name = "StreamRequestError";
  constructor(readonly status: RemoteStatus) {
    super(status.message);
  }
}

export const badRequest = (message: string) => new StreamRequestError({ code: 400, reason: "BadRequest", message });
export const notFound = (message: string) => new StreamRequestError({ code: 404, reason: "NotFound", message });

/** The container instance a log/exec/attach request refers to. */
export async function resolveContainer(req: StreamRequest, locator: PodLocator, opts: { previous?: boolean } = {}): Promise<ContainerInfo> {
  const name = req.container ?? "";
  const podName = req.pod.name;
  if (req.containerId) {
    const c = await locator.containerById(req.pod, req.containerId);
    if (!c) throw notFound(`container not found ("${name}")`);
    return c;
  }
  const inst = await locator.container(req.pod, name);
  if (opts.previous) {
    if (!inst.previous) throw badRequest(`previous terminated container "${name}" in pod "${podName}" not found`);
    return inst.previous;
  }
  if (!inst.current) throw badRequest(`container "${name}" in pod "${podName}" is not available`);
  return inst.current;
}

/** Any failure → the status sent back (typed errors keep theirs, the rest are 500s). */
export function toRemoteStatus(e: unknown): RemoteStatus {
  if (e instanceof StreamRequestError) return e.status;
  const err = e as Error;
  if (err?.name === "NotFoundError") return { code: 404, reason: "NotFound", message: err.message };
  if (err?.name === "ContainerNotRunningError") return { code: 400, reason: "BadRequest", message: err.message };
  return { code: 500, reason: "InternalError", message: err?.message ?? String(e) };
}
