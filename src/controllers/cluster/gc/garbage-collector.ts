/**
 * @module controllers/cluster/gc/garbage-collector
 * The garbage collector (upstream's, in one process): cascading deletion by
 * ownerReferences across every served kind, CRDs included.
 * - background: an object whose owners are all gone (checked by UID with a live read,
 *   never trusted from a cache) is deleted;
 * - foreground: an owner being deleted with the `foregroundDeletion` finalizer has its
 *   dependents deleted first, and loses the finalizer once no dependent with
 *   blockOwnerDeletion=true remains;
 * - orphan: an owner being deleted with the `orphan` finalizer has its reference removed
 *   from every dependent, then loses the finalizer.
 * Work is driven by events from metadata-only informers through the owner graph; the
 * queue is keyed by UID.
 */
import { isNotFound, KubeApiError, type KObj, type KubeClient } from "../../../client/client.ts";
import type { EventRecorder } from "../../../client/events.ts";
import { R, resourcePath } from "../../../client/resources.ts";
import { logger } from "../../../util/log.ts";
import type { Controller, ControllerContext } from "../../types.ts";
import { discoverResources, ResourceIndex, type ServedResource } from "../served-resources.ts";
import { Worker } from "../worker.ts";
import { deletingDependents, FOREGROUND_FINALIZER, nodeOf, orphaning, ORPHAN_FINALIZER, OwnerGraph, type GraphNode, type OwnerRef } from "./graph.ts";
import { metadataClient, Monitors } from "./monitors.ts";

const log = logger("garbage-collector");

export interface GarbageCollectorOptions {
  /** How often discovery is re-read for new or removed kinds (ms, default 30 s). */
  rediscoverMs?: number;
  workers?: number;
}

type OwnerState = { state: "absent" } | { state: "unknown" } | { state: "present"; deleting: boolean; finalizers: string[] };

export class GarbageCollector implements Controller {
  readonly name = "garbage-collector";
  readonly graph = new OwnerGraph();
  private worker?: Worker;
  private client!: KubeClient;
  private meta!: KubeClient;
  private recorder!: EventRecorder;
  private monitors!: Monitors;
  private index = new ResourceIndex([]);
  private absent = new Set<string>();
  private ready = false;
  private stopped = false;
  private rediscoverTimer?: ReturnType<typeof setTimeout>;

  constructor(private readonly opts: GarbageCollectorOptions = {}) {}

  start(ctx: ControllerContext) {
    this.client = ctx.client;
    this.meta = metadataClient(ctx.client);
    this.recorder = ctx.recorder("garbage-collector-controller");
    this.monitors = new Monitors(this.meta, {
      upsert: (r, o) => this.onUpsert(nodeOf(r, o)),
      remove: (r, o) => this.onRemove(nodeOf(r, o)),
    });
    // New CRDs become served kinds: look again soon after one changes.
    ctx.informers.for(R.customresourcedefinitions).addHandlers({ add: () => this.rediscoverSoon(), update: () => this.rediscoverSoon(), delete: () => this.rediscoverSoon() });
    this.worker = new Worker({
      informers: [],
      ready: () => this.initialSync(),
      onSynced: () => this.scanAll(),
      handler: (uid) => this.process(uid),
      log,
      workers: this.opts.workers ?? 2,
      tick: () => this.rediscover(),
      tickMs: this.opts.rediscoverMs ?? 30_000,
    });
    this.worker.start();
  }

  async stop() {
    this.stopped = true;
    if (this.rediscoverTimer) clearTimeout(this.rediscoverTimer);
    await this.worker?.stop();
    this.monitors?.stop();
  }

  // ---- discovery and caches ------------------------------------------------------------

  private async initialSync() {
    for (let delay = 500; !this.stopped; delay = Math.min(delay * 2, 10_000)) {
      try {
        const served = await discoverResources(this.client);
        this.index = new ResourceIndex(served);
        this.monitors.sync(served);
        break;
      } catch (e) {
        log.warn("discovery failed, retrying", { error: e as Error });
        await Bun.sleep(delay);
      }
    }
    this.monitors.start();
    // A kind whose list keeps failing must not hold up collection of all the others.
    await Promise.race([this.monitors.waitForSync(), Bun.sleep(30_000)]);
    this.ready = true;
    log.info("garbage collector synced", { kinds: this.monitors.resources().length, objects: this.graph.size });
  }

  private rediscoverSoon() {
    if (!this.ready || this.stopped) return;
    if (this.rediscoverTimer) clearTimeout(this.rediscoverTimer);
    // Twice: a CRD's kind is served once it is Established, a moment after the CRD event.
    this.rediscoverTimer = setTimeout(() => {
      void this.rediscover().then(() => {
        this.rediscoverTimer = setTimeout(() => void this.rediscover(), 2000);
      });
    }, 300);
  }

  private async rediscover() {
    if (this.stopped) return;
    try {
      const served = await discoverResources(this.client);
      this.index = new ResourceIndex(served);
      if (this.monitors.sync(served)) log.info("monitored kinds changed", { kinds: this.monitors.resources().length });
    } catch (e) {
      log.warn("rediscovery failed", { error: e as Error });
    }
  }

  // ---- graph events ----------------------------------------------------------------------

  private enqueue(uid: string) {
    this.worker?.queue.add(uid);
  }

  private onUpsert(n: GraphNode) {
    if (!n.uid) return;
    const prev = this.graph.upsert(n);
    if (!this.ready) return;
    if (orphaning(n) || deletingDependents(n)) {
      if (!prev || !prev.deleting || prev.finalizers.join() !== n.finalizers.join()) this.enqueue(n.uid);
    }
    // A dependent whose owner is unknown (maybe gone) or is deleting its dependents.
    if (n.owners.some((r) => !this.graph.has(r.uid) || deletingDependents(this.graph.get(r.uid)))) this.enqueue(n.uid);
    // Owners this object stopped blocking may now finish a foreground deletion.
    if (prev) {
      for (const r of prev.owners) {
        if (!r.blockOwnerDeletion) continue;
        if (n.owners.some((x) => x.uid === r.uid && x.blockOwnerDeletion)) continue;
        if (deletingDependents(this.graph.get(r.uid))) this.enqueue(r.uid);
      }
    }
  }

  private onRemove(n: GraphNode) {
    if (!n.uid) return;
    this.graph.remove(n.uid);
    if (!this.ready) return;
    for (const d of this.graph.dependentsOf(n.uid)) this.enqueue(d.uid);
    for (const r of n.owners) if (this.graph.get(r.uid)?.deleting) this.enqueue(r.uid);
  }

  private scanAll() {
    for (const n of this.graph.all()) {
      if (orphaning(n) || deletingDependents(n)) this.enqueue(n.uid);
      else if (n.owners.some((r) => !this.graph.has(r.uid) || deletingDependents(this.graph.get(r.uid)))) this.enqueue(n.uid);
    }
  }

  // ---- processing ----------------------------------------------------------------------

  private async process(uid: string) {
    const n = this.graph.get(uid);
    if (!n) return;
    if (n.deleting) {
      if (orphaning(n)) await this.orphanDependents(n);
      else if (deletingDependents(n)) await this.deleteDependentsFirst(n);
      return;
    }
    await this.attemptToDelete(n);
  }

  private path(n: Pick<GraphNode, "resource" | "namespace" | "name">) {
    return resourcePath(n.resource, n.namespace, n.name);
  }

  /** The object's current metadata, or null if it is gone or was replaced (other UID). */
  private async latest(n: GraphNode): Promise<KObj | null> {
    try {
      const o = await this.meta.json("GET", this.path(n));
      return o.metadata?.uid === n.uid ? o : null;
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  }

  private async ownerState(ref: OwnerRef, dependent: GraphNode): Promise<OwnerState> {
    if (this.absent.has(ref.uid)) return { state: "absent" };
    const r = this.index.forKind(ref.apiVersion, ref.kind);
    if (!r) return { state: "unknown" };
    if (r.namespaced && !dependent.namespace) {
      // A cluster-scoped object cannot be owned by a namespaced one: the reference is void.
      this.recorder.event({ kind: dependent.resource.kind, apiVersion: apiVersionOf(dependent.resource), metadata: { name: dependent.name, uid: dependent.uid } }, "Warning", "OwnerRefInvalidNamespace", `ownerRef [${ref.apiVersion}/${ref.kind}, namespace: , name: ${ref.name}, uid: ${ref.uid}] does not exist in namespace ""`);
      return { state: "absent" };
    }
    const ns = r.namespaced ? dependent.namespace : undefined;
    const cached = this.graph.get(ref.uid);
    if (cached && cached.namespace === ns && cached.resource.group === r.group && cached.resource.resource === r.resource) {
      return { state: "present", deleting: cached.deleting, finalizers: cached.finalizers };
    }
    let o: KObj;
    try {
      o = await this.meta.json("GET", resourcePath(r, ns, ref.name));
    } catch (e) {
      if (!isNotFound(e)) throw e;
      this.markAbsent(ref.uid);
      return { state: "absent" };
    }
    if (o.metadata?.uid !== ref.uid) {
      this.markAbsent(ref.uid);
      return { state: "absent" };
    }
    return { state: "present", deleting: Boolean(o.metadata.deletionTimestamp), finalizers: o.metadata.finalizers ?? [] };
  }

  private markAbsent(uid: string) {
    if (this.absent.size > 10_000) this.absent.clear();
    this.absent.add(uid);
  }

  /** A dependent: delete it when no owner remains, drop references to owners that are gone. */
  private async attemptToDelete(n: GraphNode) {
    if (!n.owners.length) return;
    const cur = await this.latest(n);
    if (!cur || cur.metadata.deletionTimestamp) return;
    const refs = (cur.metadata.ownerReferences ?? []) as OwnerRef[];
    if (!refs.length) return;
    const solid: OwnerRef[] = [];
    const dangling: OwnerRef[] = [];
    const waiting: OwnerRef[] = [];
    let unknown = false;
    for (const ref of refs) {
      const s = await this.ownerState(ref, n);
      if (s.state === "absent") dangling.push(ref);
      else if (s.state === "unknown") unknown = true;
      else if (s.deleting && s.finalizers.includes(FOREGROUND_FINALIZER)) waiting.push(ref);
      else solid.push(ref);
    }
    if (unknown) {
      // An owner of a kind not served (yet, or any more): look again later, never delete blindly.
      this.worker?.queue.addAfter(n.uid, 30_000);
      if (!solid.length) return;
    }
    if (solid.length) {
      if (!dangling.length && !waiting.length) return;
      // Keep the object; forget owners that are gone and stop blocking those deleting theirs.
      const gone = new Set(dangling.map((r) => r.uid));
      const next = refs.filter((r) => !gone.has(r.uid)).map((r) => (waiting.some((w) => w.uid === r.uid) ? { ...r, blockOwnerDeletion: false } : r));
      await this.patchOwnerRefs(n, cur, next);
      return;
    }
    let policy = "Background";
    const fins = (cur.metadata.finalizers ?? []) as string[];
    if (waiting.length && this.graph.dependentsOf(n.uid).length) policy = "Foreground";
    else if (fins.includes(ORPHAN_FINALIZER)) policy = "Orphan";
    else if (fins.includes(FOREGROUND_FINALIZER)) policy = "Foreground";
    log.info(waiting.length ? "deleting dependent of an owner deleted in foreground" : "deleting object whose owners are gone", { object: this.describe(n), policy, waitingOwners: waiting.length });
    await this.deleteObject(n, cur, policy);
  }

  private async deleteObject(n: GraphNode, cur: KObj, propagationPolicy: string) {
    try {
      await this.client.delete(n.resource, n.namespace, n.name, { propagationPolicy, preconditions: { uid: n.uid, resourceVersion: cur.metadata.resourceVersion } });
    } catch (e) {
      if (isNotFound(e)) return;
      throw e; // 409: it changed meanwhile; the retry looks again
    }
  }

  private async patchOwnerRefs(n: GraphNode, cur: KObj, refs: OwnerRef[]) {
    try {
      await this.meta.patch(n.resource, n.namespace, n.name, { metadata: { ownerReferences: refs.length ? refs : null, resourceVersion: cur.metadata.resourceVersion } }, "merge");
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
  }

  /** Foreground deletion of `owner`: its dependents go first; then its finalizer. */
  private async deleteDependentsFirst(owner: GraphNode) {
    const blocking = this.graph.blockingDependentsOf(owner.uid);
    for (const d of this.graph.dependentsOf(owner.uid)) if (!d.deleting || deletingDependents(d)) this.enqueue(d.uid);
    if (blocking.length) {
      log.debug("foreground deletion waits for dependents", { owner: this.describe(owner), blocking: blocking.length });
      return;
    }
    await this.removeFinalizer(owner, FOREGROUND_FINALIZER);
  }

  /** Orphan deletion of `owner`: every dependent drops its reference; then the finalizer. */
  private async orphanDependents(owner: GraphNode) {
    for (const d of this.graph.dependentsOf(owner.uid)) {
      const cur = await this.latest(d);
      if (!cur) continue;
      const refs = (cur.metadata.ownerReferences ?? []) as OwnerRef[];
      const next = refs.filter((r) => r.uid !== owner.uid);
      if (next.length !== refs.length) await this.patchOwnerRefs(d, cur, next);
    }
    log.info("orphaned dependents", { owner: this.describe(owner) });
    await this.removeFinalizer(owner, ORPHAN_FINALIZER);
  }

  private async removeFinalizer(n: GraphNode, finalizer: string) {
    const cur = await this.latest(n);
    if (!cur) return;
    const fins = (cur.metadata.finalizers ?? []) as string[];
    if (!fins.includes(finalizer)) return;
    const rest = fins.filter((f) => f !== finalizer);
    try {
      await this.meta.patch(n.resource, n.namespace, n.name, { metadata: { finalizers: rest.length ? rest : null, resourceVersion: cur.metadata.resourceVersion } }, "merge");
    } catch (e) {
      if (isNotFound(e)) return;
      if (e instanceof KubeApiError && e.code === 422) log.warn("cannot remove finalizer", { object: this.describe(n), finalizer, error: e });
      throw e;
    }
  }

  private describe(n: GraphNode) {
    return `${n.resource.resource}${n.resource.group ? "." + n.resource.group : ""}/${n.namespace ? n.namespace + "/" : ""}${n.name}`;
  }

  /** The monitored kinds (for tests and diagnostics). */
  monitoredResources(): ServedResource[] {
    return this.monitors?.resources() ?? [];
  }
}

function apiVersionOf(r: { group: string; version: string }) {
  return r.group ? `${r.group}/${r.version}` : r.version;
}
