/**
 * @module test/cluster/namespaced-store
 * A Store view that puts every key under a fixed prefix and strips it from results, so
 * the contract suite's whole-keyspace checks (`list("")`) do not see the cluster's own
 * bookkeeping keys (member records under /kite/members/). Revisions, CAS, watches,
 * leases and compaction pass straight through.
 */
import type { GetResult, KeyValue, RangeOptions, RangeResult, Store, TxnResult, WatchBatch, WatchEvent, Watcher, WatchOptions } from "../../src/store/types.ts";

export function namespaced(inner: Store, ns: string): Store {
  const strip = (kv: KeyValue | null): KeyValue | null => (kv ? { ...kv, key: kv.key.slice(ns.length) } : null);
  const txn = (r: TxnResult): TxnResult => ({ ...r, kv: strip(r.kv) });
  const ev = (e: WatchEvent): WatchEvent =>
    e.type === "put" ? { type: "put", kv: strip(e.kv)!, prevKv: strip(e.prevKv) } : { type: "delete", kv: strip(e.kv)!, prevKv: strip(e.prevKv)! };
  return {
    async get(key, opts): Promise<GetResult> {
      const r = await inner.get(ns + key, opts);
      return { ...r, kv: strip(r.kv) };
    },
    async list(prefix, opts: RangeOptions = {}): Promise<RangeResult> {
      const r = await inner.list(ns + prefix, { ...opts, startAfter: opts.startAfter === undefined ? undefined : ns + opts.startAfter });
      return { ...r, kvs: r.kvs.map((kv) => strip(kv)!) };
    },
    count: (prefix) => inner.count(ns + prefix),
    create: async (key, value, opts) => txn(await inner.create(ns + key, value, opts)),
    update: async (key, value, rev, opts) => txn(await inner.update(ns + key, value, rev, opts)),
    delete: async (key, rev) => txn(await inner.delete(ns + key, rev)),
    watch(prefix: string, opts: WatchOptions): Watcher {
      const w = inner.watch(ns + prefix, opts);
      return {
        async next(): Promise<WatchBatch | null> {
          const b = await w.next();
          if (b === null || b.kind === "progress") return b;
          return { kind: "events", events: b.events.map(ev) };
        },
        requestProgress: () => w.requestProgress(),
        cancel: () => w.cancel(),
      };
    },
    leaseGrant: (ttl) => inner.leaseGrant(ttl),
    leaseRevoke: (id) => inner.leaseRevoke(id),
    leaseKeepAlive: (id) => inner.leaseKeepAlive(id),
    compact: (rev) => inner.compact(rev),
    currentRevision: () => inner.currentRevision(),
    compactRevision: () => inner.compactRevision(),
    dbSize: () => inner.dbSize(),
    close: () => inner.close(),
  };
}
