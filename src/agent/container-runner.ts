/**
 * @module agent/container-runner
 * Starting and stopping one container of a pod the way the kubelet does: image per
 * pull policy, environment, mounts (with the termination-message file), create,
 * start, postStart hook; and Killing with the preStop hook inside the grace period,
 * SIGTERM, then SIGKILL. Failures become the waiting reason the status reports
 * (CreateContainerConfigError, CreateContainerError, …) and Warning events.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { KObj } from "../client/client.ts";
import { ContainerConfigError, engineContainerSpec, pullPolicy } from "./container-spec.ts";
import { type AgentContext, fieldPath } from "./context.ts";
import { EnvError, resolveEnv } from "./env.ts";
import { runHook } from "./hooks.ts";
import { containerHash, containerLabels, containerName } from "./names.ts";
import type { ProbeTarget } from "./probes.ts";
import { AlreadyExistsError, type ContainerInfo, ContainerStartError, InvalidSpecError, NotFoundError, RuntimeError } from "./runtime/types.ts";
import type { Waiting } from "./status.ts";
import { containerMounts } from "./volumes/manager.ts";
import type { MountedVolume } from "./volumes/types.ts";

export type PodEvent = (type: "Normal" | "Warning", reason: string, message: string, fieldPath?: string) => void;

export interface StartRequest {
  pod: KObj;
  container: KObj;
  type: "init" | "regular";
  restartCount: number;
  sandbox: { id: string; ip: string };
  volumes: Map<string, MountedVolume>;
  podDir: string;
  event: PodEvent;
}

export interface StartResult {
  /** Set when the container could not be created or started. */
  waiting: Waiting | null;
  /** The engine container, when one was created. */
  info?: ContainerInfo;
}

const MESSAGE_LIMIT = 4096;
/** Limiter priorities: finishing a pod's containers beats starting another pod's sandbox (0). */
export const PRIORITY_CONTAINER = 1;

export function probeTarget(ctx: AgentContext, pod: KObj, container: KObj, containerId: string, podIP: string): ProbeTarget {
  return {
    runtime: ctx.runtime,
    containerId,
    container,
    podIP,
    hostNetwork: pod.spec?.hostNetwork === true,
    pid: async () => (await ctx.runtime.inspectContainer(containerId)).pid,
  };
}

function terminationLogFile(podDir: string, name: string, restartCount: number): string {
  const dir = join(podDir, "containers", name);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const file = join(dir, String(restartCount));
  if (!existsSync(file)) closeSync(openSync(file, "w", 0o666));
  chmodSync(file, 0o666);
  return file;
}

/** The termination message a container left (file first; logs on error if asked). */
export async function terminationMessage(ctx: AgentContext, podDir: string, container: KObj | undefined, info: ContainerInfo, restartCount: number): Promise<string> {
  let msg = "";
  try {
    msg = readFileSync(join(podDir, "containers", container?.name ?? "", String(restartCount)), "utf8").slice(0, MESSAGE_LIMIT);
  } catch {
    /* no file */
  }
  if (!msg && container?.terminationMessagePolicy === "FallbackToLogsOnError" && info.exitCode !== 0) {
    try {
      const text = await new Response(await ctx.runtime.logs(info.id, { tail: 80 })).text();
      msg = text.slice(-2048);
    } catch {
      /* logs gone */
    }
  }
  return msg.trim() ? msg : "";
}

export async function startContainer(ctx: AgentContext, r: StartRequest): Promise<StartResult> {
  const { pod, container } = r;
  const fp = fieldPath(r.type, container.name);
  const ev = (type: "Normal" | "Warning", reason: string, message: string) => r.event(type, reason, message, fp);
  const waiting = await ctx.images.ensure(pod.metadata.uid, container, pullPolicy(container), ev);
  if (waiting) return { waiting };

  let spec;
  try {
    const addresses = { podIPs: r.sandbox.ip ? [r.sandbox.ip] : ctx.hostIPs(), hostIPs: ctx.hostIPs() };
    const { env, invalidNames } = await resolveEnv({ pod, container, addresses, source: ctx.source, allocatable: ctx.allocatable() });
    if (invalidNames.length) ev("Warning", "InvalidEnvironmentVariableNames", `Keys [${invalidNames.join(", ")}] from the EnvFrom were skipped since they are invalid environment variable names.`);
    const mounts = containerMounts(container, r.volumes, new Map(env.map((e) => [e.name, e.value])));
    const termPath: string = container.terminationMessagePath || "/dev/termination-log";
    mounts.push({ hostPath: terminationLogFile(r.podDir, container.name, r.restartCount), containerPath: termPath });
    spec = engineContainerSpec({
      pod,
      container,
      name: containerName(pod.metadata, container.name, r.restartCount),
      sandboxId: r.sandbox.id,
      labels: containerLabels(ctx.nodeName, pod.metadata, { name: container.name, type: r.type, restartCount: r.restartCount, hash: containerHash(container) }),
      env,
      mounts,
    });
  } catch (e) {
    if (e instanceof EnvError || e instanceof ContainerConfigError || (e as Error).name === "VolumeError") {
      ev("Warning", "Failed", `Error: ${(e as Error).message}`);
      return { waiting: { reason: "CreateContainerConfigError", message: (e as Error).message } };
    }
    throw e;
  }

  let id: string;
  const s = ctx.cache.seq();
  try {
    id = await ctx.limiter.run(() => ctx.runtime.createContainer(spec), PRIORITY_CONTAINER);
  } catch (e) {
    if (e instanceof AlreadyExistsError) {
      // Left by an earlier attempt whose result we lost (agent restart mid-create): take it over.
      const found = await ctx.runtime.inspectContainer(spec.name).catch(() => null);
      if (!found || found.labels["io.kubernetes.pod.uid"] !== pod.metadata.uid) {
        ev("Warning", "Failed", `Error: ${(e as Error).message}`);
        return { waiting: { reason: "CreateContainerError", message: (e as Error).message } };
      }
      ctx.cache.putContainer(found, s);
      if (found.state !== "created") return { waiting: null, info: found };
      id = found.id;
    } else if (e instanceof NotFoundError && e.kind === "image") {
      ctx.images.forget(container.image);
      ev("Warning", "Failed", `Error: ${e.message}`);
      return { waiting: { reason: "CreateContainerError", message: e.message } };
    } else if (e instanceof InvalidSpecError || e instanceof RuntimeError) {
      ev("Warning", "Failed", `Error: ${e.message}`);
      return { waiting: { reason: "CreateContainerError", message: e.message } };
    } else throw e;
  }
  ev("Normal", "Created", `Created container ${container.name}`);
  try {
    await ctx.limiter.run(() => ctx.runtime.startContainer(id), PRIORITY_CONTAINER + 1);
  } catch (e) {
    const msg = e instanceof ContainerStartError ? e.engineMessage : (e as Error).message;
    ev("Warning", "Failed", `Error: ${msg}`);
    const info = await ctx.cache.refreshContainer(id).catch(() => null);
    return { waiting: null, info: info ?? undefined };
  }
  ev("Normal", "Started", `Started container ${container.name}`);
  if (container.lifecycle?.postStart) {
    const grace = Number(pod.spec?.terminationGracePeriodSeconds ?? 30);
    const err = await runHook("postStart", pod, container, probeTarget(ctx, pod, container, id, r.sandbox.ip), Math.max(grace, 1) * 1000);
    if (err) {
      ev("Warning", "FailedPostStartHook", err);
      await killContainer(ctx, pod, container, id, r.sandbox.ip, grace, `FailedPostStartHook`, r.event, r.type);
    }
  }
  const info = await ctx.cache.refreshContainer(id);
  return { waiting: null, info: info ?? undefined };
}

/**
 * Stops a container: Killing event, preStop hook within the grace period, then the
 * engine's stop (SIGTERM, SIGKILL when the rest of the grace period is over).
 */
export async function killContainer(
  ctx: AgentContext,
  pod: KObj,
  container: KObj | undefined,
  id: string,
  podIP: string,
  graceSeconds: number,
  message: string,
  event: PodEvent,
  type: "init" | "regular" = "regular",
): Promise<void> {
  const started = Date.now();
  const name = container?.name ?? "";
  if (container) event("Normal", "Killing", message, fieldPath(type, name));
  if (container?.lifecycle?.preStop && graceSeconds > 0) {
    const err = await runHook("preStop", pod, container, probeTarget(ctx, pod, container, id, podIP), graceSeconds * 1000);
    if (err) event("Warning", "FailedPreStopHook", err, fieldPath(type, name));
  }
  const left = Math.max(0, graceSeconds - (Date.now() - started) / 1000);
  try {
    await ctx.runtime.stopContainer(id, Math.floor(left));
  } catch (e) {
    if (!(e instanceof NotFoundError)) {
      // Could not stop it gracefully: make sure it is gone.
      await ctx.runtime.removeContainer(id).catch(() => {});
    }
  }
  await ctx.cache.refreshContainer(id).catch(() => null);
}
