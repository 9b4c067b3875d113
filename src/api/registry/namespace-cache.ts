/**
 * @module api/registry/namespace-cache
 * Namespace lifecycle state for admission of namespaced writes (upstream's NamespaceLifecycle
 * plugin, which also reads an informer cache): a map of namespace -> terminating, filled by a
 * list + watch of /registry/namespaces/ and updated at once by this server's own namespace
 * writes. A name the cache does not know is looked up live (a namespace created a moment ago
 * through another server), so creates never fail for a namespace that exists. Started lazily
 * on first use; the watch ends when the store closes.
 */
import type { Store } from "../../store/types.ts";
import { StoreError } from "../../store/types.ts";
import type { Obj } from "./types.ts";

export const NAMESPACE_PREFIX = "/registry/namespaces/";

export type NamespaceState = "active" | "terminating" | "missing";

const terminating = (o: Obj) => Boolean(o.metadata?.deletionTimestamp) || o.status?.phase === "Terminating";

interface Entry {
  terminating: boolean;
  /** Revision of the write this state comes from (a tombstone keeps the delete's). */
  rev: number;
  deleted?: boolean;
}

export class NamespaceCache {
  private states = new Map<string, Entry>();
  private started?: Promise<void>;
  private watcher?: { cancel(): void };
  private stopped = false;

  constructor(private readonly store: Store) {}

  /** The namespace's state, from the cache or (unknown names) a live read. */
  async state(name: string): Promise<NamespaceState> {
    if (!this.stopped) {
      this.started ??= this.start().catch(() => {
        this.started = undefined; // retried on the next call; this one reads live
      });
      await this.started;
    }
    const e = this.states.get(name);
    if (e !== undefined && !e.deleted) return e.terminating ? "terminating" : "active";
    const res = await this.store.get(NAMESPACE_PREFIX + name);
    if (!res.kv) return "missing";
    const t = terminating(JSON.parse(res.kv.value) as Obj);
    this.set(name, { terminating: t, rev: res.kv.modRevision });
    return t ? "terminating" : "active";
  }

  /** A namespace write by this server (so its own effects are visible without waiting for the watch). */
  observe(obj: Obj, deleted: boolean) {
    const name = obj.metadata?.name as string | undefined;
    const rev = Number(obj.metadata?.resourceVersion);
    if (!name || !Number.isInteger(rev)) return;
    this.set(name, { terminating: terminating(obj), rev, deleted });
  }

  /** Newer revisions win, whichever path (watch, own write, live read) delivers them first. */
  private set(name: string, e: Entry) {
    if (!this.watcher) return;
    const cur = this.states.get(name);
    if (cur && cur.rev > e.rev) return;
    this.states.set(name, e);
  }

  stop() {
    this.stopped = true;
    this.watcher?.cancel();
  }

  private async start() {
    const res = await this.store.list(NAMESPACE_PREFIX);
    this.states.clear();
    const w = this.store.watch(NAMESPACE_PREFIX, { afterRevision: res.revision });
    this.watcher = w;
    for (const kv of res.kvs) this.set(kv.key.slice(NAMESPACE_PREFIX.length), { terminating: terminating(JSON.parse(kv.value) as Obj), rev: kv.modRevision });
    void this.follow(w);
  }

  private async follow(w: ReturnType<Store["watch"]>) {
    try {
      for (;;) {
        const b = await w.next();
        if (b === null) return;
        if (b.kind !== "events") continue;
        for (const ev of b.events) {
          const name = ev.kv.key.slice(NAMESPACE_PREFIX.length);
          if (ev.type === "delete") this.set(name, { terminating: false, rev: ev.kv.modRevision, deleted: true });
          else this.set(name, { terminating: terminating(JSON.parse(ev.kv.value) as Obj), rev: ev.kv.modRevision });
        }
      }
    } catch (e) {
      // Fell behind or compacted: forget everything and re-list on the next use. A closed store ends it.
      this.watcher = undefined;
      this.states.clear();
      if (this.stopped || (e instanceof StoreError && e.code === "Closed")) return;
      this.started = undefined;
    }
  }
}
