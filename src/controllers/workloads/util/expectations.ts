/**
 * @module controllers/workloads/util/expectations
 * Controller expectations like upstream's (UID-tracking) ControllerExpectations: before a
 * controller creates or deletes N pods it records that it expects to see N adds or
 * deletes; its informer handlers lower the counts as the watch delivers them; until then
 * (or until the record is 5 minutes old) the controller does not act on the stale cache,
 * so it never creates duplicates before it sees its own writes. Deletions are tracked by
 * object key so a delete seen twice (deletionTimestamp, then the real delete) counts once.
 */

export const EXPECTATIONS_TTL_MS = 5 * 60_000;

interface Record_ {
  add: number;
  del: number;
  /** Keys of objects whose deletion is still expected. */
  deleting: Set<string>;
  at: number;
}

export class Expectations {
  private records = new Map<string, Record_>();

  constructor(
    private readonly ttlMs = EXPECTATIONS_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** True when the controller may act: nothing pending, no record, or the record expired. */
  satisfied(key: string): boolean {
    const r = this.records.get(key);
    if (!r) return true;
    if (r.add <= 0 && r.del <= 0) return true;
    return this.now() - r.at > this.ttlMs;
  }

  expectCreations(key: string, n: number) {
    this.set(key, n, 0, new Set());
  }

  /** Expect deletions of these object keys (namespace/name). */
  expectDeletions(key: string, objectKeys: string[]) {
    this.set(key, 0, objectKeys.length, new Set(objectKeys));
  }

  /** Expect both at once (a controller that creates and deletes in one sync, e.g. the StatefulSet one). */
  expect(key: string, adds: number, deleteKeys: string[]) {
    this.set(key, adds, deleteKeys.length, new Set(deleteKeys));
  }

  /** Add to what is already expected (several creates or deletes issued one by one). */
  raise(key: string, adds: number, deleteKeys: string[] = []) {
    const r = this.records.get(key);
    if (!r || this.satisfied(key)) return this.expect(key, adds, deleteKeys);
    r.add += adds;
    for (const k of deleteKeys) if (!r.deleting.has(k)) {
      r.deleting.add(k);
      r.del++;
    }
  }

  creationObserved(key: string) {
    const r = this.records.get(key);
    if (r && r.add > 0) r.add--;
  }

  /** A creation that will never be observed (the create call failed). */
  creationFailed(key: string) {
    this.creationObserved(key);
  }

  deletionObserved(key: string, objectKey: string) {
    const r = this.records.get(key);
    if (!r || !r.deleting.delete(objectKey)) return;
    if (r.del > 0) r.del--;
  }

  forget(key: string) {
    this.records.delete(key);
  }

  pending(key: string): { add: number; del: number } | undefined {
    const r = this.records.get(key);
    return r ? { add: r.add, del: r.del } : undefined;
  }

  private set(key: string, add: number, del: number, deleting: Set<string>) {
    this.records.set(key, { add, del, deleting, at: this.now() });
  }
}
