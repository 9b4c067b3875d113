/**
 * @module agent/pod-kill
 * Ends a pod on this node: stops probes, runs each running container's preStop hook
 * and stops it within the grace period (deletionGracePeriodSeconds, else the pod's
 * terminationGracePeriodSeconds, counted from when the agent first saw the deletion),
 * removes the sandbox and every container, the pod's directory and its per-pod state,
 * then confirms the deletion with DELETE gracePeriodSeconds=0 and a uid precondition
 * so the API server removes the object.
 */
import { isConflict, isNotFound, type KObj } from "../client/client.ts";
import { R } from "../client/resources.ts";
import { logger } from "../util/log.ts";
import { killContainer, type PodEvent } from "./container-runner.ts";
import type { AgentContext } from "./context.ts";
import { LABELS } from "./runtime/types.ts";
import { removePodDir } from "./volumes/manager.ts";

const log = logger("agent/pod-kill");

/** When the agent first saw each pod's deletion (uid → epoch ms). */
const deletionSeen = new Map<string, number>();

export function graceSeconds(pod: KObj): number {
  const g = pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
  return Math.max(0, Number(g));
}

export async function killPod(ctx: AgentContext, pod: KObj, opts: { podDir: string; removed: boolean; event: PodEvent }): Promise<void> {
  const uid: string = pod.metadata.uid;
  if (!deletionSeen.has(uid)) deletionSeen.set(uid, Date.now());
  const deadline = deletionSeen.get(uid)! + graceSeconds(pod) * 1000;
  ctx.prober.stopPod(uid);
  const state = ctx.cache.pod(uid);
  const specs = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])] as KObj[];
  const ip = state.sandboxes.find((s) => s.state === "ready")?.ip ?? "";
  const left = () => Math.max(0, (deadline - Date.now()) / 1000);
  await Promise.all(
    state.containers
      .filter((c) => c.state === "running")
      .map((c) => {
        const spec = specs.find((s) => s.name === c.labels[LABELS.containerName]);
        const type = (pod.spec?.initContainers ?? []).some((s: KObj) => s.name === spec?.name) ? "init" : "regular";
        return killContainer(ctx, pod, spec, c.id, ip, left(), `Stopping container ${spec?.name ?? c.name}`, opts.event, type).catch((e) =>
          log.warn("stopping a container failed", { id: c.id, error: e as Error }),
        );
      }),
  );
  const seq = ctx.cache.seq();
  for (const s of state.sandboxes) {
    await ctx.runtime.removeSandbox(s.id).catch((e) => log.warn("removing a sandbox failed", { id: s.id, error: e as Error }));
    ctx.cache.dropSandbox(s.id, seq);
  }
  for (const c of ctx.cache.pod(uid).containers) {
    await ctx.runtime.removeContainer(c.id).catch((e) => log.warn("removing a container failed", { id: c.id, error: e as Error }));
    ctx.cache.dropContainer(c.id, seq);
  }
  await removePodDir(opts.podDir).catch((e) => log.warn("removing the pod directory failed", { dir: opts.podDir, error: e as Error }));
  ctx.tokens.forget(uid);
  ctx.backoff.resetPrefix(`${uid}/`);
  ctx.images.forgetPod(uid);
  if (!opts.removed) {
    try {
      await ctx.client.delete(R.pods, pod.metadata.namespace, pod.metadata.name, { gracePeriodSeconds: 0, preconditions: { uid } });
    } catch (e) {
      // Gone already, or a new pod of the same name (uid precondition failed): nothing to confirm.
      if (!isNotFound(e) && !isConflict(e)) throw e;
    }
  }
  deletionSeen.delete(uid);
}

/** Removes what a pod that no longer exists left on the engine (orphans after an agent restart). */
export async function removeOrphan(ctx: AgentContext, uid: string, podsDir: string): Promise<void> {
  const state = ctx.cache.pod(uid);
  const seq = ctx.cache.seq();
  for (const s of state.sandboxes) {
    await ctx.runtime.removeSandbox(s.id).catch((e) => log.warn("removing an orphaned sandbox failed", { id: s.id, error: e as Error }));
    ctx.cache.dropSandbox(s.id, seq);
  }
  for (const c of state.containers) {
    await ctx.runtime.removeContainer(c.id).catch((e) => log.warn("removing an orphaned container failed", { id: c.id, error: e as Error }));
    ctx.cache.dropContainer(c.id, seq);
  }
  await removePodDir(`${podsDir}/${uid}`).catch(() => {});
}
