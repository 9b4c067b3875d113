/**
 * @module agent/pod-manager
 * The pods bound to this node: one PodWorker per pod UID, fed by the pod informer
 * (fieldSelector spec.nodeName=<node>) and woken by the runtime cache when the
 * engine changes under a pod. Once both the informer and the engine listing are in
 * sync, anything on the engine that belongs to no known pod (an orphan, e.g. a pod
 * deleted while the agent was down) is removed.
 */
import type { KObj } from "../client/client.ts";
import type { Informer } from "../client/informer.ts";
import { logger } from "../util/log.ts";
import type { AgentContext } from "./context.ts";
import { removeOrphan } from "./pod-kill.ts";
import { PodWorker } from "./pod-worker.ts";

const log = logger("agent/pods");

export class PodManager {
  readonly workers = new Map<string, PodWorker>();
  private readonly finished = new Set<string>();
  private readonly gcRunning = new Set<string>();
  private stopped = false;

  constructor(
    private readonly ctx: AgentContext,
    private readonly informer: Informer,
  ) {}

  start(): void {
    this.informer.addHandlers({
      add: (p) => this.upsert(p),
      update: (_o, p) => this.upsert(p),
      delete: (p) => this.workers.get(p.metadata?.uid)?.remove(),
    });
  }

  stop(): void {
    this.stopped = true;
    for (const w of this.workers.values()) w.stop();
  }

  private upsert(pod: KObj): void {
    if (this.stopped || pod.spec?.nodeName !== this.ctx.nodeName) return;
    const uid: string = pod.metadata?.uid;
    if (!uid || this.finished.has(uid)) return;
    let w = this.workers.get(uid);
    if (!w) {
      w = new PodWorker(this.ctx, pod, (u) => this.onFinished(u));
      this.workers.set(uid, w);
      w.request();
    } else w.update(pod);
  }

  private onFinished(uid: string): void {
    this.workers.delete(uid);
    this.finished.add(uid);
    if (this.finished.size > 10_000) this.finished.clear();
  }

  /** The engine changed under a pod. */
  podChanged(uid: string): void {
    this.workers.get(uid)?.request();
  }

  /** Wakes every worker (periodic resync). */
  resyncAll(): void {
    for (const w of this.workers.values()) w.request();
  }

  /** Removes engine objects of pods this node no longer has (after both caches are in sync). */
  async collectOrphans(): Promise<void> {
    if (this.stopped || !this.informer.hasSynced() || !this.ctx.cache.synced) return;
    for (const uid of this.ctx.cache.uids()) {
      if (this.workers.has(uid) || this.gcRunning.has(uid)) continue;
      if (this.informer.list((p) => p.metadata?.uid === uid).length > 0) continue;
      this.gcRunning.add(uid);
      log.info("removing containers of a pod that is gone", { uid });
      try {
        await removeOrphan(this.ctx, uid, this.ctx.podsDir);
      } catch (e) {
        log.warn("orphan removal failed", { uid, error: e as Error });
      } finally {
        this.gcRunning.delete(uid);
      }
    }
  }

  /** The worker of a pod by namespace/name (for the streaming side and tests). */
  find(namespace: string, name: string): PodWorker | undefined {
    for (const w of this.workers.values()) if (w.pod.metadata.namespace === namespace && w.pod.metadata.name === name) return w;
    return undefined;
  }

  /** Probe targets are resolved through the pod's worker. */
  target(uid: string, container: string) {
    return this.workers.get(uid)?.target(container) ?? null;
  }
}
