/**
 * @module store/mvcc-rows
 * Row shapes of the state tables and their conversion to the public KeyValue.
 */
import type { KeyValue } from "./types.ts";

export interface HistoryRow {
  rev: number;
  key: string;
  create_rev: number;
  version: number;
  lease: number;
  prev_rev: number;
  deleted: number;
  value: string;
}

export interface LiveRow {
  mod_rev: number;
  create_rev: number;
  version: number;
  lease: number;
  deleted: number;
}

export const HISTORY_COLUMNS = "rev, key, create_rev, version, lease, prev_rev, deleted, value";

export function kvOf(h: HistoryRow): KeyValue {
  return { key: h.key, value: h.value, createRevision: h.create_rev, modRevision: h.rev, version: h.version, lease: h.lease };
}

/** The kv of a delete event: etcd sets only key and mod revision. */
export function tombstoneKv(key: string, rev: number): KeyValue {
  return { key, value: "", createRevision: 0, modRevision: rev, version: 0, lease: 0 };
}
