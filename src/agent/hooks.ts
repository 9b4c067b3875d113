/**
 * @module agent/hooks
 * Container lifecycle hooks (postStart, preStop): exec, httpGet, tcpSocket (deprecated
 * but accepted) and sleep handlers, run through the probe actions with a deadline.
 * Resolves null on success, else the kubelet-style failure message.
 */
import type { KObj } from "../client/client.ts";
import { type ProbeTarget, runAction } from "./probes.ts";

export type HookKind = "postStart" | "preStop";

export function hookOf(container: KObj, kind: HookKind): KObj | undefined {
  return container.lifecycle?.[kind] ?? undefined;
}

export async function runHook(kind: HookKind, pod: KObj, container: KObj, target: ProbeTarget, timeoutMs: number): Promise<string | null> {
  const h = hookOf(container, kind);
  if (!h) return null;
  const out = await runAction(h, target, Math.max(1, timeoutMs));
  if (out.status === "success") return null;
  const where = `for Container "${container.name}" in Pod "${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})"`;
  if (h.exec) return `Exec lifecycle hook (${JSON.stringify(h.exec.command ?? [])}) ${where} failed - error: ${out.message}`;
  if (h.httpGet) return `HTTP lifecycle hook (${h.httpGet.path ?? "/"}) ${where} failed - error: ${out.message}`;
  return `${kind} hook ${where} failed - error: ${out.message}`;
}
