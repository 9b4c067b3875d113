/**
 * @module controllers/framework/leader-election
 * Lease-based leader election (coordination.k8s.io/v1 Lease), as client-go's
 * leaderelection: the holder renews every `retryMs`; others take over once the lease has
 * not been renewed for `leaseDurationSeconds`. Compare-and-swap on resourceVersion keeps
 * two servers from both winning.
 */
import { isAlreadyExists, isConflict, isNotFound, type KubeClient } from "../../client/client.ts";
import { R } from "../../client/resources.ts";
import { rfc3339Micro } from "../../api/registry/objects.ts";
import { logger } from "../../util/log.ts";

export interface LeaderElectionOptions {
  name: string;
  namespace?: string;
  identity: string;
  leaseDurationSeconds?: number;
  retryMs?: number;
  onStartedLeading(): void;
  onStoppedLeading(): void;
}

export class LeaderElector {
  private timer?: ReturnType<typeof setTimeout>;
  private leading = false;
  private stopped = false;
  private lastRenew = 0;
  private readonly log = logger("leader-election");

  constructor(
    private readonly client: KubeClient,
    private readonly opts: LeaderElectionOptions,
  ) {}

  isLeader() {
    return this.leading;
  }

  start() {
    void this.tick();
  }

  /** Stop; a leader releases the lease so another server takes over at once. */
  async stop() {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.leading) {
      this.setLeading(false);
      try {
        const lease = await this.client.get(R.leases, this.ns(), this.opts.name);
        if (lease.spec?.holderIdentity === this.opts.identity) {
          lease.spec.holderIdentity = null;
          lease.spec.leaseDurationSeconds = 1;
          await this.client.update(R.leases, this.ns(), lease);
        }
      } catch {
        /* best effort */
      }
    }
  }

  private ns() {
    return this.opts.namespace ?? "kube-system";
  }

  private setLeading(v: boolean) {
    if (v === this.leading) return;
    this.leading = v;
    this.log.info(v ? "became leader" : "lost leadership", { lease: this.opts.name, identity: this.opts.identity });
    if (v) this.opts.onStartedLeading();
    else this.opts.onStoppedLeading();
  }

  private async tick() {
    if (this.stopped) return;
    const duration = this.opts.leaseDurationSeconds ?? 15;
    try {
      const ok = await this.tryAcquireOrRenew(duration);
      if (ok) this.lastRenew = Date.now();
      this.setLeading(ok);
    } catch (e) {
      this.log.debug("lease update failed", { error: e as Error });
      // Keep leading only while the last renewal is fresh enough.
      if (this.leading && Date.now() - this.lastRenew > duration * 1000 * 0.66) this.setLeading(false);
    }
    if (!this.stopped) this.timer = setTimeout(() => void this.tick(), this.opts.retryMs ?? 2000);
  }

  private async tryAcquireOrRenew(duration: number): Promise<boolean> {
    const now = new Date();
    const id = this.opts.identity;
    let lease;
    try {
      lease = await this.client.get(R.leases, this.ns(), this.opts.name);
    } catch (e) {
      if (!isNotFound(e)) throw e;
      try {
        await this.client.create(R.leases, this.ns(), {
          apiVersion: "coordination.k8s.io/v1",
          kind: "Lease",
          metadata: { name: this.opts.name, namespace: this.ns() },
          spec: { holderIdentity: id, leaseDurationSeconds: duration, acquireTime: rfc3339Micro(now), renewTime: rfc3339Micro(now), leaseTransitions: 0 },
        });
        return true;
      } catch (e2) {
        if (isAlreadyExists(e2)) return false;
        throw e2;
      }
    }
    const spec = (lease.spec ??= {});
    const renew = spec.renewTime ? Date.parse(spec.renewTime) : 0;
    const expired = !spec.holderIdentity || renew + (spec.leaseDurationSeconds ?? duration) * 1000 < now.getTime();
    if (spec.holderIdentity !== id && !expired) return false;
    if (spec.holderIdentity !== id) {
      spec.acquireTime = rfc3339Micro(now);
      spec.leaseTransitions = (spec.leaseTransitions ?? 0) + 1;
    }
    spec.holderIdentity = id;
    spec.leaseDurationSeconds = duration;
    spec.renewTime = rfc3339Micro(now);
    try {
      await this.client.update(R.leases, this.ns(), lease);
      return true;
    } catch (e) {
      if (isConflict(e)) return false;
      throw e;
    }
  }
}
