/**
 * @module api/registry/watch
 * Watches of the generic registry: synthetic ADDED events for resourceVersion 0 (or none),
 * then the store's changes after the revision, filtered by the label/field selection (an
 * object leaving the selection is DELETED, entering it ADDED), BOOKMARKs on request, and a
 * 410 Expired ERROR event when the history is gone or the watcher fell behind.
 */
import { CompactedError, StoreError, type Store } from "../../store/types.ts";
import { ApiError, errors, field } from "../errors.ts";
import { decodeAt, decodeShared } from "./codec.ts";
import type { Selection } from "./selection.ts";
import { apiVersionOf, type Obj, type ResourceDef } from "./types.ts";

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
export interface ApiWatchEvent {
  type: WatchEventType;
  object: Obj;
}

export interface ApiWatch {
  next(): Promise<ApiWatchEvent | null>;
  cancel(): void;
}

export interface WatchParams {
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
  sendInitialEvents?: boolean;
}

/** What a watch needs from the registry. */
export interface WatchSource {
  readonly def: ResourceDef;
  readonly store: Store;
  selection(opts: { labelSelector?: string; fieldSelector?: string }): Selection;
  listPrefix(namespace?: string): string;
  storeCall<T>(fn: () => Promise<T>): Promise<T>;
  mapStoreError(e: unknown): Error;
}

export async function startWatch(reg: WatchSource, namespace: string | undefined, opts: WatchParams): Promise<ApiWatch> {
  const sel = reg.selection(opts);
  const prefix = reg.listPrefix(namespace);
  const initial: ApiWatchEvent[] = [];
  let after: number;
  const rvParam = opts.resourceVersion;
  if (opts.sendInitialEvents) {
    throw errors.invalid("ListOptions", "meta.k8s.io", "", [field.forbidden("sendInitialEvents", "sendInitialEvents is not supported by this server")]);
  }
  if (!rvParam || rvParam === "0") {
    // Synthetic ADDED events for the current state, then changes after it.
    const res = await reg.storeCall(() => reg.store.list(prefix));
    after = res.revision;
    for (const kv of res.kvs) {
      const o = decodeShared(kv);
      if (sel.matches(o)) initial.push({ type: "ADDED", object: o });
    }
  } else {
    after = parseRv(rvParam);
  }
  let w;
  try {
    w = reg.store.watch(prefix, { afterRevision: after, progressIntervalMs: opts.allowWatchBookmarks ? 5_000 : 0 });
  } catch (e) {
    throw reg.mapStoreError(e);
  }
  let queue: ApiWatchEvent[] = initial;
  let head = 0; // index of the next event to deliver (shift() is O(n) on long initial lists)
  const kind = reg.def.kind;
  const apiVersion = apiVersionOf(reg.def);
  const bookmarks = Boolean(opts.allowWatchBookmarks);
  let done = false;
  return {
    async next(): Promise<ApiWatchEvent | null> {
      for (;;) {
        if (head < queue.length) {
          const ev = queue[head]!;
          queue[head++] = undefined as unknown as ApiWatchEvent; // let it be collected
          return ev;
        }
        if (head > 0) {
          queue = [];
          head = 0;
        }
        if (done) return null;
        let batch;
        try {
          batch = await w.next();
        } catch (e) {
          done = true;
          if (e instanceof CompactedError) {
            return { type: "ERROR", object: new ApiError(410, "Expired", `too old resource version: ${after} (${e.compactRevision})`).toStatus() };
          }
          if (e instanceof StoreError && e.code === "WatchOverflow") {
            return { type: "ERROR", object: new ApiError(410, "Expired", `watch fell behind and was closed: ${e.message}`).toStatus() };
          }
          return { type: "ERROR", object: errors.internal((e as Error).message).toStatus() };
        }
        if (batch === null) {
          done = true;
          return null;
        }
        if (batch.kind === "progress") {
          if (bookmarks) return { type: "BOOKMARK", object: { kind, apiVersion, metadata: { resourceVersion: String(batch.revision) } } };
          continue;
        }
        for (const ev of batch.events) {
          const cur = ev.type === "put" ? decodeShared(ev.kv) : null;
          const prev = ev.prevKv ? decodeShared(ev.prevKv) : null;
          const curMatch = cur ? sel.matches(cur) : false;
          const prevMatch = prev ? sel.matches(prev) : false;
          if (ev.type === "delete") {
            if (prevMatch) queue.push({ type: "DELETED", object: decodeAt(ev.prevKv.value, ev.kv.modRevision) });
          } else if (curMatch && prevMatch) queue.push({ type: "MODIFIED", object: cur! });
          else if (curMatch) queue.push({ type: "ADDED", object: cur! });
          else if (prevMatch) queue.push({ type: "DELETED", object: cur! });
        }
      }
    },
    cancel() {
      done = true;
      w.cancel();
    },
  };
}

function parseRv(s: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0) throw errors.badRequest(`invalid resource version "${s}"`);
  return n;
}
