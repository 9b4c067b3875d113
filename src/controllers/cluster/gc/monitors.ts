/**
 * @module controllers/cluster/gc/monitors
 * One metadata-only informer per monitored kind (list+watch with
 * `Accept: ...;as=PartialObjectMetadataList`, so caches hold metadata, not whole objects),
 * re-synced to the set of served kinds when discovery changes: CRDs added later are
 * watched, kinds no longer served are dropped and their objects reported as deleted.
 */
import { KubeClient, type FetchFn, type KObj } from "../../../client/client.ts";
import { Informer } from "../../../client/informer.ts";
import { hasVerbs, type ServedResource } from "../served-resources.ts";

const PARTIAL = "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io,application/json";

/** A client whose reads return PartialObjectMetadata(List) instead of whole objects. */
export function metadataClient(client: KubeClient): KubeClient {
  const base: FetchFn = client.opts.fetch ?? fetch;
  const f: FetchFn = (input, init) => {
    const headers = new Headers(init?.headers);
    headers.set("Accept", PARTIAL);
    return base(input, { ...init, headers });
  };
  return new KubeClient({ ...client.opts, fetch: f });
}

/** Kinds the collector watches: listable, watchable, deletable; events are never owners or dependents worth tracking. */
export function monitorable(r: ServedResource): boolean {
  if (r.resource === "events" && (r.group === "" || r.group === "events.k8s.io")) return false;
  return hasVerbs(r, "list", "watch", "delete");
}

export interface MonitorEvents {
  upsert(r: ServedResource, obj: KObj): void;
  remove(r: ServedResource, obj: KObj): void;
}

export class Monitors {
  private informers = new Map<string, { r: ServedResource; inf: Informer }>();
  private started = false;

  constructor(
    private readonly client: KubeClient,
    private readonly events: MonitorEvents,
  ) {}

  resources(): ServedResource[] {
    return [...this.informers.values()].map((m) => m.r);
  }

  /** Bring the set of informers in line with what is served. Returns whether it changed. */
  sync(served: ServedResource[]): boolean {
    const want = new Map(served.filter(monitorable).map((r) => [`${r.group}/${r.resource}`, r]));
    let changed = false;
    for (const [k, m] of this.informers) {
      const w = want.get(k);
      if (w && w.version === m.r.version && w.namespaced === m.r.namespaced) continue;
      m.inf.stop();
      this.informers.delete(k);
      changed = true;
      // A kind that is gone took its objects with it; one whose version changed is re-listed below.
      if (!w) for (const o of m.inf.store.values()) this.events.remove(m.r, o);
    }
    for (const [k, r] of want) {
      if (this.informers.has(k)) continue;
      const inf = new Informer(this.client, r, { retryMs: 2000 });
      inf.addHandlers({
        add: (o) => this.events.upsert(r, o),
        update: (_a, b) => this.events.upsert(r, b),
        delete: (o) => this.events.remove(r, o),
      });
      this.informers.set(k, { r, inf });
      if (this.started) inf.start();
      changed = true;
    }
    return changed;
  }

  start() {
    this.started = true;
    for (const m of this.informers.values()) m.inf.start();
  }

  async waitForSync() {
    await Promise.all([...this.informers.values()].map((m) => m.inf.waitForSync()));
  }

  stop() {
    this.started = false;
    for (const m of this.informers.values()) m.inf.stop();
  }
}
