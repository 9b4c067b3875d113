/**
 * @module agent/heartbeat
 * The node's heartbeat: a coordination.k8s.io Lease named after the node in
 * kube-node-lease, owned by the Node, renewed every 10 s (leaseDurationSeconds 40), as
 * the kubelet's node lease controller does. Failures are retried at the next tick
 * (faster while failing) and never throw.
 */
import { isConflict, isNotFound, type KObj, type KubeClient } from "../client/client.ts";
import { R } from "../client/resources.ts";
import { rfc3339Micro } from "../api/registry/objects.ts";
import { logger } from "../util/log.ts";

const log = logger("agent/heartbeat");
export const LEASE_NAMESPACE = "kube-node-lease";

export interface HeartbeatOptions {
  intervalMs?: number;
  leaseDurationSeconds?: number;
  /** The Node's uid, for the owner reference (read lazily: the node may be re-created). */
  nodeUid(): string | undefined;
}

export class Heartbeat {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private lease: KObj | null = null;
  private stopped = false;
  /** Epoch ms of the last successful renewal (0 before the first). */
  lastRenew = 0;

  constructor(
    private readonly client: KubeClient,
    private readonly nodeName: string,
    private readonly opts: HeartbeatOptions,
  ) {}

  start(): void {
    void this.tick();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(ms: number) {
    if (!this.stopped) this.timer = setTimeout(() => void this.tick(), ms);
  }

  private desired(base: KObj | null): KObj {
    const uid = this.opts.nodeUid();
    const lease: KObj = base ? structuredClone(base) : { apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name: this.nodeName, namespace: LEASE_NAMESPACE }, spec: {} };
    lease.spec = { ...lease.spec, holderIdentity: this.nodeName, leaseDurationSeconds: this.opts.leaseDurationSeconds ?? 40, renewTime: rfc3339Micro(new Date()) };
    if (uid && !(lease.metadata.ownerReferences ?? []).some((o: KObj) => o.uid === uid)) {
      lease.metadata.ownerReferences = [{ apiVersion: "v1", kind: "Node", name: this.nodeName, uid }];
    }
    return lease;
  }

  /** One renewal; resolves true when the lease was written. */
  async renew(): Promise<boolean> {
    try {
      if (!this.lease) this.lease = await this.client.getOrNull(R.leases, LEASE_NAMESPACE, this.nodeName);
      this.lease = this.lease ? await this.client.update(R.leases, LEASE_NAMESPACE, this.desired(this.lease)) : await this.client.create(R.leases, LEASE_NAMESPACE, this.desired(null));
      this.lastRenew = Date.now();
      return true;
    } catch (e) {
      if (isConflict(e) || isNotFound(e)) this.lease = null; // re-read next time
      log.warn("lease renewal failed", { node: this.nodeName, error: e as Error });
      return false;
    }
  }

  private async tick() {
    if (this.stopped) return;
    const ok = await this.renew();
    const every = this.opts.intervalMs ?? 10_000;
    this.schedule(ok ? every : Math.min(every, 1000));
  }
}
