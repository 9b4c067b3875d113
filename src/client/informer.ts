/**
 * @module client/informer
 * List+watch caches like client-go's shared informers: one list, then a watch from the
 * list's resourceVersion; on a closed watch it re-watches from the last seen revision, on
 * 410 Expired it re-lists (emitting the differences as events). Handlers see adds,
 * updates and deletes in order; `store` is the local cache every component reads from.
 */
import { KubeApiError, type KObj, type KubeClient, type ListOpts, type WatchEvent } from "./client.ts";
import type { GVR } from "./resources.ts";
import { logger } from "../util/log.ts";

export interface InformerHandlers {
  add?(obj: KObj): void;
  update?(oldObj: KObj, newObj: KObj): void;
  delete?(obj: KObj): void;
}

export function objectKey(o: KObj): string {
  const m = o.metadata ?? {};
  return m.namespace ? `${m.namespace}/${m.name}` : m.name;
}

export interface InformerOptions extends Pick<ListOpts, "labelSelector" | "fieldSelector"> {
  namespace?: string;
  /** Back-off between failed list/watch attempts (ms). */
  retryMs?: number;
}

export class Informer {
  readonly store = new Map<string, KObj>();
  private handlers: InformerHandlers[] = [];
  private abort = new AbortController();
  private running = false;
  private synced = false;
  private syncWaiters: (() => void)[] = [];
  private lastRv = "";
  private readonly log;

  constructor(
    private readonly client: KubeClient,
    readonly gvr: GVR,
    private readonly opts: InformerOptions = {},
  ) {
    this.log = logger(`informer/${gvr.resource}`);
  }

  addHandlers(h: InformerHandlers) {
    this.handlers.push(h);
    // Late subscribers see the current state as adds, like client-go.
    if (this.synced) for (const o of this.store.values()) h.add?.(o);
  }

  hasSynced() {
    return this.synced;
  }

  waitForSync(): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((r) => this.syncWaiters.push(r));
  }

  get(namespace: string | undefined, name: string): KObj | undefined {
    return this.store.get(namespace ? `${namespace}/${name}` : name);
  }

  list(filter?: (o: KObj) => boolean): KObj[] {
    const out: KObj[] = [];
    for (const o of this.store.values()) if (!filter || filter(o)) out.push(o);
    return out;
  }

  start() {
    if (this.running) return;
    this.running = true;
    void this.run();
  }

  stop() {
    this.running = false;
    this.abort.abort();
  }

  private emit(kind: "add" | "update" | "delete", a: KObj, b?: KObj) {
    for (const h of this.handlers) {
      try {
        if (kind === "add") h.add?.(a);
        else if (kind === "update") h.update?.(a, b!);
        else h.delete?.(a);
      } catch (e) {
        this.log.error("handler failed", { error: e as Error });
      }
    }
  }

  private async relist() {
    const res = await this.client.list(this.gvr, this.opts.namespace, { labelSelector: this.opts.labelSelector, fieldSelector: this.opts.fieldSelector });
    const seen = new Set<string>();
    for (const item of res.items as KObj[]) {
      item.kind ??= this.gvr.kind;
      item.apiVersion ??= this.gvr.group ? `${this.gvr.group}/${this.gvr.version}` : this.gvr.version;
      const k = objectKey(item);
      seen.add(k);
      const old = this.store.get(k);
      this.store.set(k, item);
      if (!old) this.emit("add", item);
      else if (old.metadata.resourceVersion !== item.metadata.resourceVersion) this.emit("update", old, item);
    }
    for (const [k, o] of [...this.store]) {
      if (!seen.has(k)) {
        this.store.delete(k);
        this.emit("delete", o);
      }
    }
    this.lastRv = res.metadata.resourceVersion;
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncWaiters.splice(0)) w();
    }
  }

  private apply(ev: WatchEvent) {
    const o = ev.object;
    if (ev.type === "BOOKMARK") {
      this.lastRv = o.metadata.resourceVersion;
      return;
    }
    const k = objectKey(o);
    const old = this.store.get(k);
    if (ev.type === "DELETED") {
      this.store.delete(k);
      this.emit("delete", old ?? o);
    } else {
      this.store.set(k, o);
      if (old) this.emit("update", old, o);
      else this.emit("add", o);
    }
    this.lastRv = o.metadata.resourceVersion;
  }

  private async run() {
    let needList = true;
    const retry = this.opts.retryMs ?? 1000;
    while (this.running) {
      try {
        if (needList) {
          await this.relist();
          needList = false;
        }
        const stream = this.client.watch(
          this.gvr,
          this.opts.namespace,
          { labelSelector: this.opts.labelSelector, fieldSelector: this.opts.fieldSelector, resourceVersion: this.lastRv, allowWatchBookmarks: true, timeoutSeconds: 300 + Math.floor(Math.random() * 300) },
          this.abort.signal,
        );
        for await (const ev of stream) {
          if (ev.type === "ERROR") {
            if (ev.object?.code === 410) needList = true;
            else this.log.warn("watch error", { message: ev.object?.message });
            break;
          }
          this.apply(ev);
        }
      } catch (e) {
        if (!this.running) return;
        if (e instanceof KubeApiError && e.code === 410) needList = true;
        else {
          this.log.debug("list/watch failed, retrying", { error: e as Error });
          needList = true;
          await Bun.sleep(retry);
        }
      }
    }
  }
}

/** One informer per (resource, namespace, selectors), shared by every component of a process. */
export class InformerFactory {
  private informers = new Map<string, Informer>();
  constructor(readonly client: KubeClient) {}

  for(gvr: GVR, opts: InformerOptions = {}): Informer {
    const key = `${gvr.group}/${gvr.resource}|${opts.namespace ?? ""}|${opts.labelSelector ?? ""}|${opts.fieldSelector ?? ""}`;
    let inf = this.informers.get(key);
    if (!inf) {
      inf = new Informer(this.client, gvr, opts);
      this.informers.set(key, inf);
    }
    return inf;
  }

  startAll() {
    for (const i of this.informers.values()) i.start();
  }

  async waitForSync() {
    await Promise.all([...this.informers.values()].map((i) => i.waitForSync()));
  }

  stopAll() {
    for (const i of this.informers.values()) i.stop();
  }
}
